#include "share/vram_budget.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/files.h"
#include "core/quantity.h"
#include "core/text.h"

namespace kb::share {

using nlohmann::json;

namespace {

std::optional<int64_t> bytes_of(std::string_view text) {
  try {
    const auto milli = parse_quantity_milli(std::string(trim(text)));
    if (milli <= 0) return std::nullopt;
    return milli / 1000;
  } catch (const Error&) {
    return std::nullopt;
  }
}

std::string workload_label(const Workload& w) { return w.namespace_name + "/" + w.owner.name; }

// The first source that knows, in the documented order.
VramEstimate estimate_for(const Workload& w, const NodeGpus& gpus, const VramSources& sources, std::vector<std::string>& warnings) {
  VramEstimate e;
  int64_t live = 0;
  int live_pods = 0;
  for (const auto& pod : w.pod_names)
    if (auto it = sources.live_by_pod.find(w.namespace_name + "/" + pod); it != sources.live_by_pod.end()) {
      live += it->second;
      ++live_pods;
    }
  if (live_pods > 0) {
    e.low = e.high = live;
    e.resident = true;
    e.source = "live";
    e.detail = "DCGM_FI_DEV_FB_USED now" + (w.pods > 1 ? " (" + std::to_string(live_pods) + " of " + std::to_string(w.pods) + " pods)" : "");
    return e;
  }
  if (w.annotations.contains("kubench.io/vram") && w.annotations["kubench.io/vram"].is_string()) {
    const auto text = w.annotations["kubench.io/vram"].get<std::string>();
    if (auto r = parse_vram_range(text)) {
      e.low = r->first;
      e.high = r->second;
      e.source = "annotation";
      e.detail = "kubench.io/vram=" + text;
      return e;
    }
    warnings.push_back(workload_label(w) + ": annotation kubench.io/vram=" + text + " is not a quantity or range (8Gi, 6Gi-8Gi); ignored");
  }
  for (const auto& c : w.containers) {
    std::string how;
    const auto fraction = vllm_memory_fraction(c, &how);
    if (!fraction) continue;
    if (!gpus.memory_bytes) {
      warnings.push_back(workload_label(w) + ": " + how + ", but the node does not say its VRAM");
      break;
    }
    e.low = e.high = static_cast<int64_t>(std::llround(*fraction * static_cast<double>(*gpus.memory_bytes)));
    e.resident = true;  // vLLM allocates its fraction when it starts and keeps it
    e.source = "settings";
    e.detail = how + " × " + gib_text(*gpus.memory_bytes);
    return e;
  }
  for (const auto& key : {workload_label(w), w.owner.name})
    if (auto it = sources.estimates.find(key); it != sources.estimates.end()) {
      e.low = it->second.first;
      e.high = it->second.second;
      e.source = "estimates";
      e.detail = sources.estimates_path + ": " + key;
      return e;
    }
  return e;
}

// How a workload's worst case is bounded under the node's sharing mode.
struct Worst {
  std::optional<int64_t> bytes;
  std::string reason;  // at-risk reason for this workload alone
};

Worst worst_case(const Workload& w, const NodeGpus& gpus, int64_t per_gpu) {
  const auto& e = w.vram;
  const bool bypasses = !w.evidence.empty();  // no device-plugin request: no cap applies
  if (gpus.sharing == "mps" && !bypasses && gpus.replicas > 0) {
    auto it = w.requested.find(gpus.share_resource);
    const int64_t shares = it == w.requested.end() ? 0 : it->second;
    const int64_t cap = per_gpu / gpus.replicas * shares / 1000;
    if (e.high && *e.high > cap)
      return {cap, w.owner.name + " may need " + gib_text(*e.high) + ", MPS caps it at " + gib_text(cap) + ": it runs out of memory itself"};
    return {e.high ? *e.high : cap, ""};
  }
  if (gpus.sharing == "hami" && !bypasses) {
    auto mem = w.requested.find("nvidia.com/gpumem");
    if (mem != w.requested.end()) {
      auto n = w.requested.find("nvidia.com/gpu");
      const int64_t gpus_held = n == w.requested.end() ? 1 : std::max<int64_t>(1, n->second / 1000);
      const int64_t booked = mem->second / 1000 * gpus_held * 1024 * 1024;  // gpumem is MiB per GPU
      if (e.high && *e.high > booked)
        return {booked, w.owner.name + " may need " + gib_text(*e.high) + ", HAMi caps it at its booked " + gib_text(booked) + ": it runs out of memory itself"};
      return {booked, ""};
    }
  }
  if (e.high) return {*e.high, ""};
  // Time-slicing and unrequested use divide no memory: nothing stops one user from taking all.
  if (gpus.sharing == "time-slicing" || bypasses) return {per_gpu, ""};
  return {std::nullopt, ""};
}

std::string model_of(const NodeGpus& g) {
  if (g.sharing == "time-slicing") return "time-slicing: VRAM is not divided, every share may use all of it";
  if (g.sharing == "mps") return "MPS: each share is capped at VRAM / " + std::to_string(g.replicas);
  if (g.sharing == "hami") return "HAMi: each pod is capped at its booked nvidia.com/gpumem";
  if (g.sharing == "mig") return "MIG: each slice has its own memory; only whole-GPU users are budgeted";
  return "the node's VRAM against every user's estimate";
}

VramBudget budget_for(NodeShare& n) {
  VramBudget b;
  b.model = model_of(n.gpus);
  const int count = std::max(1, n.gpus.count);
  if (!n.gpus.memory_bytes) {
    b.reasons.push_back("the node does not say its VRAM (nvidia.com/gpu.memory, gpu.intel.com/memory.max or amd.com/gpu.vram label)");
    return b;
  }
  const int64_t per_gpu = *n.gpus.memory_bytes;
  b.vram_bytes = per_gpu * count;
  std::vector<std::string> unknown;
  std::vector<std::string> alone;
  for (const auto& w : n.workloads) {
    if (n.gpus.sharing == "mig" && w.evidence.empty() && !w.requested.count("nvidia.com/gpu")) continue;
    const auto worst = worst_case(w, n.gpus, per_gpu);
    if (!worst.reason.empty()) alone.push_back(worst.reason);
    if (!worst.bytes) {
      unknown.push_back(w.owner.name);
      continue;
    }
    b.worst_bytes += *worst.bytes;
    if (w.vram.resident && w.vram.low) b.resident_bytes += *w.vram.low;
    b.contributors.emplace_back(w.owner.name, *worst.bytes);
  }
  std::stable_sort(b.contributors.begin(), b.contributors.end(), [](const auto& x, const auto& y) { return x.second > y.second; });
  const auto pool = *b.vram_bytes;
  if (b.resident_bytes > pool) {
    b.verdict = "over";
    b.reasons.push_back("memory held while they run (measured or pre-allocated) is " + gib_text(b.resident_bytes) + " of " + gib_text(pool) +
                        ": a workload cannot start or is out of memory now");
  } else if (b.worst_bytes > pool) {
    b.verdict = "at risk";
    b.reasons.push_back("worst case " + gib_text(b.worst_bytes) + " of " + gib_text(pool) + ": CUDA out-of-memory when they peak together");
  } else if (!alone.empty()) {
    b.verdict = "at risk";
  } else {
    b.verdict = unknown.empty() ? "ok" : "unknown";
  }
  for (auto& r : alone) b.reasons.push_back(std::move(r));
  if (!unknown.empty()) {
    std::string names;
    for (const auto& u : unknown) names += (names.empty() ? "" : ", ") + u;
    b.reasons.push_back("no estimate for " + names + " (annotate kubench.io/vram, or --vram-estimates FILE)");
  }
  if (count > 1) b.reasons.push_back("shares may land on any of the " + std::to_string(count) + " GPUs: the budget is the node's");
  return b;
}

}  // namespace

std::string gib_text(int64_t bytes) { return fixed(static_cast<double>(bytes) / (1024.0 * 1024 * 1024), 1) + " GiB"; }

std::string vram_range_text(const VramEstimate& e) {
  if (!e.high) return "?";
  if (*e.low == *e.high) return gib_text(*e.high);
  return fixed(static_cast<double>(*e.low) / (1024.0 * 1024 * 1024), 1) + "-" + gib_text(*e.high);
}

std::optional<VramRange> parse_vram_range(std::string_view text) {
  const auto dash = text.find('-');
  const auto low = bytes_of(text.substr(0, dash));
  const auto high = dash == std::string_view::npos ? low : bytes_of(text.substr(dash + 1));
  if (!low || !high || *high < *low) return std::nullopt;
  return VramRange{*low, *high};
}

std::map<std::string, VramRange> load_vram_estimates(const std::filesystem::path& path) {
  const auto where = "--vram-estimates " + path.string();
  YAML::Node doc;
  try {
    doc = YAML::Load(read_file(path));
  } catch (const YAML::Exception& e) {
    throw UsageError(where + ": not YAML (line " + std::to_string(e.mark.line + 1) + ": " + e.msg + ")");
  } catch (const Error& e) {
    throw UsageError(where + ": " + e.what());
  }
  if (!doc.IsMap()) throw UsageError(where + ": expected a mapping of workload (NAMESPACE/NAME or NAME) to LO-HI, e.g. 'ai/ollama: 2Gi-4Gi'");
  std::map<std::string, VramRange> out;
  for (const auto& entry : doc) {
    const auto key = entry.first.as<std::string>();
    std::optional<VramRange> range;
    if (entry.second.IsScalar()) {
      range = parse_vram_range(entry.second.as<std::string>());
    } else if (entry.second.IsMap() && entry.second["max"]) {
      const auto hi = bytes_of(entry.second["max"].as<std::string>());
      const auto lo = entry.second["min"] ? bytes_of(entry.second["min"].as<std::string>()) : hi;
      if (lo && hi && *lo <= *hi) range = VramRange{*lo, *hi};
    }
    if (!range) throw UsageError(where + ": " + key + ": give LO-HI, one quantity, or {min: LO, max: HI} with units (2Gi-4Gi, 512Mi)");
    out[key] = *range;
  }
  return out;
}

std::optional<double> vllm_memory_fraction(const json& container, std::string* how) {
  std::vector<std::string> words;
  for (const auto* field : {"command", "args"})
    if (container.contains(field) && container[field].is_array())
      for (const auto& a : container[field])
        if (a.is_string())
          for (const auto& w : split(a.get<std::string>(), ' '))
            if (!w.empty()) words.push_back(w);
  const std::string flag = "--gpu-memory-utilization";
  for (size_t i = 0; i < words.size(); ++i) {
    std::string value;
    if (words[i] == flag && i + 1 < words.size()) value = words[i + 1];
    else if (starts_with(words[i], flag + "=")) value = words[i].substr(flag.size() + 1);
    else continue;
    if (auto f = parse_double(value); f && *f > 0 && *f <= 1) {
      *how = "vLLM " + flag + " " + value;
      return f;
    }
  }
  for (const auto& env : container.value("env", json::array())) {
    const auto name = env.value("name", "");
    if (name != "GPU_MEMORY_UTILIZATION" && name != "VLLM_GPU_MEMORY_UTILIZATION") continue;
    const auto value = env.value("value", "");
    if (auto f = parse_double(value); f && *f > 0 && *f <= 1) {
      *how = name + "=" + value;
      return f;
    }
  }
  bool runs_vllm = to_lower(container.value("image", "")).find("vllm") != std::string::npos;
  for (const auto& w : words) runs_vllm = runs_vllm || w == "vllm" || w.find("vllm.entrypoints") != std::string::npos;
  if (runs_vllm) {
    *how = "vLLM's default " + flag + " 0.9";
    return 0.9;
  }
  return std::nullopt;
}

void apply_vram_budget(std::vector<NodeShare>& view, const VramSources& sources, std::vector<std::string>& warnings) {
  for (const auto& note : sources.live_notes) warnings.push_back(note);
  for (auto& n : view) {
    for (auto& w : n.workloads) w.vram = estimate_for(w, n.gpus, sources, warnings);
    n.budget = budget_for(n);
  }
}

}  // namespace kb::share
