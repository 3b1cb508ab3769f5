#include "queue/broker.h"

#include <algorithm>

#include "core/error.h"

namespace kb::queue {

namespace {
double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }
}  // namespace

std::string_view status_code(Status status) {
  switch (status) {
    case Status::ok: return "ok";
    case Status::unknown_queue: return "unknown_queue";
    case Status::invalid_queue_name: return "invalid_queue_name";
    case Status::too_many_queues: return "too_many_queues";
    case Status::queue_full: return "queue_full";
    case Status::draining: return "draining";
    case Status::shutting_down: return "shutting_down";
    case Status::stale_lease: return "stale_lease";
  }
  return "internal";
}

bool valid_queue_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
}

struct Broker::Item {
  std::uint64_t id = 0;
  Queue* queue = nullptr;
  std::string payload;
  TimePoint submitted{}, enqueued{}, leased_at{}, deadline{};
  int attempts = 0;
  bool leased = false;
  bool abandoned = false;  // the submitter is gone: a leased item finishes unheard
  std::uint64_t lease = 0;
  Duration lease_for{};
  TimePoint lease_expires{};
  std::string worker;
  ResultCallback done;
  Item* prev = nullptr;  // the queue's waiting list
  Item* next = nullptr;
};

struct Broker::Queue {
  std::string name;
  Item* head = nullptr;
  Item* tail = nullptr;
  std::size_t waiting = 0;
  std::size_t leased = 0;
  std::deque<std::uint64_t> waiters;  // arrival order; ids of cancelled waiters are skipped
  std::size_t polling = 0;
  QueueCounters counters;
  Histogram wait{duration_buckets()};
  Histogram run{duration_buckets()};
  std::unordered_map<std::string, WorkerSeen> workers;
};

struct Broker::Waiter {
  Queue* queue = nullptr;
  std::string worker;
  Duration lease_for{};
  TimePoint deadline{};
  LeaseCallback on_items;
};

Broker::Broker(BrokerConfig config)
    : config_(std::move(config)),
      item_ids_(config_.id_key ? config_.id_key : random_key()),
      lease_ids_(~(config_.id_key ? config_.id_key : random_key())) {
  if (config_.max_attempts < 1) throw UsageError("max-attempts must be at least 1");
  if (config_.lease <= Duration::zero()) throw UsageError("the lease duration must be positive");
  for (auto& name : config_.queues) {
    if (!valid_queue_name(name))
      throw UsageError("invalid queue name '" + name + "': use 1 to 64 of A-Z a-z 0-9 . _ -");
    if (!queues_.count(name)) {
      auto q = std::make_unique<Queue>();
      q->name = name;
      queues_.emplace(name, std::move(q));
    }
  }
}

Broker::~Broker() = default;

Status Broker::find_queue(std::string_view name, Queue*& out) {
  if (closed_) return Status::shutting_down;
  auto it = queues_.find(name);
  if (it != queues_.end()) {
    out = it->second.get();
    return Status::ok;
  }
  if (!valid_queue_name(name)) return Status::invalid_queue_name;
  if (!config_.create_on_demand) return Status::unknown_queue;
  if (queues_.size() >= config_.max_queues) return Status::too_many_queues;
  auto q = std::make_unique<Queue>();
  q->name = std::string(name);
  out = q.get();
  queues_.emplace(q->name, std::move(q));
  return Status::ok;
}

Status Broker::open_queue(std::string_view name) {
  Queue* q = nullptr;
  return find_queue(name, q);
}

void Broker::link_back(Queue& q, Item& item) {
  item.prev = q.tail;
  item.next = nullptr;
  (q.tail ? q.tail->next : q.head) = &item;
  q.tail = &item;
  ++q.waiting;
}

void Broker::link_front(Queue& q, Item& item) {
  item.next = q.head;
  item.prev = nullptr;
  (q.head ? q.head->prev : q.tail) = &item;
  q.head = &item;
  ++q.waiting;
}

void Broker::unlink(Queue& q, Item& item) {
  (item.prev ? item.prev->next : q.head) = item.next;
  (item.next ? item.next->prev : q.tail) = item.prev;
  item.prev = item.next = nullptr;
  --q.waiting;
}

Broker::WorkerSeen& Broker::seen(Queue& q, const std::string& worker, TimePoint now) {
  auto& w = q.workers[worker];
  w.last = now;
  return w;
}

