#include "queue/broker_metrics.h"

#include "core/prometheus_text.h"

namespace kb::queue {

namespace {
using Counter = std::uint64_t QueueCounters::*;

struct CounterFamily {
  const char* name;
  const char* help;
  Counter field;
};

constexpr CounterFamily kCounters[] = {
    {"kubench_queue_submitted_total", "Items accepted.", &QueueCounters::submitted},
    {"kubench_queue_completed_total", "Completions with status ok (including those whose submitter had gone).",
     &QueueCounters::completed},
    {"kubench_queue_timeouts_total", "Submitters whose timeout passed before the result.", &QueueCounters::timeouts},
    {"kubench_queue_client_disconnects_total", "Submitters that went away before their answer.", &QueueCounters::disconnects},
    {"kubench_queue_discarded_results_total", "Completions whose submitter had gone.", &QueueCounters::discarded},
    {"kubench_queue_lease_expired_total", "Leases that expired (worker died, hung or was too slow).", &QueueCounters::lease_expired},
    {"kubench_queue_requeued_total", "Items put back in their queue (lease expired or released).", &QueueCounters::requeued},
};
}  // namespace

std::string metrics_text(const BrokerMetrics& m) {
  PrometheusText out;
  auto per_queue_gauge = [&](const char* name, const char* help, auto value) {
    out.family(name, "gauge", help);
    for (auto& q : m.queues) out.sample(name, {{"queue", q.name}}, value(q));
  };
  per_queue_gauge("kubench_queue_waiting", "Items waiting for a worker.",
                  [](const QueueStats& q) { return static_cast<std::uint64_t>(q.waiting); });
  per_queue_gauge("kubench_queue_leased", "Items held by workers under a lease.",
                  [](const QueueStats& q) { return static_cast<std::uint64_t>(q.leased); });
  per_queue_gauge("kubench_queue_oldest_waiting_seconds", "Age since submit of the next item to be leased; 0 when none.",
                  [](const QueueStats& q) { return q.oldest_waiting_seconds; });
  per_queue_gauge("kubench_queue_workers", "Distinct workers holding a lease or a lease request, or heard from recently.",
                  [](const QueueStats& q) { return static_cast<std::uint64_t>(q.workers); });
  per_queue_gauge("kubench_queue_polling_workers", "Lease requests waiting for an item (idle capacity).",
                  [](const QueueStats& q) { return static_cast<std::uint64_t>(q.polling); });

  for (auto& c : kCounters) {
    out.family(c.name, "counter", c.help);
    for (auto& q : m.queues) out.sample(c.name, {{"queue", q.name}}, q.counters.*c.field);
  }
  out.family("kubench_queue_failed_total", "counter", "Items that finished failed, by reason: workload, max_attempts, shutdown.");
  for (auto& q : m.queues) {
    out.sample("kubench_queue_failed_total", {{"queue", q.name}, {"reason", "workload"}}, q.counters.failed_workload);
    out.sample("kubench_queue_failed_total", {{"queue", q.name}, {"reason", "max_attempts"}}, q.counters.failed_max_attempts);
    out.sample("kubench_queue_failed_total", {{"queue", q.name}, {"reason", "shutdown"}}, q.counters.failed_shutdown);
  }
  out.family("kubench_queue_rejected_total", "counter", "Submits refused, by reason: full (qmax), draining.");
  for (auto& q : m.queues) {
    out.sample("kubench_queue_rejected_total", {{"queue", q.name}, {"reason", "full"}}, q.counters.rejected_full);
    out.sample("kubench_queue_rejected_total", {{"queue", q.name}, {"reason", "draining"}}, q.counters.rejected_draining);
  }
  out.family("kubench_queue_wait_seconds", "histogram", "Time from (re)queueing to each lease.");
  for (auto& q : m.queues) out.histogram("kubench_queue_wait_seconds", {{"queue", q.name}}, q.wait);
  out.family("kubench_queue_run_seconds", "histogram", "Time from lease to completion.");
  for (auto& q : m.queues) out.histogram("kubench_queue_run_seconds", {{"queue", q.name}}, q.run);

  out.family("kubench_queue_stale_completions_total", "counter", "Completions refused because their lease was not held.");
  out.sample("kubench_queue_stale_completions_total", {}, m.stale_completions);
  out.family("kubench_queue_draining", "gauge", "1 while the broker drains (SIGTERM), else 0.");
  out.sample("kubench_queue_draining", {}, static_cast<std::uint64_t>(m.draining ? 1 : 0));
  out.family("kubench_http_connections", "gauge", "Open HTTP connections.");
  out.sample("kubench_http_connections", {}, m.http.connections_open);
  out.family("kubench_http_responses_total", "counter", "HTTP responses sent, by status code.");
  for (auto& [code, n] : m.http.responses) out.sample("kubench_http_responses_total", {{"code", std::to_string(code)}}, n);
  return out.text();
}

}  // namespace kb::queue
