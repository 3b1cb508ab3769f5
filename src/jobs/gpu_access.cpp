#include "jobs/gpu_access.h"

#include "core/error.h"

namespace kb::jobs {

std::vector<std::string> resources_for(const std::string& accel) {
  if (accel == "qsv") return {"gpu.intel.com/i915", "gpu.intel.com/xe"};
  if (accel == "vaapi") return {"gpu.intel.com/i915", "gpu.intel.com/xe", "amd.com/gpu"};
  if (accel == "nvenc") return {"nvidia.com/gpu", "nvidia.com/gpu.shared"};
  if (accel == "amf") return {"amd.com/gpu"};
  return {};
}

std::string default_resource(const std::string& accel) {
  auto r = resources_for(accel);
  return r.empty() ? "" : r.front();
}

namespace {

bool advertises(const kube::NodeInventory& node, const std::string& resource) {
  auto it = node.gpu_resources.find(resource);
  return it != node.gpu_resources.end() && it->second != "0";
}

// accel auto: the node's first advertised GPU family; none -> cpu.
std::string accel_for_node(const kube::NodeInventory& node) {
  for (const char* accel : {"qsv", "nvenc", "vaapi"})
    for (auto& r : resources_for(accel))
      if (advertises(node, r)) return accel;
  return "cpu";
}

}  // namespace

AccessChoice choose_access(const AccessRequest& req, const kube::NodeInventory* node) {
  static const char* accels[] = {"auto", "qsv", "vaapi", "nvenc", "amf", "cpu"};
  bool known = false;
  for (auto* a : accels) known |= req.accel == a;
  if (!known) throw UsageError("--accel must be auto, qsv, vaapi, nvenc, amf or cpu, not '" + req.accel + "'");

  AccessChoice c;
  c.accel = req.accel;
  if (c.accel == "auto") {
    if (req.access == GpuAccess::hostpath)
      throw UsageError("--gpu-access hostpath needs an explicit --accel (qsv, vaapi, nvenc or amf)");
    if (!node) throw UsageError("--accel auto needs to see the nodes (it picks by their GPU resources); give --accel");
    c.accel = accel_for_node(*node);
    c.note = "node " + node->name + ": --accel auto chose " + c.accel +
             (c.accel == "cpu" ? " (the node advertises no GPU resource)" : "");
  }
  if (c.accel == "cpu") {
    c.access = GpuAccess::none;
    return c;
  }
  if (req.access == GpuAccess::none) {
    c.access = GpuAccess::none;
    c.note = "--gpu-access none: the pod gets no GPU, so " + c.accel + " will only work if the runtime exposes one anyway";
    return c;
  }
  if (req.access == GpuAccess::hostpath) {
    c.access = GpuAccess::hostpath;
    c.note = "--gpu-access hostpath: privileged pod with the host's /dev/dri (every GPU on the node, no device-plugin accounting)";
    return c;
  }
  c.access = GpuAccess::resource;
  if (!req.resource.empty()) {
    c.resource = req.resource;
  } else if (!node) {
    c.resource = default_resource(c.accel);
  } else {
    for (auto& r : resources_for(c.accel))
      if (advertises(*node, r)) {
        c.resource = r;
        break;
      }
  }
  if (node && (c.resource.empty() || !advertises(*node, c.resource))) {
    std::string wanted = req.resource.empty() ? "" : req.resource;
    if (wanted.empty())
      for (auto& r : resources_for(c.accel)) wanted += (wanted.empty() ? "" : " or ") + r;
    throw UsageError("node " + node->name + " advertises no " + wanted + " for --accel " + c.accel +
                     ": install the GPU's device plugin, or use --gpu-access hostpath (privileged), or --accel cpu");
  }
  return c;
}

}  // namespace kb::jobs
