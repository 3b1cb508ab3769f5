#include "queue/broker_api.h"

#include "queue/broker_metrics.h"
#include "queue/ids.h"
#include "queue/protocol.h"

namespace kb::queue {

namespace {
HttpReply json_response(int status, std::string body) { return HttpReply{status, std::move(body), "application/json", {}}; }

HttpReply error_response(int status, std::string_view code, std::string_view message, std::uint64_t id = 0) {
  return json_response(status, error_json(code, message, id));
}

HttpReply unauthorized() {
  auto r = error_response(401, "unauthorized", "a valid bearer token is required (Authorization: Bearer <token>)");
  r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

std::string_view authorization(const HttpExchange& ex) { return ex.request().header("Authorization"); }
}  // namespace

BrokerApi::BrokerApi(HttpServer& server, BrokerConfig config, AccessTokens tokens)
    : server_(server), qmax_(config.qmax), tokens_(std::move(tokens)), broker_(std::move(config)), timer_(server.make_timer()) {
  // Bad input is a RequestError anywhere below: one 4xx with a JSON error, never a crash.
  auto guarded = [this](void (BrokerApi::*handler)(const HttpExchange&)) {
    return [this, handler](const HttpExchange& ex) {
      try {
        (this->*handler)(ex);
      } catch (const RequestError& e) {
        ex.respond(error_response(e.http_status(), e.code(), e.what()));
      }
    };
  };
  server.route("POST", "/v1/queues/{queue}/items", guarded(&BrokerApi::submit));
  server.route("POST", "/v1/queues/{queue}/leases", guarded(&BrokerApi::lease));
  server.route("POST", "/v1/leases/{lease}/complete", guarded(&BrokerApi::complete));
  server.route("POST", "/v1/leases/{lease}/heartbeat", guarded(&BrokerApi::heartbeat));
  server.route("POST", "/v1/leases/{lease}/release", guarded(&BrokerApi::release));
  server.route("GET", "/v1/queues", guarded(&BrokerApi::list_queues));
  server.route("GET", "/v1/queues/{queue}", guarded(&BrokerApi::get_queue));
  server.route("GET", "/metrics", guarded(&BrokerApi::metrics));
  server.route("GET", "/healthz", [](const HttpExchange& ex) { ex.respond(json_response(200, R"({"status":"ok"})")); });
  server.route("GET", "/readyz", guarded(&BrokerApi::readyz));
}

BrokerApi::~BrokerApi() = default;

void BrokerApi::after_change() {
  if (broker_.draining()) idle_cv_.notify_all();
  auto next = broker_.next_deadline();
  if (!next || (armed_ && *armed_ <= *next)) return;  // an earlier fire re-arms for the rest
  armed_ = *next;
  timer_->schedule(*next, [this] { on_timer(); });
}

void BrokerApi::on_timer() {
  std::lock_guard lock(mutex_);
  armed_.reset();
  broker_.tick(Clock::now());
  after_change();
}

void BrokerApi::submit(const HttpExchange& ex) {
  const auto& req = ex.request();
  if (!tokens_.client_allowed(authorization(ex))) return ex.respond(unauthorized());
  const auto queue = req.param("queue");
  check_queue_name(queue);
  auto r = parse_submit(req.body);
  Broker::Submitted s;
  {
    std::lock_guard lock(mutex_);
    s = broker_.submit(queue, std::move(r.payload), r.timeout, Clock::now(), [ex](ItemResult&& result) {
      auto answer = item_answer(result);
      ex.respond(json_response(answer.status, std::move(answer.body)));
    });
    after_change();
  }
  if (s.status != Status::ok)
    return ex.respond(error_response(http_status(s.status), status_code(s.status), status_message(s.status, queue, qmax_)));
  ex.on_disconnect([this, id = s.id] {
    std::lock_guard lock(mutex_);
    broker_.client_gone(id, Clock::now());
    after_change();
  });
}

void BrokerApi::lease(const HttpExchange& ex) {
  const auto& req = ex.request();
  if (!tokens_.worker_allowed(authorization(ex))) return ex.respond(unauthorized());
  const auto queue = req.param("queue");
  check_queue_name(queue);
  auto r = parse_lease(req.body);
  const std::string worker = r.worker.value_or(req.remote);
  auto outcomes = std::make_shared<std::vector<CompletionOutcome>>();
  // 204 only when there is nothing at all to say: acknowledgements are never dropped.
  auto answer = [outcomes](const HttpExchange& to, Status status, const std::vector<LeasedItem>& items) {
    if (status != Status::ok)
      return to.respond(error_response(http_status(status), status_code(status), status_message(status, "", 0)));
    if (items.empty() && outcomes->empty()) return to.respond(HttpReply{204, "", "application/json", {}});
    to.respond(json_response(200, leased_json(items, *outcomes)));
  };
  Broker::Leased leased;
  {
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    if (auto s = broker_.open_queue(queue); s != Status::ok)
      return ex.respond(error_response(http_status(s), status_code(s), status_message(s, queue, qmax_)));
    for (auto& c : r.complete) {
      auto done = broker_.complete(c.lease, c.ok, std::move(c.result), std::move(c.error), now);
      outcomes->push_back({c.lease_text, done.status, done.delivered});
    }
    leased = broker_.lease(queue, worker, r.max_items, r.lease, r.wait, now,
                           [ex, answer](Status status, std::vector<LeasedItem>&& items) { answer(ex, status, items); });
    after_change();
  }
  if (leased.waiter == 0) return answer(ex, leased.status, leased.items);
  ex.on_disconnect([this, waiter = leased.waiter] {
    std::lock_guard lock(mutex_);
    broker_.cancel_waiter(waiter, Clock::now());
    after_change();
  });
}

void BrokerApi::complete(const HttpExchange& ex) {
  const auto& req = ex.request();
  if (!tokens_.worker_allowed(authorization(ex))) return ex.respond(unauthorized());
  auto c = parse_complete(req.param("lease"), req.body);
  Broker::Completed done;
  {
    std::lock_guard lock(mutex_);
    done = broker_.complete(c.lease, c.ok, std::move(c.result), std::move(c.error), Clock::now());
    after_change();
  }
  if (done.status != Status::ok)
    return ex.respond(error_response(http_status(done.status), status_code(done.status), status_message(done.status, "", 0)));
  ex.respond(json_response(200, completion_json({c.lease_text, done.status, done.delivered})));
}

void BrokerApi::heartbeat(const HttpExchange& ex) {
  const auto& req = ex.request();
  if (!tokens_.worker_allowed(authorization(ex))) return ex.respond(unauthorized());
  const auto lease = parse_lease_id(req.param("lease"));
  auto r = parse_heartbeat(req.body);
  Broker::Heartbeat beat;
  {
    std::lock_guard lock(mutex_);
    beat = broker_.heartbeat(lease, r.lease, Clock::now());
    after_change();
  }
  if (beat.status != Status::ok)
    return ex.respond(error_response(http_status(beat.status), status_code(beat.status), status_message(beat.status, "", 0)));
  ex.respond(json_response(200, "{\"lease\":\"" + format_id(lease) + "\",\"lease_ms\":" +
                                    std::to_string(std::chrono::duration_cast<Millis>(beat.lease_for).count()) +
                                    ",\"cancelled\":" + (beat.cancelled ? "true" : "false") + "}"));
}

void BrokerApi::release(const HttpExchange& ex) {
  const auto& req = ex.request();
  if (!tokens_.worker_allowed(authorization(ex))) return ex.respond(unauthorized());
  const auto lease = parse_lease_id(req.param("lease"));
  parse_release(req.body);
  Broker::Released released;
  {
    std::lock_guard lock(mutex_);
    released = broker_.release(lease, Clock::now());
    after_change();
  }
  if (released.status != Status::ok)
    return ex.respond(error_response(http_status(released.status), status_code(released.status),
                                     status_message(released.status, "", 0)));
  ex.respond(json_response(200, "{\"lease\":\"" + format_id(lease) + "\",\"requeued\":" + (released.requeued ? "true" : "false") + "}"));
}

void BrokerApi::list_queues(const HttpExchange& ex) {
  if (!tokens_.reader_allowed(authorization(ex))) return ex.respond(unauthorized());
  std::string body;
  {
    std::lock_guard lock(mutex_);
    body = queues_json(broker_.stats(Clock::now()), broker_.draining());
  }
  ex.respond(json_response(200, std::move(body)));
}

void BrokerApi::get_queue(const HttpExchange& ex) {
  if (!tokens_.reader_allowed(authorization(ex))) return ex.respond(unauthorized());
  const auto queue = ex.request().param("queue");
  check_queue_name(queue);
  std::optional<QueueStats> stats;
  {
    std::lock_guard lock(mutex_);
    stats = broker_.stats(queue, Clock::now());
  }
  if (!stats) return ex.respond(error_response(404, "unknown_queue", status_message(Status::unknown_queue, queue, 0)));
  ex.respond(json_response(200, queue_json(*stats)));
}

void BrokerApi::metrics(const HttpExchange& ex) {
  BrokerMetrics m;
  {
    std::lock_guard lock(mutex_);
    m.queues = broker_.stats(Clock::now());
    m.stale_completions = broker_.stale_completions();
    m.draining = broker_.draining();
  }
  m.http = server_.stats();
  ex.respond(HttpReply{200, metrics_text(m), "text/plain; version=0.0.4; charset=utf-8", {}});
}

void BrokerApi::readyz(const HttpExchange& ex) {
  bool draining;
  {
    std::lock_guard lock(mutex_);
    draining = broker_.draining();
  }
  if (draining) return ex.respond(error_response(503, "draining", "the broker is draining"));
  ex.respond(json_response(200, R"({"status":"ok"})"));
}

void BrokerApi::start_drain() {
  std::lock_guard lock(mutex_);
  broker_.start_drain();
  after_change();
}

bool BrokerApi::wait_idle(TimePoint deadline) {
  std::unique_lock lock(mutex_);
  return idle_cv_.wait_until(lock, deadline, [&] { return broker_.items() == 0; });
}

void BrokerApi::shut_down() {
  std::lock_guard lock(mutex_);
  broker_.shut_down();
  timer_->cancel();
  armed_.reset();
}

}  // namespace kb::queue
