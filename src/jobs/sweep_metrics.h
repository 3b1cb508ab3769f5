// A sweep's Prometheus metrics while it runs (`--metrics-listen`): variants created, in flight,
// waiting, succeeded, failed by class, retried, and a duration histogram — by target. Thread-safe;
// both runners (Kubernetes and local) feed it.
#pragma once
#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "core/histogram.h"

namespace kb::jobs {

class SweepMetrics {
 public:
  explicit SweepMetrics(std::string sweep_id);
  void created(const std::string& target);
  void finished(const std::string& target, const std::string& failure_class, double seconds);  // class "" = succeeded
  void retried(const std::string& target, const std::string& failure_class);
  void set_in_flight(int n);
  void set_waiting(int n);
  std::string text() const;  // the Prometheus text page

 private:
  std::string sweep_;
  mutable std::mutex mutex_;
  std::map<std::string, std::uint64_t> created_, succeeded_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> failed_, retried_;
  std::map<std::string, Histogram> durations_;
  int in_flight_ = 0, waiting_ = 0;
};

}  // namespace kb::jobs
