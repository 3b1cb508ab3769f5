#include "queue/worker.h"

#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <filesystem>
#include <spdlog/spdlog.h>

#include "core/error.h"
#include "core/http_connection.h"
#include "core/interrupt.h"
#include "queue/backoff.h"
#include "queue/broker.h"
#include "queue/worker_protocol.h"
#include "queue/worker_slots.h"

namespace kb::queue {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {
constexpr milliseconds kSideTimeout{15000};
constexpr milliseconds kLeaseMargin{15000};  // beyond wait_ms, before a lease call counts as lost

// Answers that no retry will change: the worker is misconfigured for this broker.
bool fatal_status(int status) { return status == 400 || status == 401 || status == 404 || status == 405 || status == 413 || status == 429; }

long long ms_since(Clock::time_point t, Clock::time_point now) {
  return std::chrono::duration_cast<milliseconds>(now - t).count();
}
}  // namespace

struct Worker::Impl {
  struct Running {
    WorkItem item;
    std::uint64_t seq = 0;
    bool active = false;  // leased and not yet finished
    bool lost = false;    // the lease is gone (stale heartbeat, released): drop the outcome
    bool heartbeat_in_flight = false;
    Clock::time_point renewed;
  };
  struct SideCall {
    enum Kind { complete, heartbeat, release } kind;
    int slot = -1;
    std::uint64_t seq = 0;
    Completion completion;
  };

  Impl(asio::io_context& i, WorkerOptions o, Workload& w)
      : io(i), options(std::move(o)), workload(w), slots(options.slots, options.devices),
        running(static_cast<size_t>(std::max(options.slots, 0))),
        lease_conn(io, options.broker.host, options.broker.port), side_conn(io, options.broker.host, options.broker.port),
        backoff_timer(io), sweep_timer(io), drain_timer(io), backoff(options.backoff_initial, options.backoff_max),
        lease_target("/v1/queues/" + options.queue + "/leases") {
    if (!options.token.empty()) {
      lease_conn.add_header("Authorization", "Bearer " + options.token);
      side_conn.add_header("Authorization", "Bearer " + options.token);
    }
    call.worker = options.identity.worker;
    if (options.lease) call.lease_ms = options.lease->count();
  }

  asio::io_context& io;
  WorkerOptions options;
  Workload& workload;
  SlotTable slots;
  std::vector<Running> running;
  HttpConnection lease_conn, side_conn;
  asio::steady_timer backoff_timer, sweep_timer, drain_timer;
  Backoff backoff;
  std::string lease_target;
  LeaseCall call;
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);

  bool lease_in_flight = false, backoff_pending = false, sweep_armed = false;
  bool side_busy = false, draining = false, stopping = false, done = false;
  std::vector<Completion> pending, in_flight;  // completions waiting / riding on the lease call
  std::deque<SideCall> side_queue;
  int active = 0;
  std::uint64_t next_seq = 0;
  Clock::time_point started = Clock::now(), last_activity = Clock::now();
  WorkerSummary summary;
  std::string fatal;
  std::function<void()> finished_callback;

  // --- the lease loop ---------------------------------------------------------------------------

  void pump() {
    if (done || lease_in_flight || backoff_pending || stopping) return;
    int free = draining ? 0 : slots.free();
    if (free == 0 && pending.empty()) return check_finish();
    auto now = Clock::now();
    call.max_items = free;
    call.wait_ms = 0;
    if (free > 0) {
      long long wait = options.poll_wait.count();
      if (options.idle_exit && active == 0) wait = std::min<long long>(wait, std::max<long long>(0, options.idle_exit->count() - ms_since(last_activity, now)));
      call.wait_ms = wait;
    }
    in_flight = std::move(pending);
    pending.clear();
    std::string body = lease_body(call, in_flight);
    lease_in_flight = true;
    ++summary.lease_calls;
    lease_conn.request("POST", lease_target, std::move(body), milliseconds(call.wait_ms) + kLeaseMargin,
                       [this](HttpAnswer& a) { on_lease(a); });
  }

