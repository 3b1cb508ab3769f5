// What one benchmark Job runs, where, and with which device access: the input of the renderer.
#pragma once
#include <map>
#include <string>
#include <vector>

namespace kb::jobs {

// How the pod reaches the GPU. resource: the device plugin's extended resource (the default where a
// node advertises one); hostpath: the seed's privileged pod with /dev/dri mounted (asked for only);
// none: CPU encodes need no device.
enum class GpuAccess { none, resource, hostpath };
// native: an init container with restartPolicy Always (Kubernetes 1.29+); files: a regular
// container that starts and stops on files in a shared emptyDir (every version).
enum class SidecarMode { native, files };

std::string to_string(GpuAccess a);
std::string to_string(SidecarMode m);
GpuAccess parse_gpu_access(const std::string& s);  // throws UsageError
SidecarMode parse_sidecar_mode(const std::string& s);

struct BenchmarkJobSpec {
  std::string run_id = "quicksync";     // names the namespace and labels everything
  std::string case_name;                // one Job per case (a node with --all-nodes); "" = the only one
  std::string namespace_name;           // default "kubench-" + run_id
  std::string image;                    // required
  std::string image_pull_policy = "IfNotPresent";

  std::string accel = "qsv";            // what check-device requires and the benchmark runs
  std::string device;                   // render node or NVIDIA index inside the pod ("" = the runtime's)
  GpuAccess gpu_access = GpuAccess::resource;
  std::string gpu_resource = "gpu.intel.com/i915";
  int gpu_count = 1;
  // Request gpu_resource whatever the accelerator: `share check` measures beside the other
  // holders of a shared GPU, also with --accel cpu on a cluster without one.
  bool hold_gpu_resource = false;

  std::string node;                                // exact node name ("" = any that matches)
  std::map<std::string, std::string> node_selector;
  std::vector<std::string> architectures;          // the image's (kubernetes.io/arch In ...); empty: any

  std::string profile = "quick";        // generated clip length
  std::string clips = "generated";      // generated | official
  std::string clips_url;                // mirror for official
  std::vector<std::string> tests;       // test ids ("" = all)
  bool concurrency = false;

  bool power = true;
  SidecarMode sidecar = SidecarMode::files;

  long active_deadline_seconds = 3600;
  long ttl_seconds_after_finished = 3600;
  std::string clips_size_limit = "4Gi";  // emptyDir for the clips (the official set is 1.7 GiB)
  std::string memory_request = "512Mi";
  std::string memory_limit = "4Gi";
  std::string cpu_request = "1";

  std::string namespace_or_default() const;
  std::string job_name() const;          // "kubench-bench" or "kubench-bench-<case>"
};

// Label keys on every object of a run.
inline constexpr const char* kRunIdLabel = "kubench.io/run-id";
inline constexpr const char* kCaseLabel = "kubench.io/case";
inline constexpr const char* kNameLabel = "app.kubernetes.io/name";
inline constexpr const char* kComponentLabel = "app.kubernetes.io/component";
// The index of a pod of an Indexed Job (Kubernetes 1.21+).
inline constexpr const char* kCompletionIndexAnnotation = "batch.kubernetes.io/job-completion-index";

// Container names the runner looks for.
inline constexpr const char* kCheckDeviceContainer = "check-device";
inline constexpr const char* kFetchClipsContainer = "fetch-clips";
inline constexpr const char* kBenchmarkContainer = "benchmark";
inline constexpr const char* kPowerContainer = "power";

// A DNS-1123 label (lower case, [a-z0-9-], at most 63, starts and ends alphanumeric) made from
// any text; long names keep a hash suffix so two long node names stay distinct.
std::string dns_label(const std::string& text, size_t max_length = 63);
// A label value (at most 63, [A-Za-z0-9._-], alphanumeric at both ends).
std::string label_value(const std::string& text);

}  // namespace kb::jobs
