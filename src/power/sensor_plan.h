// Which sensors measure which encode (the table in docs/power.md).
#pragma once
#include <string>

#include "power/power_monitor.h"

namespace kb::power {

struct SensorPlan {
  std::string primary;         // "intel_gpu_top" | "hwmon" | "nvidia-smi" | "rapl" | "" (none fits)
  std::string device;          // for intel_gpu_top: /dev/dri/...; for nvidia-smi: as given
  std::string drm_node;        // for hwmon: "renderD128"
  bool rapl_package = false;   // also read RAPL package energy for package_watts
  std::string reason;          // why there is no primary sensor
};

// cpu -> RAPL package. nvenc -> nvidia-smi board power. qsv/vaapi on i915 -> intel_gpu_top GPU
// domain, except a discrete i915 card with hwmon (Arc) -> hwmon board power. xe, amdgpu and amf ->
// hwmon board power. An unknown driver is read from sysfs; if still unknown, a node with hwmon
// uses it, otherwise intel_gpu_top (integrated Intel GPUs have no hwmon).
SensorPlan plan_sensors(const PowerTarget& target, const PowerEnvironment& env);

}  // namespace kb::power
