#include "app/benchmark_job_flags.h"

#include "core/error.h"
#include "core/text.h"

namespace kb::app {

std::string default_image() { return std::string("ghcr.io/kubench/kubench:") + KUBENCH_VERSION; }

void add_image_platforms_flag(CLI::App* cmd, std::string& value) {
  cmd->add_option("--image-platforms", value,
                  "Architectures the image has, e.g. amd64,arm64 (default: the index scripts/build-image.sh recorded for "
                  "the image, else amd64,arm64 as published); pods only go to nodes of these, and nodes left out are named");
}

jobs::ImagePlatforms image_platforms(const std::string& image, const std::string& flag) {
  return jobs::image_platforms(image, flag, jobs::platform_record_dir());
}

void add_benchmark_job_flags(CLI::App* cmd, BenchmarkJobFlags& f, const std::string& default_accel) {
  f.accel = default_accel;
  f.spec.image = default_image();
  cmd->add_option("--image", f.spec.image, "Container image with kubench and ffmpeg (default " + default_image() + ")");
  cmd->add_option("--image-pull-policy", f.spec.image_pull_policy, "Always|IfNotPresent|Never (default IfNotPresent)")
      ->check(CLI::IsMember({"Always", "IfNotPresent", "Never"}));
  add_image_platforms_flag(cmd, f.image_platforms);
  cmd->add_option("--accel", f.accel, "auto|qsv|vaapi|nvenc|amf|cpu (default " + default_accel +
                                          (default_accel == "auto" ? ": by the node's GPU resource" : "") + ")");
  cmd->add_option("--device", f.spec.device, "Render node or NVIDIA index inside the pod (default: the one the runtime gives)");
  cmd->add_option("--gpu-access", f.gpu_access,
                  "resource (device plugin; the default where a node advertises one), hostpath (privileged, /dev/dri), none");
  cmd->add_option("--gpu-resource", f.gpu_resource,
                  "Extended resource to request (default by accel: gpu.intel.com/i915|xe, nvidia.com/gpu[.shared], amd.com/gpu)");
  cmd->add_option("--gpus", f.spec.gpu_count, "How many of the resource to request (default 1)");
  cmd->add_option("--node", f.node, "Run on this node (checked to exist before anything is created)");
  cmd->add_option("--selector", f.selector, "Only nodes with these labels: key=value[,key=value]");
  cmd->add_option("--run-id", f.spec.run_id, "Names the namespace kubench-<run-id> and labels every object");
  cmd->add_option("--profile", f.spec.profile, "Generated clip length: quick (2 s), standard (20 s), full (116 s)");
  cmd->add_option("--clips", f.spec.clips, "generated (made in the init container) or official (downloaded there)")
      ->check(CLI::IsMember({"generated", "official"}));
  cmd->add_option("--clips-url", f.spec.clips_url, "Mirror for --clips official");
  cmd->add_option("--tests", f.tests, "Comma-separated test ids (default: all that apply)");
  cmd->add_flag("--concurrency", f.spec.concurrency, "Also find how many streams stay at real time");
  cmd->add_flag("--no-power", f.no_power, "No power sidecar");
  cmd->add_option("--sidecar", f.sidecar, "native (init container with restartPolicy Always, Kubernetes 1.29+) or files");
  cmd->add_option("--deadline", f.deadline_seconds, "activeDeadlineSeconds of the Job (default 3600)");
  cmd->add_option("--ttl", f.spec.ttl_seconds_after_finished, "ttlSecondsAfterFinished of the Job (default 3600)");
  cmd->add_option("--memory-limit", f.spec.memory_limit, "Memory limit of the benchmark container (default 4Gi)");
  cmd->add_option("--clips-size-limit", f.spec.clips_size_limit, "sizeLimit of the clips emptyDir (default 4Gi)");
}

jobs::TargetRequest target_request(const BenchmarkJobFlags& f) {
  jobs::TargetRequest req;
  req.base = f.spec;
  req.base.power = !f.no_power;
  if (f.deadline_seconds <= 0) throw UsageError("--deadline must be positive");
  req.base.active_deadline_seconds = static_cast<long>(f.deadline_seconds);
  if (f.spec.gpu_count < 1) throw UsageError("--gpus must be at least 1");
  if (f.spec.profile != "quick" && f.spec.profile != "standard" && f.spec.profile != "full")
    throw UsageError("--profile must be quick, standard or full, not '" + f.spec.profile + "'");
  if (jobs::dns_label("kubench-" + f.spec.run_id) != "kubench-" + f.spec.run_id)
    throw UsageError("--run-id must be lower-case letters, digits and '-' (it names a namespace), not '" + f.spec.run_id + "'");
  for (auto& id : split(f.tests, ','))
    if (!trim(id).empty()) req.base.tests.emplace_back(trim(id));
  if (!f.sidecar.empty()) req.base.sidecar = jobs::parse_sidecar_mode(f.sidecar);
  req.access.accel = f.accel;
  if (!f.gpu_access.empty()) req.access.access = jobs::parse_gpu_access(f.gpu_access);
  req.access.resource = f.gpu_resource;
  req.node = f.node;
  req.selector = jobs::parse_selector(f.selector);
  req.platforms = image_platforms(f.spec.image, f.image_platforms);
  return req;
}

}  // namespace kb::app
