// A PowerMonitor made of a primary sensor (the device doing the work) and RAPL package energy.
#pragma once
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "power/power_monitor.h"
#include "power/power_sensor.h"

namespace kb::power {

// The reading for one encode: avg_watts from the primary sensor; package_watts from RAPL when
// readable, else from the primary (intel_gpu_top Package); when avg_watts is null, null_reason
// lists every reason ("intel_gpu_top: not installed ...; rapl: ...: Permission denied").
// Adds the "below_3w" flag under kLowPowerWatts.
PowerReading combine_readings(const std::optional<SensorReading>& primary, const std::optional<SensorReading>& package,
                              const std::string& plan_reason, double wall_seconds);

class CombinedMonitor : public PowerMonitor {
 public:
  // Either sensor may be null; `plan_reason` says why the primary is missing.
  CombinedMonitor(std::unique_ptr<PowerSensor> primary, std::unique_ptr<PowerSensor> package, std::string plan_reason);
  void start() override;
  PowerReading stop() override;

 private:
  std::unique_ptr<PowerSensor> primary_, package_;
  std::string plan_reason_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace kb::power
