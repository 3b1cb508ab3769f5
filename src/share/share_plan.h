// `kubench share plan`: what-if before deploying. Changes (add, remove, resize a workload's
// shares) applied to the share view give the "after" tables, where each added workload lands
// (the node it names, else the first GPU node with enough free shares) or why it cannot
// ("needs 2 nvidia.com/gpu.shared on homelabai, 1 free"). Pure: the view in, the plan out.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "share/share_view.h"
#include "share/vram_budget.h"

namespace kb::share {

struct PlanChange {
  enum class Kind { add, remove, resize } kind = Kind::add;
  std::string namespace_name, name;
  int64_t shares_milli = 0;                                  // add, resize
  std::optional<std::pair<int64_t, int64_t>> vram_bytes;     // add: vram=LO-HI (or one value)
  std::string node;                                          // add: node=N
  // From --add-manifest: the resource its pods request ("" = each node's share resource), how many
  // pods (each placed on its own, as the scheduler does), its kind, and what its VRAM estimate reads.
  std::string resource;
  int replicas = 1;
  std::string kind_name = "Deployment";
  nlohmann::json annotations = nlohmann::json::object();
  std::vector<nlohmann::json> containers;
};

// "NS/NAME=SHARES[,vram=LO-HI][,node=N]" (add), "NS/NAME" (remove), "NS/NAME=SHARES" (resize).
// UsageError naming the flag for anything else, a malformed quantity included.
PlanChange parse_plan_change(PlanChange::Kind kind, std::string_view text);

struct Placement {
  std::string workload;  // "ai-dev/vllm"
  std::string node;      // where it lands ("" when it fits nowhere)
  bool fits = false;
  std::string reason;    // why not, or where from
};

struct SharePlan {
  std::vector<NodeShare> before, after;
  std::vector<Placement> placements;
  bool fits = true;
  bool vram_over = false;     // a node's VRAM verdict after is "over"
  bool vram_at_risk = false;  // … or "at risk"
};

// The workloads of a manifest (Deployment, StatefulSet, ReplicaSet, Job, CronJob, Pod; other kinds are
// skipped, a DaemonSet is refused) as additions: their GPU requests by the scheduler's rules, replicas,
// node from nodeName or a kubernetes.io/hostname selector, annotations and containers. UsageError
// naming the file for bad YAML or a workload that requests no GPU resource.
std::vector<PlanChange> plan_changes_from_manifest(const std::string& path);

// The VRAM budget of `before` and `after` from the same sources; sets vram_over and vram_at_risk.
void budget_plan(SharePlan& plan, const VramSources& sources, std::vector<std::string>& warnings);

// Applies the changes in order. A named node that does not exist, or a workload to remove or
// resize that the view does not have, is a UsageError.
SharePlan plan_shares(const std::vector<NodeShare>& view, const std::vector<PlanChange>& changes);

}  // namespace kb::share
