// Latency statistics and the validity verdict of an inference run, in the terms MLPerf LoadGen
// reports (docs/infer.md): percentiles by nearest rank, and an "early stopping" bound that says
// how high the 90th percentile can be, with 99% confidence, given how few queries were run.
// Pure functions over recorded latencies: no libtorch here, so every build has them.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace kb::infer {

struct LatencySummary {
  size_t count = 0;
  double mean_ms = 0, min_ms = 0, max_ms = 0;
  double p50_ms = 0, p90_ms = 0, p95_ms = 0, p99_ms = 0, p999_ms = 0;
};

// Nearest-rank percentile of ascending `sorted` (p in (0, 1]): the smallest value with at least
// p of the samples at or below it. Throws std::invalid_argument when empty.
double percentile(const std::vector<double>& sorted, double p);

LatencySummary summarize_latencies(std::vector<double> latencies_ms);

// LoadGen's early stopping (loadgen/early_stopping.cc): the largest number t of "overlatency"
// queries (at or above a latency) that still lets us claim, with `confidence`, that the true
// `p`-quantile is below that latency: the largest t with P(Binomial(n, 1 - p) <= t) < 1 -
// confidence. LoadGen needs t >= 1 ("processed at least 64 queries" for p 0.90, 0.99), so
// nullopt below that.
std::optional<size_t> early_stopping_overlatency(size_t n, double p, double confidence);
// The fewest queries for which early_stopping_overlatency has an answer (64 for p 0.90, 0.99).
size_t early_stopping_min_queries(double p, double confidence);
// The estimate LoadGen prints: the t-th largest latency (it "would discard" the t - 1 above it).
std::optional<double> early_stopping_estimate(const std::vector<double>& sorted, double p, double confidence);

struct ValidityRules {
  size_t min_queries = 1024;
  double min_duration_s = 10;
  bool early_stopping = true;  // single-stream only: the tail bound must exist
  double early_stopping_percentile = 0.90;
  double early_stopping_confidence = 0.99;
};

struct Verdict {
  bool valid = false;
  std::vector<std::string> reasons;    // why it is invalid (empty when valid)
  std::vector<std::string> satisfied;  // what held ("1024 queries >= 1024")
};

// `complete` is false for a run stopped by Ctrl-C or by --max-duration before the minimums.
Verdict judge_run(size_t queries, double duration_s, const std::optional<double>& early_estimate, bool complete,
                  const std::string& incomplete_reason, const ValidityRules& rules);

}  // namespace kb::infer
