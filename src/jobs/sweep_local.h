// `kubench sweep run` without --kube: the variants as processes on this machine — `bench`
// variants as `kubench bench` runs, `container` variants as their `local` command — `jobs` at
// once, highest priority first, with the retries, timeouts, failure classes and directory of a
// sweep on Kubernetes. Targets are only labels here: their node selectors and resources do not
// apply (said once on stderr).
#pragma once
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "jobs/sweep_events.h"
#include "jobs/sweep_record.h"
#include "jobs/sweep_suite.h"

namespace kb::jobs {

struct SweepLocalOptions {
  int jobs = 1;                       // variants at once (a GPU is shared by all of them)
  std::filesystem::path kubench;      // this binary, for bench variants
};

// The argv of a variant run here (substituted; {{ inputs }} is `inputs_dir`); UsageError when the
// workload has no way to run locally (a container workload without `local`).
std::vector<std::string> local_command(const SweepSuite& suite, const SweepVariant& variant, const std::filesystem::path& kubench,
                                       const std::filesystem::path& results_dir, const std::filesystem::path& inputs_dir);

// Every variant can run here (commands, inputs), checked before anything is written or run:
// UsageError otherwise.
void check_local_sweep(const SweepSuite& suite, const SweepPlan& plan, const std::vector<size_t>& to_run);

struct SweepLocalOutcome {
  int succeeded = 0, failed = 0;
  bool interrupted = false;
};

SweepLocalOutcome run_sweep_locally(const SweepSuite& suite, const SweepPlan& plan, const std::vector<size_t>& to_run,
                                    const SweepLocalOptions& options, SweepDirectory& dir, const SweepEvents& events);

}  // namespace kb::jobs
