#include "power/sampling_program.h"

#include <signal.h>

#include <exception>

namespace kb::power {

SamplingProgram::SamplingProgram(const std::vector<std::string>& argv) {
  ProcessSpec spec;
  spec.argv = argv;
  spec.stdout_mode = OutputMode::capture;
  spec.stderr_mode = OutputMode::capture;
  child_ = std::make_unique<ChildProcess>(spec);
  group_ = child_->pid();
  waiter_ = std::thread([this] {
    ProcessResult r;
    try {
      r = child_->wait();
    } catch (const std::exception& e) {
      // An exception must not escape a thread; the reading then reports this as the reason.
      r.stderr_text = e.what();
    }
    std::lock_guard lock(mutex_);
    result_ = std::move(r);
    done_ = true;
    ended_.notify_all();
  });
}

SamplingProgram::~SamplingProgram() {
  if (!stopped_) stop(std::chrono::milliseconds(0));
}

ProcessResult SamplingProgram::stop(std::chrono::milliseconds grace) {
  {
    std::unique_lock lock(mutex_);
    // The waiter thread owns child_ while wait() runs, so signal the group by its id here
    // instead of calling into the ChildProcess from a second thread.
    if (!done_) ::kill(-group_, SIGINT);
    if (!ended_.wait_for(lock, grace, [this] { return done_; })) ::kill(-group_, SIGKILL);
  }
  if (waiter_.joinable()) waiter_.join();
  stopped_ = true;
  child_.reset();
  return result_;
}

}  // namespace kb::power
