// The run lifecycle of kubench's one-shot Jobs (`kubench run --kube`, `kubench scenes run --kube`):
// create the rendered objects, watch Jobs and Pods, stream logs, collect each result the moment
// its container ends (framed in the log, or the termination message), classify failures, and
// clean up — delete the run's own namespace, or its Jobs and their pods in a namespace it did not
// create — on success, failure and Ctrl-C.
#pragma once
#include <atomic>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "jobs/benchmark_spec.h"
#include "jobs/run_outcome.h"
#include "kube/client.h"

namespace kb::jobs {

// One pod whose result the run waits for: the pod of a Job, or of one index of an Indexed Job.
struct RunTarget {
  std::string case_name;                // names it in output; the kubench.io/case label of its pods
  std::string case_label;               // that label when it differs (the pods of an Indexed Job share one)
  std::string job_name;                 // the Job (in RunOptions::jobs) that makes the pod
  std::optional<int> completion_index;  // the pod of this index of an Indexed Job
  std::string node;                     // the node asked for ("" = any), for notes
  std::string result_container = kBenchmarkContainer;  // whose end carries the result
  bool power = false;                   // wait for the power sidecar's document too
};

struct TargetResult {
  std::string case_name, job, pod, node;
  int attempts = 1;
  double created_at = 0, finished_at = 0;   // epoch seconds: this attempt's Job created, result in hand
  std::string started_at, ended_at;         // RFC 3339: the result container ran from, to
  Outcome outcome = Outcome::no_results;
  std::string message;                       // the cause, one line
  std::optional<nlohmann::json> result;      // the result document
  std::optional<nlohmann::json> power;       // kubench/power/v1 document of the sidecar
  std::vector<std::string> last_log_lines;   // of the result container, for "no results"
  std::optional<double> result_delay_seconds;  // result container's last log line -> result in hand
};

struct RunOptions {
  std::string run_id;                 // every object carries it as kubench.io/run-id
  std::string namespace_name;
  // true: `setup` (its first object the Namespace) is created first and the namespace deleted at
  // the end; false: the namespace must exist, and the run's Jobs (and pods) are deleted instead.
  bool own_namespace = true;
  std::vector<nlohmann::json> setup;  // e.g. Namespace, ServiceAccount
  std::vector<nlohmann::json> jobs;   // created in order, at most max_parallel unfinished at once
  std::vector<RunTarget> targets;
  // Whether a collected result counts as success; default: every non-experimental test "ok".
  std::function<bool(const nlohmann::json& result)> result_ok;
  int max_parallel = 4;
  // Which of the Jobs not yet created to create now (indices into `pending`, in creation order);
  // `in_flight` counts the created, unfinished ones. Null: in order, up to max_parallel.
  std::function<std::vector<size_t>(const std::vector<const nlohmann::json*>& pending, int in_flight)> admit;
  // For a target that failed: the Job of its next attempt (created when admitted), or nullopt.
  std::function<std::optional<nlohmann::json>(const TargetResult& failed)> retry;
  // The result may also be the last line of the log that is a JSON object (any program's output).
  bool result_from_last_json_line = false;
  // A result container that exits non-zero failed, even with a result (kept).
  bool require_zero_exit = false;
  // Follow each container's log as it runs (live lines, the framed result before the container
  // ends); false reads the log once when the result container has ended: fewer requests.
  bool follow_logs = true;
  // Set from another thread to stop the run as Ctrl-C does (several runs at once share one).
  const std::atomic<bool>* stop = nullptr;
  bool keep = false;                     // leave everything for inspection
  double schedule_timeout_seconds = 60;  // how long a pod may stay unschedulable
  double cleanup_timeout_seconds = 120;  // then report what blocks the deletion
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
  std::function<void(const TargetResult&)> finished;  // a target's final outcome, the moment it is known
  // Lines about one target (Job created, result collected, done); null: they go to `note`.
  std::function<void(const std::string& case_name, const std::string& line)> target_note;
};

class JobRun {
 public:
  JobRun(kube::Client& client, RunOptions options, RunEvents events);
  // Throws for errors before anything was created; after that, always cleans up and reports.
  RunReport run();

 private:
  struct Impl;
  kube::Client& client_;
  RunOptions options_;
  RunEvents events_;
};

// The benchmark Jobs of `kubench run --kube`: own namespace with its ServiceAccount, one Job and
// one target per spec (all specs share run id and namespace).
RunOptions benchmark_run_options(const std::vector<BenchmarkJobSpec>& specs);

// Deletes the namespace and waits until it is gone; after `timeout_seconds` throws an
// EnvironmentError naming what blocks it (finalizers, remaining content).
void delete_namespace_and_wait(kube::Client& client, const std::string& ns, double timeout_seconds,
                               const std::function<void(const std::string&)>& note);

// Deletes the named Jobs with their pods and waits until no pod labelled with the run id is left.
void delete_jobs_and_wait(kube::Client& client, const std::string& ns, const std::vector<std::string>& jobs, const std::string& run_id,
                          double timeout_seconds, const std::function<void(const std::string&)>& note);

}  // namespace kb::jobs
