// RAPL package energy through powercap: <sysfs>/class/powercap/intel-rapl:N/energy_uj.
#pragma once
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "power/power_sensor.h"

namespace kb::power {

struct RaplZone {
  std::string name;            // "package-0" (from the zone's name file, else the directory name)
  std::filesystem::path dir;   // <sysfs>/class/powercap/intel-rapl:0
};

// The package zones intel-rapl:0, intel-rapl:1, ... in order; not their subzones
// (intel-rapl:0:0 core, :1 uncore, ...) which are already inside the package, nor intel-rapl-mmio.
std::vector<RaplZone> find_rapl_packages(const std::filesystem::path& sysfs_root);

// Sums every package's energy_uj growth (wrap-corrected with max_energy_range_uj). Domain "package".
std::unique_ptr<PowerSensor> make_rapl_sensor(const std::filesystem::path& sysfs_root, std::chrono::milliseconds period);

}  // namespace kb::power