LeasedItem Broker::grant(Item& item, const std::string& worker, Duration lease_for, TimePoint now) {
  Queue& q = *item.queue;
  unlink(q, item);
  ++q.leased;
  q.wait.observe(seconds(now - item.enqueued));
  item.leased = true;
  ++item.attempts;
  item.lease = lease_ids_.next();
  item.leased_at = now;
  item.lease_for = lease_for;
  item.lease_expires = now + lease_for;
  item.worker = worker;
  leases_.emplace(item.lease, &item);
  lease_deadlines_.emplace(item.lease_expires, item.lease);
  ++seen(q, worker, now).active;
  return LeasedItem{item.id, item.lease, q.name, item.payload, item.attempts, lease_for, std::max(Duration::zero(), item.deadline - now)};
}

void Broker::end_lease(Item& item, TimePoint now, bool heard) {
  Queue& q = *item.queue;
  leases_.erase(item.lease);
  lease_deadlines_.erase({item.lease_expires, item.lease});
  --q.leased;
  item.leased = false;
  release_worker(q, item.worker, now, heard);
}

void Broker::release_worker(Queue& q, const std::string& worker, TimePoint now, bool heard) {
  auto it = q.workers.find(worker);
  if (it == q.workers.end()) return;
  if (it->second.active > 0) --it->second.active;
  if (heard) it->second.last = now;
}

void Broker::erase_item(Item& item) {
  if (item.leased) {
    leases_.erase(item.lease);
    lease_deadlines_.erase({item.lease_expires, item.lease});
    --item.queue->leased;
  } else if (item.prev || item.next || item.queue->head == &item) {
    unlink(*item.queue, item);
  }
  if (!item.abandoned) submit_deadlines_.erase({item.deadline, item.id});
  items_.erase(item.id);
}

// Puts an item back at the head of its queue (it is older than everything behind it).
void Broker::requeue(Item& item, TimePoint now) {
  Queue& q = *item.queue;
  ++q.counters.requeued;
  item.enqueued = now;
  link_front(q, item);
  serve_waiters(q, now);
}

// Invariant: a queue has waiting items or waiting workers, never both.
void Broker::serve_waiters(Queue& q, TimePoint now) {
  while (q.head && !q.waiters.empty()) {
    const std::uint64_t id = q.waiters.front();
    q.waiters.pop_front();
    auto it = waiters_.find(id);
    if (it == waiters_.end()) continue;  // cancelled
    LeaseCallback on_items = std::move(it->second.on_items);
    const std::string worker = it->second.worker;
    const Duration lease_for = it->second.lease_for;
    drop_waiter(id, now, true);
    // One item, even when more were asked for: latency first, and the next item may go to the
    // next waiting worker.
    std::vector<LeasedItem> items;
    items.push_back(grant(*q.head, worker, lease_for, now));
    if (on_items) on_items(Status::ok, std::move(items));
  }
}

void Broker::drop_waiter(std::uint64_t id, TimePoint now, bool heard) {
  auto it = waiters_.find(id);
  if (it == waiters_.end()) return;
  Queue& q = *it->second.queue;
  --q.polling;
  release_worker(q, it->second.worker, now, heard);
  waiter_deadlines_.erase({it->second.deadline, id});
  waiters_.erase(it);
}

Broker::Submitted Broker::submit(std::string_view queue, std::string payload, Duration timeout, TimePoint now,
                                 ResultCallback done) {
  Queue* q = nullptr;
  if (auto s = find_queue(queue, q); s != Status::ok) return {s, 0};
  if (draining_) {
    ++q->counters.rejected_draining;
    return {Status::draining, 0};
  }
  if (config_.qmax > 0 && q->waiting >= config_.qmax) {
    ++q->counters.rejected_full;
    return {Status::queue_full, 0};
  }
  const std::uint64_t id = item_ids_.next();
  Item& item = items_[id];
  item.id = id;
  item.queue = q;
  item.payload = std::move(payload);
  item.submitted = item.enqueued = now;
  item.deadline = now + timeout;
  item.done = std::move(done);
  submit_deadlines_.emplace(item.deadline, id);
  ++q->counters.submitted;
  link_back(*q, item);
  serve_waiters(*q, now);
  return {Status::ok, id};
}

Broker::Leased Broker::lease(std::string_view queue, std::string_view worker_name, std::size_t max_items,
                             std::optional<Duration> lease_for, Duration wait, TimePoint now, LeaseCallback on_items) {
  Queue* q = nullptr;
  Leased out;
  if (auto s = find_queue(queue, q); s != Status::ok) {
    out.status = s;
    return out;
  }
  const std::string worker(worker_name);
  const Duration duration = lease_for.value_or(config_.lease);
  seen(*q, worker, now);
  while (out.items.size() < max_items && q->head) out.items.push_back(grant(*q->head, worker, duration, now));
  if (!out.items.empty() || max_items == 0 || wait <= Duration::zero()) return out;
  const std::uint64_t id = ++next_waiter_;
  Waiter& w = waiters_[id];
  w.queue = q;
  w.worker = worker;
  w.lease_for = duration;
  w.deadline = now + wait;
  w.on_items = std::move(on_items);
  waiter_deadlines_.emplace(w.deadline, id);
  q->waiters.push_back(id);
  ++q->polling;
  ++seen(*q, worker, now).active;
  out.waiter = id;
  return out;
}

