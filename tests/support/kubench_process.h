// A kubench child process for integration tests (stdout/stderr in files, stopped by its pid),
// and bounded polling for what it should come to do.
#pragma once
#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/process.h"
#include "support/test_support.h"

namespace kb::test {

// Polls `condition` every 10 ms until it holds or `limit` passes (the bound only keeps a broken
// build from hanging the suite; nothing is timed).
inline bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit = std::chrono::seconds(30)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A kubench child with stdout/stderr in files of `dir`.
class Kubench {
 public:
  Kubench(const std::string& name, const std::vector<std::string>& args, const TempDir& dir,
          std::vector<std::pair<std::string, std::string>> env = {})
      : out_(dir / (name + ".out")), err_(dir / (name + ".err")) {
    ProcessSpec spec;
    spec.argv = {kubench_binary().string()};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.env = std::move(env);
    spec.stdout_mode = OutputMode::file;
    spec.stdout_path = out_;
    spec.stderr_mode = OutputMode::file;
    spec.stderr_path = err_;
    spec.timeout = std::chrono::seconds(300);  // a bound for a hung child, never reached normally
    child_ = std::make_unique<ChildProcess>(spec);
  }
  ~Kubench() {
    if (!done_) {
      ::kill(child_->pid(), SIGKILL);
      child_->wait();
    }
  }
  Kubench(const Kubench&) = delete;
  Kubench& operator=(const Kubench&) = delete;

  pid_t pid() const { return child_->pid(); }
  void signal(int sig) { ::kill(child_->pid(), sig); }
  ProcessResult wait() {
    done_ = true;
    return child_->wait();
  }
  std::string out() const { return slurp(out_); }
  std::string err() const { return slurp(err_); }

  // The port of a "listening on HOST:PORT" line on stderr (`what` picks the line).
  int port(const std::string& what = "listening on") {
    std::regex re(what + " [0-9.]+:([0-9]+)");
    int port = 0;
    eventually([&] {
      std::smatch m;
      std::string text = err();
      if (std::regex_search(text, m, re)) port = std::stoi(m[1]);
      return port != 0;
    });
    if (port == 0) throw std::runtime_error("no '" + what + "' line; stderr: " + err());
    return port;
  }

 private:
  std::filesystem::path out_, err_;
  std::unique_ptr<ChildProcess> child_;
  bool done_ = false;
};

}  // namespace kb::test
