// What pods ask of nodes, counted as the scheduler counts it: shared by sweep admission (jobs/)
// and the GPU share view (share/). Pure functions over listed Pod and Node objects.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/quantity.h"

namespace kb::kube {

// A resources map ({"cpu": "500m", "nvidia.com/gpu": 1}) in millis; unparsable values are errors.
ResourceList resource_quantities(const nlohmann::json& map);

// A container's requests; a resource with a limit but no request requests its limit, as the API
// server defaults it.
ResourceList container_requests(const nlohmann::json& container);

// What a pod spec asks of a node, by the scheduler's rule: the larger of the init phase (each
// ordinary init container on top of the sidecars started before it) and the running phase (the
// app containers plus every sidecar, i.e. init containers with restartPolicy Always), plus the
// pod overhead; and one "pods".
ResourceList pod_requests(const nlohmann::json& pod_spec);

// Whether a pod still holds its node's resources: bound, and neither Succeeded nor Failed.
bool holds_node_resources(const nlohmann::json& pod);

struct NodeCapacity {
  std::string name;
  ResourceList allocatable;
  ResourceList requested;  // by every non-terminated pod bound to the node
  ResourceList capacity;
};

// Capacity, allocatable and requested per node from listed Nodes and Pods (pods of other nodes,
// unbound and terminated pods are skipped).
std::vector<NodeCapacity> node_capacity(const std::vector<nlohmann::json>& nodes, const std::vector<nlohmann::json>& pods);

}  // namespace kb::kube
