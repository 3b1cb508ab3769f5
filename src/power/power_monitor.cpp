#include "power/power_monitor.h"

#include "power/combined_monitor.h"
#include "power/hwmon.h"
#include "power/intel_gpu_top_sensor.h"
#include "power/nvidia_smi_sensor.h"
#include "power/rapl.h"
#include "power/sensor_plan.h"

namespace kb::power {

std::unique_ptr<PowerMonitor> make_power_monitor(const PowerTarget& target, const PowerEnvironment& env) {
  const std::chrono::milliseconds period(env.period_ms > 0 ? env.period_ms : 100);
  SensorPlan plan = plan_sensors(target, env);
  std::unique_ptr<PowerSensor> primary, package;
  if (plan.primary == "rapl") primary = make_rapl_sensor(env.sysfs_root, period);
  else if (plan.primary == "intel_gpu_top") primary = make_intel_gpu_top_sensor(env.intel_gpu_top, plan.device, period);
  else if (plan.primary == "nvidia-smi") primary = make_nvidia_smi_sensor(env.nvidia_smi, plan.device, period);
  else if (plan.primary == "hwmon") primary = make_hwmon_sensor(env.sysfs_root, plan.drm_node, period);
  if (plan.rapl_package) package = make_rapl_sensor(env.sysfs_root, period);
  return std::make_unique<CombinedMonitor>(std::move(primary), std::move(package), plan.reason);
}

}  // namespace kb::power