Broker::Completed Broker::complete(std::uint64_t lease, bool ok, std::string result, std::string error, TimePoint now) {
  auto it = leases_.find(lease);
  if (it == leases_.end()) {
    ++stale_completions_;
    return {Status::stale_lease, false};
  }
  Item& item = *it->second;
  Queue& q = *item.queue;
  q.run.observe(seconds(now - item.leased_at));
  end_lease(item, now, true);
  ++(ok ? q.counters.completed : q.counters.failed_workload);
  if (item.abandoned) {
    ++q.counters.discarded;
    erase_item(item);
    return {Status::ok, false};
  }
  ItemResult r;
  r.kind = ItemResult::Kind::finished;
  r.id = item.id;
  r.queue = q.name;
  r.ok = ok;
  r.result = std::move(result);
  if (!ok) {
    r.error_code = "workload_failed";
    r.error_message = error.empty() ? "the worker reported a failure" : std::move(error);
  }
  r.attempts = item.attempts;
  r.wait_seconds = seconds(item.leased_at - item.submitted);
  r.run_seconds = seconds(now - item.leased_at);
  r.worker = item.worker;
  auto done = std::move(item.done);
  erase_item(item);
  if (done) done(std::move(r));
  return {Status::ok, true};
}

Broker::Heartbeat Broker::heartbeat(std::uint64_t lease, std::optional<Duration> lease_for, TimePoint now) {
  auto it = leases_.find(lease);
  if (it == leases_.end()) return {Status::stale_lease, {}, false};
  Item& item = *it->second;
  if (lease_for) item.lease_for = *lease_for;
  lease_deadlines_.erase({item.lease_expires, item.lease});
  item.lease_expires = now + item.lease_for;
  lease_deadlines_.emplace(item.lease_expires, item.lease);
  seen(*item.queue, item.worker, now);
  return {Status::ok, item.lease_for, item.abandoned};
}

Broker::Released Broker::release(std::uint64_t lease, TimePoint now) {
  auto it = leases_.find(lease);
  if (it == leases_.end()) return {Status::stale_lease, false};
  Item& item = *it->second;
  end_lease(item, now, true);
  if (item.abandoned) {
    erase_item(item);
    return {Status::ok, false};
  }
  requeue(item, now);
  return {Status::ok, true};
}

void Broker::client_gone(std::uint64_t id, TimePoint) {
  auto it = items_.find(id);
  if (it == items_.end() || it->second.abandoned) return;
  Item& item = it->second;
  ++item.queue->counters.disconnects;
  if (!item.leased) {
    erase_item(item);
    return;
  }
  submit_deadlines_.erase({item.deadline, item.id});
  item.abandoned = true;
  item.done = nullptr;
}

void Broker::cancel_waiter(std::uint64_t waiter, TimePoint now) { drop_waiter(waiter, now, false); }

void Broker::expire(Item& item, TimePoint now) {
  Queue& q = *item.queue;
  ++q.counters.lease_expired;
  end_lease(item, now, false);
  if (item.abandoned) {
    erase_item(item);
    return;
  }
  if (item.attempts < config_.max_attempts) return requeue(item, now);
  ++q.counters.failed_max_attempts;
  ItemResult r;
  r.kind = ItemResult::Kind::finished;
  r.id = item.id;
  r.queue = q.name;
  r.error_code = "max_attempts";
  r.error_message = "lease expired " + std::to_string(item.attempts) + " times (max-attempts " +
                    std::to_string(config_.max_attempts) + "); last worker " + item.worker;
  r.attempts = item.attempts;
  r.wait_seconds = seconds(item.leased_at - item.submitted);
  r.run_seconds = seconds(now - item.leased_at);
  r.worker = item.worker;
  auto done = std::move(item.done);
  erase_item(item);
  if (done) done(std::move(r));
}

void Broker::time_out(Item& item, TimePoint now) {
  Queue& q = *item.queue;
  ++q.counters.timeouts;
  ItemResult r;
  r.kind = ItemResult::Kind::timeout;
  r.id = item.id;
  r.queue = q.name;
  r.attempts = item.attempts;
  r.was_leased = item.leased;
  r.worker = item.worker;
  r.wait_seconds = seconds((item.leased ? item.leased_at : now) - item.submitted);
  auto done = std::move(item.done);
  if (item.leased) {
    item.abandoned = true;  // the worker finishes; its completion is discarded
    item.done = nullptr;
  } else {
    erase_item(item);
  }
  if (done) done(std::move(r));
}

