#include "queue/load_client.h"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <vector>

#include "core/error.h"
#include "core/http_connection.h"
#include "queue/backoff.h"
#include "queue/broker.h"

namespace kb::queue {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct LoadClient::Impl {
  struct Lane {
    Lane(asio::io_context& io, const BrokerUrl& b, std::uint64_t seed)
        : conn(io, b.host, b.port), pause(io), backoff(milliseconds(10), milliseconds(1000), seed) {}
    HttpConnection conn;
    asio::steady_timer pause;  // backoff after a refused or failed request
    Backoff backoff;
    bool busy = false;  // a request in flight or a backoff pending
  };

  Impl(asio::io_context& i, LoadOptions o, LoadStats& s)
      : io(i), options(std::move(o)), stats(s), deadline_timer(io), target("/v1/queues/" + options.queue + "/items") {
    body = nlohmann::json{{"payload", options.payload}, {"timeout_ms", options.timeout.count()}}.dump();
    wanted.store(options.parallelism);
  }

  asio::io_context& io;
  LoadOptions options;
  LoadStats& stats;
  asio::steady_timer deadline_timer;
  std::string target, body;
  std::vector<std::unique_ptr<Lane>> lanes;
  std::atomic<int> wanted{0};
  std::atomic<int> in_flight{0};
  std::atomic<bool> stopping{false};
  bool done = false;
  std::uint64_t sent = 0, answered = 0;
  std::function<void()> finished_callback;

  bool may_send() const {
    return !stopping.load() && (!options.requests || sent < *options.requests);
  }

  // Starts idle lanes below the wanted parallelism.
  void fill() {
    if (done) return;
    int k = wanted.load();
    while (static_cast<int>(lanes.size()) < k) {
      lanes.push_back(std::make_unique<Lane>(io, options.broker, 0x9e3779b97f4a7c15ull * (lanes.size() + 1)));
      if (!options.token.empty()) lanes.back()->conn.add_header("Authorization", "Bearer " + options.token);
    }
    for (int i = 0; i < k && may_send(); ++i)
      if (!lanes[static_cast<size_t>(i)]->busy) send(i);
    check_finished();
  }

  void send(int index) {
    auto& lane = *lanes[static_cast<size_t>(index)];
    lane.busy = true;
    ++sent;
    ++in_flight;
    auto t0 = Clock::now();
    lane.conn.request("POST", target, body, options.timeout + milliseconds(10000), [this, index, t0](HttpAnswer& a) {
      --in_flight;
      auto now = Clock::now();
      RequestOutcome o = classify_answer(a.error, a.status, a.body);
      o.latency_ms = std::chrono::duration<double, std::milli>(now - t0).count();
      if (!stopping.load()) {
        ++answered;
        stats.record(o, now);
      }
      next(index, o.ok || (a.ok() && a.status == 200));
    });
  }

  // After an answer: the lane goes on at once, or after a backoff when the broker refused or
  // could not be reached (so a broker that is down is not hammered), or stops when K went down.
  void next(int index, bool exchange_worked) {
    auto& lane = *lanes[static_cast<size_t>(index)];
    if (exchange_worked) lane.backoff.reset();
    if (!exchange_worked && may_send() && index < wanted.load()) {
      lane.pause.expires_after(lane.backoff.next());
      lane.pause.async_wait([this, index](const boost::system::error_code& ec) {
        if (ec) return;
        lanes[static_cast<size_t>(index)]->busy = false;
        if (index < wanted.load() && may_send()) send(index);
        check_finished();
      });
      return;
    }
    lane.busy = false;
    if (index < wanted.load() && may_send()) send(index);
    check_finished();
  }

  void check_finished() {
    if (done) return;
    bool budget_spent = options.requests && sent >= *options.requests && in_flight.load() == 0;
    if (stopping.load() || budget_spent) finish();
  }

  void finish() {
    done = true;
    stopping.store(true);
    deadline_timer.cancel();
    for (auto& l : lanes) {
      l->conn.close();
      l->pause.cancel();
    }
    in_flight.store(0);
    if (finished_callback) finished_callback();
  }
};

LoadClient::LoadClient(asio::io_context& io, LoadOptions options, LoadStats& stats) {
  if (!valid_queue_name(options.queue)) throw UsageError("--queue '" + options.queue + "': use [A-Za-z0-9._-], 1 to 64 characters");
  if (options.max_parallelism < 1) throw UsageError("--max-parallelism must be at least 1");
  if (options.parallelism < 0 || options.parallelism > options.max_parallelism)
    throw UsageError("--parallelism must be 0.." + std::to_string(options.max_parallelism) + " (--max-parallelism)");
  if (options.timeout.count() < 1 || options.timeout.count() > 3600000) throw UsageError("--timeout must be 0.001..3600 s");
  impl_ = std::make_unique<Impl>(io, std::move(options), stats);
}

LoadClient::~LoadClient() = default;

void LoadClient::start() {
  auto& s = *impl_;
  if (s.options.duration) {
    s.deadline_timer.expires_after(*s.options.duration);
    s.deadline_timer.async_wait([impl = impl_.get()](const boost::system::error_code& ec) {
      if (!ec) impl->finish();
    });
  }
  s.fill();
}

void LoadClient::set_parallelism(int k) {
  if (k < 0 || k > impl_->options.max_parallelism)
    throw UsageError("parallelism must be 0.." + std::to_string(impl_->options.max_parallelism));
  impl_->wanted.store(k);
  asio::post(impl_->io, [impl = impl_.get()] { impl->fill(); });
}

int LoadClient::parallelism() const { return impl_->wanted.load(); }
int LoadClient::max_parallelism() const { return impl_->options.max_parallelism; }
int LoadClient::in_flight() const { return impl_->in_flight.load(); }

void LoadClient::stop() {
  impl_->stopping.store(true);
  asio::post(impl_->io, [impl = impl_.get()] {
    if (!impl->done) impl->finish();
  });
}

bool LoadClient::finished() const { return impl_->done; }
void LoadClient::on_finished(std::function<void()> callback) { impl_->finished_callback = std::move(callback); }

nlohmann::json LoadClient::stats_document() const {
  auto doc = impl_->stats.snapshot();
  doc["schema"] = "kubench/queue-load/v1";
  doc["queue"] = impl_->options.queue;
  doc["broker"] = impl_->options.broker.text();
  doc["parallelism"] = parallelism();
  doc["max_parallelism"] = max_parallelism();
  doc["in_flight"] = in_flight();
  return doc;
}

}  // namespace kb::queue
