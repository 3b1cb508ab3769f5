// Which accelerator a node's benchmark uses and how the pod reaches its GPU, from what the node
// advertises (the device plugins' extended resources). Pure: tests feed it NodeInventory values.
#pragma once
#include <optional>
#include <string>

#include "jobs/benchmark_spec.h"
#include "kube/node_inventory.h"

namespace kb::jobs {

struct AccessRequest {
  std::string accel = "auto";                // auto | qsv | vaapi | nvenc | amf | cpu
  std::optional<GpuAccess> access;           // nullopt: resource where advertised
  std::string resource;                      // --gpu-resource ("" = by accel and node)
};

struct AccessChoice {
  std::string accel;
  GpuAccess access = GpuAccess::none;
  std::string resource;  // for GpuAccess::resource
  std::string note;      // what was decided and why, for the user
};

// The device-plugin resources that can serve an accelerator, in order of preference.
std::vector<std::string> resources_for(const std::string& accel);
// The resource to request with no node to ask (render): the first of resources_for().
std::string default_resource(const std::string& accel);

// `node` = nullptr when nothing is known about the target node (render, or no right to list
// nodes). Throws UsageError when the request cannot work on that node, saying what would.
AccessChoice choose_access(const AccessRequest& request, const kube::NodeInventory* node);

}  // namespace kb::jobs
