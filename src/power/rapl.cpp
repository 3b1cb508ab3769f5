#include "power/rapl.h"

#include <algorithm>
#include <cctype>

#include "power/energy_counter_sensor.h"
#include "power/sysfs_attribute.h"

namespace kb::power {
namespace {

// Index N of "intel-rapl:N"; -1 for anything else (subzones, intel-rapl-mmio:N, ...).
long package_index(const std::string& dir_name) {
  const std::string prefix = "intel-rapl:";
  if (dir_name.rfind(prefix, 0) != 0 || dir_name.size() == prefix.size()) return -1;
  std::string digits = dir_name.substr(prefix.size());
  if (digits.size() > 6) return -1;  // no machine has a million packages; keeps stol in range
  if (!std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); })) return -1;
  return std::stol(digits);
}

}  // namespace

std::vector<RaplZone> find_rapl_packages(const std::filesystem::path& sysfs_root) {
  std::vector<std::pair<long, RaplZone>> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(sysfs_root / "class" / "powercap", ec)) {
    std::string dir_name = entry.path().filename().string();
    long index = package_index(dir_name);
    if (index < 0) continue;
    auto name = read_sysfs_text(entry.path() / "name");
    found.push_back({index, {name && !name->empty() ? *name : dir_name, entry.path()}});
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<RaplZone> zones;
  for (auto& [index, zone] : found) zones.push_back(std::move(zone));
  return zones;
}

std::unique_ptr<PowerSensor> make_rapl_sensor(const std::filesystem::path& sysfs_root, std::chrono::milliseconds period) {
  auto locate = [sysfs_root](std::string* error) {
    std::vector<EnergyCounter> counters;
    for (const auto& zone : find_rapl_packages(sysfs_root)) {
      // max_energy_range_uj is world-readable even where energy_uj is root-only; without it a
      // wrap cannot be told from a reset, so such a drop is not counted.
      counters.push_back({zone.dir / "energy_uj", read_sysfs_u64(zone.dir / "max_energy_range_uj")});
    }
    if (counters.empty())
      *error = "no intel-rapl:N zone under " + (sysfs_root / "class" / "powercap").string();
    return counters;
  };
  return std::make_unique<EnergyCounterSensor>("rapl", "package", locate, period);
}

}  // namespace kb::power
