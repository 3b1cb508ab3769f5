// Calls a function every period on a background thread until stopped (RAPL and hwmon polling).
#pragma once
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace kb::power {

class SamplingLoop {
 public:
  // The first call comes one period after construction.
  SamplingLoop(std::chrono::milliseconds period, std::function<void()> tick);
  ~SamplingLoop();
  SamplingLoop(const SamplingLoop&) = delete;
  SamplingLoop& operator=(const SamplingLoop&) = delete;

  // Returns once the thread has ended: `tick` is not running and will not run again.
  void stop();

 private:
  void run();

  std::chrono::milliseconds period_;
  std::function<void()> tick_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace kb::power
