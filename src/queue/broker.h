// The broker's state machine (docs/queue.md): named queues of items, leases that expire and put
// their item back, attempts, qmax, long-poll waiters, submit deadlines, drain. No I/O and no
// clock of its own: every call takes `now`, and tick(now) fires what is due, so tests drive time.
// Not thread-safe: the HTTP binding serialises calls. Callbacks run inside the call that caused
// them and must not call back into the broker.
#pragma once
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/histogram.h"
#include "queue/ids.h"

namespace kb::queue {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;

struct BrokerConfig {
  std::vector<std::string> queues;
  bool create_on_demand = false;
  std::size_t max_queues = 256;  // with create_on_demand
  std::size_t qmax = 0;          // waiting items per queue; 0 = unbounded
  Duration lease = std::chrono::seconds(30);
  int max_attempts = 3;
  std::uint64_t id_key = 0;      // keys the id mix; 0 = random
};

enum class Status { ok, unknown_queue, invalid_queue_name, too_many_queues, queue_full, draining, shutting_down, stale_lease };

// The error code of docs/queue.md ("queue_full", ...); "ok" for ok.
std::string_view status_code(Status status);
// [A-Za-z0-9._-]{1,64}: safe in URLs, logs and Prometheus labels.
bool valid_queue_name(std::string_view name);

// What the submitter of an item gets, exactly once.
struct ItemResult {
  enum class Kind { finished, timeout, shutdown };
  Kind kind = Kind::finished;
  std::uint64_t id = 0;
  std::string queue;
  bool ok = false;               // finished: the worker completed it with status ok
  std::string result = "null";   // finished: the worker's JSON
  std::string error_code;        // finished and not ok: workload_failed | max_attempts
  std::string error_message;
  int attempts = 0;              // leases granted
  bool was_leased = false;       // timeout: a worker held it (its result will be discarded)
  double wait_seconds = 0;       // submit → lease of the last attempt
  double run_seconds = 0;        // that lease → completion
  std::string worker;            // the last worker to lease it
};
using ResultCallback = std::function<void(ItemResult&&)>;

struct LeasedItem {
  std::uint64_t id = 0;
  std::uint64_t lease = 0;
  std::string queue;
  std::string payload;  // raw JSON
  int attempt = 0;
  Duration lease_for{};
  Duration deadline_in{};  // until the submitter stops waiting
};
// Status ok with the items, ok with none (the wait passed), or shutting_down.
using LeaseCallback = std::function<void(Status, std::vector<LeasedItem>&&)>;

struct QueueCounters {
  std::uint64_t submitted = 0;
  std::uint64_t completed = 0;           // completions with status ok
  std::uint64_t failed_workload = 0;     // completions with status failed
  std::uint64_t failed_max_attempts = 0;
  std::uint64_t failed_shutdown = 0;
  std::uint64_t rejected_full = 0;
  std::uint64_t rejected_draining = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t disconnects = 0;
  std::uint64_t discarded = 0;           // completions whose submitter had gone
  std::uint64_t lease_expired = 0;
  std::uint64_t requeued = 0;
};

struct QueueStats {
  std::string name;
  std::size_t waiting = 0;
  std::size_t leased = 0;
  std::size_t workers = 0;
  std::size_t polling = 0;
  double oldest_waiting_seconds = 0;
  QueueCounters counters;
  Histogram wait{duration_buckets()};
  Histogram run{duration_buckets()};
};

class Broker {
 public:
  explicit Broker(BrokerConfig config);  // UsageError on an invalid queue name
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  // ok when `queue` exists or was just created (--create-on-demand), else why not.
  Status open_queue(std::string_view queue);

  struct Submitted {
    Status status = Status::ok;
    std::uint64_t id = 0;
  };
  // Enqueues; `done` gets the outcome later (never from inside submit itself).
  Submitted submit(std::string_view queue, std::string payload, Duration timeout, TimePoint now, ResultCallback done);

