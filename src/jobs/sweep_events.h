// What a running sweep reports, the same from both runners (Kubernetes and local): the command
// shows it as progress lines or JSON log lines, and the metrics page counts it.
#pragma once
#include <functional>
#include <string>

#include "jobs/sweep_metrics.h"
#include "jobs/sweep_record.h"

namespace kb::jobs {

struct SweepEvents {
  std::function<void(const std::string&)> note;   // general progress (namespace created, cleanup…)
  std::function<void(const std::string&)> live;   // the status line (a terminal rewrites it)
  std::function<void(size_t variant, const std::string& why)> waiting;  // a variant waits, or waits for another reason
  std::function<void(size_t variant, int attempt)> started;             // its Job created / its process started
  std::function<void(size_t variant, int attempt, const std::string& failure_class, const std::string& message)> retrying;
  std::function<void(const VariantRecord&)> variant_done;  // after its file is written
  SweepMetrics* metrics = nullptr;                         // optional
};

}  // namespace kb::jobs
