#include "core/progress.h"

#include <unistd.h>

#include <cstdio>

namespace kb {

ProgressLine::ProgressLine() : ProgressLine(::isatty(STDERR_FILENO) == 1) {}
ProgressLine::ProgressLine(bool interactive) : interactive_(interactive) {}

ProgressLine::~ProgressLine() {
  std::lock_guard lock(mu_);
  clear_locked();
}

void ProgressLine::clear() {
  std::lock_guard lock(mu_);
  clear_locked();
}

void ProgressLine::clear_locked() {
  if (interactive_ && dirty_) {
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
  }
  dirty_ = false;
}

void ProgressLine::update(const std::string& text) {
  std::lock_guard lock(mu_);
  auto now = std::chrono::steady_clock::now();
  auto min_gap = interactive_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(5000);
  if (last_ != std::chrono::steady_clock::time_point{} && now - last_ < min_gap) return;
  last_ = now;
  if (interactive_) {
    std::fprintf(stderr, "\r\033[K%s", text.c_str());
    dirty_ = true;
  } else {
    std::fprintf(stderr, "%s\n", text.c_str());
  }
  std::fflush(stderr);
}

void ProgressLine::finish(const std::string& text) {
  std::lock_guard lock(mu_);
  clear_locked();
  std::fprintf(stderr, "%s\n", text.c_str());
  std::fflush(stderr);
  last_ = {};
}

std::string format_duration(double seconds) {
  if (seconds < 0) seconds = 0;
  char buf[32];
  if (seconds < 60) std::snprintf(buf, sizeof buf, "%.0f s", seconds);
  else if (seconds < 3600) std::snprintf(buf, sizeof buf, "%d:%02d", int(seconds) / 60, int(seconds) % 60);
  else std::snprintf(buf, sizeof buf, "%d:%02d:%02d", int(seconds) / 3600, int(seconds) / 60 % 60, int(seconds) % 60);
  return buf;
}

}  // namespace kb
