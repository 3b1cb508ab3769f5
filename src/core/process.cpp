#include "core/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "core/error.h"
#include "core/interrupt.h"

extern char** environ;

namespace kb {
namespace {

using Clock = std::chrono::steady_clock;

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  int release() {
    int f = fd;
    fd = -1;
    return f;
  }
};

void make_pipe(Fd& r, Fd& w) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw EnvironmentError(std::string("pipe: ") + strerror(errno));
  r.fd = p[0];
  w.fd = p[1];
}

int open_for_output(OutputMode mode, const std::filesystem::path& path) {
  if (mode == OutputMode::discard) return ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw EnvironmentError("cannot write " + path.string() + ": " + strerror(errno));
  return fd;
}

// In the child, after fork: only async-signal-safe calls. False (errno set) on failure.
bool child_prepare(const char* cwd, pid_t parent, const int (&targets)[4], const int (&sources)[4]) {
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);
  // Move every source out of the target range first, so dup2 never clobbers a later source.
  int moved[4];
  for (int i = 0; i < 4; ++i) moved[i] = sources[i] >= 0 ? ::fcntl(sources[i], F_DUPFD_CLOEXEC, 64) : -1;
  for (int i = 0; i < 4; ++i) {
    if (moved[i] >= 0 && ::dup2(moved[i], targets[i]) < 0) return false;
  }
  return !cwd || ::chdir(cwd) == 0;
}

[[noreturn]] void child_fail(int err_fd) {
  int e = errno;
  [[maybe_unused]] auto n = ::write(err_fd, &e, sizeof e);
  ::_exit(127);
}

[[noreturn]] void child_exec(char* const* argv, char* const* envp, const char* cwd, pid_t parent,
                             const int (&targets)[4], const int (&sources)[4], int err_fd) {
  if (!child_prepare(cwd, parent, targets, sources)) child_fail(err_fd);
  // Signals ignored or handled by the parent must be default again in the program.
  struct sigaction sa {};
  sa.sa_handler = SIG_DFL;
  for (int sig : {SIGINT, SIGTERM, SIGPIPE}) ::sigaction(sig, &sa, nullptr);
  ::execvpe(argv[0], argv, envp);
  child_fail(err_fd);
}

