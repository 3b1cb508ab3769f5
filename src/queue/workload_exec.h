// The `exec` workload: runs the worker's own argv (never through a shell) for each item, on the
// slot's thread, with the slot's device in $KUBENCH_DEVICE and in "{device}" arguments. A time
// limit kills the child's whole process group (SIGTERM, then SIGKILL after the grace).
#pragma once
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "queue/exec_args.h"
#include "queue/workload.h"

namespace boost::asio {
class io_context;
}

namespace kb::queue {

struct ExecOptions {
  std::vector<std::string> argv;  // argv[0] is looked up on PATH when it has no slash
  ArgPolicy policy{false};
  std::optional<std::chrono::milliseconds> time_limit;
  std::chrono::milliseconds kill_grace{2000};
  std::filesystem::path cwd;  // empty: the worker's
};

class ExecWorkload : public Workload {
 public:
  // Throws UsageError for an empty argv, EnvironmentError when the program is not found.
  ExecWorkload(boost::asio::io_context& io, int slots, ExecOptions options);
  ~ExecWorkload() override;
  std::string name() const override { return "exec"; }
  void start(int slot, const std::string& device, const WorkItem& item, Done done) override;
  void cancel(int slot) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kb::queue
