// The broker's /metrics page (docs/queue.md, "GET /metrics"): every family with HELP and TYPE,
// every queue's series present from the start (zeros included), so rate() and the HPA adapter
// see them before the first item.
#pragma once
#include <string>
#include <vector>

#include "core/http_server.h"
#include "queue/broker.h"

namespace kb::queue {

struct BrokerMetrics {
  std::vector<QueueStats> queues;
  std::uint64_t stale_completions = 0;
  bool draining = false;
  HttpServerStats http;
};

std::string metrics_text(const BrokerMetrics& metrics);

}  // namespace kb::queue
