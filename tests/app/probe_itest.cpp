// `kubench probe` on this machine, with real ffmpeg test encodes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/files.h"
#include "support/test_support.h"

namespace kb {
namespace {
using nlohmann::json;

TEST(ProbeCommand, ReportsInventoryAndWorkingSoftwareEncoders) {
  auto r = test::run_kubench({"probe", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  auto p = json::parse(r.stdout_text);
  EXPECT_EQ(p["schema"], "kubench/probe/v1");
  EXPECT_GT(p["cpu"]["threads"].get<int>(), 0);
  EXPECT_GT(p["memory_bytes"].get<long long>(), 0);
  EXPECT_FALSE(p["ffmpeg"]["version"].get<std::string>().empty());
  bool x264 = false;
  for (auto& c : p["codecs"]) {
    if (c["name"] == "libx264") x264 = c["works"].get<bool>();
    if (!c["works"].get<bool>()) {
      EXPECT_FALSE(c["reason"].get<std::string>().empty()) << c.dump();
    }
  }
  EXPECT_TRUE(x264);
  EXPECT_NE(std::find(p["working_backends"].begin(), p["working_backends"].end(), "cpu"), p["working_backends"].end());
  EXPECT_FALSE(p["power_sensors"].empty());
}

TEST(ProbeCommand, RequireFailsFastWithTheReason) {
  test::TempDir dir;
  auto termination = dir / "termination-log";
  auto r = test::run_kubench({"probe", "--require", "qsv", "-o", "json", "--termination-log", termination.string()},
                             {{"KUBENCH_NODE_NAME", "node-7"}});
  if (r.exit_code == 0) GTEST_SKIP() << "QSV works on this machine";
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.stderr_text.find("node node-7: no working QSV encoder: h264_qsv"), std::string::npos) << r.stderr_text;
  // In a pod the reason also goes to the termination message, exactly the error line.
  EXPECT_EQ("kubench: " + kb::read_file(termination) + "\n", r.stderr_text.substr(r.stderr_text.rfind("kubench: node node-7")));
}

TEST(ProbeCommand, RequireCpuPassesAndYamlWorks) {
  auto r = test::run_kubench({"probe", "--require", "cpu", "-o", "yaml"});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_NE(r.stdout_text.find("schema: kubench/probe/v1"), std::string::npos);
}

TEST(ProbeCommand, BadRequirementIsAUsageError) {
  auto r = test::run_kubench({"probe", "--require", "tpu"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("unknown --require 'tpu'"), std::string::npos);
}

}  // namespace
}  // namespace kb
