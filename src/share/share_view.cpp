#include "share/share_view.h"

#include <algorithm>
#include <map>

#include "core/error.h"
#include "core/json_field.h"
#include "core/output.h"
#include "core/text.h"
#include "share/vram_budget.h"

namespace kb::share {

using nlohmann::json;

namespace {

std::string shares_text(int64_t milli) { return format_quantity_milli(milli); }

std::string vram_text(const std::optional<int64_t>& bytes) {
  if (!bytes) return "unknown";
  return fixed(static_cast<double>(*bytes) / (1024.0 * 1024 * 1024), 1) + " GiB";
}

std::string workload_name(const Workload& w) { return w.owner.name; }

// "at risk" → "AT RISK": a verdict that needs attention stands out in the title.
std::string to_upper_words(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// The rows of the seed's table for one node: workload, namespace, shares, percentage.
struct Row {
  std::string workload, namespace_name, kind, shares, percentage, vram, vram_source, note;
};

std::string source_text(const VramEstimate& e) { return e.detail.empty() ? e.source : e.source + ": " + e.detail; }

std::vector<Row> allocation_rows(const NodeShare& n) {
  std::vector<Row> rows;
  const auto& resource = n.gpus.share_resource;
  for (const auto& w : n.workloads) {
    if (!w.evidence.empty()) {
      std::string why;
      for (const auto& e : w.evidence) why += (why.empty() ? "" : "; ") + e;
      rows.push_back({workload_name(w), w.namespace_name, w.owner.kind, "N/A", "variable", vram_range_text(w.vram), source_text(w.vram),
                      "requests no GPU, uses one: " + why});
      continue;
    }
    auto it = w.requested.find(resource);
    if (it == w.requested.end()) {
      // Another GPU resource of the node (a MIG profile, HAMi gpumem): listed with what it holds.
      std::string held;
      for (const auto& [name, milli] : w.requested) held += (held.empty() ? "" : ", ") + shares_text(milli) + " " + name;
      rows.push_back({workload_name(w), w.namespace_name, w.owner.kind, "-", "-", vram_range_text(w.vram), source_text(w.vram), held});
      continue;
    }
    rows.push_back({workload_name(w), w.namespace_name, w.owner.kind, shares_text(it->second), share_percentage(it->second, n.total_shares),
                    vram_range_text(w.vram), source_text(w.vram), w.planned ? "planned" : w.pods > 1 ? std::to_string(w.pods) + " pods" : ""});
  }
  const int64_t available = n.total_shares - n.allocated_shares;
  std::string worst = "", total_vram = "";
  if (n.budget) {
    worst = gib_text(n.budget->worst_bytes) + " worst";
    if (n.budget->vram_bytes) total_vram = gib_text(*n.budget->vram_bytes);
  }
  rows.push_back({"Available", "-", "", shares_text(available), share_percentage(available, n.total_shares), "", "",
                  available < 0 ? "over-allocated" : ""});
  rows.push_back({"Total", "-", "", shares_text(n.total_shares), n.total_shares > 0 ? "100%" : "-", worst,
                  n.budget ? "VRAM " + n.budget->verdict + (total_vram.empty() ? "" : " (" + total_vram + ")") : "", resource});
  return rows;
}

}  // namespace

std::string share_percentage(int64_t milli, int64_t total) {
  if (total <= 0) return "-";
  const double pct = 100.0 * static_cast<double>(milli) / static_cast<double>(total);
  const bool whole = std::abs(pct - std::round(pct)) < 1e-9;
  return fixed(pct, whole ? 0 : 1) + "%";
}

void PodTally::add(const json& pod) {
  if (!kube::holds_node_resources(pod)) return;
  const auto requests = kube::pod_requests(field(pod, "spec"));
  auto& on_node = requested_[string_field(field(pod, "spec"), "nodeName")];
  for (const auto& [name, milli] : requests)
    if (is_gpu_resource(name)) on_node[name] += milli;
  workloads_.add(pod, requests);
}

std::vector<NodeShare> share_view(const std::vector<json>& nodes, PodTally pods, const std::string& only_node) {
  const auto workloads = pods.workloads_.take();
  std::vector<NodeShare> out;
  bool found = only_node.empty();
  for (const auto& node : nodes) {
    auto gpus = read_node_gpus(node);
    if (!only_node.empty() && gpus.node != only_node) continue;
    found = true;
    if (!gpus.has_gpus()) continue;
    NodeShare n;
    const auto& status = field(node, "status");
    const auto capacity = kube::resource_quantities(field(status, "capacity"));
    const auto allocatable = kube::resource_quantities(field(status, "allocatable"));
    const auto& requested = pods.requested_[gpus.node];
    for (const auto& r : gpus.resources) {
      ResourceUse u{r, 0, 0, 0};
      if (auto it = capacity.find(r); it != capacity.end()) u.capacity = it->second;
      if (auto it = allocatable.find(r); it != allocatable.end()) u.allocatable = it->second;
      if (auto it = requested.find(r); it != requested.end()) u.allocated = it->second;
      if (r == gpus.share_resource) {
        n.total_shares = u.allocatable;
        n.allocated_shares = u.allocated;
      }
      n.resources.push_back(u);
    }
    for (const auto& w : workloads)
      if (w.node == gpus.node) n.workloads.push_back(w);
    std::stable_partition(n.workloads.begin(), n.workloads.end(), [](const Workload& w) { return !w.evidence.empty(); });
    n.gpus = std::move(gpus);
    out.push_back(std::move(n));
  }
  if (!found) throw UsageError("--node " + only_node + ": the cluster has no such node");
  return out;
}

std::vector<NodeShare> share_view(const std::vector<json>& nodes, const std::vector<json>& pods, const std::string& only_node) {
  PodTally tally;
  for (const auto& pod : pods) tally.add(pod);
  return share_view(nodes, std::move(tally), only_node);
}

json share_json(const std::vector<NodeShare>& view) {
  json nodes = json::array();
  for (const auto& n : view) {
    const auto& g = n.gpus;
    json resources = json::array();
    for (const auto& r : n.resources)
      resources.push_back({{"resource", r.resource},
                           {"capacity", shares_text(r.capacity)},
                           {"allocatable", shares_text(r.allocatable)},
                           {"allocated", shares_text(r.allocated)},
                           {"free", shares_text(r.free())}});
    json workloads = json::array();
    for (const auto& w : n.workloads) {
      json requested = json::object();
      for (const auto& [name, milli] : w.requested) requested[name] = shares_text(milli);
      json row = {{"namespace", w.namespace_name}, {"kind", w.owner.kind}, {"name", w.owner.name}, {"pods", w.pods}, {"requested", requested}};
      if (w.planned) row["planned"] = true;
      row["vram"] = {{"low_bytes", w.vram.low ? json(*w.vram.low) : json(nullptr)},
                     {"high_bytes", w.vram.high ? json(*w.vram.high) : json(nullptr)},
                     {"resident", w.vram.resident},
                     {"source", w.vram.source},
                     {"detail", w.vram.detail}};
      if (!w.evidence.empty()) {
        row["unrequested_gpu_use"] = w.evidence;
        row["shares"] = nullptr;
        row["percentage"] = nullptr;
      } else if (auto it = w.requested.find(g.share_resource); it != w.requested.end()) {
        row["shares"] = static_cast<double>(it->second) / 1000;
        row["percentage"] = n.total_shares > 0 ? 100.0 * static_cast<double>(it->second) / static_cast<double>(n.total_shares) : 0.0;
      }
      workloads.push_back(row);
    }
    nodes.push_back({{"node", g.node},
                     {"gpu",
                      {{"vendor", g.vendor},
                       {"product", g.product},
                       {"count", g.count},
                       {"memory_bytes", g.memory_bytes ? json(*g.memory_bytes) : json(nullptr)},
                       {"sharing", g.sharing},
                       {"replicas", g.replicas},
                       {"share_resource", g.share_resource}}},
                     {"resources", resources},
                     {"workloads", workloads},
                     {"shares", {{"total", static_cast<double>(n.total_shares) / 1000},
                                 {"allocated", static_cast<double>(n.allocated_shares) / 1000},
                                 {"available", static_cast<double>(n.total_shares - n.allocated_shares) / 1000}}},
                     {"warnings", g.warnings}});
    if (n.budget) {
      const auto& b = *n.budget;
      json contributors = json::array();
      for (const auto& [name, bytes] : b.contributors) contributors.push_back({{"workload", name}, {"worst_bytes", bytes}});
      nodes.back()["vram_budget"] = {{"verdict", b.verdict},
                                     {"model", b.model},
                                     {"vram_bytes", b.vram_bytes ? json(*b.vram_bytes) : json(nullptr)},
                                     {"worst_bytes", b.worst_bytes},
                                     {"resident_bytes", b.resident_bytes},
                                     {"reasons", b.reasons},
                                     {"contributors", contributors}};
    }
  }
  return {{"schema", "kubench/share/v1"}, {"nodes", nodes}};
}

Report share_report(const std::vector<NodeShare>& view) {
  Report report;
  report.title = "GPU shares";
  if (view.empty()) report.facts.emplace_back("nodes", "no node shows a GPU (no nvidia.com/, gpu.intel.com/ or amd.com/ resource or label)");
  for (const auto& n : view) {
    const auto& g = n.gpus;
    ReportSection s;
    s.title = g.node + ": " + std::to_string(g.count) + " × " + g.vendor + " " + (g.product.empty() ? "GPU" : g.product) + ", " +
              vram_text(g.memory_bytes) + (g.sharing == "none" ? ", not shared" : ", " + g.sharing + " × " + std::to_string(g.replicas));
    for (const auto& w : g.warnings) s.note += (s.note.empty() ? "warning: " : "; ") + w;
    s.table.headers = {"Workload", "Namespace", "Kind", "GPU Shares", "Percentage", "VRAM", "VRAM from", "Note"};
    s.table.right_aligned = {3, 4, 5};
    for (const auto& r : allocation_rows(n))
      s.table.rows.push_back({r.workload, r.namespace_name, r.kind, r.shares, r.percentage, r.vram, r.vram_source, r.note});
    report.sections.push_back(std::move(s));
    if (n.budget) {
      const auto& b = *n.budget;
      ReportSection v;
      v.title = g.node + ": VRAM " + (b.verdict == "ok" ? "ok" : to_upper_words(b.verdict)) + " — " + b.model;
      for (const auto& r : b.reasons) v.note += (v.note.empty() ? "" : "; ") + r;
      v.table.headers = {"Workload", "Worst case"};
      v.table.right_aligned = {1};
      for (const auto& [name, bytes] : b.contributors) v.table.rows.push_back({name, gib_text(bytes)});
      v.table.rows.push_back({"Sum", gib_text(b.worst_bytes)});
      v.table.rows.push_back({"VRAM", b.vram_bytes ? gib_text(*b.vram_bytes) : "unknown"});
      report.sections.push_back(std::move(v));
    }
    ReportSection res;
    res.title = g.node + ": GPU resources";
    res.table.headers = {"Resource", "Capacity", "Allocatable", "Allocated", "Free"};
    res.table.right_aligned = {1, 2, 3, 4};
    for (const auto& r : n.resources)
      res.table.rows.push_back({r.resource, shares_text(r.capacity), shares_text(r.allocatable), shares_text(r.allocated), shares_text(r.free())});
    report.sections.push_back(std::move(res));
  }
  return report;
}

std::string share_csv(const std::vector<NodeShare>& view) {
  Table t;
  t.headers = {"node", "workload", "namespace", "kind", "shares", "percentage", "vram", "vram_from", "note"};
  for (const auto& n : view)
    for (const auto& r : allocation_rows(n))
      t.rows.push_back({n.gpus.node, r.workload, r.namespace_name, r.kind, r.shares, r.percentage, r.vram, r.vram_source, r.note});
  return t.to_csv();
}

}  // namespace kb::share
