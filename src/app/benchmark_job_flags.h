// The flags `kubench render` and `kubench run --kube` share: what the benchmark Job runs and where.
#pragma once
#include <CLI/CLI.hpp>
#include <string>

#include "jobs/run_targets.h"

namespace kb::app {

struct BenchmarkJobFlags {
  jobs::BenchmarkJobSpec spec;
  std::string accel;
  std::string gpu_access;   // "" = resource where advertised
  std::string gpu_resource;
  std::string node;
  std::string selector;
  std::string tests;
  std::string sidecar;      // "" = the command's default
  bool no_power = false;
  double deadline_seconds = 3600;
};

// `default_accel`: qsv for render (the seed's QuickSync Job), auto for run.
void add_benchmark_job_flags(CLI::App* cmd, BenchmarkJobFlags& flags, const std::string& default_accel);
// The default image: the registry build of this version (docs/image.md).
std::string default_image();
// Flags -> a TargetRequest (validates values; throws UsageError).
jobs::TargetRequest target_request(const BenchmarkJobFlags& flags);

}  // namespace kb::app
