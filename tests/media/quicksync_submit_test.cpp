// The local checks of QuickSync submission: nothing here may reach a network.
#include "media/quicksync_submit.h"

#include <gtest/gtest.h>

#include <functional>

#include "core/error.h"

namespace kb::media {
namespace {

BenchResult submittable() {
  BenchResult r;
  r.host.cpu_model = "Intel(R) Core(TM) i5-9500 CPU @ 3.00GHz";
  r.clip_set = "official";
  TestRun run;
  run.test_id = "h264_1080p";
  run.clip = "ribblehead_1080p_h264";
  run.status = "ok";
  r.tests = {run};
  return r;
}

int exit_code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.exit_code();
  }
  return 0;
}

TEST(QuickSyncSubmitChecks, AcceptsOfficialResultsFromRealHardware) {
  EXPECT_NO_THROW(check_quicksync_submittable(submittable(), {}));
}

TEST(QuickSyncSubmitChecks, RefusesResultsWithoutSuccessfulRuns) {
  BenchResult r = submittable();
  r.tests[0].status = "failed";
  EXPECT_THROW(check_quicksync_submittable(r, {}), UsageError);
  r.tests.clear();
  EXPECT_THROW(check_quicksync_submittable(r, {}), UsageError);
}

TEST(QuickSyncSubmitChecks, RefusesVirtualMachines) {
  BenchResult r = submittable();
  r.host.virtual_machine = true;
  EXPECT_EQ(exit_code_of([&] { check_quicksync_submittable(r, {}); }), kExitUsage);
  for (const char* cpu : {"QEMU Virtual CPU version 2.5+", "Common KVM processor"}) {
    BenchResult by_name = submittable();
    by_name.host.cpu_model = cpu;  // the seed's guard looks at the CPU string too
    EXPECT_THROW(check_quicksync_submittable(by_name, {}), EnvironmentError) << cpu;
  }
}

TEST(QuickSyncSubmitChecks, RefusesAMissingCpuModel) {
  BenchResult r = submittable();
  r.host.cpu_model = "  ";
  EXPECT_THROW(check_quicksync_submittable(r, {}), UsageError);
}

TEST(QuickSyncSubmitChecks, GeneratedClipsNeedExplicitPermission) {
  BenchResult r = submittable();
  r.clip_set = "generated";
  try {
    check_quicksync_submittable(r, {});
    FAIL() << "generated clips were accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--allow-generated-clips"), std::string::npos) << e.what();
  }
  QuickSyncSubmitOptions allow;
  allow.allow_non_official_clips = true;
  EXPECT_NO_THROW(check_quicksync_submittable(r, allow));
}

TEST(QuickSyncSubmitterId, FollowsTheServerRules) {
  EXPECT_EQ(normalise_submitter_id(""), "");
  EXPECT_EQ(normalise_submitter_id("   "), "");
  EXPECT_EQ(normalise_submitter_id("  my   lab#1 "), "my lab#1");
  EXPECT_EQ(normalise_submitter_id(std::string(50, 'a')), std::string(50, 'a'));
  EXPECT_THROW(normalise_submitter_id(std::string(51, 'a')), UsageError);
  // 25 two-byte characters are 25 JavaScript characters, within the limit.
  std::string accents;
  for (int i = 0; i < 25; ++i) accents += "\xC3\xA9";
  EXPECT_EQ(normalise_submitter_id(accents), accents);
  for (const char* bad : {"a<b", "a>b", "a\"b", "a'b", "a`b", "tab\there", "bell\x07", "del\x7F"})
    EXPECT_THROW(normalise_submitter_id(bad), UsageError) << bad;
}

TEST(QuickSyncConfirmLink, PercentEncodesTheIdFully) {
  EXPECT_EQ(quicksync_confirm_link(kQuickSyncWebUrl, "abc-123", ""), "https://quicksync.ktz.me/submit?token=abc-123");
  EXPECT_EQ(quicksync_confirm_link("https://example.test/", "t", "my lab#1"),
            "https://example.test/submit?token=t&id=my%20lab%231");
  EXPECT_EQ(quicksync_confirm_link("https://example.test", "t", "50%/caf\xC3\xA9"),
            "https://example.test/submit?token=t&id=50%25%2Fcaf%C3%A9");
}

TEST(QuickSyncSubmit, RefusesBeforeAnyRequest) {
  // An address nothing listens on: reaching the network would turn into a different error.
  QuickSyncSubmitOptions options;
  options.api_url = "http://127.0.0.1:9";
  BenchResult vm = submittable();
  vm.host.virtual_machine = true;
  EXPECT_THROW(submit_to_quicksync(vm, options), EnvironmentError);
  try {
    submit_to_quicksync(vm, options);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("virtual machine"), std::string::npos) << e.what();
  }
  options.submitter_id = "<script>";
  EXPECT_THROW(submit_to_quicksync(submittable(), options), UsageError);
  options.submitter_id = "";
  options.api_url = "quicksync-api.ktz.me";
  EXPECT_THROW(submit_to_quicksync(submittable(), options), UsageError);
}

}  // namespace
}  // namespace kb::media
