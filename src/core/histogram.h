// A Prometheus-style histogram with fixed buckets: counts never wrap (64-bit) and nothing resets.
#pragma once
#include <cstdint>
#include <vector>

namespace kb {

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);  // ascending; +Inf is implied
  void observe(double value);
  const std::vector<double>& bounds() const { return bounds_; }
  // Cumulative counts, one per bound, then the +Inf bucket (== count()).
  std::vector<std::uint64_t> cumulative() const;
  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;  // per bucket, not cumulative; last is +Inf
  std::uint64_t count_ = 0;
  double sum_ = 0;
};

// Seconds, from half a millisecond (the broker's own overhead) to half an hour (a long transcode).
std::vector<double> duration_buckets();

}  // namespace kb
