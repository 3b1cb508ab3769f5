// GPU board power from hwmon: <sysfs>/class/drm/<node>/device/hwmon/hwmonN/ (amdgpu, i915/xe dGPU).
#pragma once
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "power/power_sensor.h"

namespace kb::power {

struct HwmonPowerFile {
  std::filesystem::path path;  // .../hwmonN/energy1_input | power1_average | power1_input
  bool is_energy_counter = false;  // energy1_input (µJ) rather than a power gauge (µW)
  std::string chip;            // the hwmon name file: "amdgpu", "i915", "xe"
};

// The best power file for a DRM node: energy1_input (exact energy), then power1_average, then
// power1_input. Returns nullopt and sets `error` when the node has none.
std::optional<HwmonPowerFile> find_hwmon_power(const std::filesystem::path& sysfs_root, const std::string& node,
                                               std::string* error = nullptr);

// Every DRM card (card0, card1, ...) that has a hwmon power file, for `kubench probe`.
std::vector<std::pair<std::string, HwmonPowerFile>> list_hwmon_power(const std::filesystem::path& sysfs_root);

// Domain "board", source "hwmon".
std::unique_ptr<PowerSensor> make_hwmon_sensor(const std::filesystem::path& sysfs_root, const std::string& node,
                                               std::chrono::milliseconds period);

}  // namespace kb::power