  void on_lease(HttpAnswer& answer) {
    lease_in_flight = false;
    if (!answer.ok() || answer.status >= 500) {
      std::string why = answer.ok() ? describe_error(answer.status, answer.body) : answer.error;
      return broker_trouble(why);
    }
    if (fatal_status(answer.status)) {
      fatal = "broker refused the lease call on queue '" + options.queue + "': " + describe_error(answer.status, answer.body);
      return finish("fatal");
    }
    LeaseAnswer parsed;
    if (answer.status == 200) {
      try {
        parsed = parse_lease_answer(answer.body);
      } catch (const Error& e) {
        return broker_trouble(e.what());
      }
    } else if (answer.status != 204) {
      return broker_trouble("unexpected answer " + std::to_string(answer.status));
    }
    if (backoff.failures() > 0) spdlog::info("broker {} answers again", options.broker.text());
    backoff.reset();
    for (size_t i = 0; i < parsed.completed.size(); ++i) {
      auto& ack = parsed.completed[i];
      bool resent = i < in_flight.size() && in_flight[i].resent;
      if (!ack.ok) ++(resent ? summary.unacknowledged : summary.stale);
      else ++(ack.delivered ? summary.delivered : summary.discarded);
    }
    in_flight.clear();
    for (auto& item : parsed.items) start_item(std::move(item));
    if (parsed.items.empty() && idle_expired()) return finish("idle");
    pump();
  }

