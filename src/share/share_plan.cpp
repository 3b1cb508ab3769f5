#include "share/share_plan.h"

#include <algorithm>

#include "core/error.h"
#include "core/quantity.h"
#include "core/text.h"

namespace kb::share {

namespace {

const char* flag_of(PlanChange::Kind k) {
  switch (k) {
    case PlanChange::Kind::add: return "--add";
    case PlanChange::Kind::remove: return "--remove";
    default: return "--resize";
  }
}

int64_t quantity(const std::string& flag, std::string_view text, const std::string& what) {
  try {
    return parse_quantity_milli(std::string(trim(text)));
  } catch (const Error&) {
    throw UsageError(flag + " " + what + ": '" + std::string(text) + "' is not a quantity (e.g. 2, 500m, 8Gi)");
  }
}

Workload* find_workload(std::vector<NodeShare>& view, const std::string& ns, const std::string& name, NodeShare** on) {
  for (auto& n : view)
    for (auto& w : n.workloads)
      if (w.namespace_name == ns && w.owner.name == name) {
        *on = &n;
        return &w;
      }
  return nullptr;
}

int64_t held(const Workload& w, const std::string& resource) {
  auto it = w.requested.find(resource);
  return it == w.requested.end() ? 0 : it->second;
}

}  // namespace

PlanChange parse_plan_change(PlanChange::Kind kind, std::string_view text) {
  const std::string flag = flag_of(kind);
  PlanChange c;
  c.kind = kind;
  const auto parts = split(text, ',');
  const auto head = parts.empty() ? std::string() : parts[0];
  const auto eq = head.find('=');
  const auto who = head.substr(0, eq);
  const auto slash = who.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == who.size())
    throw UsageError(flag + " " + std::string(text) + ": name the workload as NAMESPACE/NAME");
  c.namespace_name = who.substr(0, slash);
  c.name = who.substr(slash + 1);
  if (kind == PlanChange::Kind::remove) {
    if (eq != std::string::npos || parts.size() > 1) throw UsageError(flag + " " + std::string(text) + ": takes NAMESPACE/NAME only");
    return c;
  }
  if (eq == std::string::npos) throw UsageError(flag + " " + std::string(text) + ": give the shares, e.g. " + who + "=2");
  c.shares_milli = quantity(flag, head.substr(eq + 1), "shares");
  if (c.shares_milli <= 0) throw UsageError(flag + " " + std::string(text) + ": shares must be more than 0");
  for (size_t i = 1; i < parts.size(); ++i) {
    const auto kv = parts[i];
    const auto e = kv.find('=');
    const auto key = std::string(trim(kv.substr(0, e)));
    const auto value = e == std::string::npos ? std::string() : kv.substr(e + 1);
    if (kind == PlanChange::Kind::add && key == "node" && !value.empty()) {
      c.node = value;
    } else if (kind == PlanChange::Kind::add && key == "vram" && !value.empty()) {
      const auto dash = value.find('-');
      const auto lo = quantity(flag, value.substr(0, dash), "vram") / 1000;
      const auto hi = dash == std::string::npos ? lo : quantity(flag, value.substr(dash + 1), "vram") / 1000;
      if (hi < lo) throw UsageError(flag + " " + std::string(text) + ": vram range " + value + " ends below its start");
      c.vram_bytes = std::make_pair(lo, hi);
    } else {
      throw UsageError(flag + " " + std::string(text) + ": unknown setting '" + std::string(kv) + "'" +
                       (kind == PlanChange::Kind::add ? " (known: vram=LO-HI, node=N)" : ""));
    }
  }
  return c;
}

SharePlan plan_shares(const std::vector<NodeShare>& view, const std::vector<PlanChange>& changes) {
  SharePlan plan;
  plan.before = view;
  plan.after = view;
  auto& after = plan.after;
  for (const auto& c : changes) {
    const auto label = c.namespace_name + "/" + c.name;
    if (c.kind == PlanChange::Kind::add) {
      Placement p{label, "", false, ""};
      if (!c.node.empty() && std::none_of(after.begin(), after.end(), [&](const NodeShare& n) { return n.gpus.node == c.node; }))
        throw UsageError("--add " + label + ": node " + c.node + " has no GPU or does not exist");
      std::string why_not;
      for (auto& n : after) {
        if (!c.node.empty() && n.gpus.node != c.node) continue;
        const int64_t free = n.total_shares - n.allocated_shares;
        if (free < c.shares_milli) {
          why_not += (why_not.empty() ? "" : "; ") + std::string("needs ") + format_quantity_milli(c.shares_milli) + " " + n.gpus.share_resource +
                     " on " + n.gpus.node + ", " + format_quantity_milli(std::max<int64_t>(free, 0)) + " free";
          continue;
        }
        Workload w;
        w.namespace_name = c.namespace_name;
        w.owner = {"Deployment", c.name};
        w.node = n.gpus.node;
        w.pods = 1;
        w.requested[n.gpus.share_resource] = c.shares_milli;
        if (c.vram_bytes)
          w.annotations["kubench.io/vram"] = std::to_string(c.vram_bytes->first) + "-" + std::to_string(c.vram_bytes->second);
        w.planned = true;
        n.workloads.push_back(std::move(w));
        n.allocated_shares += c.shares_milli;
        p = {label, n.gpus.node, true, "fits: " + format_quantity_milli(free - c.shares_milli) + " " + n.gpus.share_resource + " left"};
        break;
      }
      if (!p.fits) {
        p.reason = why_not.empty() ? "no GPU node" : why_not;
        plan.fits = false;
      }
      plan.placements.push_back(p);
      continue;
    }
    NodeShare* node = nullptr;
    Workload* w = find_workload(after, c.namespace_name, c.name, &node);
    if (!w) throw UsageError(std::string(flag_of(c.kind)) + " " + label + ": no such workload holds GPU shares");
    const auto& resource = node->gpus.share_resource;
    const int64_t had = held(*w, resource);
    if (c.kind == PlanChange::Kind::remove) {
      node->allocated_shares -= had;
      node->workloads.erase(node->workloads.begin() + (w - node->workloads.data()));
      plan.placements.push_back({label, node->gpus.node, true, "removed: " + format_quantity_milli(had) + " " + resource + " freed"});
      continue;
    }
    const int64_t free_after = node->total_shares - node->allocated_shares + had - c.shares_milli;
    w->requested[resource] = c.shares_milli;
    node->allocated_shares += c.shares_milli - had;
    const bool fits = free_after >= 0;
    plan.fits = plan.fits && fits;
    plan.placements.push_back({label, node->gpus.node, fits,
                               fits ? "resized to " + format_quantity_milli(c.shares_milli)
                                    : "needs " + format_quantity_milli(c.shares_milli) + " " + resource + " on " + node->gpus.node + ", " +
                                          format_quantity_milli(node->total_shares - node->allocated_shares + c.shares_milli) + " free"});
  }
  return plan;
}

}  // namespace kb::share
