// The broker's /metrics against the real tools (Debian's `prometheus` package): `promtool check
// metrics` finds no problem, and a real Prometheus scraping the broker on loopback sees the series
// with the values the broker reported.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/http_client.h"
#include "core/process.h"
#include "queue/broker_fixture.h"

namespace kb {
namespace {
using nlohmann::json;
using test::BrokerProcess;
using test::RawHttp;

// Some traffic, so that counters and histograms are not all zero.
void traffic(int port) {
  RawHttp client(port), worker(port);
  client.send_request("POST", "/v1/queues/sleep/items", R"({"payload":1})");
  auto item = test::body_json(worker.request("POST", "/v1/queues/sleep/leases", R"({"wait_ms":30000})"))["items"][0];
  worker.request("POST", "/v1/leases/" + item["lease"].get<std::string>() + "/complete", "{}");
  ASSERT_EQ(client.read_response().status, 200);
  RawHttp other(port);
  EXPECT_EQ(other.request("POST", "/v1/queues/nope/items", "{}").status, 404);
}

TEST(BrokerMetricsTools, PromtoolFindsNoProblem) {
  auto promtool = find_executable("promtool");
  if (!promtool) GTEST_FAIL() << "promtool not installed (Debian package prometheus; scripts/install-deps.sh)";
  test::TempDir dir;
  BrokerProcess broker(dir, {"--queue", "sleep", "--queue", "media"});
  traffic(broker.port());
  const auto text = test::metrics(broker.port());
  test::write_text(dir / "metrics.txt", text);
  ProcessSpec spec;
  // promtool reads the exposition on stdin.
  spec.argv = {"/bin/sh", "-c", "exec \"$0\" check metrics < \"$1\"", promtool->string(), (dir / "metrics.txt").string()};
  auto r = run_process(spec);
  EXPECT_TRUE(r.ok()) << r.describe() << "\n" << r.stdout_text << r.stderr_text << "\n" << text;
  EXPECT_EQ(r.stdout_text + r.stderr_text, "");
}

TEST(BrokerMetricsTools, RealPrometheusScrapesTheBroker) {
  auto prometheus = find_executable("prometheus");
  if (!prometheus) GTEST_FAIL() << "prometheus not installed (Debian package prometheus; scripts/install-deps.sh)";
  test::TempDir dir;
  BrokerProcess broker(dir, {"--queue", "sleep"});
  traffic(broker.port());
  test::write_text(dir / "prometheus.yml",
                   "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                   "scrape_configs:\n  - job_name: kubench-broker\n    static_configs:\n"
                   "      - targets: ['127.0.0.1:" + std::to_string(broker.port()) + "']\n");
  const int port = test::free_loopback_port();
  ProcessSpec spec;
  spec.argv = {prometheus->string(), "--config.file=" + (dir / "prometheus.yml").string(),
               "--storage.tsdb.path=" + (dir / "tsdb").string(), "--web.listen-address=127.0.0.1:" + std::to_string(port)};
  spec.stdout_mode = OutputMode::file;
  spec.stdout_path = dir / "prometheus.out";
  spec.stderr_mode = OutputMode::file;
  spec.stderr_path = dir / "prometheus.err";
  ChildProcess server(spec);  // stopped with its group when the test ends

  const std::string api = "http://127.0.0.1:" + std::to_string(port) + "/api/v1/query?query=";
  // The value Prometheus stored for `query`, once the broker has been scraped.
  auto value = [&](const std::string& query) -> std::string {
    try {
      auto r = http_get(api + url_encode(query), {2000, 5000, {}});
      if (r.status != 200) return "";
      auto doc = json::parse(r.body);
      auto& result = doc["data"]["result"];
      return result.empty() ? "" : result[0]["value"][1].get<std::string>();
    } catch (const std::exception&) {
      return "";  // not up yet
    }
  };
  ASSERT_TRUE(test::eventually([&] { return value("up{job=\"kubench-broker\"}") == "1"; }))
      << test::read_or_empty(dir / "prometheus.err");
  EXPECT_EQ(value("kubench_queue_submitted_total{queue=\"sleep\"}"), "1");
  EXPECT_EQ(value("kubench_queue_completed_total{queue=\"sleep\"}"), "1");
  EXPECT_EQ(value("kubench_queue_waiting{queue=\"sleep\"}"), "0");
  EXPECT_EQ(value("kubench_queue_run_seconds_count{queue=\"sleep\"}"), "1");
  EXPECT_EQ(value("kubench_http_responses_total{code=\"404\"}"), "1");
  // Prometheus read the TYPE lines: the histogram works with histogram_quantile.
  EXPECT_NE(value("histogram_quantile(0.5, kubench_queue_wait_seconds_bucket{queue=\"sleep\"})"), "");
}

}  // namespace
}  // namespace kb
