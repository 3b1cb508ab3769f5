#include "queue/rate_window.h"

#include <algorithm>

namespace kb::queue {

void RateWindow::reset(std::int64_t now_ms) {
  tick_.fill(-1);
  count_.fill(0);
  since_ms_ = now_ms;
}

void RateWindow::add(std::int64_t now_ms, std::uint64_t n) {
  std::int64_t tick = now_ms / kBucketMs;
  auto i = static_cast<size_t>(tick % kBuckets);
  if (tick_[i] != tick) {
    tick_[i] = tick;
    count_[i] = 0;
  }
  count_[i] += n;
}

double RateWindow::rate(std::int64_t now_ms) const {
  std::int64_t tick = now_ms / kBucketMs;
  std::int64_t first = tick - kBuckets + 1;  // oldest tick still in the window
  std::uint64_t sum = 0;
  for (size_t i = 0; i < tick_.size(); ++i)
    if (tick_[i] >= first && tick_[i] <= tick) sum += count_[i];
  std::int64_t start = std::max(first * kBucketMs, since_ms_);
  // At least one bucket long, so a reset a moment ago does not show a huge rate.
  double span = static_cast<double>(std::max<std::int64_t>(now_ms - start, kBucketMs)) / 1000.0;
  return static_cast<double>(sum) / span;
}

}  // namespace kb::queue
