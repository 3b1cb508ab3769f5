// exec workload argument policy: request arguments only with --allow-request-args, each matched
// in full against the pattern; the worker's own argv gets the slot's device.
#include <gtest/gtest.h>

#include "core/error.h"
#include "queue/exec_args.h"

namespace kb::queue {
namespace {

using nlohmann::json;

const std::vector<std::string> kBase = {"/usr/bin/transcode", "--device", "{device}", "-i", "in.mp4"};

TEST(ExecArgs, OwnArgvGetsTheSlotDevice) {
  ArgPolicy policy(false);
  auto plan = plan_exec({"/bin/x", "--dev={device}", "{device}{device}"}, "/dev/dri/renderD129", nullptr, policy);
  EXPECT_TRUE(plan.refusal.empty());
  EXPECT_EQ(plan.argv, (std::vector<std::string>{"/bin/x", "--dev=/dev/dri/renderD129", "/dev/dri/renderD129/dev/dri/renderD129"}));
}

TEST(ExecArgs, RequestArgsRefusedUnlessAllowed) {
  ArgPolicy policy(false);
  auto plan = plan_exec(kBase, "d", json{{"args", {"fast"}}}, policy);
  EXPECT_NE(plan.refusal.find("--allow-request-args"), std::string::npos) << plan.refusal;
  // No args, or an empty list, is not a request for arguments.
  EXPECT_TRUE(plan_exec(kBase, "d", json{{"args", json::array()}}, policy).refusal.empty());
  EXPECT_TRUE(plan_exec(kBase, "d", json::object(), policy).refusal.empty());
}

TEST(ExecArgs, AllowedArgsAreAppendedWithoutDeviceSubstitution) {
  ArgPolicy policy(true);
  auto plan = plan_exec(kBase, "D", json{{"args", {"preset=fast", "crf23", "{device}x"}}}, policy);
  // "{device}x" fails the default pattern (a brace): request args are never substituted.
  EXPECT_FALSE(plan.refusal.empty());
  plan = plan_exec(kBase, "D", json{{"args", {"preset=fast", "crf23", "0.5"}}}, policy);
  ASSERT_TRUE(plan.refusal.empty()) << plan.refusal;
  EXPECT_EQ(plan.argv.size(), kBase.size() + 3);
  EXPECT_EQ(plan.argv[2], "D");
  EXPECT_EQ(plan.argv.back(), "0.5");
}

TEST(ExecArgs, DefaultPatternRefusesOptionsPathsAndShellText) {
  ArgPolicy policy(true);
  for (const std::string& bad : std::vector<std::string>{"-o", "--output=/etc/passwd", "/etc/passwd", "../x", "a b", "$(id)", "`id`", "a;b", "a|b", "a&b",
                          "a>b", "x\ny", "", std::string(300, 'a'), std::string("a\0b", 3)}) {
    auto plan = plan_exec(kBase, "", json{{"args", {bad}}}, policy);
    EXPECT_FALSE(plan.refusal.empty()) << "accepted: " << json(bad).dump();
    EXPECT_NE(plan.refusal.find("--arg-pattern"), std::string::npos);
  }
  for (const std::string& good : std::vector<std::string>{"fast", "crf=23", "1920x1080", "a.b_c-d", "h264:main", "50%", "x+y@z,w"}) {
    EXPECT_TRUE(plan_exec(kBase, "", json{{"args", {good}}}, policy).refusal.empty()) << good;
  }
}

TEST(ExecArgs, CustomPatternMustMatchWholeArgument) {
  ArgPolicy policy(true, "[0-9]+");
  EXPECT_TRUE(plan_exec(kBase, "", json{{"args", {"123"}}}, policy).refusal.empty());
  EXPECT_FALSE(plan_exec(kBase, "", json{{"args", {"123abc"}}}, policy).refusal.empty());
  EXPECT_FALSE(plan_exec(kBase, "", json{{"args", {"abc123"}}}, policy).refusal.empty());
  EXPECT_THROW(ArgPolicy(true, "(unclosed"), UsageError);
}

TEST(ExecArgs, MalformedPayloadsAreRefused) {
  ArgPolicy policy(true);
  EXPECT_FALSE(plan_exec(kBase, "", json("string"), policy).refusal.empty());
  EXPECT_FALSE(plan_exec(kBase, "", json{{"args", "fast"}}, policy).refusal.empty());
  EXPECT_FALSE(plan_exec(kBase, "", json{{"args", {1, 2}}}, policy).refusal.empty());
  ArgPolicy few(true, kDefaultArgPattern, 2);
  EXPECT_FALSE(plan_exec(kBase, "", json{{"args", {"a", "b", "c"}}}, few).refusal.empty());
  EXPECT_TRUE(plan_exec(kBase, "", json{{"args", {"a", "b"}}}, few).refusal.empty());
}

}  // namespace
}  // namespace kb::queue
