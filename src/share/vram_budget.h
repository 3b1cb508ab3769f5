// The VRAM budget of shared GPUs: each workload's estimate from the first source that knows —
// live usage (DCGM exporter through Prometheus), the kubench.io/vram annotation, the workload's own
// settings (vLLM's --gpu-memory-utilization × the GPU's VRAM), the user's estimates file — and per
// node the sum of worst cases against physical VRAM, as the sharing mode behaves: time-slicing
// divides no memory (every share may use all of it), MPS caps each share at VRAM / replicas, HAMi
// caps each pod at its booked nvidia.com/gpumem. Pure: the view and the sources in.
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "share/share_view.h"

namespace kb::share {

using VramRange = std::pair<int64_t, int64_t>;  // bytes, low ≤ high

struct VramSources {
  std::map<std::string, int64_t> live_by_pod;  // "namespace/pod" → bytes in use now
  std::vector<std::string> live_notes;         // why live usage is missing or partial (unreachable Prometheus, …)
  std::map<std::string, VramRange> estimates;  // "namespace/name" or "name" → range (the estimates file)
  std::string estimates_path;
};

// "8Gi" or "6Gi-8Gi" → bytes; nullopt for anything else (a range that ends below its start too).
std::optional<VramRange> parse_vram_range(std::string_view text);

// The estimates file: YAML mapping workload ("ns/name" or "name") to "LO-HI", one quantity, or
// {min: LO, max: HI}. UsageError naming the file and the entry for anything else.
std::map<std::string, VramRange> load_vram_estimates(const std::filesystem::path& path);

// The fraction of the GPU's VRAM a vLLM container pre-allocates: --gpu-memory-utilization in its
// command or args, else GPU_MEMORY_UTILIZATION / VLLM_GPU_MEMORY_UTILIZATION in its env, else
// vLLM's default 0.9 when the container runs vLLM; nullopt otherwise. `how` says which.
std::optional<double> vllm_memory_fraction(const nlohmann::json& container, std::string* how);

// Fills each workload's estimate and each node's budget; notes from the sources go to `warnings`.
void apply_vram_budget(std::vector<NodeShare>& view, const VramSources& sources, std::vector<std::string>& warnings);

// "8.0 GiB", "6.0-8.0 GiB", "?".
std::string vram_range_text(const VramEstimate& e);
std::string gib_text(int64_t bytes);

}  // namespace kb::share
