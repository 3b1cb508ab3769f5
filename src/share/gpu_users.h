// Who uses a node's GPUs: the workloads whose pods request GPU resources (owner resolved from the
// pod alone: a ReplicaSet's pod belongs to its Deployment by the pod-template-hash), and the pods
// that use a GPU without requesting one — privileged with /dev/nvidia* or /dev/dri host paths,
// runtimeClassName nvidia, NVIDIA_VISIBLE_DEVICES=all, a GPU-injecting webhook's annotation —
// which no allocation view counts. Pure functions over listed Pods.
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "core/quantity.h"

namespace kb::share {

struct Owner {
  std::string kind;  // Deployment | StatefulSet | DaemonSet | Job | CronJob | ReplicaSet | Pod | another controller's kind
  std::string name;
};
// The pod's controller, a ReplicaSet mapped to its Deployment (name minus "-<pod-template-hash>")
// and a Job to its CronJob when the Job's name is the CronJob's plus a scheduled-time suffix and
// the pod carries no other owner (no extra API call: both rules are how the controllers name them).
Owner owner_of(const nlohmann::json& pod);

// How a pod uses a GPU it does not request ("privileged + hostPath /dev/nvidia0", "runtimeClassName
// nvidia", "NVIDIA_VISIBLE_DEVICES=all in container plex", "annotation gpu-directories=nvidia");
// empty when none.
std::vector<std::string> unrequested_gpu_evidence(const nlohmann::json& pod);

// How much VRAM a workload may use and where that figure comes from (vram_budget.h fills it).
struct VramEstimate {
  std::optional<int64_t> low, high;  // bytes; unset when nothing says
  bool resident = false;             // held as long as it runs: measured now, or pre-allocated (vLLM)
  std::string source = "none";       // live | annotation | settings | estimates | none
  std::string detail;                // "DCGM_FI_DEV_FB_USED now", "kubench.io/vram=6Gi-8Gi", …
};

struct Workload {
  std::string namespace_name;
  Owner owner;
  std::string node;
  int pods = 0;
  ResourceList requested;               // GPU resources only, summed over its pods on `node`
  std::vector<std::string> evidence;    // set when it requests no GPU resource but uses one
  nlohmann::json annotations = nlohmann::json::object();  // its first pod's (kubench.io/vram)
  std::vector<nlohmann::json> containers;                // its first pod's (settings that imply VRAM)
  std::vector<std::string> pod_names;                    // its pods on `node` (live VRAM is by pod)
  bool planned = false;                                  // added by `share plan`, not in the cluster
  VramEstimate vram;
};

// Workloads on each node that request a GPU resource or show evidence of GPU use, grouped by
// (node, namespace, owner), in that order. Unbound and terminated pods are left out. Pods are
// added one at a time (a list page at a time: nothing else of them is kept).
class GpuWorkloads {
 public:
  void add(const nlohmann::json& pod);
  // The same with the pod's requests already counted (kube::pod_requests of its spec); the pod holds node resources.
  void add(const nlohmann::json& pod, const ResourceList& requests);
  std::vector<Workload> take();  // sorted by node, namespace, name

 private:
  std::vector<Workload> workloads_;
  std::map<std::tuple<std::string, std::string, std::string, std::string>, size_t> at_;
};
std::vector<Workload> gpu_workloads(const std::vector<nlohmann::json>& pods);

}  // namespace kb::share