  struct Leased {
    Status status = Status::ok;
    std::vector<LeasedItem> items;
    std::uint64_t waiter = 0;  // non-zero: nothing was waiting, `on_items` will be called
  };
  // Leases up to `max_items` waiting items now. When there are none and `wait` > 0 the request
  // waits: `on_items` gets the first item that arrives, or nothing when `wait` passes.
  Leased lease(std::string_view queue, std::string_view worker, std::size_t max_items, std::optional<Duration> lease_for,
               Duration wait, TimePoint now, LeaseCallback on_items);

  struct Completed {
    Status status = Status::ok;  // or stale_lease
    bool delivered = false;
  };
  Completed complete(std::uint64_t lease, bool ok, std::string result, std::string error, TimePoint now);

  struct Heartbeat {
    Status status = Status::ok;
    Duration lease_for{};
    bool cancelled = false;
  };
  Heartbeat heartbeat(std::uint64_t lease, std::optional<Duration> lease_for, TimePoint now);

  struct Released {
    Status status = Status::ok;
    bool requeued = false;
  };
  Released release(std::uint64_t lease, TimePoint now);

  // The submitter of `item` went away: a waiting item is removed, a leased one's result will be
  // discarded. Its callback is dropped without being called.
  void client_gone(std::uint64_t item, TimePoint now);
  // A waiting lease request's worker went away; its callback is dropped without being called.
  void cancel_waiter(std::uint64_t waiter, TimePoint now);

  // Expires leases, times out submitters and lease waits that are due.
  void tick(TimePoint now);
  std::optional<TimePoint> next_deadline() const;

  void start_drain();  // submits are refused; everything else goes on
  bool draining() const { return draining_; }
  std::size_t items() const { return items_.size(); }  // waiting + leased
  // The end: every submitter still waiting gets Kind::shutdown, every lease wait shutting_down,
  // and every later call is refused.
  void shut_down();

  std::vector<QueueStats> stats(TimePoint now);
  std::optional<QueueStats> stats(std::string_view queue, TimePoint now);
  std::uint64_t stale_completions() const { return stale_completions_; }

 private:
  struct Queue;
  struct Item;
  struct Waiter;
  struct WorkerSeen {
    TimePoint last{};
    int active = 0;  // leases held + lease requests waiting
  };
  using Deadlines = std::set<std::pair<TimePoint, std::uint64_t>>;

  Status find_queue(std::string_view name, Queue*& out);
  void link_back(Queue& q, Item& item);
  void link_front(Queue& q, Item& item);
  void unlink(Queue& q, Item& item);
  LeasedItem grant(Item& item, const std::string& worker, Duration lease_for, TimePoint now);
  // `heard`: the worker itself ended it (completion, release), so it counts as seen now.
  void end_lease(Item& item, TimePoint now, bool heard);
  void release_worker(Queue& q, const std::string& worker, TimePoint now, bool heard);
  void requeue(Item& item, TimePoint now);
  void serve_waiters(Queue& q, TimePoint now);
  void drop_waiter(std::uint64_t id, TimePoint now, bool heard);
  void expire(Item& item, TimePoint now);
  void time_out(Item& item, TimePoint now);
  void erase_item(Item& item);
  WorkerSeen& seen(Queue& q, const std::string& worker, TimePoint now);
  QueueStats snapshot(Queue& q, TimePoint now);

  BrokerConfig config_;
  std::map<std::string, std::unique_ptr<Queue>, std::less<>> queues_;
  std::unordered_map<std::uint64_t, Item> items_;     // node-based: Item addresses are stable
  std::unordered_map<std::uint64_t, Item*> leases_;
  std::unordered_map<std::uint64_t, Waiter> waiters_;
  Deadlines lease_deadlines_;   // (expiry, lease id)
  Deadlines submit_deadlines_;  // (deadline, item id)
  Deadlines waiter_deadlines_;  // (deadline, waiter id)
  IdSequence item_ids_;
  IdSequence lease_ids_;
  std::uint64_t next_waiter_ = 0;
  std::uint64_t stale_completions_ = 0;
  bool draining_ = false;
  bool closed_ = false;
};

}  // namespace kb::queue
