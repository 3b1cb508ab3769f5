#include "route/capability_cache.h"

#include <algorithm>

#include "core/error.h"
#include "kube/credentials.h"

namespace kb::route {

using nlohmann::json;

json capabilities_configmap(const CapabilityMatrix& matrix, const std::string& ns) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata",
           {{"name", kCapabilitiesConfigMap},
            {"namespace", ns},
            {"labels", {{"app.kubernetes.io/name", "kubench"}, {"app.kubernetes.io/component", "capabilities"}}},
            {"annotations", {{"kubench.io/generated-at", matrix.generated_at}}}}},
          {"data", {{"matrix.json", to_json(matrix).dump(2)}}}};
}

CapabilityMatrix read_cached_matrix(kube::Client& client, const std::string& ns) {
  auto cm = client.get_if_exists(kube::resources::config_maps, ns, kCapabilitiesConfigMap);
  if (!cm) return {};
  const std::string origin = "ConfigMap " + ns + "/" + kCapabilitiesConfigMap;
  const auto data = cm->value("data", json::object());
  if (!data.contains("matrix.json")) throw ParseError(origin + ": no matrix.json in its data");
  try {
    return matrix_from_json(json::parse(data["matrix.json"].get<std::string>()), origin);
  } catch (const json::exception& e) {
    throw ParseError(origin + ": " + e.what());
  }
}

void write_cached_matrix(kube::Client& client, const std::string& ns, const CapabilityMatrix& matrix) {
  client.apply(kube::resources::config_maps, ns, capabilities_configmap(matrix, ns));
}

std::vector<std::string> nodes_to_probe(const CapabilityMatrix& cached, const std::vector<std::string>& nodes, std::time_t now,
                                        std::chrono::seconds max_age, bool refresh) {
  std::vector<std::string> out;
  for (auto& name : nodes) {
    auto it = std::find_if(cached.nodes.begin(), cached.nodes.end(), [&](const NodeCapabilities& n) { return n.node == name; });
    bool fresh = false;
    if (!refresh && it != cached.nodes.end() && it->error.empty()) {
      auto at = kube::parse_rfc3339(it->probed_at);
      fresh = at && std::chrono::system_clock::from_time_t(now) - *at <= max_age;
    }
    if (!fresh) out.push_back(name);
  }
  return out;
}

json label_patch(const NodeCapabilities& node, const std::map<std::string, std::string>& current_labels) {
  json labels = json::object();
  for (auto& [key, value] : current_labels)
    if (key.rfind(kEncoderLabelPrefix, 0) == 0) labels[key] = nullptr;
  for (auto& e : node.encoders)
    if (e.works && e.stitchable) labels[std::string(kEncoderLabelPrefix) + e.encoder] = "true";
  // 2026-12-07T04:39:13Z -> 20261207T043913Z: a label value has no colons.
  std::string stamp;
  for (char c : node.probed_at)
    if (c != '-' && c != ':') stamp += c;
  labels[kProbedLabel] = stamp;
  return {{"metadata", {{"labels", labels}}}};
}

}  // namespace kb::route
