// The broker's Prometheus page: every family with HELP and TYPE, every queue its series.
#include <gtest/gtest.h>

#include "core/prometheus_text.h"
#include "queue/broker_metrics.h"

namespace kb::queue {
namespace {

TEST(BrokerMetrics, EveryFamilyHasHelpAndTypeAndEveryQueueItsSeries) {
  BrokerMetrics m;
  QueueStats a, b;
  a.name = "sleep";
  a.waiting = 3;
  a.counters.completed = 12;
  a.counters.failed_max_attempts = 1;
  b.name = "media";
  m.queues = {a, b};
  m.http.responses = {{200, 5}, {429, 1}};
  const auto text = metrics_text(m);
  for (const char* line : {"kubench_queue_waiting{queue=\"sleep\"} 3\n", "kubench_queue_waiting{queue=\"media\"} 0\n",
                           "kubench_queue_completed_total{queue=\"sleep\"} 12\n",
                           "kubench_queue_failed_total{queue=\"sleep\",reason=\"max_attempts\"} 1\n",
                           "kubench_queue_failed_total{queue=\"media\",reason=\"workload\"} 0\n",
                           "kubench_queue_rejected_total{queue=\"media\",reason=\"full\"} 0\n",
                           "kubench_queue_wait_seconds_bucket{queue=\"sleep\",le=\"+Inf\"} 0\n",
                           "kubench_queue_client_disconnects_total{queue=\"media\"} 0\n",
                           "kubench_http_responses_total{code=\"429\"} 1\n", "kubench_queue_draining 0\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line;
  // Each TYPE line has its HELP line right before it.
  std::size_t types = 0;
  for (std::size_t pos = 0; (pos = text.find("# TYPE ", pos)) != std::string::npos; ++pos, ++types) {
    auto name = text.substr(pos + 7, text.find(' ', pos + 7) - pos - 7);
    EXPECT_NE(text.rfind("# HELP " + name + " ", pos), std::string::npos) << name;
  }
  EXPECT_GE(types, 18u);
}

}  // namespace
}  // namespace kb::queue
