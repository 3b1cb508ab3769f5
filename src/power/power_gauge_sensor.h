// Power from a gauge that reports watts now (hwmon power1_average/power1_input, in µW): polled and
// averaged over time.
#pragma once
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "power/power_sensor.h"
#include "power/sampling_loop.h"

namespace kb::power {

struct GaugeSample {
  double seconds = 0;  // since the first reading
  double watts = 0;
};

// Each reading stands for the interval that ends at it (an averaging sensor reports the window
// just past), so it is weighted by the time since the previous reading. One reading is its own mean.
std::optional<double> time_weighted_mean(const std::vector<GaugeSample>& samples);

using GaugeLocator = std::function<std::optional<std::filesystem::path>(std::string* error)>;

class PowerGaugeSensor : public PowerSensor {
 public:
  PowerGaugeSensor(std::string source, std::string domain, GaugeLocator locate, std::chrono::milliseconds period);
  void start() override;
  SensorReading stop() override;

 private:
  using Clock = std::chrono::steady_clock;
  void read_once();

  std::string source_, domain_;
  GaugeLocator locate_;
  std::chrono::milliseconds period_;
  std::filesystem::path path_;
  std::vector<GaugeSample> samples_;
  std::string error_;
  Clock::time_point started_;
  std::unique_ptr<SamplingLoop> loop_;
};

}  // namespace kb::power
