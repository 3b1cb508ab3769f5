// Latency statistics and the validity verdict on recorded series with known answers.
#include "infer/latency_stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>

namespace kb::infer {
namespace {

TEST(Percentile, NearestRankOnOneToHundred) {
  std::vector<double> v(100);
  std::iota(v.begin(), v.end(), 1.0);
  EXPECT_EQ(percentile(v, 0.50), 50);
  EXPECT_EQ(percentile(v, 0.90), 90);
  EXPECT_EQ(percentile(v, 0.99), 99);
  EXPECT_EQ(percentile(v, 0.999), 100);  // rank 99.9 rounds up
  EXPECT_EQ(percentile(v, 1.0), 100);
  EXPECT_EQ(percentile({7.0}, 0.5), 7);
  EXPECT_THROW(percentile({}, 0.5), std::invalid_argument);
}

TEST(Summary, KnownDistributionFromAShuffledSeries) {
  // 1000 latencies: 900 at 2 ms, 90 at 5 ms, 9 at 20 ms, 1 at 100 ms, in random order.
  std::vector<double> v;
  v.insert(v.end(), 900, 2.0);
  v.insert(v.end(), 90, 5.0);
  v.insert(v.end(), 9, 20.0);
  v.push_back(100.0);
  std::shuffle(v.begin(), v.end(), std::mt19937(3));
  const auto s = summarize_latencies(v);
  EXPECT_EQ(s.count, 1000u);
  EXPECT_DOUBLE_EQ(s.mean_ms, (900 * 2.0 + 90 * 5.0 + 9 * 20.0 + 100.0) / 1000);
  EXPECT_EQ(s.min_ms, 2);
  EXPECT_EQ(s.p50_ms, 2);
  EXPECT_EQ(s.p90_ms, 2);   // rank 900
  EXPECT_EQ(s.p95_ms, 5);
  EXPECT_EQ(s.p99_ms, 5);   // rank 990
  EXPECT_EQ(s.p999_ms, 20); // rank 999
  EXPECT_EQ(s.max_ms, 100);
  EXPECT_EQ(summarize_latencies({}).count, 0u);
}

// P(Binomial(n, q) <= h) by direct summation in long double, for small n.
long double binomial_cdf(size_t n, double q, size_t h) {
  long double sum = 0;
  for (size_t k = 0; k <= h; ++k) {
    long double c = 1;
    for (size_t i = 0; i < k; ++i) c = c * static_cast<long double>(n - i) / static_cast<long double>(i + 1);
    sum += c * std::pow(static_cast<long double>(q), static_cast<long double>(k)) * std::pow(1.0L - q, static_cast<long double>(n - k));
  }
  return sum;
}

TEST(EarlyStopping, MatchesDirectBinomialSums) {
  for (size_t n : {64u, 100u, 200u, 500u}) {
    const auto t = early_stopping_overlatency(n, 0.90, 0.99);
    ASSERT_TRUE(t) << n;
    EXPECT_LT(binomial_cdf(n, 0.10, *t), 0.01L) << n;
    EXPECT_GE(binomial_cdf(n, 0.10, *t + 1), 0.01L) << n;
  }
  // LoadGen's "Processed at least 64 queries".
  EXPECT_EQ(early_stopping_min_queries(0.90, 0.99), 64u);
  EXPECT_FALSE(early_stopping_overlatency(63, 0.90, 0.99));
  EXPECT_EQ(*early_stopping_overlatency(64, 0.90, 0.99), 1u);
}

TEST(EarlyStopping, DiscardsWhatLoadGenSummariesSayForTheirQueryCounts) {
  // mlperf_log_summary.txt of SingleStream runs: "Processed at least 64 queries (N). Would
  // discard D highest latency queries." D = t - 1.
  for (auto [n, discarded] : std::vector<std::pair<size_t, size_t>>{{2048, 172}, {2145, 181}, {7469, 685}})
    EXPECT_EQ(*early_stopping_overlatency(n, 0.90, 0.99) - 1, discarded) << n;
}

TEST(EarlyStopping, LargeRunsDoNotUnderflowAndApproachTheNominalRate) {
  const auto h = early_stopping_overlatency(1000000, 0.90, 0.99);
  ASSERT_TRUE(h);
  // The allowed share of queries above the bound approaches 10% from below.
  EXPECT_GT(*h, 99000u);
  EXPECT_LT(*h, 100000u);
}

TEST(EarlyStopping, EstimateIsAnObservedLatencyAtOrAboveTheP90) {
  std::vector<double> v(1000);
  std::iota(v.begin(), v.end(), 1.0);
  const auto bound = early_stopping_estimate(v, 0.90, 0.99);
  ASSERT_TRUE(bound);
  EXPECT_GE(*bound, percentile(v, 0.90));
  EXPECT_LE(*bound, 930);  // about 2.33 standard deviations (9.5 queries) above rank 900
  EXPECT_EQ(*bound, 1000.0 - static_cast<double>(*early_stopping_overlatency(1000, 0.90, 0.99)) + 1);  // the t-th largest
  EXPECT_FALSE(early_stopping_estimate(std::vector<double>(10, 1.0), 0.90, 0.99));
}

TEST(Verdict, ValidOnlyWhenEveryMinimumHolds) {
  ValidityRules rules;
  rules.min_queries = 100;
  rules.min_duration_s = 1;
  auto v = judge_run(100, 1.0, 5.0, true, "", rules);
  EXPECT_TRUE(v.valid);
  EXPECT_EQ(v.satisfied.size(), 3u);

  v = judge_run(99, 0.5, std::nullopt, true, "", rules);
  EXPECT_FALSE(v.valid);
  ASSERT_EQ(v.reasons.size(), 3u);
  EXPECT_EQ(v.reasons[0], "99 queries, fewer than the minimum 100 (--min-queries)");
  EXPECT_EQ(v.reasons[1], "0.50 s, shorter than the minimum 1.00 s (--min-duration)");
  EXPECT_EQ(v.reasons[2], "too few queries to bound the p90 latency with 99% confidence (needs 64)");

  v = judge_run(500, 5, 5.0, false, "interrupted (Ctrl-C) after 500 queries", rules);
  EXPECT_FALSE(v.valid);
  EXPECT_EQ(v.reasons, std::vector<std::string>{"interrupted (Ctrl-C) after 500 queries"});

  rules.early_stopping = false;  // offline
  EXPECT_TRUE(judge_run(100, 1.0, std::nullopt, true, "", rules).valid);
}

}  // namespace
}  // namespace kb::infer
