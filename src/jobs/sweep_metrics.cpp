#include "jobs/sweep_metrics.h"

#include "core/prometheus_text.h"

namespace kb::jobs {

SweepMetrics::SweepMetrics(std::string sweep_id) : sweep_(std::move(sweep_id)) {}

void SweepMetrics::created(const std::string& target) {
  std::lock_guard lock(mutex_);
  ++created_[target];
}

void SweepMetrics::finished(const std::string& target, const std::string& failure_class, double seconds) {
  std::lock_guard lock(mutex_);
  if (failure_class.empty()) ++succeeded_[target];
  else ++failed_[{target, failure_class}];
  durations_.try_emplace(target, duration_buckets()).first->second.observe(seconds);
}

void SweepMetrics::retried(const std::string& target, const std::string& failure_class) {
  std::lock_guard lock(mutex_);
  ++retried_[{target, failure_class}];
}

void SweepMetrics::set_in_flight(int n) {
  std::lock_guard lock(mutex_);
  in_flight_ = n;
}

void SweepMetrics::set_waiting(int n) {
  std::lock_guard lock(mutex_);
  waiting_ = n;
}

std::string SweepMetrics::text() const {
  std::lock_guard lock(mutex_);
  PrometheusText p;
  p.family("kubench_sweep_variants_created_total", "counter", "Variant attempts started (Jobs created, or processes started), by target");
  for (const auto& [t, n] : created_) p.sample("kubench_sweep_variants_created_total", {{"sweep", sweep_}, {"target", t}}, n);
  p.family("kubench_sweep_variants_in_flight", "gauge", "Variants started and not finished");
  p.sample("kubench_sweep_variants_in_flight", {{"sweep", sweep_}}, static_cast<double>(in_flight_));
  p.family("kubench_sweep_variants_waiting", "gauge", "Variants waiting for admission (free capacity, --max-parallel or --jobs)");
  p.sample("kubench_sweep_variants_waiting", {{"sweep", sweep_}}, static_cast<double>(waiting_));
  p.family("kubench_sweep_variants_succeeded_total", "counter", "Variants that succeeded, by target");
  for (const auto& [t, n] : succeeded_) p.sample("kubench_sweep_variants_succeeded_total", {{"sweep", sweep_}, {"target", t}}, n);
  p.family("kubench_sweep_variants_failed_total", "counter", "Variants that failed for good, by target and failure class");
  for (const auto& [k, n] : failed_)
    p.sample("kubench_sweep_variants_failed_total", {{"sweep", sweep_}, {"target", k.first}, {"class", k.second}}, n);
  p.family("kubench_sweep_retries_total", "counter", "Failed attempts that were run again, by target and failure class");
  for (const auto& [k, n] : retried_) p.sample("kubench_sweep_retries_total", {{"sweep", sweep_}, {"target", k.first}, {"class", k.second}}, n);
  p.family("kubench_sweep_variant_duration_seconds", "histogram", "Variant time from start (Job created) to result, last attempt, by target");
  for (const auto& [t, h] : durations_) p.histogram("kubench_sweep_variant_duration_seconds", {{"sweep", sweep_}, {"target", t}}, h);
  return p.text();
}

}  // namespace kb::jobs
