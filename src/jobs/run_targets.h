// Which Jobs a run creates: one for a node (--node), one per matching node (--all-nodes), or one
// the scheduler places (neither), each with its accelerator and GPU access decided from what the
// node advertises. Pure: the caller lists the nodes.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "jobs/benchmark_spec.h"
#include "jobs/gpu_access.h"
#include "jobs/image_platforms.h"
#include "kube/node_inventory.h"

namespace kb::jobs {

struct TargetRequest {
  BenchmarkJobSpec base;  // image, profile, run id... (accel and access come from `access`)
  AccessRequest access;
  std::string node;                              // --node
  std::map<std::string, std::string> selector;   // --selector
  bool all_nodes = false;
  ImagePlatforms platforms;  // the image's architectures (empty: no constraint)
};

// "a=b,c=d" -> map; throws UsageError for a malformed pair.
std::map<std::string, std::string> parse_selector(const std::string& text);
bool matches(const kube::NodeInventory& node, const std::map<std::string, std::string>& selector);

// `nodes` = nullopt when the user may not list nodes (then --node is taken on trust and
// --all-nodes is refused). Throws UsageError for a node that does not exist, no matching node,
// a node whose architecture the image lacks, or an access request a node cannot serve. `notes` gets
// what was decided, for the user, and names each node left out for its architecture.
std::vector<BenchmarkJobSpec> plan_targets(const TargetRequest& request,
                                           const std::optional<std::vector<kube::NodeInventory>>& nodes,
                                           std::vector<std::string>& notes);

}  // namespace kb::jobs
