#include "queue/workload_sleep.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cmath>
#include <vector>

#include "core/text.h"

namespace kb::queue {

namespace asio = boost::asio;

SleepRequest parse_sleep_payload(const nlohmann::json& payload) {
  SleepRequest r;
  const nlohmann::json* value = &payload;
  if (payload.is_object()) {
    auto it = payload.find("seconds");
    if (it == payload.end()) {
      r.error = "sleep payload needs {\"seconds\": N}";
      return r;
    }
    value = &*it;
  }
  if (!value->is_number()) {
    r.error = "sleep payload needs {\"seconds\": N} with N a number";
    return r;
  }
  double s = value->get<double>();
  if (!std::isfinite(s) || s < 0 || s > 1e6) {
    r.error = "sleep seconds must be between 0 and 1000000";
    return r;
  }
  r.seconds = s;
  return r;
}

struct SleepWorkload::Impl {
  asio::io_context& io;
  std::optional<std::chrono::milliseconds> limit;
  struct Slot {
    explicit Slot(asio::io_context& io) : timer(io) {}
    asio::steady_timer timer;
    Done done;
    WorkOutcome outcome;
    bool cancelled = false;
  };
  std::vector<std::unique_ptr<Slot>> slots;
};

SleepWorkload::SleepWorkload(asio::io_context& io, int slots, std::optional<std::chrono::milliseconds> time_limit)
    : impl_(std::make_unique<Impl>(Impl{io, time_limit, {}})) {
  for (int i = 0; i < slots; ++i) impl_->slots.push_back(std::make_unique<Impl::Slot>(io));
}

SleepWorkload::~SleepWorkload() = default;

void SleepWorkload::start(int slot, const std::string&, const WorkItem& item, Done done) {
  auto& s = *impl_->slots.at(static_cast<size_t>(slot));
  auto request = parse_sleep_payload(item.payload);
  WorkOutcome outcome;
  if (!request.error.empty()) {
    outcome.ok = false;
    outcome.error = request.error;
    asio::post(impl_->io, [done = std::move(done), o = std::move(outcome)]() mutable { done(std::move(o)); });
    return;
  }
  double seconds = request.seconds;
  bool limited = false;
  if (impl_->limit && seconds * 1000 > static_cast<double>(impl_->limit->count())) {
    seconds = static_cast<double>(impl_->limit->count()) / 1000;
    limited = true;
  }
  outcome.result = {{"slept_s", seconds}};
  if (limited) {
    outcome.ok = false;
    outcome.error = "time limit of " + fixed(seconds, 3) + " s reached";
    outcome.result["timed_out"] = true;
  }
  if (seconds <= 0) {  // the benchmark's case: no timer at all
    asio::post(impl_->io, [done = std::move(done), o = std::move(outcome)]() mutable { done(std::move(o)); });
    return;
  }
  s.done = std::move(done);
  s.outcome = std::move(outcome);
  s.cancelled = false;
  s.timer.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds)));
  s.timer.async_wait([&s](const boost::system::error_code&) {
    if (s.cancelled) {
      s.outcome.ok = false;
      s.outcome.error = "cancelled";
    }
    Done d = std::move(s.done);
    s.done = nullptr;
    if (d) d(std::move(s.outcome));
  });
}

void SleepWorkload::cancel(int slot) {
  auto& s = *impl_->slots.at(static_cast<size_t>(slot));
  if (!s.done) return;
  s.cancelled = true;
  s.timer.cancel();
}

}  // namespace kb::queue
