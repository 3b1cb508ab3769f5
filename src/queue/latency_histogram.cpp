#include "queue/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace kb::queue {

int LatencyHistogram::bucket_of(std::uint64_t us) {
  if (us < 64) return static_cast<int>(us);
  int k = static_cast<int>(std::bit_width(us)) - 1;  // 2^k <= us < 2^(k+1), k >= 6
  if (k > 35) return kBuckets - 1;
  int sub = static_cast<int>((us >> (k - 5)) & 31);
  return 64 + (k - 6) * 32 + sub;
}

double LatencyHistogram::bucket_middle_ms(int b) {
  if (b < 64) return static_cast<double>(b) / 1000.0;
  int k = (b - 64) / 32 + 6, sub = (b - 64) % 32;
  double width = std::ldexp(1.0, k - 5);
  double low = std::ldexp(1.0, k) + sub * width;
  return (low + width / 2) / 1000.0;
}

void LatencyHistogram::record(double ms) {
  if (!(ms >= 0)) ms = 0;  // also NaN
  double us = std::min(ms * 1000.0, 1e15);
  ++counts_[static_cast<size_t>(bucket_of(static_cast<std::uint64_t>(us)))];
  min_ = count_ ? std::min(min_, ms) : ms;
  max_ = std::max(max_, ms);
  sum_ += ms;
  ++count_;
}

double LatencyHistogram::quantile(double q) const {
  if (!count_) return 0;
  q = std::clamp(q, 0.0, 1.0);
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::max<std::uint64_t>(rank, 1);
  std::uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += counts_[static_cast<size_t>(b)];
    if (seen >= rank) return std::clamp(bucket_middle_ms(b), min_, max_);
  }
  return max_;
}

}  // namespace kb::queue
