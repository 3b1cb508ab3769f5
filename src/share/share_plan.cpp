#include "share/share_plan.h"

#include <algorithm>

#include "core/error.h"
#include "core/quantity.h"
#include "core/files.h"
#include "core/text.h"
#include "core/yaml_json.h"
#include "kube/pod_resources.h"

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

int64_t free_of(const NodeShare& n, const std::string& resource) {
  for (const auto& r : n.resources)
    if (r.resource == resource) return r.free();
  return 0;  // the node does not advertise it
}

// Books `milli` more (or less) of `resource` on the node.
void take(NodeShare& n, const std::string& resource, int64_t milli) {
  for (auto& r : n.resources)
    if (r.resource == resource) r.allocated += milli;
  if (resource == n.gpus.share_resource) n.allocated_shares += milli;
}

void add_workload(NodeShare& n, const PlanChange& c, const std::string& resource) {
  take(n, resource, c.shares_milli);
  for (auto& w : n.workloads)
    if (w.planned && w.namespace_name == c.namespace_name && w.owner.name == c.name) {  // another replica
      ++w.pods;
      w.requested[resource] += c.shares_milli;
      return;
    }
  Workload w;
  w.namespace_name = c.namespace_name;
  w.owner = {c.kind_name, c.name};
  w.node = n.gpus.node;
  w.pods = 1;
  w.requested[resource] = c.shares_milli;
  w.annotations = c.annotations;
  w.containers = c.containers;
  if (c.vram_bytes)
    w.annotations["kubench.io/vram"] = format_quantity_milli(c.vram_bytes->first * 1000) + "-" + format_quantity_milli(c.vram_bytes->second * 1000);
  w.planned = true;
  n.workloads.push_back(std::move(w));
}

// A count field of a manifest (replicas, parallelism): absent is 1.
int count_of(const std::string& where, const std::string& label, const nlohmann::json& spec, const char* field) {
  if (!spec.contains(field)) return 1;
  const auto n = parse_int(spec[field].is_string() ? spec[field].get<std::string>() : spec[field].dump());
  if (!n || *n < 0 || *n > 10000) throw UsageError(where + ": " + label + ": " + field + " is not a count");
  return static_cast<int>(*n);
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
      if (!c.node.empty() && std::none_of(after.begin(), after.end(), [&](const NodeShare& n) { return n.gpus.node == c.node; }))
        throw UsageError("--add " + label + ": node " + c.node + " has no GPU or does not exist");
      // Each replica is placed on its own, first fit, as the scheduler places each pod.
      for (int replica = 0; replica < c.replicas; ++replica) {
        Placement p{label, "", false, ""};
        std::string why_not;
        for (auto& n : after) {
          if (!c.node.empty() && n.gpus.node != c.node) continue;
          const auto& resource = c.resource.empty() ? n.gpus.share_resource : c.resource;
          const int64_t free = free_of(n, resource);
          if (free < c.shares_milli) {
            why_not += (why_not.empty() ? "" : "; ") + std::string("needs ") + format_quantity_milli(c.shares_milli) + " " + resource + " on " +
                       n.gpus.node + ", " + format_quantity_milli(std::max<int64_t>(free, 0)) + " free";
            continue;
          }
          add_workload(n, c, resource);
          p = {label, n.gpus.node, true, "fits: " + format_quantity_milli(free - c.shares_milli) + " " + resource + " left"};
          break;
        }
        if (!p.fits) {
          p.reason = why_not.empty() ? "no GPU node" : why_not;
          plan.fits = false;
        }
        if (c.replicas > 1) p.workload += " (pod " + std::to_string(replica + 1) + " of " + std::to_string(c.replicas) + ")";
        plan.placements.push_back(p);
      }
      continue;
    }
    NodeShare* node = nullptr;
    Workload* w = find_workload(after, c.namespace_name, c.name, &node);
    if (!w) throw UsageError(std::string(flag_of(c.kind)) + " " + label + ": no such workload holds GPU shares");
    const auto& resource = node->gpus.share_resource;
    const int64_t had = held(*w, resource);
    if (c.kind == PlanChange::Kind::remove) {
      for (const auto& [name, milli] : w->requested) take(*node, name, -milli);
      node->workloads.erase(node->workloads.begin() + (w - node->workloads.data()));
      plan.placements.push_back({label, node->gpus.node, true, "removed: " + format_quantity_milli(had) + " " + resource + " freed"});
      continue;
    }
    const int64_t free_after = free_of(*node, resource) + had - c.shares_milli;
    w->requested[resource] = c.shares_milli;
    take(*node, resource, c.shares_milli - had);
    const bool fits = free_after >= 0;
    plan.fits = plan.fits && fits;
    plan.placements.push_back({label, node->gpus.node, fits,
                               fits ? "resized to " + format_quantity_milli(c.shares_milli)
                                    : "needs " + format_quantity_milli(c.shares_milli) + " " + resource + " on " + node->gpus.node + ", " +
                                          format_quantity_milli(free_after + c.shares_milli) + " free"});
  }
  return plan;
}

