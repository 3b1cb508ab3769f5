// What each node offers for GPU work: allocatable extended resources of the NVIDIA, Intel and AMD
// device plugins, and the labels of NVIDIA GPU feature discovery, Intel NFD/GPU plugin and the
// AMD labeller.
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace kb::kube {

struct NodeInventory {
  std::string name;
  bool ready = false;
  std::string roles;  // "control-plane", "worker"...
  std::string kubelet_version;
  std::string architecture;  // kubernetes.io/arch (the kubelet's GOARCH: amd64, arm64...), "" when unknown
  std::string cpu;     // allocatable
  std::string memory;  // allocatable
  std::map<std::string, std::string> gpu_resources;  // "nvidia.com/gpu" -> "4"
  std::map<std::string, std::string> gpu_labels;     // "nvidia.com/gpu.product" -> "NVIDIA-H100..."
  bool unschedulable = false;
  std::map<std::string, std::string> labels;  // all of them (for --selector matching)
  // "Intel UHD 770" / "NVIDIA-H100-80GB-HBM3" from the GPU labels, "" when none says.
  std::string gpu_product() const;
};

bool is_gpu_resource(const std::string& name);
bool is_gpu_label(const std::string& name);
NodeInventory node_inventory(const nlohmann::json& node);
// kubernetes.io/arch (the kubelet sets it), else status.nodeInfo.architecture; "" when neither says.
std::string node_architecture(const nlohmann::json& node);
nlohmann::json to_json(const NodeInventory& n);

}  // namespace kb::kube
