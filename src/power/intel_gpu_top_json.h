// Parsing `intel_gpu_top -J` output of every igt-gpu-tools version, by key.
//
//   before 1.26  "power": {"value": W, "unit": "W"}            (the GPU domain only)
//   1.26+        "power": {"GPU": W, "Package": W, "unit": "W"}
//   before 1.28  objects one after another, no enclosing [ ] ("},\n{" between them)
//   1.28+        wrapped in [ ], and the closing ] is missing when the tool was killed
//   engines      per instance ("Video/0", "Video/1") before 1.28 or with -p; per class ("Video") after
#pragma once
#include <optional>
#include <string_view>
#include <vector>

namespace kb::power {

struct IntelGpuTopSample {
  std::optional<double> period_ms;       // "period": {"duration"}
  std::optional<double> gpu_watts;       // "power": GPU, or "value" before 1.26
  std::optional<double> package_watts;   // "power": Package
  std::optional<double> video_busy_pct;  // the busiest Video engine in this sample
};

// Every complete top-level object in `text`, in order. Tolerates missing brackets, missing or extra
// commas, and a cut-off last object (dropped). Objects that are not valid JSON are skipped.
std::vector<IntelGpuTopSample> parse_intel_gpu_top_json(std::string_view text);

struct IntelGpuTopSummary {
  // Means weighted by each sample's period (the first sample covers only a fraction of a
  // millisecond, so it barely counts); each over the samples that carry the figure.
  std::optional<double> gpu_watts;
  std::optional<double> package_watts;
  std::optional<double> video_busy_pct;
  size_t gpu_samples = 0;
};

// A GPU figure that is 0.000000 in every sample while Package is not is the placeholder printed
// for a missing GPU counter, and is treated as missing.
IntelGpuTopSummary summarize_intel_gpu_top(const std::vector<IntelGpuTopSample>& samples);

}  // namespace kb::power
