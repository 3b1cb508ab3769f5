// Client-side token bucket (like client-go's QPS/burst): requests beyond the burst wait their turn.
#pragma once
#include <chrono>
#include <mutex>

namespace kb::kube {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  // qps <= 0 disables limiting.
  RateLimiter(double qps, int burst);
  // Blocks until a token is free; returns how long it waited.
  std::chrono::nanoseconds acquire();
  // For tests: the wait a request at `now` would need, taking the token.
  std::chrono::nanoseconds reserve(Clock::time_point now);

 private:
  std::mutex mu_;
  double qps_;
  double burst_;
  double tokens_;
  Clock::time_point last_;
};

}  // namespace kb::kube