  // Unreachable, reset, 5xx: completions go back to the queue of sends, the next try waits.
  void broker_trouble(const std::string& why) {
    ++summary.broker_errors;
    pending.insert(pending.begin(), std::make_move_iterator(in_flight.begin()), std::make_move_iterator(in_flight.end()));
    in_flight.clear();
    if (idle_expired()) return finish("idle");
    auto delay = backoff.next();
    if (backoff.failures() == 1) spdlog::warn("broker {}: {}; retrying with backoff", options.broker.text(), why);
    else spdlog::debug("broker {}: {}; retry in {} ms", options.broker.text(), why, delay.count());
    backoff_pending = true;
    backoff_timer.expires_after(delay);
    backoff_timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      backoff_pending = false;
      pump();
    });
  }

  bool idle_expired() const {
    return options.idle_exit && active == 0 && !draining && ms_since(last_activity, Clock::now()) >= options.idle_exit->count();
  }

  // --- items ------------------------------------------------------------------------------------

  void start_item(WorkItem item) {
    auto slot = slots.acquire();
    if (!slot || draining) {  // more than was asked for: hand it straight back
      side_queue.push_back({SideCall::release, -1, 0, Completion{item.lease, true, nullptr, ""}});
      if (slot) slots.release(*slot);
      return side_next();
    }
    auto& r = running[static_cast<size_t>(*slot)];
    r.item = std::move(item);
    r.seq = ++next_seq;
    r.active = true;
    r.lost = false;
    r.heartbeat_in_flight = false;
    r.renewed = Clock::now();
    last_activity = r.renewed;
    ++active;
    arm_sweep(r.item.lease_ms);
    workload.start(*slot, slots.device(*slot), r.item,
                   [this, alive = std::weak_ptr<bool>(alive), slot = *slot, seq = r.seq](WorkOutcome outcome) {
                     if (alive.expired()) return;
                     item_done(slot, seq, std::move(outcome));
                   });
  }

  void item_done(int slot, std::uint64_t seq, WorkOutcome outcome) {
    auto& r = running[static_cast<size_t>(slot)];
    if (!r.active || r.seq != seq) return;
    r.active = false;
    --active;
    slots.release(slot);
    last_activity = Clock::now();
    if (outcome.ok) ++summary.ok;
    else ++summary.failed;
    if (!r.lost) {
      if (!outcome.result.is_object()) outcome.result = nlohmann::json{{"value", std::move(outcome.result)}};
      outcome.result["node"] = options.identity.node;
      outcome.result["pod"] = options.identity.pod;
      outcome.result["device"] = std::filesystem::path(slots.device(slot)).filename().string();
      pending.push_back(Completion{r.item.lease, outcome.ok, std::move(outcome.result), std::move(outcome.error)});
    }
    flush();
  }

  // Completions ride on the next lease call when the lease connection is free; while it is
  // long-polling they take the side connection, so no client waits for another item to arrive.
  void flush() {
    if (done) return;
    if (!lease_in_flight && !backoff_pending && !stopping) return pump();
    if (lease_in_flight || stopping) {
      for (auto& c : pending) side_queue.push_back({SideCall::complete, -1, 0, std::move(c)});
      pending.clear();
      side_next();
    }
    check_finish();
  }

  // --- heartbeats -------------------------------------------------------------------------------

  void arm_sweep(std::int64_t lease_ms) {
    if (sweep_armed || lease_ms <= 0) return;
    sweep_armed = true;
    // Every lease/6, items older than lease/3 are renewed: a renewal is never later than lease/2.
    sweep_timer.expires_after(milliseconds(std::max<std::int64_t>(lease_ms / 6, 20)));
    sweep_timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      sweep_armed = false;
      sweep();
    });
  }

  void sweep() {
    auto now = Clock::now();
    std::int64_t shortest = 0;
    for (size_t s = 0; s < running.size(); ++s) {
      auto& r = running[s];
      if (!r.active || r.lost || r.item.lease_ms <= 0) continue;
      shortest = shortest == 0 ? r.item.lease_ms : std::min(shortest, r.item.lease_ms);
      if (!r.heartbeat_in_flight && ms_since(r.renewed, now) >= r.item.lease_ms / 3) {
        r.heartbeat_in_flight = true;
        side_queue.push_back({SideCall::heartbeat, static_cast<int>(s), r.seq, Completion{r.item.lease, true, nullptr, ""}});
      }
    }
    side_next();
    if (shortest > 0) arm_sweep(shortest);
  }

  // --- the side connection ----------------------------------------------------------------------

  void side_next() {
    if (side_busy || side_queue.empty() || done) return;
    side_busy = true;
    SideCall c = std::move(side_queue.front());
    side_queue.pop_front();
    std::string target = "/v1/leases/" + c.completion.lease;
    std::string body;
    auto sent = Clock::now();
    switch (c.kind) {
      case SideCall::complete:
        target += "/complete";
        body = completion_body(c.completion);
        break;
      case SideCall::heartbeat:
        target += "/heartbeat";
        body = "{\"lease_ms\":" + std::to_string(running[static_cast<size_t>(c.slot)].item.lease_ms) + "}";
        break;
      case SideCall::release:
        target += "/release";
        body = "{}";
        break;
    }
    side_conn.request("POST", target, std::move(body), kSideTimeout, [this, c = std::move(c), sent](HttpAnswer& a) mutable {
      side_busy = false;
      on_side(c, a, sent);
      side_next();
      check_finish();
    });
  }

  void on_side(SideCall& c, const HttpAnswer& a, Clock::time_point sent) {
    bool stale = a.ok() && a.status == 409;
    if (!a.ok() || a.status >= 500) ++summary.broker_errors;
    switch (c.kind) {
      case SideCall::complete:
        if (!a.ok() || a.status >= 500) {
          if (!stopping) pending.push_back(std::move(c.completion));  // rides on the next lease call
        } else if (stale) {
          ++(c.completion.resent ? summary.unacknowledged : summary.stale);
        } else if (a.status == 200) {
          auto doc = nlohmann::json::parse(a.body, nullptr, false);
          if (doc.is_object() && doc.value("delivered", true) == false) ++summary.discarded;
          else ++summary.delivered;
        }
        if (!lease_in_flight && !pending.empty()) pump();
        break;
      case SideCall::heartbeat: {
        auto& r = running[static_cast<size_t>(c.slot)];
        if (!r.active || r.seq != c.seq) break;
        r.heartbeat_in_flight = false;
        if (stale) {  // expired and perhaps leased elsewhere: our result would be refused
          r.lost = true;
          workload.cancel(c.slot);
        } else if (a.ok() && a.status == 200) {
          r.renewed = sent;
          auto doc = nlohmann::json::parse(a.body, nullptr, false);
          if (doc.is_object() && doc.value("cancelled", false)) workload.cancel(c.slot);  // the submitter has gone
        }
        break;
      }
      case SideCall::release:
        ++summary.released;
        break;
    }
  }

  // --- stopping ---------------------------------------------------------------------------------

  void drain() {
    if (draining || done) return;
    draining = true;
    spdlog::info("worker: draining ({} item(s) running)", active);
    if (lease_in_flight) {  // a long poll: closing it is how a worker leaves the broker's wait list
      lease_conn.close();
      lease_in_flight = false;
      for (auto& c : in_flight) c.resent = true;
      pending.insert(pending.begin(), std::make_move_iterator(in_flight.begin()), std::make_move_iterator(in_flight.end()));
      in_flight.clear();
    }
    if (options.drain_limit) {
      drain_timer.expires_after(*options.drain_limit);
      drain_timer.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) stop_now("drain limit");
      });
    }
    pump();
    check_finish();
  }

  void stop_now(const std::string& why = "signal") {
    if (done || stopping) return;
    summary.stop_reason = why;
    draining = stopping = true;
    if (lease_in_flight) {
      lease_conn.close();
      lease_in_flight = false;
      for (auto& c : in_flight) c.resent = true;
      pending.insert(pending.begin(), std::make_move_iterator(in_flight.begin()), std::make_move_iterator(in_flight.end()));
      in_flight.clear();
    }
    for (auto& c : pending) side_queue.push_back({SideCall::complete, -1, 0, std::move(c)});
    pending.clear();
    for (size_t s = 0; s < running.size(); ++s) {
      auto& r = running[s];
      if (!r.active || r.lost) continue;
      r.lost = true;
      workload.cancel(static_cast<int>(s));
      side_queue.push_back({SideCall::release, static_cast<int>(s), r.seq, Completion{r.item.lease, true, nullptr, ""}});
    }
    side_next();
    check_finish();
  }

  void check_finish() {
    if (done) return;
    bool side_idle = !side_busy && side_queue.empty();
    if (stopping && side_idle) return finish(summary.stop_reason);
    if (draining && active == 0 && pending.empty() && !lease_in_flight && side_idle) return finish("signal");
  }

  void finish(const std::string& reason) {
    if (done) return;
    done = true;
    if (summary.stop_reason.empty()) summary.stop_reason = reason;
    summary.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    lease_conn.close();
    side_conn.close();
    backoff_timer.cancel();
    sweep_timer.cancel();
    drain_timer.cancel();
    if (finished_callback) finished_callback();
  }
};

