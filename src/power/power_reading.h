// What one encode's power measurement reports. Produced by a PowerMonitor (power_monitor.h).
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace kb::power {

// Readings below this many watts are what the QuickSync seed rejects; we keep them and flag them.
inline constexpr double kLowPowerWatts = 3.0;

struct PowerReading {
  // The primary figure for the device doing the work: the iGPU's RAPL "gpu" domain via
  // intel_gpu_top, board power for NVIDIA/AMD, package power for CPU encodes.
  std::optional<double> avg_watts;
  std::string domain;  // "gpu" | "package" | "board" | "" when nothing was readable
  std::string source;  // "intel_gpu_top" | "rapl" | "nvidia-smi" | "hwmon" | ""
  std::optional<double> energy_joules;    // integrated over the encode
  std::optional<double> package_watts;    // CPU package (RAPL or intel_gpu_top Package), when readable
  std::optional<double> video_busy_pct;   // Intel Video engine busy / NVIDIA encoder utilisation
  std::optional<double> decoder_busy_pct; // NVIDIA decoder utilisation
  size_t samples = 0;
  double duration_seconds = 0;
  std::vector<std::string> flags;  // "below_3w": avg_watts < kLowPowerWatts (kept, not rejected)
  std::string null_reason;         // why avg_watts is null

  bool low_power() const;
};

nlohmann::json to_json(const PowerReading& r);
PowerReading power_reading_from_json(const nlohmann::json& j);

}  // namespace kb::power
