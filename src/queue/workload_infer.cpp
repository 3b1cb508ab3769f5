#include "queue/workload_infer.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "core/error.h"
#include "infer/infer_runner.h"
#include "queue/slot_threads.h"

namespace kb::queue {

namespace asio = boost::asio;

InferRequest parse_infer_payload(const nlohmann::json& payload) {
  InferRequest r;
  if (payload.is_null()) return r;
  if (!payload.is_object()) {
    r.error = "infer payload must be a JSON object such as {\"queries\": 1}";
    return r;
  }
  for (const auto& [key, value] : payload.items())
    if (key != "queries") r.error = "infer payload: unknown key \"" + key.substr(0, 64) + "\" (known: queries)";
  if (!r.error.empty()) return r;
  if (auto q = payload.find("queries"); q != payload.end()) {
    if (!q->is_number_integer() || q->get<long long>() < 1 || q->get<long long>() > 100000) {
      r.error = "infer payload \"queries\" must be an integer from 1 to 100000";
      return r;
    }
    r.queries = q->get<int>();
  }
  return r;
}

struct InferWorkload::Impl {
  asio::io_context& io;
  infer::InferSession session;
  SlotThreads threads;  // last: joined first
  Impl(asio::io_context& context, int slots, const infer::InferOptions& options)
      : io(context), session(options, slots), threads(slots) {}
};

InferWorkload::InferWorkload(asio::io_context& io, int slots, const infer::InferOptions& options)
    : impl_(std::make_unique<Impl>(io, slots, options)) {}

InferWorkload::~InferWorkload() = default;

void InferWorkload::start(int slot, const std::string&, const WorkItem& item, Done done) {
  const auto request = parse_infer_payload(item.payload);
  if (!request.error.empty()) {
    WorkOutcome refused{false, nlohmann::json::object(), request.error};
    asio::post(impl_->io, [done = std::move(done), o = std::move(refused)]() mutable { done(std::move(o)); });
    return;
  }
  impl_->threads.run(slot, [impl = impl_.get(), slot, request, done = std::move(done)]() mutable {
    WorkOutcome outcome;
    try {
      double total = 0, worst = 0;
      for (int i = 0; i < request.queries; ++i) {
        const double ms = impl->session.run_query(slot);
        total += ms;
        worst = std::max(worst, ms);
      }
      const auto batch = impl->session.model().batch;
      outcome.result = {{"queries", request.queries},
                        {"samples", static_cast<long long>(request.queries) * batch},
                        {"latency_ms", total / request.queries},
                        {"latency_max_ms", worst}};
    } catch (const Error& e) {
      outcome.ok = false;
      outcome.error = e.what();
    }
    asio::post(impl->io, [done = std::move(done), o = std::move(outcome)]() mutable { done(std::move(o)); });
  });
}

void InferWorkload::cancel(int) {}

}  // namespace kb::queue
