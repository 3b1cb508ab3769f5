// Progress on stderr: one rewritten line on a terminal, occasional plain lines otherwise.
#pragma once
#include <chrono>
#include <mutex>
#include <string>

namespace kb {

class ProgressLine {
 public:
  // `interactive` defaults to whether stderr is a terminal.
  ProgressLine();
  explicit ProgressLine(bool interactive);
  ~ProgressLine();

  // Shows `text`. On a terminal at most ~10 redraws a second; otherwise one line every few seconds.
  void update(const std::string& text);
  // Ends the line with final text (always printed).
  void finish(const std::string& text);
  // Removes the line (before the command prints its data on stdout).
  void clear();
  bool interactive() const { return interactive_; }

 private:
  void clear_locked();
  std::mutex mu_;
  bool interactive_;
  bool dirty_ = false;
  std::chrono::steady_clock::time_point last_{};
};

// "1:05" / "12 s" style durations for progress text.
std::string format_duration(double seconds);

}  // namespace kb
