// The run lifecycle of `kubench run --kube`: apply the rendered objects, watch Jobs and Pods, stream
// logs, collect each result the moment its benchmark container ends, classify failures, and clean
// up (delete the namespace and wait until it is gone) on success, failure and Ctrl-C.
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "jobs/benchmark_spec.h"
#include "jobs/run_outcome.h"
#include "kube/client.h"

namespace kb::jobs {

struct RunOptions {
  std::vector<BenchmarkJobSpec> specs;  // one per target; all share run_id and namespace
  int max_parallel = 4;                 // Jobs running at once
  bool keep = false;                    // leave the namespace for inspection
  double schedule_timeout_seconds = 60;  // how long a pod may stay unschedulable
  double cleanup_timeout_seconds = 120;  // then report what blocks the namespace's deletion
};

struct TargetResult {
  std::string case_name, job, pod, node;
  Outcome outcome = Outcome::no_results;
  std::string message;                       // the cause, one line
  std::optional<nlohmann::json> result;      // kubench/bench/v1 document
  std::optional<nlohmann::json> power;       // kubench/power/v1 document of the sidecar
  std::vector<std::string> last_log_lines;   // of the benchmark container, for "no results"
  std::optional<double> result_delay_seconds;  // benchmark's last log line -> result in hand
};

struct RunReport {
  std::string run_id, namespace_name;
  std::vector<TargetResult> targets;
  bool interrupted = false;
  bool cleaned_up = false;
  int exit_code() const;  // the worst target's, 130 if interrupted
};

struct RunEvents {
  std::function<void(const std::string&)> note;                 // progress lines (stderr)
  std::function<void(const std::string& prefix, const std::string& line)> log;  // container log lines; null = quiet
  std::function<void(const std::string& case_name, const std::string& status)> status;  // live pod status
};

class BenchmarkRun {
 public:
  BenchmarkRun(kube::Client& client, RunOptions options, RunEvents events);
  // Throws for errors before anything was created; after that, always cleans up and reports.
  RunReport run();

 private:
  struct Impl;
  kube::Client& client_;
  RunOptions options_;
  RunEvents events_;
};

// Deletes the namespace and waits until it is gone; after `timeout_seconds` throws an
// EnvironmentError naming what blocks it (finalizers, remaining content).
void delete_namespace_and_wait(kube::Client& client, const std::string& ns, double timeout_seconds,
                               const std::function<void(const std::string&)>& note);

}  // namespace kb::jobs
