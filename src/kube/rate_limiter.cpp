#include "kube/rate_limiter.h"

#include <algorithm>
#include <thread>

namespace kb::kube {

RateLimiter::RateLimiter(double qps, int burst)
    : qps_(qps), burst_(std::max(1, burst)), tokens_(std::max(1, burst)), last_(Clock::now()) {}

std::chrono::nanoseconds RateLimiter::reserve(Clock::time_point now) {
  std::lock_guard lock(mu_);
  if (qps_ <= 0) return std::chrono::nanoseconds(0);
  if (now > last_) {
    tokens_ = std::min(burst_, tokens_ + std::chrono::duration<double>(now - last_).count() * qps_);
    last_ = now;
  }
  tokens_ -= 1;  // may go negative: the debt is the wait
  if (tokens_ >= 0) return std::chrono::nanoseconds(0);
  return std::chrono::nanoseconds(static_cast<long long>(-tokens_ / qps_ * 1e9));
}

std::chrono::nanoseconds RateLimiter::acquire() {
  auto wait = reserve(Clock::now());
  if (wait.count() > 0) std::this_thread::sleep_for(wait);
  return wait;
}

}  // namespace kb::kube
