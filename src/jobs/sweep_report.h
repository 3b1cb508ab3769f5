// The comparison of a sweep: one table per metric — variants (their parameters) × targets — with
// repeats as the median and min–max, the best cell marked, a bar chart per metric; a status table
// per target and the failures. Pure: from the plan and the variant records.
#pragma once
#include <map>
#include <optional>
#include <string>

#include "core/report.h"
#include "jobs/sweep_record.h"

namespace kb::jobs {

struct SweepReportOptions {
  std::string by;                         // this metric first, its rows best first ("" = none)
  std::optional<bool> lower_is_better;    // for `by` (--min / --max); default from its name
};

// Whether smaller is better for a metric by its name: latency, time, seconds, _ms, _s, joules,
// watts, bytes, errors… (fps, speed, throughput and the rest: larger is better).
bool lower_is_better(const std::string& metric);

// "bits=4,model=bert": a variant's parameters (the row of the tables); "default" when it has none.
std::string variant_key(const SweepVariant& v);

Report sweep_report(const SweepPlan& plan, const std::map<size_t, VariantRecord>& results, const SweepReportOptions& options = {});

}  // namespace kb::jobs
