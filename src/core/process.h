// Child processes: argv only (never a shell), output captured or sent to files, a time limit,
// and the whole process group killed on timeout, on Ctrl-C, or when the owner goes away.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kb {

enum class OutputMode { capture, file, discard, inherit };

struct ProcessSpec {
  std::vector<std::string> argv;
  // When set, the forked child runs this and exits with its value instead of executing argv
  // (which then only names the child in messages): no program start-up to pay (~70 ms for this
  // binary's libraries). The child keeps the parent's signal handlers and memory, not its other
  // threads — so only from a single-threaded parent. It must not throw.
  std::function<int()> function;
  std::vector<std::pair<std::string, std::string>> env;  // set or override in the child
  std::filesystem::path cwd;                              // empty: inherit
  OutputMode stdout_mode = OutputMode::capture;
  OutputMode stderr_mode = OutputMode::capture;
  std::filesystem::path stdout_path;  // for OutputMode::file
  std::filesystem::path stderr_path;  // for OutputMode::file
  // A descriptor number in the child (3 or more) wired to a pipe; each line written there is
  // handed to the line handler as it arrives (e.g. ffmpeg -progress pipe:3).
  int line_fd = -1;
  std::optional<std::chrono::milliseconds> timeout;
  std::chrono::milliseconds kill_grace{2000};  // SIGTERM, then SIGKILL after this long
};

struct ProcessResult {
  int exit_code = -1;  // meaningful when signal == 0
  int signal = 0;      // the signal that ended the child, 0 if it exited
  bool timed_out = false;
  bool interrupted = false;
  std::string stdout_text;  // OutputMode::capture only
  std::string stderr_text;  // OutputMode::capture only
  double wall_seconds = 0;
  double user_seconds = 0;    // CPU time of the child and its waited-for descendants
  double system_seconds = 0;

  bool ok() const { return signal == 0 && exit_code == 0 && !timed_out && !interrupted; }
  // "exit status 1", "killed by signal 9 (Killed)", "timed out after 5.0 s", "interrupted".
  std::string describe() const;
};

using LineHandler = std::function<void(std::string_view line)>;

class ChildProcess {
 public:
  // Starts the child. Throws EnvironmentError when the program cannot be executed.
  explicit ChildProcess(const ProcessSpec& spec);
  ~ChildProcess();  // a child still running is killed with its group and reaped
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Runs until the child exits (killing it on timeout or interrupt) and reaps it.
  ProcessResult wait(const LineHandler& on_line = {});
  void signal_group(int sig);

 private:
  ProcessSpec spec_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  int stdout_fd_ = -1, stderr_fd_ = -1, line_fd_ = -1, pid_fd_ = -1;
  std::chrono::steady_clock::time_point started_;
};

ProcessResult run_process(const ProcessSpec& spec, const LineHandler& on_line = {});

// PATH lookup the way execvp does it; a name with a slash is checked as a path.
std::optional<std::filesystem::path> find_executable(std::string_view name);

}  // namespace kb
