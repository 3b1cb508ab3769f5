#include "jobs/sweep_admission.h"

#include <algorithm>

#include "core/error.h"
#include "kube/node_inventory.h"

namespace kb::jobs {

using nlohmann::json;

namespace {

std::string text_of(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

bool expression_holds(const json& expr, const std::map<std::string, std::string>& values) {
  const auto key = expr.value("key", "");
  const auto op = expr.value("operator", "");
  const auto it = values.find(key);
  std::vector<std::string> listed;
  for (const auto& v : expr.value("values", json::array())) listed.push_back(text_of(v));
  const bool listed_has = it != values.end() && std::find(listed.begin(), listed.end(), it->second) != listed.end();
  if (op == "In") return listed_has;
  if (op == "NotIn") return !listed_has;
  if (op == "Exists") return it != values.end();
  if (op == "DoesNotExist") return it == values.end();
  if ((op == "Gt" || op == "Lt") && it != values.end() && listed.size() == 1) {
    try {
      const long long have = std::stoll(it->second), bound = std::stoll(listed[0]);
      return op == "Gt" ? have > bound : have < bound;
    } catch (const std::exception&) {
      return false;
    }
  }
  return false;
}

bool tolerated(const json& taint, const json& tolerations) {
  for (const auto& t : tolerations.is_array() ? tolerations : json::array()) {
    const auto effect = t.value("effect", "");
    if (!effect.empty() && effect != taint.value("effect", "")) continue;
    const auto key = t.value("key", "");
    const auto op = t.value("operator", "Equal");
    if (key.empty() && op == "Exists") return true;
    if (key != taint.value("key", "")) continue;
    if (op == "Exists" || t.value("value", "") == taint.value("value", "")) return true;
  }
  return false;
}

// A resource for the user: "2 nvidia.com/gpu", "500m cpu".
std::string amount(const std::string& name, int64_t milli) { return format_quantity_milli(milli) + " " + name; }

}  // namespace

ResourceList target_requests(const SweepTarget& target) {
  json container = {{"resources", {{"requests", target.requests}, {"limits", target.limits}}}};
  return pod_requests({{"containers", json::array({container})}});
}

std::string arch_mismatch(const json& node, const ImagePlatforms& platforms) {
  if (platforms.architectures.empty()) return "";
  const auto arch = kube::node_architecture(node);
  if (platforms.allows(arch)) return "";
  return "is " + (arch.empty() ? std::string("of no stated architecture") : arch) + " and the image has " + platforms.list() + " only";
}

std::string node_mismatch(const json& node, const SweepTarget& target) {
  const auto meta = node.value("metadata", json::object());
  std::map<std::string, std::string> labels;
  const auto label_object = meta.value("labels", json::object());  // items() would dangle on a temporary
  for (const auto& [k, v] : label_object.items()) labels[k] = text_of(v);
  bool ready = false;
  for (const auto& c : node.value("status", json::object()).value("conditions", json::array()))
    if (c.value("type", "") == "Ready") ready = c.value("status", "") == "True";
  if (!ready) return "not Ready";
  if (node.value("spec", json::object()).value("unschedulable", false)) return "cordoned";
  for (const auto& [k, v] : target.node_selector) {
    auto it = labels.find(k);
    if (it == labels.end()) return "no label " + k;
    if (it->second != v) return "label " + k + "=" + it->second + ", not " + v;
  }
  const auto required = target.affinity.is_object()
                            ? target.affinity.value("nodeAffinity", json::object())
                                  .value("requiredDuringSchedulingIgnoredDuringExecution", json::object())
                            : json::object();
  if (required.contains("nodeSelectorTerms")) {
    const std::map<std::string, std::string> fields = {{"metadata.name", meta.value("name", "")}};
    bool any = false;
    for (const auto& term : required["nodeSelectorTerms"]) {
      bool all = !term.value("matchExpressions", json::array()).empty() || !term.value("matchFields", json::array()).empty();
      for (const auto& e : term.value("matchExpressions", json::array())) all = all && expression_holds(e, labels);
      for (const auto& e : term.value("matchFields", json::array())) all = all && expression_holds(e, fields);
      any = any || all;
    }
    if (!any) return "fails the required node affinity";
  }
  for (const auto& taint : node.value("spec", json::object()).value("taints", json::array())) {
    const auto effect = taint.value("effect", "");
    if ((effect == "NoSchedule" || effect == "NoExecute") && !tolerated(taint, target.tolerations))
      return "taint " + taint.value("key", "") + (taint.contains("value") ? "=" + text_of(taint["value"]) : "") + ":" + effect +
             " not tolerated";
  }
  return "";
}

AdmissionPlan plan_admission(const AdmissionInput& input, const std::vector<PendingVariant>& pending) {
  std::map<std::string, ResourceList> free, allocatable;
  for (const auto& n : input.nodes) {
    allocatable[n.name] = n.allocatable;
    auto f = n.allocatable;
    for (const auto& [name, milli] : n.requested) f[name] -= milli;
    free[n.name] = std::move(f);
  }
  const auto nodes_of = [&](const std::string& target) -> const std::vector<std::string>& {
    static const std::vector<std::string> none;
    auto it = input.target_nodes.find(target);
    return it == input.target_nodes.end() ? none : it->second;
  };
  // Only the resources a pod names count (a node lists no "example.com/gpu" → it has none).
  const auto fits = [&](const std::string& node, const ResourceList& req) {
    const auto& f = free[node];
    for (const auto& [name, milli] : req) {
      if (milli <= 0) continue;
      auto it = f.find(name);
      if (it == f.end() || it->second < milli) return false;
    }
    return true;
  };
  const auto take = [&](const std::string& node, const ResourceList& req) {
    for (const auto& [name, milli] : req) free[node][name] -= milli;
  };
  // Where the scheduler would put a pod: the first node of the target with room.
  const auto place = [&](const std::string& target, const ResourceList& req) -> std::optional<std::string> {
    for (const auto& node : nodes_of(target))
      if (fits(node, req)) return node;
    return std::nullopt;
  };
  for (const auto& [target, req] : input.unbound)
    if (auto node = place(target, req)) take(*node, req);

  // What the target lacks, for the user: the first resource no node of it has enough of.
  const auto why_not = [&](const PendingVariant& v) -> std::string {
    const auto& nodes = nodes_of(v.target);
    if (nodes.empty()) return "target " + v.target + ": no node can run it now";
    for (const auto& [name, milli] : v.requests) {
      if (milli <= 0) continue;
      int64_t free_sum = 0, total = 0, best = 0;
      for (const auto& node : nodes) {
        auto a = allocatable[node].count(name) ? allocatable[node][name] : 0;
        auto f = free[node].count(name) ? std::max<int64_t>(0, free[node][name]) : 0;
        total += a, free_sum += f, best = std::max(best, f);
      }
      if (best < milli)
        return "target " + v.target + ": " + format_quantity_milli(free_sum) + " of " + amount(name, total) + " free" +
               (milli > 1000 ? ", needs " + format_quantity_milli(milli) : "");
    }
    return "target " + v.target + ": no single node has all it requests free";
  };

  std::vector<const PendingVariant*> order;
  for (const auto& v : pending) order.push_back(&v);
  std::stable_sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->priority > b->priority; });

  AdmissionPlan plan;
  std::map<std::string, std::string> held;  // target → why its first waiting variant waits
  int in_flight = input.in_flight;
  for (const auto* v : order) {
    if (input.max_parallel > 0 && in_flight >= input.max_parallel) {
      plan.waiting[v->key] = "--max-parallel " + std::to_string(input.max_parallel) + ": " + std::to_string(in_flight) + " in flight";
      continue;
    }
    if (auto it = held.find(v->target); it != held.end()) {
      plan.waiting[v->key] = it->second;
      continue;
    }
    if (!input.capacity_known) {
      plan.admit.push_back(v->key);
      ++in_flight;
      continue;
    }
    if (auto node = place(v->target, v->requests)) {
      take(*node, v->requests);
      plan.admit.push_back(v->key);
      ++in_flight;
      continue;
    }
    held[v->target] = plan.waiting[v->key] = why_not(*v);
  }
  return plan;
}

}  // namespace kb::jobs
