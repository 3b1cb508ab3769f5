// Completions per second over the last few seconds (a ring of 100 ms buckets), so the load
// client shows the current throughput, not only the mean since the last reset.
#pragma once
#include <array>
#include <cstdint>

namespace kb::queue {

class RateWindow {
 public:
  static constexpr int kBuckets = 100;
  static constexpr std::int64_t kBucketMs = 100;  // window: 10 s

  explicit RateWindow(std::int64_t now_ms = 0) { reset(now_ms); }
  void reset(std::int64_t now_ms);
  void add(std::int64_t now_ms, std::uint64_t n = 1);
  // Events per second in the window ending now (shorter right after a reset).
  double rate(std::int64_t now_ms) const;
  static constexpr double window_seconds() { return kBuckets * kBucketMs / 1000.0; }

 private:
  std::array<std::int64_t, kBuckets> tick_{};  // which 100 ms tick each bucket holds
  std::array<std::uint64_t, kBuckets> count_{};
  std::int64_t since_ms_ = 0;
};

}  // namespace kb::queue
