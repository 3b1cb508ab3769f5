// intel_gpu_top -J parsing across igt-gpu-tools versions (fixtures: tests/fixtures/power/README.md).
#include "power/intel_gpu_top_json.h"

#include <gtest/gtest.h>

#include <string>

#include "support/test_support.h"

namespace kb::power {
namespace {

std::string igt_fixture(const std::string& name) { return test::fixture("power/" + name); }

// Period-weighted mean, written out so each expectation shows where its number comes from.
double weighted(std::initializer_list<std::pair<double, double>> value_and_period) {
  double sum = 0, weights = 0;
  for (auto [v, w] : value_and_period) {
    sum += v * w;
    weights += w;
  }
  return sum / weights;
}

TEST(IntelGpuTopJson, Version125SingleValuePowerIsTheGpuDomain) {
  auto samples = parse_intel_gpu_top_json(igt_fixture("intel_gpu_top-1.25.json"));
  ASSERT_EQ(samples.size(), 4u);
  EXPECT_DOUBLE_EQ(*samples[0].period_ms, 0.046229);
  EXPECT_DOUBLE_EQ(*samples[0].gpu_watts, 0.0);
  EXPECT_DOUBLE_EQ(*samples[1].gpu_watts, 6.482117);
  EXPECT_DOUBLE_EQ(*samples[2].gpu_watts, 6.915300);
  EXPECT_DOUBLE_EQ(*samples[3].gpu_watts, 6.733482);
  for (const auto& s : samples) EXPECT_FALSE(s.package_watts) << "1.25 has no Package figure";
  EXPECT_DOUBLE_EQ(*samples[1].video_busy_pct, 79.845213);
  EXPECT_DOUBLE_EQ(*samples[2].video_busy_pct, 83.201456);
  EXPECT_DOUBLE_EQ(*samples[3].video_busy_pct, 81.007733);
  EXPECT_DOUBLE_EQ(*samples[3].period_ms, 100.131018);

  auto summary = summarize_intel_gpu_top(samples);
  EXPECT_EQ(summary.gpu_samples, 4u);
  EXPECT_DOUBLE_EQ(*summary.gpu_watts, weighted({{0.0, 0.046229}, {6.482117, 100.118204}, {6.915300, 100.097761},
                                                 {6.733482, 100.131018}}));
  EXPECT_NEAR(*summary.gpu_watts, 6.71, 0.01);
  EXPECT_FALSE(summary.package_watts);
  EXPECT_DOUBLE_EQ(*summary.video_busy_pct, weighted({{0.0, 0.046229}, {79.845213, 100.118204},
                                                      {83.201456, 100.097761}, {81.007733, 100.131018}}));
}

TEST(IntelGpuTopJson, Version127GpuAndPackageWithVideoInstancesTakesTheBusiestPerSample) {
  auto samples = parse_intel_gpu_top_json(igt_fixture("intel_gpu_top-1.27.json"));
  ASSERT_EQ(samples.size(), 4u);
  EXPECT_DOUBLE_EQ(*samples[1].gpu_watts, 7.421006);
  EXPECT_DOUBLE_EQ(*samples[1].package_watts, 18.902417);
  EXPECT_DOUBLE_EQ(*samples[2].gpu_watts, 7.902311);
  EXPECT_DOUBLE_EQ(*samples[2].package_watts, 19.514820);
  EXPECT_DOUBLE_EQ(*samples[3].gpu_watts, 7.650120);
  EXPECT_DOUBLE_EQ(*samples[3].package_watts, 19.200131);
  // Video/0 88.1 vs Video/1 41.5, then 62.0 vs 90.4, then 85.3 vs 0: the max of each sample,
  // never the per-client "engine-classes" figures (129.6, 152.4, ...).
  EXPECT_DOUBLE_EQ(*samples[0].video_busy_pct, 0.0);
  EXPECT_DOUBLE_EQ(*samples[1].video_busy_pct, 88.112504);
  EXPECT_DOUBLE_EQ(*samples[2].video_busy_pct, 90.401177);
  EXPECT_DOUBLE_EQ(*samples[3].video_busy_pct, 85.300482);

  auto summary = summarize_intel_gpu_top(samples);
  EXPECT_DOUBLE_EQ(*summary.gpu_watts, weighted({{0.0, 0.052310}, {7.421006, 100.102466}, {7.902311, 100.087319},
                                                 {7.650120, 100.125508}}));
  EXPECT_DOUBLE_EQ(*summary.package_watts, weighted({{0.0, 0.052310}, {18.902417, 100.102466},
                                                     {19.514820, 100.087319}, {19.200131, 100.125508}}));
  EXPECT_DOUBLE_EQ(*summary.video_busy_pct, weighted({{0.0, 0.052310}, {88.112504, 100.102466},
                                                      {90.401177, 100.087319}, {85.300482, 100.125508}}));
}

TEST(IntelGpuTopJson, Version128ArrayKilledBeforeItsClosingBracket) {
  std::string text = igt_fixture("intel_gpu_top-1.28.json");
  ASSERT_EQ(text.substr(0, 1), "[");
  ASSERT_EQ(text.back(), '}') << "the fixture stands for a killed tool: no closing ]";
  auto samples = parse_intel_gpu_top_json(text);
  ASSERT_EQ(samples.size(), 4u);
  EXPECT_DOUBLE_EQ(*samples[1].gpu_watts, 9.812406);
  EXPECT_DOUBLE_EQ(*samples[1].package_watts, 31.244870);
  EXPECT_DOUBLE_EQ(*samples[2].gpu_watts, 10.204519);
  EXPECT_DOUBLE_EQ(*samples[3].package_watts, 31.630902);
  // Class view: one "Video" engine.
  EXPECT_DOUBLE_EQ(*samples[1].video_busy_pct, 64.815310);
  EXPECT_DOUBLE_EQ(*samples[2].video_busy_pct, 71.402218);
  EXPECT_DOUBLE_EQ(*samples[3].video_busy_pct, 68.250913);
  EXPECT_DOUBLE_EQ(*samples[3].period_ms, 100.113760);

  // A cleanly stopped tool closes the array; same samples.
  auto closed = parse_intel_gpu_top_json(text + "]\n");
  ASSERT_EQ(closed.size(), 4u);
  EXPECT_DOUBLE_EQ(*closed[3].gpu_watts, 9.977031);
}

TEST(IntelGpuTopJson, ObjectsWithoutCommasBetweenThemParseTheSame) {
  std::string text = igt_fixture("intel_gpu_top-1.27.json");
  std::string no_commas;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 3, "},\n") == 0 && i + 3 < text.size() && text[i + 3] == '{') {
      no_commas += "}\n";
      i += 2;
    } else {
      no_commas += text[i];
    }
  }
  ASSERT_NE(no_commas, text);
  auto samples = parse_intel_gpu_top_json(no_commas);
  ASSERT_EQ(samples.size(), 4u);
  EXPECT_DOUBLE_EQ(*samples[2].gpu_watts, 7.902311);
  EXPECT_DOUBLE_EQ(*samples[2].video_busy_pct, 90.401177);
}

