#include "power/sensor_plan.h"

#include <algorithm>
#include <cctype>

#include "core/text.h"
#include "power/drm_device.h"
#include "power/hwmon.h"

namespace kb::power {

SensorPlan plan_sensors(const PowerTarget& target, const PowerEnvironment& env) {
  SensorPlan plan;
  const std::string backend = to_lower(target.backend);
  std::string driver = to_lower(target.driver);

  if (backend == "cpu") {
    plan.primary = "rapl";
    return plan;
  }
  plan.rapl_package = true;
  if (backend == "nvenc" || driver == "nvidia") {
    plan.primary = "nvidia-smi";
    plan.device = target.device;
    return plan;
  }
  if (backend != "qsv" && backend != "vaapi" && backend != "amf") {
    plan.reason = "no power sensor is known for backend '" + target.backend + "'";
    return plan;
  }

  plan.drm_node = drm_node_name(target.device);
  if (driver.empty()) driver = drm_driver(env.sysfs_root, plan.drm_node);
  const bool has_hwmon = find_hwmon_power(env.sysfs_root, plan.drm_node).has_value();
  const bool intel_gpu_top = backend != "amf" && (driver == "i915" || (driver.empty() && !has_hwmon));
  // intel_gpu_top's power is the CPU's RAPL gpu domain: right for an iGPU, wrong for a discrete
  // card, whose own sensor is hwmon.
  if (intel_gpu_top && !has_hwmon) {
    plan.primary = "intel_gpu_top";
    if (!target.device.empty())
      plan.device = target.device.find('/') == std::string::npos ? "/dev/dri/" + target.device : target.device;
  } else {
    plan.primary = "hwmon";
  }
  return plan;
}

}  // namespace kb::power
