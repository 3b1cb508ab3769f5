#include "kube/rate_limiter.h"

#include <gtest/gtest.h>

namespace kb::kube {
namespace {

using namespace std::chrono;

TEST(RateLimiter, BurstThenQps) {
  RateLimiter rl(10, 3);
  auto t0 = RateLimiter::Clock::now();
  EXPECT_EQ(rl.reserve(t0).count(), 0);
  EXPECT_EQ(rl.reserve(t0).count(), 0);
  EXPECT_EQ(rl.reserve(t0).count(), 0);
  EXPECT_NEAR(duration<double>(rl.reserve(t0)).count(), 0.1, 1e-6);  // 4th waits one token
  EXPECT_NEAR(duration<double>(rl.reserve(t0)).count(), 0.2, 1e-6);  // 5th waits two
  // A second later the debt is paid and 8 tokens have refilled (capped at the burst of 3).
  auto t1 = t0 + seconds(1);
  EXPECT_EQ(rl.reserve(t1).count(), 0);
}

TEST(RateLimiter, SustainedRateIsTheQps) {
  RateLimiter rl(50, 5);
  auto t = RateLimiter::Clock::now();
  nanoseconds last{0};
  for (int i = 0; i < 505; ++i) last = rl.reserve(t);
  // 505 requests at once: 5 from the burst, 500 spread at 50/s -> the last waits 10 s.
  EXPECT_NEAR(duration<double>(last).count(), 10.0, 1e-6);
}

TEST(RateLimiter, ZeroQpsDisablesLimiting) {
  RateLimiter rl(0, 1);
  auto t = RateLimiter::Clock::now();
  for (int i = 0; i < 100; ++i) EXPECT_EQ(rl.reserve(t).count(), 0);
}

}  // namespace
}  // namespace kb::kube
