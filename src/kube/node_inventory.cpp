#include "kube/node_inventory.h"

#include "core/text.h"

namespace kb::kube {

bool is_gpu_resource(const std::string& name) {
  return starts_with(name, "nvidia.com/") || starts_with(name, "gpu.intel.com/") || starts_with(name, "amd.com/");
}

bool is_gpu_label(const std::string& name) {
  static const char* prefixes[] = {"nvidia.com/",                              // GPU feature discovery
                                   "gpu.intel.com/",                           // Intel GPU plugin
                                   "intel.feature.node.kubernetes.io/gpu",     // Intel NFD rules
                                   "feature.node.kubernetes.io/pci-0300_8086", // NFD: Intel display class
                                   "feature.node.kubernetes.io/pci-0380_8086",
                                   "feature.node.kubernetes.io/pci-0300_10de", // NFD: NVIDIA
                                   "feature.node.kubernetes.io/pci-0302_10de",
                                   "feature.node.kubernetes.io/pci-0300_1002", // NFD: AMD
                                   "amd.com/",                                 // AMD labeller
                                   "beta.amd.com/"};
  for (auto* p : prefixes)
    if (starts_with(name, p)) return true;
  return false;
}

NodeInventory node_inventory(const nlohmann::json& node) {
  NodeInventory n;
  auto meta = node.value("metadata", nlohmann::json::object());
  auto spec = node.value("spec", nlohmann::json::object());
  auto status = node.value("status", nlohmann::json::object());
  n.name = meta.value("name", "");
  n.unschedulable = spec.value("unschedulable", false);
  for (auto& c : status.value("conditions", nlohmann::json::array()))
    if (c.value("type", "") == "Ready") n.ready = c.value("status", "") == "True";
  const auto labels = meta.value("labels", nlohmann::json::object());
  for (auto& [key, value] : labels.items()) {
    const std::string role_prefix = "node-role.kubernetes.io/";
    if (starts_with(key, role_prefix)) n.roles += (n.roles.empty() ? "" : ",") + key.substr(role_prefix.size());
    std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    if (is_gpu_label(key)) n.gpu_labels[key] = text;
    n.labels[key] = text;
  }
  const auto info = status.value("nodeInfo", nlohmann::json::object());
  n.kubelet_version = info.value("kubeletVersion", "");
  n.architecture = node_architecture(node);
  const auto allocatable = status.value("allocatable", nlohmann::json::object());
  n.cpu = allocatable.value("cpu", "");
  n.memory = allocatable.value("memory", "");
  for (auto& [key, value] : allocatable.items())
    if (is_gpu_resource(key)) n.gpu_resources[key] = value.is_string() ? value.get<std::string>() : value.dump();
  return n;
}

std::string node_architecture(const nlohmann::json& node) {
  // The kubelet sets the label; nodeInfo says the same where a label was edited away.
  const nlohmann::json::json_pointer label("/metadata/labels/kubernetes.io~1arch"), info("/status/nodeInfo/architecture");
  if (node.contains(label) && node[label].is_string()) return node[label].get<std::string>();
  if (node.contains(info) && node[info].is_string()) return node[info].get<std::string>();
  return "";
}

nlohmann::json to_json(const NodeInventory& n) {
  return {{"name", n.name}, {"ready", n.ready}, {"unschedulable", n.unschedulable}, {"roles", n.roles},
          {"kubelet_version", n.kubelet_version}, {"architecture", n.architecture}, {"cpu", n.cpu}, {"memory", n.memory},
          {"gpu_resources", n.gpu_resources}, {"gpu_labels", n.gpu_labels}};
}

}  // namespace kb::kube

namespace kb::kube {

std::string NodeInventory::gpu_product() const {
  // NVIDIA GFD, then the AMD labeller's device id, then Intel's plugin (it labels the GPU's family).
  for (const char* key : {"nvidia.com/gpu.product", "amd.com/gpu.product-name", "amd.com/gpu.device-id",
                          "gpu.intel.com/product", "gpu.intel.com/device-id.0300-"}) {
    for (auto& [k, v] : gpu_labels)
      if (starts_with(k, key)) return v.empty() || v == "true" ? k.substr(k.rfind('/') + 1) : v;
  }
  return "";
}

}  // namespace kb::kube
