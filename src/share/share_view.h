// The seed's allocation table, computed: per node, its GPUs (gpu_inventory.h), each GPU resource's
// capacity / allocatable / allocated / free, and one row per workload holding shares of the GPU,
// the GPU users that requested nothing ("N/A: variable", with the evidence), then Available and
// Total. Pure: listed Nodes and Pods in; `kubench share show` prints it (kubench/share/v1).
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/report.h"
#include "kube/pod_resources.h"
#include "share/gpu_inventory.h"
#include "share/gpu_users.h"

namespace kb::share {

struct ResourceUse {
  std::string resource;
  int64_t capacity = 0, allocatable = 0, allocated = 0;  // millis
  int64_t free() const { return allocatable - allocated; }
};

// The node's VRAM against what its GPU users may take (vram_budget.h computes it).
struct VramBudget {
  std::string model;                 // how the sharing mode divides VRAM, in words
  std::optional<int64_t> vram_bytes; // physical VRAM of the node's GPUs together
  int64_t worst_bytes = 0;           // the sum of worst cases
  int64_t resident_bytes = 0;        // held as long as the workloads run
  std::string verdict = "unknown";   // ok | at risk | over | unknown
  std::vector<std::string> reasons;  // why, one per line
  std::vector<std::pair<std::string, int64_t>> contributors;  // workload → its worst case, largest first
};

struct NodeShare {
  NodeGpus gpus;
  std::optional<VramBudget> budget;
  std::vector<ResourceUse> resources;  // every GPU resource of the node
  std::vector<Workload> workloads;     // unrequested users first, then by namespace and name
  // Of gpus.share_resource: what one share is of the node's GPUs, and the totals.
  int64_t total_shares = 0, allocated_shares = 0;  // millis
};

// Listed pods folded in one at a time (a list page at a time), so a large cluster's pods need not
// be held: what each non-terminated bound pod requests of its node, and the GPU workloads.
class PodTally {
 public:
  void add(const nlohmann::json& pod);

 private:
  friend std::vector<NodeShare> share_view(const std::vector<nlohmann::json>&, PodTally, const std::string&);
  std::map<std::string, ResourceList> requested_;  // node → GPU resources requested there
  GpuWorkloads workloads_;
};

// Nodes with GPUs (all when `only_node` is empty; an unknown `only_node` is a UsageError).
std::vector<NodeShare> share_view(const std::vector<nlohmann::json>& nodes, PodTally pods, const std::string& only_node = "");
std::vector<NodeShare> share_view(const std::vector<nlohmann::json>& nodes, const std::vector<nlohmann::json>& pods,
                                  const std::string& only_node = "");

// "12.5%" of the node's shares.
std::string share_percentage(int64_t milli_shares, int64_t total_milli);

nlohmann::json share_json(const std::vector<NodeShare>& view);
Report share_report(const std::vector<NodeShare>& view);
// One row per workload (and the Available / Total rows) per node: node, namespace, workload, kind, …
std::string share_csv(const std::vector<NodeShare>& view);

}  // namespace kb::share
