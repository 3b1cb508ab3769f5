// Capped exponential backoff with jitter, for a worker or load lane whose broker is unreachable or
// refusing: initial, 2×, 4×, … up to the cap, each delay drawn from [½, 1] of the step so that
// many workers restarted together do not retry in lockstep. reset() after a success.
#pragma once
#include <chrono>
#include <cstdint>

namespace kb::queue {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds cap, std::uint64_t seed = 0);
  std::chrono::milliseconds next();
  void reset() { step_ = initial_; failures_ = 0; }
  int failures() const { return failures_; }  // since the last reset

 private:
  std::chrono::milliseconds initial_, cap_, step_;
  int failures_ = 0;
  std::uint64_t state_;
};

}  // namespace kb::queue
