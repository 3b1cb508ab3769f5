#include "power/energy_counter_sensor.h"

#include <utility>

#include "power/sysfs_attribute.h"

namespace kb::power {

std::uint64_t counter_delta(std::uint64_t prev, std::uint64_t cur, std::optional<std::uint64_t> max_range) {
  if (cur >= prev) return cur - prev;
  if (!max_range || prev > *max_range) return 0;  // a reset, or a range we cannot trust
  return (*max_range - prev) + cur;
}

double integrate_counter(const std::vector<std::uint64_t>& readings, std::optional<std::uint64_t> max_range) {
  double total = 0;
  for (size_t i = 1; i < readings.size(); ++i)
    total += static_cast<double>(counter_delta(readings[i - 1], readings[i], max_range));
  return total;
}

EnergyCounterSensor::EnergyCounterSensor(std::string source, std::string domain, CounterLocator locate,
                                         std::chrono::milliseconds period)
    : source_(std::move(source)), domain_(std::move(domain)), locate_(std::move(locate)), period_(period) {}

bool EnergyCounterSensor::read_all() {
  bool all = true;
  for (auto& t : tracks_) {
    // A failed or half-written read is skipped: the next one still sees the whole growth,
    // as long as the counter did not wrap twice in between.
    auto v = read_sysfs_u64(t.counter.path);
    if (!v) {
      all = false;
      continue;
    }
    t.total_uj += static_cast<double>(counter_delta(t.last, *v, t.counter.max_range));
    t.last = *v;
  }
  if (all) {
    ++reads_;
    last_read_ = Clock::now();
  }
  return all;
}

void EnergyCounterSensor::start() {
  loop_.reset();
  tracks_.clear();
  error_.clear();
  reads_ = 0;
  started_ = Clock::now();
  std::string why;
  auto counters = locate_(&why);
  if (counters.empty()) {
    error_ = source_ + ": " + (why.empty() ? "no energy counter found" : why);
    return;
  }
  for (auto& c : counters) {
    auto v = read_sysfs_u64(c.path, &why);
    if (!v) {
      tracks_.clear();
      error_ = source_ + ": " + why;
      return;
    }
    tracks_.push_back({c, *v, 0});
  }
  reads_ = 1;
  first_read_ = last_read_ = Clock::now();
  loop_ = std::make_unique<SamplingLoop>(period_, [this] { read_all(); });
}

SensorReading EnergyCounterSensor::stop() {
  SensorReading r;
  r.source = source_;
  r.domain = domain_;
  r.duration_seconds = std::chrono::duration<double>(Clock::now() - started_).count();
  if (!error_.empty() || tracks_.empty()) {
    r.error = error_.empty() ? source_ + ": not started" : error_;
    return r;
  }
  loop_.reset();  // joins the polling thread; tracks_ are ours again
  read_all();
  double uj = 0;
  for (auto& t : tracks_) uj += t.total_uj;
  double seconds = std::chrono::duration<double>(last_read_ - first_read_).count();
  r.samples = reads_;
  if (reads_ < 2 || seconds <= 0) {
    r.error = source_ + ": the counter could not be read again before the run ended";
    return r;
  }
  r.energy_joules = uj / 1e6;
  r.watts = *r.energy_joules / seconds;
  r.duration_seconds = seconds;
  tracks_.clear();
  return r;
}

}  // namespace kb::power
