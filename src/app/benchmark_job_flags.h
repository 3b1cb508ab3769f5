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
  std::string image_platforms;  // --image-platforms ("" = the image's recorded index, else the published list)
  bool no_power = false;
  double deadline_seconds = 3600;
};

// `default_accel`: qsv for render (the seed's QuickSync Job), auto for run.
void add_benchmark_job_flags(CLI::App* cmd, BenchmarkJobFlags& flags, const std::string& default_accel);
// The default image: the registry build of this version (docs/image.md).
std::string default_image();
// --image-platforms, for every command that runs kubench's image on nodes.
void add_image_platforms_flag(CLI::App* cmd, std::string& value);
// The architectures `image` runs on (jobs::image_platforms with the build-image.sh record directory).
jobs::ImagePlatforms image_platforms(const std::string& image, const std::string& flag);
// Flags -> a TargetRequest (validates values; throws UsageError).
jobs::TargetRequest target_request(const BenchmarkJobFlags& flags);

}  // namespace kb::app
