#include "infer/latency_stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "core/text.h"

namespace kb::infer {

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) throw std::invalid_argument("percentile of no samples");
  const double rank = std::ceil(p * static_cast<double>(sorted.size()) - 1e-9);
  const size_t index = rank < 1 ? 0 : std::min(sorted.size(), static_cast<size_t>(rank)) - 1;
  return sorted[index];
}

LatencySummary summarize_latencies(std::vector<double> latencies_ms) {
  LatencySummary s;
  s.count = latencies_ms.size();
  if (latencies_ms.empty()) return s;
  std::sort(latencies_ms.begin(), latencies_ms.end());
  s.mean_ms = std::accumulate(latencies_ms.begin(), latencies_ms.end(), 0.0) / static_cast<double>(s.count);
  s.min_ms = latencies_ms.front();
  s.max_ms = latencies_ms.back();
  s.p50_ms = percentile(latencies_ms, 0.50);
  s.p90_ms = percentile(latencies_ms, 0.90);
  s.p95_ms = percentile(latencies_ms, 0.95);
  s.p99_ms = percentile(latencies_ms, 0.99);
  s.p999_ms = percentile(latencies_ms, 0.999);
  return s;
}

std::optional<size_t> early_stopping_overlatency(size_t n, double p, double confidence) {
  if (n == 0 || p <= 0 || p >= 1) return std::nullopt;
  const double alpha = 1 - confidence;
  const double q = 1 - p;  // the chance of one query above the true p-quantile
  const double dn = static_cast<double>(n);
  // Binomial terms in log space: n can be millions, where p^n underflows.
  const double log_choose_base = std::lgamma(dn + 1);
  double log_cdf = -INFINITY;
  std::optional<size_t> best;
  for (size_t h = 0; h <= n; ++h) {
    const double dh = static_cast<double>(h);
    const double log_pmf = log_choose_base - std::lgamma(dh + 1) - std::lgamma(dn - dh + 1) + dh * std::log(q) + (dn - dh) * std::log(p);
    const double hi = std::max(log_cdf, log_pmf), lo = std::min(log_cdf, log_pmf);
    log_cdf = hi + std::log1p(std::exp(lo - hi));
    if (log_cdf >= std::log(alpha)) break;
    best = h;
  }
  if (!best || *best < 1) return std::nullopt;
  return best;
}

size_t early_stopping_min_queries(double p, double confidence) {
  // At least the n where t = 0 first passes (p^n < 1 - confidence); t = 1 needs a few more.
  auto n = static_cast<size_t>(std::ceil(std::log(1 - confidence) / std::log(p)));
  while (!early_stopping_overlatency(n, p, confidence)) ++n;
  return n;
}

std::optional<double> early_stopping_estimate(const std::vector<double>& sorted, double p, double confidence) {
  const auto t = early_stopping_overlatency(sorted.size(), p, confidence);
  if (!t) return std::nullopt;
  return sorted[sorted.size() - *t];
}

Verdict judge_run(size_t queries, double duration_s, const std::optional<double>& early_estimate, bool complete,
                  const std::string& incomplete_reason, const ValidityRules& rules) {
  Verdict v;
  if (!complete) v.reasons.push_back(incomplete_reason.empty() ? "the run did not finish" : incomplete_reason);
  const auto count = std::to_string(queries) + (queries == 1 ? " query" : " queries");
  if (queries < rules.min_queries)
    v.reasons.push_back(count + ", fewer than the minimum " + std::to_string(rules.min_queries) + " (--min-queries)");
  else
    v.satisfied.push_back(count + " >= " + std::to_string(rules.min_queries));
  if (duration_s + 1e-9 < rules.min_duration_s)
    v.reasons.push_back(fixed(duration_s, 2) + " s, shorter than the minimum " + fixed(rules.min_duration_s, 2) + " s (--min-duration)");
  else
    v.satisfied.push_back(fixed(duration_s, 2) + " s >= " + fixed(rules.min_duration_s, 2) + " s");
  if (rules.early_stopping) {
    const auto pct = fixed(rules.early_stopping_percentile * 100, 0);
    if (!early_estimate)
      v.reasons.push_back("too few queries to bound the p" + pct + " latency with " + fixed(rules.early_stopping_confidence * 100, 0) +
                          "% confidence (needs " + std::to_string(early_stopping_min_queries(rules.early_stopping_percentile, rules.early_stopping_confidence)) +
                          ")");
    else
      v.satisfied.push_back("p" + pct + " bounded by early stopping");
  }
  v.valid = v.reasons.empty();
  return v;
}

}  // namespace kb::infer
