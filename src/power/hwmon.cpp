#include "power/hwmon.h"

#include <algorithm>

#include "power/energy_counter_sensor.h"
#include "power/power_gauge_sensor.h"
#include "power/sysfs_attribute.h"

namespace kb::power {
namespace {

std::vector<std::filesystem::path> sorted_entries(const std::filesystem::path& dir, const std::string& prefix) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().filename().string().rfind(prefix, 0) == 0) out.push_back(e.path());
  // hwmon10 after hwmon9: compare by length first, then text.
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    auto x = a.filename().string(), y = b.filename().string();
    return x.size() != y.size() ? x.size() < y.size() : x < y;
  });
  return out;
}

}  // namespace

std::optional<HwmonPowerFile> find_hwmon_power(const std::filesystem::path& sysfs_root, const std::string& node,
                                               std::string* error) {
  auto hwmon_dir = sysfs_root / "class" / "drm" / node / "device" / "hwmon";
  std::error_code ec;
  if (!std::filesystem::is_directory(hwmon_dir, ec)) {
    if (error) *error = "no hwmon sensor for " + node + " (" + hwmon_dir.string() + " does not exist)";
    return std::nullopt;
  }
  for (const auto& dir : sorted_entries(hwmon_dir, "hwmon")) {
    auto chip = read_sysfs_text(dir / "name").value_or("");
    for (const char* file : {"energy1_input", "power1_average", "power1_input"}) {
      if (std::filesystem::exists(dir / file, ec))
        return HwmonPowerFile{dir / file, std::string(file) == "energy1_input", chip};
    }
  }
  if (error) *error = "no energy1_input, power1_average or power1_input under " + hwmon_dir.string();
  return std::nullopt;
}

std::vector<std::pair<std::string, HwmonPowerFile>> list_hwmon_power(const std::filesystem::path& sysfs_root) {
  std::vector<std::pair<std::string, HwmonPowerFile>> out;
  for (const auto& card : sorted_entries(sysfs_root / "class" / "drm", "card")) {
    std::string node = card.filename().string();
    // card0-DP-1 and the like are connectors, not devices.
    if (node.find('-') != std::string::npos) continue;
    if (auto file = find_hwmon_power(sysfs_root, node)) out.emplace_back(node, *file);
  }
  return out;
}

namespace {

// Picks counter or gauge each time it starts, since which file exists is only known then.
class HwmonSensor : public PowerSensor {
 public:
  HwmonSensor(std::filesystem::path sysfs_root, std::string node, std::chrono::milliseconds period)
      : sysfs_root_(std::move(sysfs_root)), node_(std::move(node)), period_(period) {}

  void start() override {
    std::string why;
    auto file = find_hwmon_power(sysfs_root_, node_, &why);
    if (!file) {
      // Let a gauge with no file report the reason, so stop() behaves the same either way.
      inner_ = std::make_unique<PowerGaugeSensor>(
          "hwmon", "board", [why](std::string* error) -> std::optional<std::filesystem::path> {
            *error = why;
            return std::nullopt;
          },
          period_);
    } else if (file->is_energy_counter) {
      auto path = file->path;
      inner_ = std::make_unique<EnergyCounterSensor>(
          "hwmon", "board", [path](std::string*) { return std::vector<EnergyCounter>{{path, std::nullopt}}; },
          period_);
    } else {
      auto path = file->path;
      inner_ = std::make_unique<PowerGaugeSensor>(
          "hwmon", "board", [path](std::string*) { return std::optional(path); }, period_);
    }
    inner_->start();
  }

  SensorReading stop() override {
    if (!inner_) {
      SensorReading r;
      r.source = "hwmon";
      r.domain = "board";
      r.error = "hwmon: not started";
      return r;
    }
    auto r = inner_->stop();
    inner_.reset();
    return r;
  }

 private:
  std::filesystem::path sysfs_root_;
  std::string node_;
  std::chrono::milliseconds period_;
  std::unique_ptr<PowerSensor> inner_;
};

}  // namespace

std::unique_ptr<PowerSensor> make_hwmon_sensor(const std::filesystem::path& sysfs_root, const std::string& node,
                                               std::chrono::milliseconds period) {
  return std::make_unique<HwmonSensor>(sysfs_root, node, period);
}

}  // namespace kb::power
