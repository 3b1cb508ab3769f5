#include "power/sampling_loop.h"

#include <utility>

namespace kb::power {

SamplingLoop::SamplingLoop(std::chrono::milliseconds period, std::function<void()> tick)
    : period_(period.count() > 0 ? period : std::chrono::milliseconds(1)), tick_(std::move(tick)) {
  thread_ = std::thread([this] { run(); });
}

SamplingLoop::~SamplingLoop() { stop(); }

void SamplingLoop::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SamplingLoop::run() {
  // Deadlines advance by whole periods so a slow tick does not stretch the sampling interval.
  auto next = std::chrono::steady_clock::now() + period_;
  std::unique_lock lock(mutex_);
  while (!wake_.wait_until(lock, next, [this] { return stopping_; })) {
    lock.unlock();
    tick_();
    lock.lock();
    next += period_;
    auto now = std::chrono::steady_clock::now();
    if (next < now) next = now + period_;
  }
}

}  // namespace kb::power