Worker::Worker(asio::io_context& io, WorkerOptions options, Workload& workload)
    : impl_(std::make_unique<Impl>(io, std::move(options), workload)) {
  if (impl_->options.slots < 1) throw UsageError("--slots must be at least 1");
  if (!valid_queue_name(impl_->options.queue)) throw UsageError("--queue '" + impl_->options.queue + "': use [A-Za-z0-9._-], 1 to 64 characters");
}

Worker::~Worker() = default;

void Worker::start() {
  impl_->started = impl_->last_activity = Clock::now();
  impl_->pump();
}
void Worker::drain() { impl_->drain(); }
void Worker::stop_now() { impl_->stop_now(); }
bool Worker::finished() const { return impl_->done; }
void Worker::on_finished(std::function<void()> callback) { impl_->finished_callback = std::move(callback); }
WorkerSummary Worker::summary() const { return impl_->summary; }
const std::string& Worker::fatal_error() const { return impl_->fatal; }

WorkerSummary run_worker(asio::io_context& io, const WorkerOptions& options, Workload& workload) {
  WorkerSummary summary;
  std::string fatal;
  {
    Worker worker(io, options, workload);
    // The worker owns SIGTERM/SIGINT while it runs: the first drains, the second stops now.
    asio::signal_set signals(io, SIGTERM, SIGINT);
    int received = 0;
    std::function<void()> wait_signal = [&] {
      signals.async_wait([&](const boost::system::error_code& ec, int) {
        if (ec) return;
        if (++received == 1) worker.drain();
        else worker.stop_now();
        wait_signal();
      });
    };
    wait_signal();
    worker.on_finished([&] {
      signals.cancel();
      io.stop();
    });
    spdlog::info("worker {} on queue '{}' at {}: {} slot(s), workload {}", options.identity.worker, options.queue,
                 options.broker.text(), options.slots, workload.name());
    worker.start();
    if (interrupted()) {  // a signal that came before the set above took over: it still means drain
      clear_interrupt();
      ++received;
      worker.drain();
    }
    if (!worker.finished()) io.run();
    summary = worker.summary();
    fatal = worker.fatal_error();
  }
  install_interrupt_handlers();  // the signal set left SIGTERM/SIGINT at their default (fatal) action
  if (!fatal.empty()) throw EnvironmentError(fatal);
  return summary;
}

}  // namespace kb::queue
