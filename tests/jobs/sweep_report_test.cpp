// The sweep's comparison: a table per metric (variants × targets), repeats as median and
// min–max, the best cell marked, --by ordering and direction, targets and failures.
#include <gtest/gtest.h>

#include "core/error.h"
#include "jobs/sweep_report.h"

namespace kb::jobs {
namespace {

SweepPlan plan() {
  SweepPlan p;
  p.sweep_id = "sw1";
  p.name = "quant";
  for (const char* bits : {"4", "8"})
    for (const char* target : {"a100", "l4"})
      for (int r = 0; r < 3; ++r) p.variants.push_back({std::string("bits=") + bits + "@" + target + "#" + std::to_string(r), {{"bits", bits}}, target, r});
  return p;
}

VariantRecord rec(size_t index, const SweepPlan& p, double tps, double latency, bool ok = true) {
  VariantRecord r;
  r.index = index;
  r.id = p.variants[index].id;
  r.target = p.variants[index].target;
  r.params = p.variants[index].params;
  r.status = ok ? "succeeded" : "failed";
  r.node = r.target + "-node";
  if (ok) r.metrics = {{"tokens_per_s", tps}, {"latency_ms", latency}};
  else r.failure_class = "oom-killed", r.message = "OOMKilled";
  return r;
}

const ReportSection& section(const Report& r, const std::string& title) {
  for (const auto& s : r.sections)
    if (s.title == title) return s;
  throw std::runtime_error("no section " + title);
}

TEST(SweepReport, MedianAndRangeOfRepeatsPerVariantAndTargetWithTheBestMarked) {
  const auto p = plan();
  std::map<size_t, VariantRecord> results;
  // bits=4 @ a100: 10, 30, 20 → median 20 (10–30); bits=4 @ l4: 5, 6, 7; bits=8 @ a100: 40, 41, 42; bits=8 @ l4: one failed, 8, 9.
  const double tps[] = {10, 30, 20, 5, 6, 7, 40, 41, 42, 0, 8, 9};
  for (size_t i = 0; i < 12; ++i) results[i] = rec(i, p, tps[i], 100 - tps[i], i != 9);
  const auto report = sweep_report(p, results);
  const auto& t = section(report, "tokens_per_s");
  EXPECT_EQ(t.note, "higher is better; repeats as median (min–max)");
  EXPECT_EQ(t.table.headers, (std::vector<std::string>{"VARIANT", "a100", "l4"}));
  ASSERT_EQ(t.table.rows.size(), 2u);
  EXPECT_EQ(t.table.rows[0], (std::vector<std::string>{"bits=4", "20.00 (10.00–30.00)", "6.00 (5.00–7.00)"}));
  EXPECT_EQ(t.table.rows[1], (std::vector<std::string>{"bits=8", "41.00 (40.00–42.00)", "8.50 (8.00–9.00) +1 failed"}));
  EXPECT_EQ(t.best, (std::set<std::pair<size_t, size_t>>{{1, 1}}));
  ASSERT_TRUE(t.bars);
  EXPECT_EQ(t.bars->categories, (std::vector<std::string>{"bits=4", "bits=8"}));
  EXPECT_EQ(t.bars->series[1].values[1], 8.5);
  EXPECT_EQ(t.bars->series[0].ranges[0], std::optional(std::pair(10.0, 30.0)));
  // Latency: lower is better, by its name.
  const auto& l = section(report, "latency_ms");
  EXPECT_EQ(l.note, "lower is better; repeats as median (min–max)");
  EXPECT_EQ(l.best, (std::set<std::pair<size_t, size_t>>{{1, 1}}));  // 100 - 41 = 59 is the smallest median
  const auto& targets = section(report, "Targets");
  EXPECT_EQ(targets.table.rows[1], (std::vector<std::string>{"l4", "5", "1", "0", "l4-node", "-"}));
  const auto& failures = section(report, "Failures");
  EXPECT_EQ(failures.table.rows, (std::vector<std::vector<std::string>>{{"bits=8@l4#0", "l4", "oom-killed", "1", "OOMKilled"}}));
}

TEST(SweepReport, ByPutsTheMetricFirstAndItsRowsBestFirstInTheAskedDirection) {
  const auto p = plan();
  std::map<size_t, VariantRecord> results;
  for (size_t i = 0; i < 12; ++i) results[i] = rec(i, p, i < 6 ? 50.0 : 10.0, 1);
  SweepReportOptions o;
  o.by = "tokens_per_s";
  auto report = sweep_report(p, results, o);
  EXPECT_EQ(report.sections[1].title, "tokens_per_s");
  EXPECT_EQ(report.sections[1].table.rows[0][0], "bits=4");
  o.lower_is_better = true;  // --min
  report = sweep_report(p, results, o);
  EXPECT_EQ(report.sections[1].table.rows[0][0], "bits=8");
  EXPECT_EQ(report.sections[1].note, "lower is better; rows best first; repeats as median (min–max)");
  o.by = "fps";
  EXPECT_THROW(sweep_report(p, results, o), UsageError);
}

TEST(SweepReport, DirectionFromTheMetricName) {
  for (const char* lower : {"latency_ms", "p99", "load.seconds", "energy_joules", "h264.watts", "peak_memory_bytes", "step_s"})
    EXPECT_TRUE(lower_is_better(lower)) << lower;
  for (const char* higher : {"fps", "tokens_per_s", "h264_1080p.speed", "h264_1080p.fps_per_watt", "accuracy", "streams"})
    EXPECT_FALSE(lower_is_better(higher)) << higher;
}

}  // namespace
}  // namespace kb::jobs
