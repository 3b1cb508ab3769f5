// `kubench sweep run --kube`: a sweep's variants as Jobs on one or more clusters (a kubeconfig
// context per target), admitted only when their target has the free capacity (sweep_admission.h)
// and within --max-parallel, highest priority first; each result written to the sweep directory
// the moment it is known; retries for what a retry can fix; everything the sweep created deleted
// at the end and on Ctrl-C (unless kept). The lifecycle of each Job is JobRun's (job_run.h).
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "jobs/sweep_events.h"
#include "jobs/sweep_record.h"
#include "jobs/sweep_suite.h"
#include "kube/client.h"

namespace kb::jobs {

// One kubeconfig context the sweep runs on ("" = the kubeconfig's current one).
struct SweepCluster {
  std::string context;
  std::shared_ptr<kube::Client> client;  // null: it could not be loaded (`error` says why)
  std::string error;
};

struct SweepRunOptions {
  std::string run_id;            // this invocation (labels, namespace name)
  std::string namespace_name;    // "" = the sweep's own namespace, created and deleted
  int max_parallel = 0;          // 0: only free capacity limits the sweep
  bool keep = false;
  bool follow_logs = false;      // stream the workloads' logs (each one costs a watch)
  double schedule_timeout_seconds = 300;
  double cleanup_timeout_seconds = 120;
  long ttl_seconds = 3600;
};

// What preflight found: the clusters that will run, and the variants that cannot (their context
// unreachable), already recorded as failed.
struct SweepPreflight {
  std::map<std::string, std::string> unreachable;  // context → cause
  std::map<std::string, std::string> server;       // context → "https://… (v1.20.15)"
  ImagePlatforms platforms;                        // kubench's image's, for bench and infer workloads (none: any)
  std::vector<std::string> left_out;               // "target T: node N is arm64 and the image has amd64 only"
};

// Checks every context (reachable; rights to create what the sweep creates) and every target (a
// Ready node matches it and has the resources it requests), before anything is created. Throws
// UsageError/EnvironmentError (exit 2) for a target no node satisfies, missing rights, or no
// reachable context at all.
SweepPreflight preflight_sweep(const SweepSuite& suite, const std::vector<size_t>& to_run, const SweepPlan& plan,
                               std::map<std::string, SweepCluster>& clusters, const SweepRunOptions& options);

struct SweepOutcome {
  int succeeded = 0, failed = 0;
  bool interrupted = false;
  long api_requests = 0;  // every cluster's, for the benchmark
};

// Runs the variants `to_run` of the plan; records each result in `dir`. Variants of an
// unreachable context are recorded as failed with the cause.
SweepOutcome run_sweep_on_kube(const SweepSuite& suite, const SweepPlan& plan, const std::vector<size_t>& to_run,
                               std::map<std::string, SweepCluster>& clusters, const SweepPreflight& preflight,
                               const SweepRunOptions& options, SweepDirectory& dir, const SweepEvents& events);

// The failure classes a retry can fix: a crashed container, a deadline, a pod that found no node.
bool retry_can_fix(const std::string& failure_class);

}  // namespace kb::jobs
