// The Prometheus text format: escaping, histograms, and the broker's page.
#include "queue/prometheus_text.h"

#include <gtest/gtest.h>

#include <cmath>

#include "queue/broker_metrics.h"

namespace kb::queue {
namespace {

TEST(PrometheusText, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_EQ(escape_help("x\\y\nz\""), "x\\\\y\\nz\"");
  PrometheusText t;
  t.family("m_total", "counter", "Help with \\ and\nnewline.");
  t.sample("m_total", {{"queue", "q\"1"}}, std::uint64_t{18446744073709551615ULL});
  EXPECT_EQ(t.text(),
            "# HELP m_total Help with \\\\ and\\nnewline.\n# TYPE m_total counter\n"
            "m_total{queue=\"q\\\"1\"} 18446744073709551615\n");
}

TEST(PrometheusText, SampleValues) {
  EXPECT_EQ(format_sample_value(0.5), "0.5");
  EXPECT_EQ(format_sample_value(0.0005), "0.0005");
  EXPECT_EQ(format_sample_value(1800), "1800");
  EXPECT_EQ(format_sample_value(INFINITY), "+Inf");
  EXPECT_EQ(format_sample_value(-INFINITY), "-Inf");
  EXPECT_EQ(format_sample_value(NAN), "NaN");
}

TEST(PrometheusText, HistogramIsCumulativeWithInf) {
  Histogram h({0.1, 1});
  h.observe(0.05);
  h.observe(0.1);  // "less than or equal"
  h.observe(0.5);
  h.observe(7);
  PrometheusText t;
  t.histogram("d_seconds", {{"queue", "q"}}, h);
  EXPECT_EQ(t.text(),
            "d_seconds_bucket{queue=\"q\",le=\"0.1\"} 2\n"
            "d_seconds_bucket{queue=\"q\",le=\"1\"} 3\n"
            "d_seconds_bucket{queue=\"q\",le=\"+Inf\"} 4\n"
            "d_seconds_sum{queue=\"q\"} 7.65\n"
            "d_seconds_count{queue=\"q\"} 4\n");
}

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
