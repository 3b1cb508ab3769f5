// The QuickSync pipe tables against the reference examples (research-quicksync.md §1.8, §3, appendix).
#include "media/quicksync_format.h"

#include <gtest/gtest.h>

#include "support/seed_samples.h"

namespace kb::media {
namespace {

using test::kI5_9500;
using test::ok_run;
using test::readme_sample;

TEST(QuickSyncTable, ReproducesTheReadmeSampleExactly) {
  EXPECT_EQ(quicksync_table(readme_sample()),
            "CPU|TEST|FILE|BITRATE|TIME|AVG_FPS|AVG_SPEED|AVG_WATTS\n"
            "Intel(R) Core(TM) i5-9500 CPU @ 3.00GHz|h264_1080p_cpu|ribblehead_1080p_h264|18952 kb/s|59.665s|58.03|2.05x|N/A\n"
            "Intel(R) Core(TM) i5-9500 CPU @ 3.00GHz|h264_1080p|ribblehead_1080p_h264|18952 kb/s|15.759s|232.03|7.63x|7.66\n"
            "Intel(R) Core(TM) i5-9500 CPU @ 3.00GHz|h264_4k|ribblehead_4k_h264|46881 kb/s|58.667s|59.21|2.09x|7.49\n"
            "Intel(R) Core(TM) i5-9500 CPU @ 3.00GHz|hevc_8bit|ribblehead_1080p_hevc_8bit|14947 kb/s|45.369s|76.10|2.66x|9.09\n"
            "Intel(R) Core(TM) i5-9500 CPU @ 3.00GHz|hevc_4k_10bit|ribblehead_4k_hevc_10bit|44617 kb/s|176.932s|19.71|.68x|10.12\n");
}

TEST(QuickSyncTable, CpuFieldIsTheTrimmedModelNameNeverOne) {
  BenchResult r = readme_sample();
  r.host.cpu_model = " Intel(R) Core(TM) i5-9500 CPU @ 3.00GHz\n";  // as cut after ':' of /proc/cpuinfo
  const std::string table = quicksync_table(r);
  EXPECT_NE(table.find("\nIntel(R) Core(TM) i5-9500 CPU @ 3.00GHz|h264_1080p|"), std::string::npos) << table;
  EXPECT_EQ(table.find("\n1|"), std::string::npos);
}

TEST(QuickSyncTable, FieldSeparatorsInsideValuesCannotAddColumns) {
  BenchResult r = readme_sample();
  r.host.cpu_model = "Odd|CPU";
  EXPECT_EQ(quicksync_cpu_field(r), "Odd CPU");
}

TEST(QuickSyncTable, NumbersAreTruncatedNotRounded) {
  BenchResult r;
  r.host.cpu_model = kI5_9500;
  r.tests = {ok_run("h264_1080p", "ribblehead_1080p_h264", "qsv", 18952.9, 15.7594, 232.039, 7.639, 7.669)};
  EXPECT_EQ(quicksync_table(r),
            std::string(kQuickSyncHeader) + "\n" + kI5_9500 +
                "|h264_1080p|ribblehead_1080p_h264|18952 kb/s|15.759s|232.03|7.63x|7.66\n");
}

TEST(QuickSyncTable, BcScale2MatchesBcOutput) {
  EXPECT_EQ(bc_scale2(232.03), "232.03");     // stored as 232.0299999..., bc would print 232.03
  EXPECT_EQ(bc_scale2(0.57 * 100), "57.00");  // 56.99999999999999 in binary
  EXPECT_EQ(bc_scale2(2.999), "2.99");
  EXPECT_EQ(bc_scale2(0.689), ".68");
  EXPECT_EQ(bc_scale2(10), "10.00");
  EXPECT_EQ(bc_scale2(76.1), "76.10");
  EXPECT_EQ(bc_scale2(0.004), "0");
  EXPECT_EQ(bc_scale2(0), "0");
}

TEST(QuickSyncTable, FpsBelowOneKeepsItsLeadingDigit) {
  BenchResult r;
  r.host.cpu_model = kI5_9500;
  r.tests = {ok_run("av1_1080p", "ribblehead_1080p_h264", "qsv", 18952, 400, 0.875, 0.029, 9)};
  EXPECT_NE(quicksync_table(r).find("|400.000s|0.87|.02x|9.00\n"), std::string::npos) << quicksync_table(r);
}

TEST(QuickSyncTable, LowPowerReadingsBecomeNotAvailableNeverRejected) {
  BenchResult r = readme_sample();
  r.tests[1].power.avg_watts = 0.31;
  r.tests[1].power.flags = {"below_3w"};
  r.tests[2].power.avg_watts = 2.9;  // under 3 W even without the flag
  r.tests[3].power.avg_watts.reset();  // nothing readable
  const std::string table = quicksync_table(r);
  EXPECT_NE(table.find("|h264_1080p|ribblehead_1080p_h264|18952 kb/s|15.759s|232.03|7.63x|N/A\n"), std::string::npos)
      << table;
  EXPECT_NE(table.find("|h264_4k|ribblehead_4k_h264|46881 kb/s|58.667s|59.21|2.09x|N/A\n"), std::string::npos);
  EXPECT_NE(table.find("|hevc_8bit|ribblehead_1080p_hevc_8bit|14947 kb/s|45.369s|76.10|2.66x|N/A\n"),
            std::string::npos);
  EXPECT_EQ(table.find("REJECTED"), std::string::npos);
  EXPECT_NE(table.find("|10.12\n"), std::string::npos);  // the other rows keep their watts
}

TEST(QuickSyncTable, CpuBackendRowsAlwaysHaveNotAvailableWatts) {
  BenchResult r = readme_sample();
  ASSERT_TRUE(r.tests[0].power.avg_watts.has_value());  // a package reading exists, yet the seed's column is N/A
  EXPECT_NE(quicksync_table(r).find("|h264_1080p_cpu|ribblehead_1080p_h264|18952 kb/s|59.665s|58.03|2.05x|N/A\n"),
            std::string::npos);
}

TEST(QuickSyncTable, FailedAndInterruptedRunsAreOmitted) {
  BenchResult r = readme_sample();
  r.tests[2].status = "failed";
  r.tests[4].status = "interrupted";
  const std::string table = quicksync_table(r);
  EXPECT_EQ(table.find("h264_4k"), std::string::npos);
  EXPECT_EQ(table.find("hevc_4k_10bit"), std::string::npos);
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), 4);  // header + 3 rows
}

