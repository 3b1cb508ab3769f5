// Latencies for percentiles: log-linear buckets (exact below 64 µs, then 32 per power of two, so
// any percentile is within about 3 % of the true value) from 1 µs to about 19 hours, in a fixed
// 8 KiB. Count, sum, min and max are exact. Not thread-safe: LoadStats guards it.
#pragma once
#include <array>
#include <cstdint>

namespace kb::queue {

class LatencyHistogram {
 public:
  static constexpr int kBuckets = 64 + 30 * 32;

  void record(double ms);
  std::uint64_t count() const { return count_; }
  double mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0; }
  double min() const { return count_ ? min_ : 0; }
  double max() const { return max_; }
  // The q-quantile (0 < q <= 1) in ms: the smallest recorded value with at least q of all values
  // at or below it, to bucket precision (and never outside [min, max]). 0 when empty.
  double quantile(double q) const;

  static int bucket_of(std::uint64_t micros);
  static double bucket_middle_ms(int bucket);

 private:
  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  double sum_ = 0, min_ = 0, max_ = 0;
};

}  // namespace kb::queue
