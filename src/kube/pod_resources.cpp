#include "kube/pod_resources.h"

#include <algorithm>
#include <map>

#include "core/json_field.h"

namespace kb::kube {

using nlohmann::json;

namespace {

void add(ResourceList& into, const ResourceList& more) {
  for (const auto& [name, milli] : more) into[name] += milli;
}

void keep_max(ResourceList& into, const ResourceList& other) {
  for (const auto& [name, milli] : other) into[name] = std::max(into[name], milli);
}

}  // namespace

ResourceList resource_quantities(const json& map) {
  ResourceList out;
  if (!map.is_object()) return out;
  for (const auto& [name, value] : map.items())
    out[name] = parse_quantity_milli(value.is_string() ? value.get<std::string>() : value.dump());
  return out;
}

ResourceList container_requests(const json& container) {
  const auto& resources = field(container, "resources");
  auto out = resource_quantities(field(resources, "requests"));
  for (const auto& [name, milli] : resource_quantities(field(resources, "limits")))
    out.emplace(name, milli);  // only where no request is given
  return out;
}

ResourceList pod_requests(const json& spec) {
  ResourceList running, sidecars, init_peak;
  for (const auto& c : field(spec, "containers")) add(running, container_requests(c));
  for (const auto& c : field(spec, "initContainers")) {
    const auto req = container_requests(c);
    if (string_field(c, "restartPolicy") == "Always") {
      add(sidecars, req);  // a sidecar keeps running beside every later container
      keep_max(init_peak, sidecars);
    } else {
      auto during = sidecars;
      add(during, req);
      keep_max(init_peak, during);
    }
  }
  add(running, sidecars);
  keep_max(running, init_peak);
  add(running, resource_quantities(field(spec, "overhead")));
  running["pods"] = 1000;
  return running;
}

bool holds_node_resources(const json& pod) {
  const auto& phase = string_field(field(pod, "status"), "phase");
  return phase != "Succeeded" && phase != "Failed" && !string_field(field(pod, "spec"), "nodeName").empty();
}

std::vector<NodeCapacity> node_capacity(const std::vector<json>& nodes, const std::vector<json>& pods) {
  std::vector<NodeCapacity> out;
  std::map<std::string, size_t> at;
  for (const auto& n : nodes) {
    NodeCapacity c;
    c.name = string_field(field(n, "metadata"), "name");
    const auto& status = field(n, "status");
    c.capacity = resource_quantities(field(status, "capacity"));
    c.allocatable = resource_quantities(field(status, "allocatable"));
    at[c.name] = out.size();
    out.push_back(std::move(c));
  }
  for (const auto& p : pods) {
    if (!holds_node_resources(p)) continue;
    const auto& spec = field(p, "spec");
    auto it = at.find(string_field(spec, "nodeName"));
    if (it == at.end()) continue;
    add(out[it->second].requested, pod_requests(spec));
  }
  return out;
}

}  // namespace kb::kube
