// The cluster's capability matrix, fresh enough: the nodes (Ready, schedulable, matching the
// selector), the cached matrix (ConfigMap kubench-capabilities), and a probe Job on each node
// whose entry is missing, failed or older than max_age — merged back into the cache. Shared by
// `kubench nodes probe` and `kubench encode --kube`.
#pragma once
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "jobs/image_platforms.h"
#include "kube/client.h"
#include "kube/node_inventory.h"
#include "route/capability_matrix.h"

namespace kb::encode {

struct ClusterProbeOptions {
  std::map<std::string, std::string> selector;
  std::string image, image_pull_policy = "IfNotPresent";
  jobs::ImagePlatforms platforms;     // nodes of other architectures are left out, and named
  double probe_seconds = 3;
  bool measure_4k = true;
  std::vector<std::string> encoders;  // empty: all
  std::chrono::seconds max_age{7 * 24 * 3600};
  bool refresh = false;
  bool keep = false;
  double schedule_timeout = 120;
};

struct ClusterProbeEvents {
  std::function<void(const std::string&)> note;
  std::function<void(const std::string& node, const std::string& status)> status;
};

struct ClusterCapabilities {
  std::vector<kube::NodeInventory> nodes;  // the nodes asked about (whose architecture the image has)
  std::vector<std::string> left_out;       // why each other matching node cannot run the image
  route::CapabilityMatrix matrix;          // the whole merged cache
  std::vector<std::string> probed;         // nodes measured now
  std::vector<std::string> failed;         // "node: why" for probes that failed
  int exit_code = 0;                       // the worst failed probe's (jobs::RunReport)
};

// UsageError when no node qualifies; Interrupted on Ctrl-C. Each node left out for its architecture
// is also told through events.note.
ClusterCapabilities cluster_capabilities(kube::Client& client, const std::string& ns, const ClusterProbeOptions& options,
                                         const ClusterProbeEvents& events);

}  // namespace kb::encode
