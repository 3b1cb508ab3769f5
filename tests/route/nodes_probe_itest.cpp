// `kubench nodes probe --local` on this machine (real ffmpeg, real reference encodes), and
// `kubench encode --accel auto` choosing from the matrix it caches.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "support/cut_video.h"
#include "support/kubench_process.h"
#include "support/test_support.h"

namespace kb::test {
namespace {

std::string hostname() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return host;
}

TEST(NodesProbe, LocalMeasuresJoinableEncodersAndCachesTheMatrix) {
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> env = {{"KUBENCH_CACHE", (dir / "cache").string()}};
  auto r = run_kubench({"nodes", "probe", "--local", "--encoders", "libx264,libx265", "--probe-seconds", "0.5", "--no-4k", "-o", "json", "-q"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  auto matrix = nlohmann::json::parse(r.stdout_text);
  ASSERT_EQ(matrix["nodes"].size(), 1u);
  const auto& node = matrix["nodes"][0];
  EXPECT_EQ(node["node"], hostname());
  EXPECT_GE(node["cpu_threads"].get<int>(), 1);
  EXPECT_GT(node["memory_bytes"].get<long long>(), 0);
  int measured = 0;
  for (auto& e : node["encoders"]) {
    if (e["encoder"] != "libx264" && e["encoder"] != "libx265") continue;
    ++measured;
    EXPECT_TRUE(e["works"].get<bool>()) << e.dump();
    EXPECT_TRUE(e["stitchable"].get<bool>()) << e.dump();
    EXPECT_GT(e["fps_1080p"].get<double>(), 0) << e.dump();
    EXPECT_TRUE(e["fps_4k"].is_null());  // --no-4k
    EXPECT_EQ(e["threads"], node["cpu_threads"]);
  }
  EXPECT_EQ(measured, 2);
  // Cached for kubench encode, the same document.
  EXPECT_EQ(nlohmann::json::parse(slurp(dir / "cache" / "capabilities-local.json")), matrix);

  // The table says the same, one row per working encoder.
  auto table = run_kubench({"nodes", "probe", "--local", "--encoders", "libx264", "--probe-seconds", "0.3", "--no-4k", "-q"}, env);
  ASSERT_EQ(table.exit_code, 0) << table.stderr_text;
  EXPECT_NE(table.stdout_text.find("libx264"), std::string::npos);
  EXPECT_NE(table.stdout_text.find("JOINABLE"), std::string::npos);
}

TEST(NodesProbe, BadFlagsAndTheClusterFormSayWhy) {
  // Without --local the cluster of the kubeconfig: none here.
  auto r = run_kubench({"nodes", "probe", "--kubeconfig", "/nonexistent/kubeconfig"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("/nonexistent/kubeconfig"), std::string::npos) << r.stderr_text;
  r = run_kubench({"nodes", "probe", "--local", "--probe-seconds", "0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("--probe-seconds"), std::string::npos) << r.stderr_text;
  r = run_kubench({"nodes", "probe", "--local", "--ffmpeg", "/nonexistent/ffmpeg"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("ffmpeg"), std::string::npos) << r.stderr_text;
}

TEST(EncodeAuto, ChoosesTheFastestJoinableEncoderTheMatrixMeasuredHereOrSaysWhyNot) {
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> env = {{"KUBENCH_CACHE", (dir / "cache").string()}};
  const auto src = dir / "src.mp4";
  make_cut_clip(src, kCutsAt30_75_120, "25", false);
  auto plan = [&] {
    auto r = run_kubench({"encode", src.string(), (dir / "out.mp4").string(), "--dry-run", "-o", "json", "-q"}, env);
    EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
    return r.exit_code == 0 ? nlohmann::json::parse(r.stdout_text) : nlohmann::json::object();
  };
  // No matrix yet: the CPU encoder, and why.
  auto p = plan();
  EXPECT_EQ(p["settings"]["encoder"], "libx264");
  EXPECT_NE(p["encoder_chosen_by"].get<std::string>().find("no capability matrix"), std::string::npos) << p.dump();

  ASSERT_EQ(run_kubench({"nodes", "probe", "--local", "--encoders", "libx264", "--probe-seconds", "0.3", "--no-4k", "-q"}, env).exit_code, 0);
  p = plan();
  EXPECT_EQ(p["settings"]["encoder"], "libx264");
  EXPECT_NE(p["encoder_chosen_by"].get<std::string>().find("libx264: the fastest joinable h264 encoder measured here"), std::string::npos)
      << p.dump();

  // A faster joinable NVENC in the matrix wins; one that cannot make joinable parts does not.
  const auto cache = dir / "cache" / "capabilities-local.json";
  auto matrix = nlohmann::json::parse(slurp(cache));
  auto nvenc = nlohmann::json{{"encoder", "h264_nvenc"}, {"backend", "nvenc"}, {"codec", "h264"}, {"works", true}, {"reason", ""},
                              {"fps_1080p", 900.0}, {"fps_4k", 250.0}, {"session_limit", nullptr}, {"stitchable", false},
                              {"threads", 0}, {"device", "0"}};
  matrix["nodes"][0]["encoders"].push_back(nvenc);
  write_text(cache, matrix.dump());
  EXPECT_EQ(plan()["settings"]["encoder"], "libx264");
  matrix["nodes"][0]["encoders"].back()["stitchable"] = true;
  write_text(cache, matrix.dump());
  p = plan();
  EXPECT_EQ(p["settings"]["encoder"], "h264_nvenc");
  EXPECT_EQ(p["settings"]["device"], "0");
  // Measured with another ffmpeg: not trusted.
  matrix["nodes"][0]["ffmpeg_version"] = "0.0-other";
  write_text(cache, matrix.dump());
  p = plan();
  EXPECT_EQ(p["settings"]["encoder"], "libx264");
  EXPECT_NE(p["encoder_chosen_by"].get<std::string>().find("measured with ffmpeg 0.0-other"), std::string::npos) << p.dump();
}

}  // namespace
}  // namespace kb::test