[[noreturn]] void child_run(const std::function<int()>& function, const char* cwd, pid_t parent,
                            const int (&targets)[4], const int (&sources)[4], int err_fd) {
  if (!child_prepare(cwd, parent, targets, sources)) child_fail(err_fd);
  ::close(err_fd);  // started: the parent's read sees the end of the pipe
  const int code = function();
  std::fflush(nullptr);
  ::_exit(code);  // not exit(): the parent's objects (temporary directories …) are not ours to destroy
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Reads what is there; returns false at EOF or on error.
bool drain(int fd, std::string& into) {
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      into.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

void emit_lines(std::string& buffer, const LineHandler& on_line, bool flush_tail) {
  size_t start = 0;
  for (size_t nl; (nl = buffer.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::string_view line(buffer.data() + start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (on_line) on_line(line);
  }
  buffer.erase(0, start);
  if (flush_tail && !buffer.empty()) {
    if (on_line) on_line(buffer);
    buffer.clear();
  }
}

}  // namespace

std::string ProcessResult::describe() const {
  if (interrupted) return "interrupted";
  if (timed_out) {
    char buf[64];
    snprintf(buf, sizeof buf, "timed out after %.1f s", wall_seconds);
    return buf;
  }
  if (signal != 0) return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
  return "exit status " + std::to_string(exit_code);
}

std::optional<std::filesystem::path> find_executable(std::string_view name) {
  if (name.empty()) return std::nullopt;
  auto usable = [](const std::filesystem::path& p) {
    std::error_code ec;
    return std::filesystem::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string_view::npos) {
    std::filesystem::path p(name);
    return usable(p) ? std::optional(p) : std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::string_view dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    auto colon = dirs.find(':');
    std::string_view dir = dirs.substr(0, colon);
    std::filesystem::path candidate = std::filesystem::path(dir.empty() ? "." : std::string(dir)) / name;
    if (usable(candidate)) return candidate;
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return std::nullopt;
}

ChildProcess::ChildProcess(const ProcessSpec& spec) : spec_(spec) {
  if (spec_.argv.empty()) throw UsageError("internal: empty argv");
  if (spec_.line_fd >= 0 && spec_.line_fd < 3) throw UsageError("internal: line_fd must be 3 or more");

  // Everything the child needs is prepared before fork: no allocation after it.
  std::vector<char*> argv;
  for (auto& a : spec_.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    std::string_view entry(*e);
    auto eq = entry.find('=');
    bool overridden = false;
    for (auto& [k, v] : spec_.env) overridden |= entry.substr(0, eq) == k;
    if (!overridden) env_strings.emplace_back(entry);
  }
  for (auto& [k, v] : spec_.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  Fd in_null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  Fd out_r, out_w, err_r, err_w, line_r, line_w, exec_r, exec_w;
  auto wire = [](OutputMode mode, const std::filesystem::path& path, Fd& r, Fd& w) {
    if (mode == OutputMode::capture) make_pipe(r, w);
    else if (mode != OutputMode::inherit) w.fd = open_for_output(mode, path);
  };
  wire(spec_.stdout_mode, spec_.stdout_path, out_r, out_w);
  wire(spec_.stderr_mode, spec_.stderr_path, err_r, err_w);
  if (spec_.line_fd >= 0) make_pipe(line_r, line_w);
  make_pipe(exec_r, exec_w);

  const int targets[4] = {0, 1, 2, spec_.line_fd >= 0 ? spec_.line_fd : 3};
  const int sources[4] = {in_null.fd, out_w.fd, err_w.fd, line_w.fd};
  const char* cwd = spec_.cwd.empty() ? nullptr : spec_.cwd.c_str();
  pid_t parent = ::getpid();

  started_ = Clock::now();
  if (spec_.function) std::fflush(nullptr);  // or the child would write the parent's buffered output again
  pid_ = ::fork();
  if (pid_ < 0) throw EnvironmentError(std::string("fork: ") + strerror(errno));
  if (pid_ == 0 && spec_.function) child_run(spec_.function, cwd, parent, targets, sources, exec_w.fd);
  if (pid_ == 0) child_exec(argv.data(), envp.data(), cwd, parent, targets, sources, exec_w.fd);

  ::setpgid(pid_, pid_);  // also done in the child; whichever runs first wins the race
  exec_w.reset();
  int child_errno = 0;
  ssize_t n;
  do n = ::read(exec_r.fd, &child_errno, sizeof child_errno);
  while (n < 0 && errno == EINTR);
  if (n == sizeof child_errno) {
    ::waitpid(pid_, nullptr, 0);
    reaped_ = true;
    std::string what = spec_.argv[0];
    if (child_errno == ENOENT) throw EnvironmentError(what + ": command not found");
    throw EnvironmentError("cannot run " + what + ": " + strerror(child_errno));
  }
  stdout_fd_ = out_r.release();
  stderr_fd_ = err_r.release();
  line_fd_ = line_r.release();
  for (int fd : {stdout_fd_, stderr_fd_, line_fd_})
    if (fd >= 0) set_nonblocking(fd);
  pid_fd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !reaped_) {
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  for (int fd : {stdout_fd_, stderr_fd_, line_fd_, pid_fd_})
    if (fd >= 0) ::close(fd);
}

void ChildProcess::signal_group(int sig) {
  if (pid_ > 0 && !reaped_) ::kill(-pid_, sig);
}

ProcessResult ChildProcess::wait(const LineHandler& on_line) {
  ProcessResult result;
  std::string line_buffer;
  auto deadline = spec_.timeout ? std::optional(started_ + *spec_.timeout) : std::nullopt;
  std::optional<Clock::time_point> kill_at;  // SIGKILL escalation after SIGTERM
  bool exited = false;
  int status = 0;
  struct rusage usage {};

  auto begin_kill = [&] {
    if (kill_at) return;
    signal_group(SIGTERM);
    kill_at = Clock::now() + spec_.kill_grace;
  };
  auto try_reap = [&] {
    pid_t r = ::wait4(pid_, &status, WNOHANG, &usage);
    if (r == pid_) exited = reaped_ = true;
  };

  while (!exited) {
    auto now = Clock::now();
    if (!kill_at && interrupted()) {
      result.interrupted = true;
      begin_kill();
    }
    if (!kill_at && deadline && now >= *deadline) {
      result.timed_out = true;
      begin_kill();
    }
    if (kill_at && now >= *kill_at) {
      signal_group(SIGKILL);
      kill_at = Clock::time_point::max();
    }

    int wait_ms = pid_fd_ >= 0 ? 1000 : 50;
    auto until = [&](Clock::time_point t) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - now).count() + 1;
      wait_ms = std::min<int>(wait_ms, static_cast<int>(std::max<long>(ms, 0)));
    };
    if (deadline && !kill_at) until(*deadline);
    if (kill_at && *kill_at != Clock::time_point::max()) until(*kill_at);

    pollfd fds[5];
    int nfds = 0;
    for (int fd : {stdout_fd_, stderr_fd_, line_fd_, pid_fd_}) {
      if (fd >= 0) fds[nfds++] = {fd, POLLIN, 0};
    }
    int ifd = interrupt_fd();
    if (ifd >= 0 && !result.interrupted) fds[nfds++] = {ifd, POLLIN, 0};
    ::poll(fds, static_cast<nfds_t>(nfds), wait_ms);

    auto pump = [&](int& fd, std::string* into) {
      if (fd < 0) return;
      std::string scratch;
      bool open = drain(fd, into ? *into : scratch);
      if (!open) {
        ::close(fd);
        fd = -1;
      }
    };
    pump(stdout_fd_, &result.stdout_text);
    pump(stderr_fd_, &result.stderr_text);
    pump(line_fd_, &line_buffer);
    emit_lines(line_buffer, on_line, false);
    try_reap();
  }
  // The child is gone; take what is left in the pipes without waiting on descendants.
  for (int* fd : {&stdout_fd_, &stderr_fd_, &line_fd_}) {
    if (*fd < 0) continue;
    std::string* into = fd == &stdout_fd_ ? &result.stdout_text
                        : fd == &stderr_fd_ ? &result.stderr_text
                                            : &line_buffer;
    drain(*fd, *into);
    ::close(*fd);
    *fd = -1;
  }
  emit_lines(line_buffer, on_line, true);
  // Descendants that outlived the child die with its group.
  ::kill(-pid_, SIGKILL);

  result.wall_seconds = std::chrono::duration<double>(Clock::now() - started_).count();
  result.user_seconds = static_cast<double>(usage.ru_utime.tv_sec) + static_cast<double>(usage.ru_utime.tv_usec) / 1e6;
  result.system_seconds = static_cast<double>(usage.ru_stime.tv_sec) + static_cast<double>(usage.ru_stime.tv_usec) / 1e6;
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

ProcessResult run_process(const ProcessSpec& spec, const LineHandler& on_line) {
  ChildProcess child(spec);
  return child.wait(on_line);
}

}  // namespace kb
