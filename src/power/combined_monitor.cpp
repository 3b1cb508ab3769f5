#include "power/combined_monitor.h"

#include <utility>

namespace kb::power {

PowerReading combine_readings(const std::optional<SensorReading>& primary, const std::optional<SensorReading>& package,
                              const std::string& plan_reason, double wall_seconds) {
  PowerReading out;
  out.duration_seconds = wall_seconds;
  if (primary) {
    out.video_busy_pct = primary->video_busy_pct;
    out.decoder_busy_pct = primary->decoder_busy_pct;
    if (primary->watts) {
      out.avg_watts = primary->watts;
      out.domain = primary->domain;
      out.source = primary->source;
      out.energy_joules = primary->energy_joules;
      out.samples = primary->samples;
      if (primary->duration_seconds > 0) out.duration_seconds = primary->duration_seconds;
      if (primary->domain == "package") out.package_watts = primary->watts;
    }
  }
  // RAPL powercap integrates the exact counter, so it wins over intel_gpu_top's own Package.
  if (package && package->watts) out.package_watts = package->watts;
  else if (!out.package_watts && primary && primary->package_watts) out.package_watts = primary->package_watts;

  if (!out.avg_watts) {
    for (const std::string* reason : {&plan_reason, primary ? &primary->error : nullptr, package ? &package->error : nullptr}) {
      if (!reason || reason->empty()) continue;
      out.null_reason += (out.null_reason.empty() ? "" : "; ") + *reason;
    }
    if (out.null_reason.empty()) out.null_reason = "no power sensor was readable";
  }
  if (out.low_power()) out.flags.push_back("below_3w");
  return out;
}

CombinedMonitor::CombinedMonitor(std::unique_ptr<PowerSensor> primary, std::unique_ptr<PowerSensor> package,
                                 std::string plan_reason)
    : primary_(std::move(primary)), package_(std::move(package)), plan_reason_(std::move(plan_reason)) {}

void CombinedMonitor::start() {
  started_ = std::chrono::steady_clock::now();
  // The primary starts last and stops first, to sit as tightly around the encode as possible.
  if (package_) package_->start();
  if (primary_) primary_->start();
}

PowerReading CombinedMonitor::stop() {
  std::optional<SensorReading> primary, package;
  if (primary_) primary = primary_->stop();
  if (package_) package = package_->stop();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  return combine_readings(primary, package, plan_reason_, wall);
}

}  // namespace kb::power
