// Typed errors. Libraries throw these; the CLI turns each into one line and an exit code.
#pragma once
#include <cstdio>
#include <stdexcept>
#include <string>

namespace kb {

// Exit codes documented in docs/cli.md.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailed = 1,       // a benchmark or check failed
  kExitUsage = 2,        // bad flags, bad input, or an environment problem
  kExitInterrupted = 130 // Ctrl-C / SIGTERM
};

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what, int exit_code = kExitUsage)
      : std::runtime_error(what), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// The user asked for something that cannot be done as asked (flag values, arguments).
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& what) : Error(what, kExitUsage) {}
};

// The machine lacks something (ffmpeg missing, directory unwritable, server unreachable).
class EnvironmentError : public Error {
 public:
  explicit EnvironmentError(const std::string& what) : Error(what, kExitUsage) {}
};

// Input data that cannot be parsed (a results file, a server reply).
class ParseError : public Error {
 public:
  explicit ParseError(const std::string& what) : Error(what, kExitUsage) {}
};

// A check the user asked for failed (probe --require).
class CheckFailed : public Error {
 public:
  explicit CheckFailed(const std::string& what) : Error(what, kExitFailed) {}
};

class Interrupted : public Error {
 public:
  Interrupted() : Error("interrupted", kExitInterrupted) {}
};

// The CLI's last word on an error: "kubench: WHAT" on stderr (an internal error for anything
// but an Error), and the exit code to end with.
inline int report_error(const std::exception& e) {
  if (auto* error = dynamic_cast<const Error*>(&e)) {
    std::fprintf(stderr, "kubench: %s\n", error->what());
    return error->exit_code();
  }
  std::fprintf(stderr, "kubench: internal error: %s\n", e.what());
  return kExitUsage;
}

}  // namespace kb
