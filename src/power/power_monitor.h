// Power sampling around one piece of work: start() just before the encode, stop() right after.
#pragma once
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "power/power_reading.h"

namespace kb::power {

// What is being measured: the backend doing the encode and its device.
struct PowerTarget {
  std::string backend;  // qsv | vaapi | nvenc | amf | cpu
  std::string device;   // "/dev/dri/renderD128", an NVIDIA index ("0"), or "" for the default
  std::string driver;   // i915 | xe | amdgpu | nvidia | "" (from probe)
};

// Where sensors are read from; tests point these at fixtures.
struct PowerEnvironment {
  std::filesystem::path sysfs_root = "/sys";  // powercap and hwmon live below it
  std::string intel_gpu_top = "intel_gpu_top";  // program names or paths
  std::string nvidia_smi = "nvidia-smi";
  int period_ms = 100;
};

class PowerMonitor {
 public:
  virtual ~PowerMonitor() = default;
  virtual void start() = 0;
  virtual PowerReading stop() = 0;
};

// Picks the best sensors for the target (see docs/power.md) and combines them: e.g. for QSV,
// intel_gpu_top's GPU watts as the primary figure plus RAPL package energy. Never throws for a
// missing sensor: the reading then carries null watts and the reason.
std::unique_ptr<PowerMonitor> make_power_monitor(const PowerTarget& target, const PowerEnvironment& env = {});

// For `kubench probe`: each sensor, whether it can be read here, and why not.
struct SensorStatus {
  std::string name;    // "rapl:package-0", "intel_gpu_top", "nvidia-smi", "hwmon:amdgpu"
  bool readable = false;
  std::string detail;  // path/device, or the reason it is not readable
};
std::vector<SensorStatus> probe_sensors(const PowerEnvironment& env = {});

}  // namespace kb::power
