#include "power/power_gauge_sensor.h"

#include <utility>

#include "power/sysfs_attribute.h"

namespace kb::power {

std::optional<double> time_weighted_mean(const std::vector<GaugeSample>& samples) {
  if (samples.empty()) return std::nullopt;
  double weighted = 0, total = 0;
  for (size_t i = 1; i < samples.size(); ++i) {
    double dt = samples[i].seconds - samples[i - 1].seconds;
    if (dt <= 0) continue;
    weighted += samples[i].watts * dt;
    total += dt;
  }
  if (total > 0) return weighted / total;
  double sum = 0;  // readings too close together to weigh: plain mean
  for (const auto& s : samples) sum += s.watts;
  return sum / static_cast<double>(samples.size());
}

PowerGaugeSensor::PowerGaugeSensor(std::string source, std::string domain, GaugeLocator locate,
                                   std::chrono::milliseconds period)
    : source_(std::move(source)), domain_(std::move(domain)), locate_(std::move(locate)), period_(period) {}

void PowerGaugeSensor::read_once() {
  if (auto uw = read_sysfs_u64(path_)) {
    double t = std::chrono::duration<double>(Clock::now() - started_).count();
    samples_.push_back({t, static_cast<double>(*uw) / 1e6});
  }
}

void PowerGaugeSensor::start() {
  loop_.reset();
  samples_.clear();
  error_.clear();
  started_ = Clock::now();
  std::string why;
  auto path = locate_(&why);
  if (!path) {
    error_ = source_ + ": " + why;
    return;
  }
  path_ = *path;
  auto uw = read_sysfs_u64(path_, &why);
  if (!uw) {
    error_ = source_ + ": " + why;
    return;
  }
  samples_.push_back({0.0, static_cast<double>(*uw) / 1e6});
  loop_ = std::make_unique<SamplingLoop>(period_, [this] { read_once(); });
}

SensorReading PowerGaugeSensor::stop() {
  SensorReading r;
  r.source = source_;
  r.domain = domain_;
  r.duration_seconds = std::chrono::duration<double>(Clock::now() - started_).count();
  if (!error_.empty() || samples_.empty()) {
    r.error = error_.empty() ? source_ + ": not started" : error_;
    return r;
  }
  loop_.reset();  // joins the polling thread; samples_ are ours again
  read_once();
  r.samples = samples_.size();
  r.watts = time_weighted_mean(samples_);
  if (r.watts) r.energy_joules = *r.watts * r.duration_seconds;
  samples_.clear();
  return r;
}

}  // namespace kb::power
