// A sampling program (intel_gpu_top, nvidia-smi) that runs from start() until stop() and prints
// samples on stdout.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/process.h"

namespace kb::power {

class SamplingProgram {
 public:
  // Starts `argv` (no shell). Throws kb::EnvironmentError when it cannot be run.
  explicit SamplingProgram(const std::vector<std::string>& argv);
  ~SamplingProgram();  // stops it if still running
  SamplingProgram(const SamplingProgram&) = delete;
  SamplingProgram& operator=(const SamplingProgram&) = delete;

  // SIGINT (both tools then finish the current sample and exit), SIGKILL after `grace`;
  // returns what it printed and how it ended.
  ProcessResult stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));

 private:
  std::unique_ptr<ChildProcess> child_;
  pid_t group_ = -1;
  std::thread waiter_;
  std::mutex mutex_;
  std::condition_variable ended_;
  bool done_ = false;
  bool stopped_ = false;
  ProcessResult result_;
};

}  // namespace kb::power