TEST(IntelGpuTopJson, SampleCutOffHalfwayIsDropped) {
  std::string text = igt_fixture("intel_gpu_top-1.28.json");
  auto last = text.rfind("\n{\n");
  ASSERT_NE(last, std::string::npos);
  auto samples = parse_intel_gpu_top_json(text.substr(0, last + 200));
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_DOUBLE_EQ(*samples[2].gpu_watts, 10.204519);
}

TEST(IntelGpuTopJson, EmptyAndGarbageGiveNoSamples) {
  EXPECT_TRUE(parse_intel_gpu_top_json("").empty());
  EXPECT_TRUE(parse_intel_gpu_top_json("[\n").empty());
  EXPECT_TRUE(parse_intel_gpu_top_json("Failed to initialize PMU! (Permission denied)\n").empty());
  // One broken object does not hide the good one after it.
  auto samples = parse_intel_gpu_top_json(R"({"power": {"GPU": }} {"power": {"GPU": 2.5, "unit": "W"}})");
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_DOUBLE_EQ(*samples[0].gpu_watts, 2.5);
}

TEST(IntelGpuTopJson, KeysAreFoundByNameInAnyOrder) {
  // The first revision of the package-power patch named the items "gpu" and "pkg".
  auto samples = parse_intel_gpu_top_json(
      R"({"engines": {"VideoEnhance/0": {"busy": 99.0}, "Video/1": {"busy": 12.5}}, "power": {"unit": "W", "pkg": 20.0, "gpu": 4.0}, "period": {"unit": "ms", "duration": 50.0}})");
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_DOUBLE_EQ(*samples[0].gpu_watts, 4.0);
  EXPECT_DOUBLE_EQ(*samples[0].package_watts, 20.0);
  EXPECT_DOUBLE_EQ(*samples[0].video_busy_pct, 12.5) << "VideoEnhance is not a Video engine";
  EXPECT_DOUBLE_EQ(*samples[0].period_ms, 50.0);
}

TEST(IntelGpuTopJson, SamplesWithoutPowerAreNotCounted) {
  // A discrete card: the power group is absent (no RAPL counters behind it).
  auto samples = parse_intel_gpu_top_json(R"({"period": {"duration": 100.0}, "engines": {"Video": {"busy": 50.0}}}
{"period": {"duration": 100.0}, "power": {"GPU": 3.0, "Package": 9.0}, "engines": {"Video": {"busy": 70.0}}})");
  auto summary = summarize_intel_gpu_top(samples);
  EXPECT_EQ(summary.gpu_samples, 1u);
  EXPECT_DOUBLE_EQ(*summary.gpu_watts, 3.0);
  EXPECT_DOUBLE_EQ(*summary.video_busy_pct, 60.0);

  auto none = summarize_intel_gpu_top(parse_intel_gpu_top_json(R"({"engines": {"Video": {"busy": 50.0}}})"));
  EXPECT_FALSE(none.gpu_watts);
  EXPECT_EQ(none.gpu_samples, 0u);
}

TEST(IntelGpuTopJson, GpuZeroInEverySampleWithPackagePowerIsAMissingCounter) {
  // Inside a printed group every item is printed, so a missing GPU counter shows as 0.000000.
  auto summary = summarize_intel_gpu_top(parse_intel_gpu_top_json(
      R"({"period": {"duration": 100.0}, "power": {"GPU": 0.000000, "Package": 12.0}}
{"period": {"duration": 100.0}, "power": {"GPU": 0.000000, "Package": 14.0}})"));
  EXPECT_FALSE(summary.gpu_watts);
  EXPECT_DOUBLE_EQ(*summary.package_watts, 13.0);
}

TEST(IntelGpuTopJson, LowGpuPowerIsKept) {
  auto summary = summarize_intel_gpu_top(parse_intel_gpu_top_json(igt_fixture("intel_gpu_top-1.28-low-gpu-power.json")));
  ASSERT_TRUE(summary.gpu_watts);
  EXPECT_NEAR(*summary.gpu_watts, 0.31, 0.001);
  EXPECT_NEAR(*summary.package_watts, 41.08, 0.01);
}

}  // namespace
}  // namespace kb::power