void Broker::tick(TimePoint now) {
  // Lease waits first: an item requeued at this same instant stays for a worker that asks anew.
  while (!waiter_deadlines_.empty() && waiter_deadlines_.begin()->first <= now) {
    auto id = waiter_deadlines_.begin()->second;
    auto it = waiters_.find(id);
    if (it == waiters_.end()) {
      waiter_deadlines_.erase(waiter_deadlines_.begin());
      continue;
    }
    auto callback = std::move(it->second.on_items);
    drop_waiter(id, now, true);
    if (callback) callback(Status::ok, {});
  }
  while (!lease_deadlines_.empty() && lease_deadlines_.begin()->first <= now) {
    auto it = leases_.find(lease_deadlines_.begin()->second);
    if (it == leases_.end()) {
      lease_deadlines_.erase(lease_deadlines_.begin());
      continue;
    }
    expire(*it->second, now);
  }
  while (!submit_deadlines_.empty() && submit_deadlines_.begin()->first <= now) {
    auto id = submit_deadlines_.begin()->second;
    submit_deadlines_.erase(submit_deadlines_.begin());
    auto it = items_.find(id);
    if (it != items_.end() && !it->second.abandoned) time_out(it->second, now);
  }
}

std::optional<TimePoint> Broker::next_deadline() const {
  std::optional<TimePoint> next;
  for (const Deadlines* d : {&lease_deadlines_, &submit_deadlines_, &waiter_deadlines_})
    if (!d->empty() && (!next || d->begin()->first < *next)) next = d->begin()->first;
  return next;
}

void Broker::start_drain() { draining_ = true; }

void Broker::shut_down() {
  if (closed_) return;
  closed_ = true;
  draining_ = true;
  std::vector<std::pair<ResultCallback, ItemResult>> answers;
  for (auto& [id, item] : items_) {
    if (item.abandoned || !item.done) continue;
    ++item.queue->counters.failed_shutdown;
    ItemResult r;
    r.kind = ItemResult::Kind::shutdown;
    r.id = id;
    r.queue = item.queue->name;
    r.attempts = item.attempts;
    r.was_leased = item.leased;
    r.worker = item.worker;
    answers.emplace_back(std::move(item.done), std::move(r));
  }
  std::vector<LeaseCallback> pollers;
  for (auto& [id, w] : waiters_)
    if (w.on_items) pollers.push_back(std::move(w.on_items));
  items_.clear();
  leases_.clear();
  waiters_.clear();
  lease_deadlines_.clear();
  submit_deadlines_.clear();
  waiter_deadlines_.clear();
  for (auto& [name, q] : queues_) {
    q->head = q->tail = nullptr;
    q->waiting = q->leased = q->polling = 0;
    q->waiters.clear();
    for (auto& [worker, seen_worker] : q->workers) seen_worker.active = 0;
  }
  for (auto& [done, r] : answers) done(std::move(r));
  for (auto& poller : pollers) poller(Status::shutting_down, {});
}

QueueStats Broker::snapshot(Queue& q, TimePoint now) {
  QueueStats s;
  s.name = q.name;
  s.waiting = q.waiting;
  s.leased = q.leased;
  s.polling = q.polling;
  s.oldest_waiting_seconds = q.head ? std::max(0.0, seconds(now - q.head->submitted)) : 0.0;
  s.counters = q.counters;
  s.wait = q.wait;
  s.run = q.run;
  // A worker counts while it holds a lease or waits for one, and for a while after it was last
  // heard from (between items, or a worker whose long poll just ended).
  const Duration recent = std::max<Duration>(std::chrono::seconds(60), 2 * config_.lease);
  for (auto it = q.workers.begin(); it != q.workers.end();) {
    if (it->second.active > 0 || now - it->second.last < recent) {
      ++s.workers;
      ++it;
    } else {
      it = q.workers.erase(it);
    }
  }
  return s;
}

std::vector<QueueStats> Broker::stats(TimePoint now) {
  std::vector<QueueStats> out;
  out.reserve(queues_.size());
  for (auto& [name, q] : queues_) out.push_back(snapshot(*q, now));
  return out;
}

std::optional<QueueStats> Broker::stats(std::string_view queue, TimePoint now) {
  auto it = queues_.find(queue);
  if (it == queues_.end()) return std::nullopt;
  return snapshot(*it->second, now);
}

}  // namespace kb::queue
