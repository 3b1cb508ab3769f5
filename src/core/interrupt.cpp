#include "core/interrupt.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>

#include "core/error.h"

namespace kb {
namespace {

std::atomic<bool> g_interrupted{false};
int g_pipe[2] = {-1, -1};

void on_signal(int) {
  g_interrupted.store(true);
  if (g_pipe[1] >= 0) {
    char byte = 1;
    [[maybe_unused]] auto n = ::write(g_pipe[1], &byte, 1);
  }
}

void make_pipe() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (::pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) g_pipe[0] = g_pipe[1] = -1;
  });
}

}  // namespace

void install_interrupt_handlers() {
  make_pipe();
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  // A closed pipe to a child must surface as EPIPE, not kill us.
  ::signal(SIGPIPE, SIG_IGN);
}

bool interrupted() { return g_interrupted.load(); }

int interrupt_fd() {
  make_pipe();
  return g_pipe[0];
}

void raise_interrupt() {
  make_pipe();
  on_signal(SIGINT);
}

void clear_interrupt() {
  make_pipe();
  g_interrupted.store(false);
  // Empty the self-pipe too, so a later poll() on interrupt_fd() does not wake for the old signal.
  char buf[64];
  while (g_pipe[0] >= 0 && ::read(g_pipe[0], buf, sizeof buf) > 0) {
  }
}

void sleep_unless_interrupted(std::chrono::milliseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  pollfd fd{interrupt_fd(), POLLIN, 0};
  for (;;) {
    if (interrupted()) throw Interrupted();
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return;
    // Nothing is read from the pipe, so every sleeper (and every later one) sees the signal.
    ::poll(&fd, fd.fd >= 0 ? 1 : 0, static_cast<int>(std::min<long long>(left.count(), 1000)));
  }
}

}  // namespace kb
