// What a node says about its GPUs — vendor, product, VRAM, physical count, how they are shared
// and which resources carry the shares — from its labels (NVIDIA GPU feature discovery, Intel's
// GPU plugin and NFD, AMD's labeller), HAMi's node annotation and its capacity. Pure: a listed
// Node in, facts out; labels that contradict each other become warnings, never a silent pick.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kb::share {

// nvidia.com/…, gpu.intel.com/…, amd.com/… (the device plugins' resources).
bool is_gpu_resource(std::string_view resource);

struct NodeGpus {
  std::string node;
  std::string vendor;                    // nvidia | intel | amd; "" when the node shows no GPU
  std::string product;                   // "NVIDIA-GeForce-RTX-3080-Ti" (GFD's "-SHARED" suffix removed)
  int count = 0;                         // physical GPUs; 0 when nothing says
  std::optional<int64_t> memory_bytes;   // VRAM per GPU
  std::string sharing = "none";          // none | time-slicing | mps | mig | hami | shared-dev
  int replicas = 1;                      // shares per physical GPU
  std::string share_resource;            // the resource workloads request a share with ("nvidia.com/gpu.shared")
  std::vector<std::string> resources;    // every GPU resource in the node's capacity
  std::vector<std::string> warnings;
  bool has_gpus() const { return !vendor.empty(); }
};

NodeGpus read_node_gpus(const nlohmann::json& node);

// "12Gi", "16G", "15360" MiB label values → bytes (nullopt when unreadable).
std::optional<int64_t> parse_memory_label(std::string_view value, int64_t unit_when_bare);

}  // namespace kb::share
