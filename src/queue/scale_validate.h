// `kubench scale validate`: does throughput grow with the backend replicas? The seed's
// validate-scaling.sh done right (docs/scaling.md). The rounds and the verdict live here; how
// replicas are changed and the load client is read is a `ScaleTarget` (Kubernetes in
// kube_scale_target.h), so the logic is tested without a cluster.
#pragma once
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/report.h"

namespace kb::queue {

// What validate_scaling drives. Every call may throw (kb::Error) to end the validation.
class ScaleTarget {
 public:
  virtual ~ScaleTarget() = default;
  virtual std::string describe() const = 0;  // "deployment sleep-worker in kubench-scale"
  virtual int backend_replicas() = 0;
  // Scale the backends and return once exactly `n` pods are ready and none is terminating;
  // throws with the reason (the scheduler's message, a crash) after the target's timeout.
  virtual void scale_backends(int n) = 0;
  virtual int parallelism() = 0;
  virtual void set_parallelism(int k) = 0;  // the load client's K; throws unless it took it
  virtual void reset_stats() = 0;
  virtual nlohmann::json stats() = 0;       // kubench/queue-load/v1
  virtual void wait(std::chrono::milliseconds d) = 0;  // the clock; interruptible
};

struct ScaleSettings {
  int max_replicas = 8;
  double min_gain = 1.8;             // throughput ratio required per doubling
  double request_seconds = 2;        // the time of one request (the workload's sleep)
  double window_seconds = 0;         // measurement per round; 0: 20 × request_seconds, at least 10 s
  int parallelism_per_replica = 1;   // client K = replicas × this
  bool restore = true;               // put replicas and parallelism back as they were at the end

  double window() const;
  // Time for K in flight to reach the new replicas before the counters are reset.
  double settle() const { return 2 * request_seconds; }
};

// 1, 2, 4 … up to max (the last power of two not above it); throws UsageError for max < 1.
std::vector<int> doubling_steps(int max_replicas);

struct ScaleRound {
  int replicas = 0;
  int parallelism = 0;
  double requests_per_s = 0;  // ok answers ÷ window, as the load client counted them since reset
  std::uint64_t ok = 0, failed = 0;
  double gain = 0;            // ÷ the previous round's throughput; 0 in the first round
  bool passed = true;
  std::vector<std::string> problems;
  nlohmann::json latency_ms;  // the load client's summary
  nlohmann::json nodes;       // per node: ok, share, devices
};

struct ScaleReport {
  ScaleSettings settings;
  std::string target;
  std::vector<ScaleRound> rounds;
  std::vector<std::string> problems;  // outside any round (preparation)
  bool passed = false;
  bool interrupted = false;
  double elapsed_s = 0;
};

using ScaleProgress = std::function<void(const std::string& line)>;

// Prepare (client to 0, check max replicas schedule, backends to 1), then one round per step:
// scale, set K, settle, reset, measure, judge. Rounds go on after a failed one, so the report shows
// the whole curve. Always sets K to 0 at the end and, with `restore`, puts replicas and K back.
// A failure to prepare (max cannot run) or to scale or read the client ends the rounds as a problem
// in the report, not an exception. Ctrl-C ends the rounds, restores, and returns the rounds measured
// with `interrupted` set (and the interrupt still raised).
ScaleReport validate_scaling(ScaleTarget& target, const ScaleSettings& settings, const ScaleProgress& progress = {});

// kubench/scale-validate/v1 (docs/scaling.md).
nlohmann::json to_json(const ScaleReport& report);
std::string to_table(const ScaleReport& report);
// The pieces of the table and of `kubench report` (one code path for both).
Table scale_rounds_table(const ScaleReport& report);
Table scale_distribution_table(const ScaleReport& report);  // per node at the last round
LineChart throughput_chart(const ScaleReport& report);
Report scale_report(const ScaleReport& report);
// A saved report.json back (for `kubench report DIR`); ParseError when it is not one.
ScaleReport scale_report_from_json(const nlohmann::json& j);
// Throughput against replicas beside the ideal line (first round × replicas), as a self-contained SVG.
std::string throughput_chart_svg(const ScaleReport& report);

}  // namespace kb::queue
