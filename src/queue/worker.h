// `kubench queue work`: the lease loop of one worker process (docs/queue.md, "Workers").
//
// One kept-alive connection carries the lease calls: each asks for as many items as there are
// free slots and carries the completions of finished items, so a busy worker makes one exchange
// per item. A second connection carries what cannot wait for the next lease call while one is
// long-polling: completions, heartbeats (every lease/3 for long items) and releases.
// Everything runs on one thread (the io_context's); blocking workloads use their own slot threads.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "queue/broker_url.h"
#include "queue/worker_identity.h"
#include "queue/workload.h"

namespace boost::asio {
class io_context;
}

namespace kb::queue {

struct WorkerOptions {
  BrokerUrl broker{"127.0.0.1", "8080"};
  std::string queue = "sleep";
  WorkerIdentity identity;
  int slots = 1;
  std::vector<std::string> devices;  // slot i uses devices[i % n]
  std::chrono::milliseconds poll_wait{20000};          // long poll of an empty queue
  std::optional<std::chrono::milliseconds> lease;      // lease_ms asked for; unset: the broker's
  std::optional<std::chrono::milliseconds> idle_exit;  // exit after this long with nothing to do
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{5000};
  std::optional<std::chrono::milliseconds> drain_limit;  // after SIGTERM: release what still runs
  std::string token;  // bearer token (--token-file)
};

struct WorkerSummary {
  std::uint64_t ok = 0;         // items finished and reported ok
  std::uint64_t failed = 0;     // items finished and reported failed
  std::uint64_t delivered = 0;  // completions whose submitter got the answer
  std::uint64_t discarded = 0;  // completions accepted after the submitter had gone
  std::uint64_t stale = 0;      // completions refused: the lease had expired
  std::uint64_t unacknowledged = 0;  // sent again after a drain cut their exchange; the broker had them
  std::uint64_t released = 0;   // items handed back unfinished (hard stop)
  std::uint64_t lease_calls = 0;
  std::uint64_t broker_errors = 0;  // failed exchanges (unreachable, 5xx)
  std::string stop_reason;          // idle | signal | drain limit | fatal
  double seconds = 0;
};

class Worker {
 public:
  Worker(boost::asio::io_context& io, WorkerOptions options, Workload& workload);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void start();
  // Stops leasing; items already running finish and are reported; then the worker finishes.
  void drain();
  // Cancels running items and releases their leases (they go back to the queue at once).
  void stop_now();
  bool finished() const;
  void on_finished(std::function<void()> callback);
  WorkerSummary summary() const;
  // Set when the broker refused the worker for good (401, unknown queue…): why.
  const std::string& fatal_error() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Runs a worker on `io` until it finishes: idle exit, or SIGTERM/SIGINT (drain: running items
// finish; a second signal or the drain limit releases them). Throws EnvironmentError when the
// broker refuses the worker for good.
WorkerSummary run_worker(boost::asio::io_context& io, const WorkerOptions& options, Workload& workload);

}  // namespace kb::queue
