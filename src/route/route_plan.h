// Where an encode goes: given a task (codec, resolution) and the capability matrix, which nodes
// and encoders take parts, with how many slots, and why — hardware first where the probe proved it
// works and the encoder can make joinable parts, weighted by measured speed, within session limits
// and the GPU resources free now, CPU last; pins and forbids first. Pure: the matrix, the nodes as
// they are now and the policy in; `kubench encode --dry-run` prints `explain`.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "route/capability_matrix.h"

namespace kb::route {

struct EncodeTask {
  probe::Codec codec = probe::Codec::h264;
  int width = 1920, height = 1080;
  int threads_per_part = 1;  // CPU encoders: threads each part's encoder uses
  int cpu_milli_per_part = 0;  // CPU a part reserves on its node (0: threads_per_part cores)
};

struct RoutePolicy {
  std::vector<std::string> pin_encoders, forbid_encoders, pin_nodes, forbid_nodes;
  bool allow_mixed = false;      // encoder families may differ between nodes (else one family for the output)
  int slots_per_gpu = 2;         // parts at once per free GPU (capped by the encoder's session limit)
  int max_workers_per_node = 0;  // 0: no cap
};

// A node as the cluster shows it now (the app fills it from kube::node_inventory / node_capacity).
struct NodeNow {
  std::string name;
  bool ready = true, schedulable = true;
  std::map<std::string, long long> free;  // resource → free units now ("cpu" in millicores, GPU resources in units)
};

struct WorkerClass {
  std::string node, encoder;
  probe::Backend backend = probe::Backend::cpu;
  int slots = 0;              // parts at once
  std::string gpu_resource;   // requested per worker ("" for CPU)
  double fps_per_slot = 0;    // estimated at the task's resolution
  std::vector<std::string> why;
};

struct Rejection {
  std::string node, encoder, why;
};

struct RoutePlan {
  std::string family;  // the backend every part uses ("mixed" with allow_mixed)
  std::vector<WorkerClass> workers;
  double fps = 0;      // estimated aggregate
  std::vector<Rejection> rejected;
  std::vector<std::string> notes;
};

// Ties between families go in this order: NVENC, QSV, VAAPI, AMF, CPU (measured speed decides first).
const std::vector<probe::Backend>& fallback_order();

// The encoder's fps at width × height, from its 1080p and 4K measurements by pixel rate (nullopt
// without a measurement).
std::optional<double> fps_at(const EncoderCapability& e, int width, int height);

// UsageError when the pins leave nothing, or nothing can encode the task (saying why per node).
RoutePlan route_encode(const CapabilityMatrix& matrix, const std::vector<NodeNow>& nodes, const EncodeTask& task, const RoutePolicy& policy);

// The plan as text: each worker class and why, each rejection and why.
std::string explain(const RoutePlan& plan);

}  // namespace kb::route
