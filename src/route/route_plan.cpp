#include "route/route_plan.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/error.h"
#include "core/text.h"

namespace kb::route {

namespace {

bool listed(const std::vector<std::string>& list, const std::string& name) { return std::find(list.begin(), list.end(), name) != list.end(); }

int order_of(probe::Backend b) {
  const auto& order = fallback_order();
  return static_cast<int>(std::find(order.begin(), order.end(), b) - order.begin());
}

// The device-plugin resource prefixes that give a pod this backend's GPU.
std::vector<std::string> resource_prefixes(probe::Backend b) {
  switch (b) {
    case probe::Backend::nvenc: return {"nvidia.com/gpu"};
    case probe::Backend::qsv: return {"gpu.intel.com/"};
    case probe::Backend::vaapi: return {"gpu.intel.com/", "amd.com/gpu"};
    case probe::Backend::amf: return {"amd.com/gpu"};
    default: return {};
  }
}

double total(const WorkerClass& w) { return w.fps_per_slot * w.slots; }

// Better: more total fps, then the earlier family in the fallback order.
bool better(const WorkerClass& a, const WorkerClass& b) {
  if (std::abs(total(a) - total(b)) > 1e-9) return total(a) > total(b);
  return order_of(a.backend) < order_of(b.backend);
}

// The worker class this encoder can be on this node now, or the reason it cannot.
std::optional<WorkerClass> candidate(const NodeCapabilities& n, const NodeNow& now, const EncoderCapability& e, const EncodeTask& task,
                                     const RoutePolicy& policy, std::string& why_not) {
  const auto fps = fps_at(e, task.width, task.height);
  if (!fps) {
    why_not = "no measured speed";
    return std::nullopt;
  }
  WorkerClass w{n.node, e.encoder, e.backend, 0, "", 0, {}};
  w.why.push_back("measured " + fixed(*fps, 1) + " fps at " + std::to_string(task.width) + "x" + std::to_string(task.height) + " (probed " +
                  n.probed_at + ")");
  if (e.backend == probe::Backend::cpu) {
    const auto it = now.free.find("cpu");
    const long long free_milli = it == now.free.end() ? 0 : it->second;
    const long long per_part = task.cpu_milli_per_part > 0 ? task.cpu_milli_per_part : 1000LL * std::max(1, task.threads_per_part);
    w.slots = static_cast<int>(free_milli / per_part);
    if (w.slots == 0) {
      why_not = "no free CPU for a part (" + fixed(static_cast<double>(per_part) / 1000, 2) + " cores each, " +
                fixed(static_cast<double>(free_milli) / 1000, 1) + " free)";
      return std::nullopt;
    }
    // The probe measured with e.threads threads; a part gets threads_per_part (scaled linearly).
    w.fps_per_slot = *fps * std::max(1, task.threads_per_part) / std::max(1, e.threads);
    w.why.push_back(std::to_string(w.slots) + " parts at once on " + fixed(static_cast<double>(free_milli) / 1000, 1) + " free cores");
  } else {
    long long free_gpus = 0;
    bool advertised = false;
    for (const auto& [resource, units] : now.free)
      for (const auto& prefix : resource_prefixes(e.backend))
        if (resource.rfind(prefix, 0) == 0) {
          if (!advertised || units > free_gpus) {
            w.gpu_resource = resource;
            free_gpus = units;
          }
          advertised = true;
        }
    if (!advertised) {
      why_not = "its GPU resource is no longer advertised (probed " + n.probed_at + ")";
      return std::nullopt;
    }
    if (free_gpus <= 0) {
      why_not = "every " + (w.gpu_resource.empty() ? std::string("GPU") : w.gpu_resource) + " is requested by other pods now";
      return std::nullopt;
    }
    w.slots = static_cast<int>(free_gpus) * std::max(1, policy.slots_per_gpu);
    if (e.session_limit && w.slots > *e.session_limit) {
      w.why.push_back("session limit " + std::to_string(*e.session_limit) + " (of " + std::to_string(w.slots) + " slots)");
      w.slots = *e.session_limit;
    }
    // One session's measured speed is what a GPU gives; its sessions share it.
    w.fps_per_slot = *fps * static_cast<double>(free_gpus) / w.slots;
    w.why.push_back(std::to_string(w.slots) + " parts at once on " + std::to_string(free_gpus) + " free " + w.gpu_resource);
  }
  if (policy.max_workers_per_node > 0 && w.slots > policy.max_workers_per_node) {
    w.fps_per_slot = w.fps_per_slot * w.slots / policy.max_workers_per_node;
    w.slots = policy.max_workers_per_node;
    w.why.push_back("capped at " + std::to_string(w.slots) + " (--max-workers-per-node)");
  }
  return w;
}

}  // namespace

const std::vector<probe::Backend>& fallback_order() {
  static const std::vector<probe::Backend> order = {probe::Backend::nvenc, probe::Backend::qsv, probe::Backend::vaapi, probe::Backend::amf,
                                                    probe::Backend::cpu};
  return order;
}

std::optional<double> fps_at(const EncoderCapability& e, int width, int height) {
  const double pixels = static_cast<double>(width) * height, p1080 = 1920.0 * 1080, p4k = 3840.0 * 2160;
  if (e.fps_1080p && e.fps_4k) {
    // Pixel rate is what an encoder spends; between and beyond the two points, interpolate it.
    const double r1 = *e.fps_1080p * p1080, r4 = *e.fps_4k * p4k;
    const double t = (pixels - p1080) / (p4k - p1080);
    const double rate = std::max(std::min(r1, r4), r1 + t * (r4 - r1));
    return rate / pixels;
  }
  if (e.fps_1080p) return *e.fps_1080p * p1080 / pixels;
  if (e.fps_4k) return *e.fps_4k * p4k / pixels;
  return std::nullopt;
}

RoutePlan route_encode(const CapabilityMatrix& matrix, const std::vector<NodeNow>& nodes, const EncodeTask& task, const RoutePolicy& policy) {
  RoutePlan plan;
  std::vector<WorkerClass> candidates;
  for (const auto& n : matrix.nodes) {
    auto reject = [&](const std::string& encoder, const std::string& why) { plan.rejected.push_back({n.node, encoder, why}); };
    if (listed(policy.forbid_nodes, n.node)) { reject("", "forbidden (--forbid-node)"); continue; }
    if (!policy.pin_nodes.empty() && !listed(policy.pin_nodes, n.node)) { reject("", "not pinned (--node)"); continue; }
    if (!n.error.empty()) { reject("", "its probe failed: " + n.error); continue; }
    const auto live = std::find_if(nodes.begin(), nodes.end(), [&](const NodeNow& x) { return x.name == n.node; });
    if (live == nodes.end()) { reject("", "not in the cluster now"); continue; }
    if (!live->ready) { reject("", "not Ready"); continue; }
    if (!live->schedulable) { reject("", "cordoned"); continue; }
    for (const auto& e : n.encoders) {
      if (e.codec != task.codec) continue;
      if (listed(policy.forbid_encoders, e.encoder)) { reject(e.encoder, "forbidden (--forbid-encoder)"); continue; }
      if (!policy.pin_encoders.empty() && !listed(policy.pin_encoders, e.encoder)) { reject(e.encoder, "not pinned (--encoder)"); continue; }
      if (!e.works) { reject(e.encoder, "does not work here: " + e.reason); continue; }
      if (!e.stitchable) { reject(e.encoder, "cannot make joinable parts (its ffmpeg lacks the options)"); continue; }
      std::string why_not;
      if (auto w = candidate(n, *live, e, task, policy, why_not)) candidates.push_back(std::move(*w));
      else reject(e.encoder, why_not);
    }
  }
  // Each node's best class per family; then one family for the whole output (or each node's best).
  std::map<std::pair<std::string, int>, WorkerClass> best;  // (node, family order) → class
  for (auto& c : candidates) {
    const auto key = std::make_pair(c.node, order_of(c.backend));
    auto it = best.find(key);
    if (it == best.end() || better(c, it->second)) best[key] = c;
  }
  if (policy.allow_mixed) {
    std::map<std::string, WorkerClass> per_node;
    for (auto& [key, c] : best) {
      auto it = per_node.find(key.first);
      if (it == per_node.end() || better(c, it->second)) per_node[key.first] = c;
    }
    for (auto& [node, c] : per_node) plan.workers.push_back(c);
    plan.family = "mixed";
  } else {
    std::map<int, double> family_fps;
    for (auto& [key, c] : best) family_fps[key.second] += total(c);
    int chosen = -1;
    for (auto& [family, fps] : family_fps)
      if (chosen < 0 || fps > family_fps[chosen] + 1e-9) chosen = family;  // ties: the map's order is the fallback order
    for (auto& [key, c] : best) {
      if (key.second == chosen) plan.workers.push_back(c);
      else
        plan.rejected.push_back({c.node, c.encoder, std::string(probe::to_string(fallback_order()[static_cast<size_t>(chosen)])) +
                                                        " chosen for the whole output (" + fixed(family_fps[chosen], 1) + " fps against " +
                                                        fixed(family_fps[key.second], 1) + "; --allow-mixed-encoders mixes)"});
    }
    if (chosen >= 0) plan.family = std::string(probe::to_string(fallback_order()[static_cast<size_t>(chosen)]));
  }
  if (plan.workers.empty()) {
    std::string why;
    for (const auto& r : plan.rejected) why += (why.empty() ? "" : "; ") + r.node + (r.encoder.empty() ? "" : " " + r.encoder) + ": " + r.why;
    throw UsageError("no node can encode " + std::string(probe::to_string(task.codec)) + (why.empty() ? " (the capability matrix is empty: kubench nodes probe)" : ": " + why));
  }
  std::set<probe::Backend> backends;
  for (const auto& w : plan.workers) {
    plan.fps += total(w);
    backends.insert(w.backend);
  }
  if (policy.allow_mixed && backends.size() == 1) plan.family = std::string(probe::to_string(*backends.begin()));
  return plan;
}

std::string explain(const RoutePlan& plan) {
  std::string out = "Encoder family: " + plan.family + ", about " + fixed(plan.fps, 1) + " fps together\n";
  for (const auto& w : plan.workers) {
    out += "  " + w.node + ": " + w.encoder + " × " + std::to_string(w.slots) + (w.gpu_resource.empty() ? "" : " (" + w.gpu_resource + ")") + "\n";
    for (const auto& why : w.why) out += "      " + why + "\n";
  }
  if (!plan.rejected.empty()) out += "Not used:\n";
  for (const auto& r : plan.rejected) out += "  " + r.node + (r.encoder.empty() ? "" : " " + r.encoder) + ": " + r.why + "\n";
  for (const auto& n : plan.notes) out += "Note: " + n + "\n";
  return out;
}

}  // namespace kb::route