void budget_plan(SharePlan& plan, const VramSources& sources, std::vector<std::string>& warnings) {
  apply_vram_budget(plan.before, sources, warnings);
  std::vector<std::string> again;  // the same notes a second time
  apply_vram_budget(plan.after, sources, again);
  for (const auto& n : plan.after) {
    if (!n.budget) continue;
    plan.vram_over = plan.vram_over || n.budget->verdict == "over";
    plan.vram_at_risk = plan.vram_at_risk || n.budget->verdict == "at risk";
  }
}

std::vector<PlanChange> plan_changes_from_manifest(const std::string& path) {
  const auto where = "--add-manifest " + path;
  std::vector<nlohmann::json> docs;
  try {
    docs = parse_yaml_documents(read_file(path), path);
  } catch (const Error& e) {
    throw UsageError(where + ": " + e.what());
  }
  std::vector<PlanChange> out;
  for (const auto& doc : docs) {
    std::vector<nlohmann::json> items = {doc};
    if (doc.value("kind", "") == "List") items = doc.value("items", nlohmann::json::array()).get<std::vector<nlohmann::json>>();
    for (const auto& item : items) {
      if (!item.is_object()) continue;
      const auto kind = item.value("kind", "");
      const auto meta = item.value("metadata", nlohmann::json::object());
      const auto name = meta.value("name", "");
      const auto label = kind + " " + name;
      nlohmann::json pod;  // {metadata, spec} of the pods it makes
      int replicas = 1;
      const auto spec = item.value("spec", nlohmann::json::object());
      if (kind == "Pod") {
        pod = {{"metadata", meta}, {"spec", spec}};
      } else if (kind == "Deployment" || kind == "StatefulSet" || kind == "ReplicaSet") {
        pod = spec.value("template", nlohmann::json::object());
        replicas = count_of(where, label, spec, "replicas");
      } else if (kind == "Job") {
        pod = spec.value("template", nlohmann::json::object());
        replicas = count_of(where, label, spec, "parallelism");
      } else if (kind == "CronJob") {
        const auto job = spec.value("jobTemplate", nlohmann::json::object()).value("spec", nlohmann::json::object());
        pod = job.value("template", nlohmann::json::object());
        replicas = count_of(where, label, job, "parallelism");
      } else if (kind == "DaemonSet") {
        throw UsageError(where + ": " + label + ": a DaemonSet runs on every matching node; plan it per node with --add NS/NAME=SHARES,node=N");
      } else {
        continue;  // Services, ConfigMaps, … hold no GPU
      }
      const auto pod_spec = pod.value("spec", nlohmann::json::object());
      ResourceList requests;
      try {
        requests = kube::pod_requests(pod_spec);
      } catch (const Error& e) {
        throw UsageError(where + ": " + label + ": " + e.what());
      }
      PlanChange c;
      c.kind = PlanChange::Kind::add;
      c.namespace_name = meta.value("namespace", "default");
      c.name = name;
      c.kind_name = kind;
      c.replicas = replicas;
      for (const auto& [resource, milli] : requests)
        if (is_gpu_resource(resource) && milli > 0 && c.resource.empty()) {
          c.resource = resource;
          c.shares_milli = milli;
        }
      if (c.resource.empty()) throw UsageError(where + ": " + label + " requests no GPU resource (nvidia.com/…, gpu.intel.com/…, amd.com/…)");
      c.node = pod_spec.value("nodeName", "");
      if (c.node.empty()) c.node = pod_spec.value("nodeSelector", nlohmann::json::object()).value("kubernetes.io/hostname", "");
      c.annotations = pod.value("metadata", nlohmann::json::object()).value("annotations", nlohmann::json::object());
      c.containers = pod_spec.value("containers", nlohmann::json::array()).get<std::vector<nlohmann::json>>();
      out.push_back(std::move(c));
    }
  }
  if (out.empty()) throw UsageError(where + ": no Deployment, StatefulSet, Job, CronJob or Pod in it");
  return out;
}

}  // namespace kb::share
