// Runs a TorchScript model as MLPerf LoadGen's scenarios do and measures it (docs/infer.md).
// No libtorch here: the work is done by the libtorch plugin (torch_plugin.h), loaded on first
// use; without it these say what to install instead.
#pragma once
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "infer/infer_options.h"
#include "infer/infer_result.h"

namespace kb::infer {

struct InferEvents {
  std::function<void(const std::string&)> note;
  // Timed queries so far, seconds since timing began, and the run's stopping targets.
  std::function<void(size_t queries, double elapsed_s, size_t target_queries, double target_s)> progress;
};

// Where the plugin is: $KUBENCH_TORCH_PLUGIN, else kubench-torch.so beside the executable.
// Looks only; loads nothing (`--version` uses it).
std::optional<std::filesystem::path> torch_plugin_path();
// Whether the plugin loads (this loads it, and libtorch with it), and libtorch's version.
bool libtorch_available();
std::string libtorch_version();

// Loads the model, makes the inputs, times the first inference, warms up, then runs the
// scenario until its stopping rule. Bad input (missing or broken model, inputs forward() rejects,
// cuda without CUDA) throws UsageError/EnvironmentError with one line naming the file and
// libtorch's reason. Ctrl-C ends the run early: the result says interrupted and incomplete.
InferResult run_inference(const InferOptions& options, const InferEvents& events = {});

// A model loaded once and warmed up, answering single queries from several threads (one input
// copy per slot): the queue worker's `infer` workload. Loading fails as run_inference does.
class InferSession {
 public:
  InferSession(const InferOptions& options, int slots, const InferEvents& events = {});
  ~InferSession();
  InferSession(const InferSession&) = delete;
  InferSession& operator=(const InferSession&) = delete;
  // The model's facts, its load and first-inference times (no run statistics).
  const InferResult& model() const;
  // One forward() on `slot`'s inputs; its latency in ms. UsageError when forward fails.
  double run_query(int slot);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// libtorch's messages carry a C++ backtrace or a TorchScript traceback; the line that says
// what went wrong is the last "...Error: ..." line, else the first line.
std::string torch_error_reason(std::string_view what);
// "CPU capability usage: AVX2" from at::show_config(); "unknown" when absent.
std::string cpu_capability_from_config(std::string_view config);
// The vector extensions among /proc/cpuinfo's flags that libtorch's kernels can use.
std::vector<std::string> vector_extensions(std::string_view cpuinfo);

}  // namespace kb::infer
