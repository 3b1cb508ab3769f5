// probe_sensors(): what `kubench probe` lists under "Power sensors". Nothing is sampled here.
#include "core/process.h"
#include "power/hwmon.h"
#include "power/power_monitor.h"
#include "power/rapl.h"
#include "power/sysfs_attribute.h"

namespace kb::power {
namespace {

SensorStatus program_status(const std::string& name, const std::string& program, const std::string& needs) {
  if (auto path = kb::find_executable(program))
    return {name, true, path->string() + " found on PATH (not started by the probe; " + needs + ")"};
  return {name, false, program + " not found on PATH"};
}

}  // namespace

std::vector<SensorStatus> probe_sensors(const PowerEnvironment& env) {
  std::vector<SensorStatus> out;

  auto zones = find_rapl_packages(env.sysfs_root);
  for (const auto& zone : zones) {
    std::string why;
    auto path = zone.dir / "energy_uj";
    bool ok = read_sysfs_u64(path, &why).has_value();
    if (why.find("Permission denied") != std::string::npos) why += " (energy_uj is root-only since CVE-2020-8694)";
    out.push_back({"rapl:" + zone.name, ok, ok ? path.string() : why});
  }
  if (zones.empty())
    out.push_back({"rapl", false, "no intel-rapl:N zone under " + (env.sysfs_root / "class" / "powercap").string()});

  out.push_back(program_status("intel_gpu_top", env.intel_gpu_top, "sampling needs root or CAP_PERFMON"));
  out.push_back(program_status("nvidia-smi", env.nvidia_smi, "needs the NVIDIA driver"));

  auto hwmons = list_hwmon_power(env.sysfs_root);
  for (const auto& [card, file] : hwmons) {
    std::string why;
    bool ok = read_sysfs_u64(file.path, &why).has_value();
    out.push_back({"hwmon:" + (file.chip.empty() ? card : file.chip), ok, ok ? file.path.string() : why});
  }
  if (hwmons.empty())
    out.push_back({"hwmon", false, "no DRM card with a hwmon power sensor under " + (env.sysfs_root / "class" / "drm").string()});
  return out;
}

}  // namespace kb::power
