// `kubench nodes probe` on a cluster: one short Job per node, pinned to it by its hostname label,
// running `kubench nodes probe --local` in kubench's image with one unit of every GPU resource the
// node advertises (so the probe sees a device where the device plugin hands one out), its result
// framed in the log for the collector (jobs/job_run.h). The node's name comes from the downward API.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "jobs/job_run.h"
#include "kube/node_inventory.h"

namespace kb::jobs {

inline constexpr const char* kNodeProbeContainer = "probe";

struct NodeProbeJobSpec {
  std::string run_id;
  std::string namespace_name;
  std::string image;
  std::string image_pull_policy = "IfNotPresent";
  std::vector<kube::NodeInventory> nodes;  // one Job each
  std::vector<std::string> architectures;  // the image's (kubernetes.io/arch In ...); empty: any
  double probe_seconds = 3;
  bool measure_4k = true;
  std::vector<std::string> encoders;       // empty: the probe's default
  std::string cpu_request = "1";
  std::string memory_limit = "2Gi";
  long active_deadline_seconds = 900;
};

std::vector<nlohmann::json> render_node_probe_jobs(const NodeProbeJobSpec& spec);

// No namespace of its own; one target per node whose result is a kubench/capabilities/v1 matrix.
RunOptions node_probe_run_options(const NodeProbeJobSpec& spec);

}  // namespace kb::jobs
