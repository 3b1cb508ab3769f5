// One power sensor sampled between start() and stop(); make_power_monitor combines them.
#pragma once
#include <cstddef>
#include <optional>
#include <string>

namespace kb::power {

// What one sensor saw. `error` says why `watts` is missing, prefixed with the sensor's name
// ("rapl: /sys/class/powercap/intel-rapl:0/energy_uj: Permission denied").
struct SensorReading {
  std::string source;                    // "rapl" | "intel_gpu_top" | "nvidia-smi" | "hwmon"
  std::string domain;                    // what `watts` covers: "package" | "gpu" | "board"
  std::optional<double> watts;           // mean over the run
  std::optional<double> energy_joules;   // only when read from an energy counter
  std::optional<double> package_watts;   // second figure carried by intel_gpu_top ("Package")
  std::optional<double> video_busy_pct;
  std::optional<double> decoder_busy_pct;
  std::size_t samples = 0;               // samples that carried `watts`
  double duration_seconds = 0;           // from start() to stop()
  std::string error;
};

class PowerSensor {
 public:
  virtual ~PowerSensor() = default;
  // Never throws because the sensor is missing or unreadable: stop() then reports the reason.
  // A sensor can be started again after stop().
  virtual void start() = 0;
  virtual SensorReading stop() = 0;
};

}  // namespace kb::power
