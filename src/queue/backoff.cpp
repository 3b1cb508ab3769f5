#include "queue/backoff.h"

#include <algorithm>
#include <random>

namespace kb::queue {

Backoff::Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds cap, std::uint64_t seed)
    : initial_(std::max(initial, std::chrono::milliseconds(1))), cap_(std::max(cap, initial_)), step_(initial_),
      state_(seed ? seed : std::random_device{}() | 1u) {}

std::chrono::milliseconds Backoff::next() {
  // xorshift64: jitter needs no quality, only independence between processes (the seed).
  state_ ^= state_ << 13;
  state_ ^= state_ >> 7;
  state_ ^= state_ << 17;
  auto step = step_.count();
  auto delay = step / 2 + static_cast<long long>(state_ % static_cast<std::uint64_t>(step / 2 + 1));
  step_ = std::min(cap_, step_ * 2);
  ++failures_;
  return std::chrono::milliseconds(std::max<long long>(delay, 1));
}

}  // namespace kb::queue