TEST(QuickSyncTable, OnlyTheHeaderWhenNothingSucceeded) {
  BenchResult r = readme_sample();
  for (auto& t : r.tests) t.status = "failed";
  EXPECT_EQ(quicksync_table(r), std::string(kQuickSyncHeader) + "\n");
}

TEST(QuickSyncTable, UnknownInputBitrateStaysParseable) {
  BenchResult r = readme_sample();
  r.tests[1].input_bitrate_kbps.reset();
  EXPECT_NE(quicksync_table(r).find("|h264_1080p|ribblehead_1080p_h264|0 kb/s|15.759s|"), std::string::npos);
}

ConcurrencyResult concurrency(const std::string& test_id, const std::string& clip, int cap,
                              const std::vector<std::pair<int, double>>& levels_in_run_order) {
  ConcurrencyResult c;
  c.test_id = test_id;
  c.clip = clip;
  c.cap = cap;
  for (auto [streams, speed] : levels_in_run_order) {
    ConcurrencyLevel level;
    level.streams = streams;
    level.mean_speed = speed;
    c.levels.push_back(level);
  }
  return c;
}

std::vector<std::pair<int, double>> dense(const std::vector<double>& speeds) {
  std::vector<std::pair<int, double>> out;
  for (size_t i = 0; i < speeds.size(); ++i) out.emplace_back(static_cast<int>(i) + 1, speeds[i]);
  return out;
}

TEST(QuickSyncConcurrencyTable, ReproducesTheI5_12600HSample) {
  BenchResult r;
  r.host.cpu_model = "12th Gen Intel(R) Core(TM) i5-12600H";
  r.concurrency = {
      concurrency("h264_1080p", "ribblehead_1080p_h264", 10,
                  dense({9.31, 5.61, 3.76, 2.83, 2.26, 1.89, 1.62, 1.41, 1.26, 1.13})),
      concurrency("hevc_8bit", "ribblehead_1080p_hevc_8bit", 10, dense({3.93, 2.02, 1.36, 1.02, 0.81}))};
  EXPECT_EQ(quicksync_concurrency_table(r),
            "CPU|TEST|FILE|1x|2x|3x|4x|5x|6x|7x|8x|9x|10x\n"
            "12th Gen Intel(R) Core(TM) i5-12600H|h264_1080p|ribblehead_1080p_h264|"
            "9.31x|5.61x|3.76x|2.83x|2.26x|1.89x|1.62x|1.41x|1.26x|1.13x\n"
            "12th Gen Intel(R) Core(TM) i5-12600H|hevc_8bit|ribblehead_1080p_hevc_8bit|3.93x|2.02x|1.36x|1.02x|.81x\n");
}

TEST(QuickSyncConcurrencyTable, UnmeasuredLevelsAreDashesAndTheRowEndsAtTheHighestMeasured) {
  BenchResult r;
  r.host.cpu_model = kI5_9500;
  // Doubling 1, 2, 4, 8 (below real time), then bisection 6, 7.
  r.concurrency = {concurrency("h264_1080p", "ribblehead_1080p_h264", 16,
                               {{1, 7.5}, {2, 3.8}, {4, 1.9}, {8, 0.95}, {6, 1.27}, {7, 1.081}})};
  EXPECT_EQ(quicksync_concurrency_table(r),
            "CPU|TEST|FILE|1x|2x|3x|4x|5x|6x|7x|8x|9x|10x|11x|12x|13x|14x|15x|16x\n" + std::string(kI5_9500) +
                "|h264_1080p|ribblehead_1080p_h264|7.50x|3.80x|-|1.90x|-|1.27x|1.08x|.95x\n");
}

TEST(QuickSyncConcurrencyTable, ALevelWithoutSpeedIsADash) {
  BenchResult r;
  r.host.cpu_model = kI5_9500;
  r.concurrency = {concurrency("h264_4k", "ribblehead_4k_h264", 2, {{1, 1.5}, {2, 0}})};
  EXPECT_EQ(quicksync_concurrency_table(r),
            "CPU|TEST|FILE|1x|2x\n" + std::string(kI5_9500) + "|h264_4k|ribblehead_4k_h264|1.50x|-\n");
}

TEST(QuickSyncConcurrencyTable, EmptyWithoutConcurrencyRuns) {
  EXPECT_EQ(quicksync_concurrency_table(readme_sample()), "");
}

}  // namespace
}  // namespace kb::media
