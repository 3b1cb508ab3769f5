// What the load client measures: answers ok/failed, throughput (sliding window and since the last
// reset), latency percentiles, the broker's wait/run split, and the spread over the workers'
// nodes, pods and devices (from the fields workers put in their results), failures by reason.
// Thread-safe: the request lanes record on their thread while the HTTP API reads on its own.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "queue/latency_histogram.h"
#include "queue/rate_window.h"

namespace kb::queue {

struct RequestOutcome {
  bool ok = false;
  double latency_ms = 0;  // measured by the client: submit to answer
  double wait_ms = -1;    // the broker's figures, when the answer had them
  double run_ms = -1;
  std::string node, pod, device;  // from the worker's result ("" when absent)
  std::string reason;             // why it failed
};

// Reads a submit answer (docs/queue.md "Submit and wait") into an outcome; `latency_ms` is left to
// the caller. A transport failure is described by `transport_error` (status is then ignored).
RequestOutcome classify_answer(const std::string& transport_error, int status, const std::string& body);

class LoadStats {
 public:
  using Clock = std::chrono::steady_clock;
  // Distinct names kept; more are counted under "(other)" (worker-supplied strings are untrusted).
  static constexpr size_t kMaxNames = 1024;
  static constexpr size_t kMaxReasons = 64;
  static constexpr size_t kMaxNameBytes = 256;

  explicit LoadStats(Clock::time_point now = Clock::now());
  void record(const RequestOutcome& outcome, Clock::time_point now = Clock::now());
  void reset(Clock::time_point now = Clock::now());
  // The whole picture as JSON (docs/queue-work-load.md "GET /stats").
  nlohmann::json snapshot(Clock::time_point now = Clock::now()) const;
  std::uint64_t ok() const;
  std::uint64_t failed() const;

 private:
  struct NodeStats {
    std::uint64_t ok = 0, failed = 0;
    LatencyHistogram latency;
    std::map<std::string, std::uint64_t> devices;  // ok answers per device
  };
  struct PodStats {
    std::string node;
    std::uint64_t ok = 0, failed = 0;
  };
  std::int64_t ms(Clock::time_point t) const;

  mutable std::mutex mutex_;
  Clock::time_point epoch_;  // for the rate window's integer clock
  Clock::time_point since_;  // last reset
  std::uint64_t ok_ = 0, failed_ = 0;
  LatencyHistogram latency_, wait_, run_;
  RateWindow window_;
  std::map<std::string, NodeStats> nodes_;
  std::map<std::string, PodStats> pods_;
  std::map<std::string, std::uint64_t> reasons_;
};

// {"count", "mean", "min", "p50", "p90", "p99", "max"} in ms.
nlohmann::json latency_summary(const LatencyHistogram& h);

}  // namespace kb::queue
