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

namespace kb::share {

struct PlanChange {
  enum class Kind { add, remove, resize } kind = Kind::add;
  std::string namespace_name, name;
  int64_t shares_milli = 0;                                  // add, resize
  std::optional<std::pair<int64_t, int64_t>> vram_bytes;     // add: vram=LO-HI (or one value)
  std::string node;                                          // add: node=N
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
};

// Applies the changes in order. A named node that does not exist, or a workload to remove or
// resize that the view does not have, is a UsageError.
SharePlan plan_shares(const std::vector<NodeShare>& view, const std::vector<PlanChange>& changes);

}  // namespace kb::share
