#include "jobs/run_targets.h"

#include "core/error.h"
#include "core/text.h"

namespace kb::jobs {

std::map<std::string, std::string> parse_selector(const std::string& text) {
  std::map<std::string, std::string> out;
  for (auto& part : split(text, ',')) {
    auto pair = std::string(trim(part));
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    auto key = eq == std::string::npos ? std::string() : std::string(trim(pair.substr(0, eq)));
    if (key.empty()) throw UsageError("--selector wants key=value[,key=value], not '" + text + "'");
    out[key] = std::string(trim(pair.substr(eq + 1)));
  }
  return out;
}

bool matches(const kube::NodeInventory& node, const std::map<std::string, std::string>& selector) {
  for (auto& [k, v] : selector) {
    auto it = node.labels.find(k);
    if (it == node.labels.end() || it->second != v) return false;
  }
  return true;
}

namespace {

BenchmarkJobSpec with_access(BenchmarkJobSpec spec, const AccessChoice& c) {
  spec.accel = c.accel;
  spec.gpu_access = c.access;
  spec.gpu_resource = c.resource;
  return spec;
}

std::string names(const std::vector<kube::NodeInventory>& nodes) {
  std::string out;
  for (auto& n : nodes) out += (out.empty() ? "" : ", ") + n.name;
  return out.empty() ? "none" : out;
}

// The notes that say why nodes were left out, for an error that no node is left: ": a; b".
std::string reasons(const std::vector<std::string>& notes) {
  std::string out;
  for (auto& n : notes) out += (out.empty() ? ": " : "; ") + n;
  return out;
}

}  // namespace

std::vector<BenchmarkJobSpec> plan_targets(const TargetRequest& req, const std::optional<std::vector<kube::NodeInventory>>& nodes,
                                           std::vector<std::string>& notes) {
  if (req.all_nodes && !req.node.empty()) throw UsageError("--node and --all-nodes exclude each other");
  auto note = [&](const AccessChoice& c) {
    if (!c.note.empty()) notes.push_back(c.note);
  };
  // Why the image cannot run on a node ("" when it can).
  auto wrong_arch = [&](const kube::NodeInventory& n) {
    return req.platforms.architectures.empty() ? std::string() : arch_exclusion(n, req.base.image, req.platforms);
  };
  BenchmarkJobSpec base = req.base;
  base.architectures = req.platforms.architectures;

  if (!req.node.empty()) {
    BenchmarkJobSpec spec = base;
    spec.node = req.node;
    spec.node_selector = req.selector;
    const kube::NodeInventory* found = nullptr;
    if (nodes) {
      for (auto& n : *nodes)
        if (n.name == req.node) found = &n;
      if (!found) throw UsageError("node " + req.node + " does not exist (nodes: " + names(*nodes) + ")");
      if (!matches(*found, req.selector)) throw UsageError("node " + req.node + " does not match --selector");
      if (auto why = wrong_arch(*found); !why.empty()) throw UsageError(why + ": build the image for it, or pick another node");
      if (!found->ready) notes.push_back("node " + req.node + " is not Ready: the pod may wait");
    }
    auto c = choose_access(req.access, found);
    note(c);
    return {with_access(spec, c)};
  }

  if (req.all_nodes) {
    if (!nodes) throw UsageError("--all-nodes needs to list nodes, which you may not (ask for 'list nodes' or name one with --node)");
    std::vector<BenchmarkJobSpec> out;
    for (auto& n : *nodes) {
      if (!matches(n, req.selector)) continue;
      if (!n.ready || n.unschedulable) {
        notes.push_back("skipping node " + n.name + (n.ready ? " (cordoned)" : " (not Ready)"));
        continue;
      }
      if (auto why = wrong_arch(n); !why.empty()) {
        notes.push_back("skipping: " + why);
        continue;
      }
      AccessChoice c;
      try {
        c = choose_access(req.access, &n);
      } catch (const UsageError& e) {
        notes.push_back("skipping: " + std::string(e.what()));
        continue;
      }
      note(c);
      BenchmarkJobSpec spec = base;
      spec.node = n.name;
      spec.case_name = n.name;
      spec.node_selector = req.selector;
      out.push_back(with_access(spec, c));
    }
    if (out.empty()) throw UsageError("no node matches (nodes: " + names(*nodes) + ")" + reasons(notes));
    return out;
  }

  // Neither: the scheduler places the pod; with --accel auto, pick the family that the matching
  // nodes offer.
  BenchmarkJobSpec spec = base;
  spec.node_selector = req.selector;
  AccessChoice c;
  if (nodes) {
    std::vector<const kube::NodeInventory*> candidates;
    for (auto& n : *nodes) {
      if (!matches(n, req.selector) || !n.ready || n.unschedulable) continue;
      if (auto why = wrong_arch(n); !why.empty()) {
        notes.push_back("left out: " + why);
        continue;
      }
      candidates.push_back(&n);
    }
    if (candidates.empty()) throw UsageError("no Ready node matches (nodes: " + names(*nodes) + ")" + reasons(notes));
    // The first node that can serve the request; for --accel auto, one with a GPU if any has.
    std::optional<AccessChoice> chosen;
    for (auto* n : candidates) {
      try {
        auto choice = choose_access(req.access, n);
        if (!chosen || (chosen->accel == "cpu" && choice.accel != "cpu" && req.access.accel == "auto")) chosen = choice;
        if (chosen->accel != "cpu" || req.access.accel != "auto") break;
      } catch (const UsageError&) {
      }
    }
    if (!chosen) {
      std::string wanted = req.access.resource;
      if (wanted.empty())
        for (auto& r : resources_for(req.access.accel)) wanted += (wanted.empty() ? "" : " or ") + r;
      throw UsageError("no Ready node advertises " + (wanted.empty() ? std::string("a GPU resource") : wanted) + " for --accel " +
                       req.access.accel + " (nodes: " + names(*nodes) +
                       "): install the GPU's device plugin, or use --gpu-access hostpath (privileged), or --accel cpu");
    }
    c = *chosen;
  } else {
    if (req.access.accel == "auto") throw UsageError("--accel auto needs to list nodes, which you may not: give --accel");
    c = choose_access(req.access, nullptr);
  }
  if (c.note.rfind("node ", 0) == 0) c.note = "--accel auto chose " + c.accel + " (from the nodes' GPU resources)";
  note(c);
  return {with_access(spec, c)};
}

}  // namespace kb::jobs
