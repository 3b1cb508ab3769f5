// `kubench queue load` against the real broker and workers on loopback: its HTTP API (stats,
// parallelism changed while it runs, reset), its summary, and its HTML page in a real browser
// with hostile worker names.
#include <gtest/gtest.h>

#include "core/process.h"
#include "queue/queue_process_support.h"

namespace kb::test {
namespace {

using nlohmann::json;

std::unique_ptr<Kubench> worker(const Broker& b, const TempDir& dir, const std::string& name, const std::string& node) {
  return std::make_unique<Kubench>(name, std::vector<std::string>{"queue", "work", "--broker", b.address(), "--queue", "sleep"}, dir,
                                   std::vector<std::pair<std::string, std::string>>{{"KUBENCH_NODE_NAME", node}, {"KUBENCH_POD_NAME", name}});
}

void stop(Kubench& k) {
  k.signal(SIGTERM);
  EXPECT_EQ(k.wait().exit_code, 0) << k.err();
}

TEST(LoadItest, StatsAndParallelismChangedWhileRunning) {
  TempDir dir;
  Broker broker(dir, {"sleep"});
  auto w1 = worker(broker, dir, "pod-1", "n1");
  auto w2 = worker(broker, dir, "pod-2", "n2");
  Kubench load("load", {"queue", "load", "--broker", broker.address(), "--sleep", "0.01", "-c", "2", "--listen", "127.0.0.1:0"}, dir);
  int api = load.port("load API listening on");

  ASSERT_TRUE(eventually([&] { return http_json(api, "GET", "/stats")["requests"]["ok"].get<int>() >= 20; }));
  auto stats = http_json(api, "GET", "/stats");
  EXPECT_EQ(stats["schema"], "kubench/queue-load/v1");
  EXPECT_EQ(stats["requests"]["failed"], 0);
  EXPECT_EQ(stats["parallelism"], 2);
  EXPECT_GT(stats["latency_ms"]["p50"].get<double>(), 0);
  EXPECT_GE(stats["latency_ms"]["p99"].get<double>(), stats["latency_ms"]["p50"].get<double>());
  ASSERT_TRUE(eventually([&] { return http_json(api, "GET", "/stats")["nodes"].size() == 2; }));
  EXPECT_GT(http_json(api, "GET", "/rate")["ok_per_s"].get<double>(), 0);

  // Up to 6: the two workers are busy and 4 more wait at the broker.
  auto put = http_json(api, "PUT", "/parallelism", "6");
  EXPECT_EQ(put["parallelism"], 6);
  EXPECT_EQ(http_json(api, "GET", "/parallelism")["parallelism"], 6);
  EXPECT_TRUE(eventually([&] { return http_json(api, "GET", "/stats")["in_flight"] == 6; }));
  EXPECT_TRUE(eventually([&] {
    auto q = queue_stats(broker.port, "sleep");
    return q["waiting"].get<int>() + q["leased"].get<int>() == 6;
  }));

  // Bad values are refused and change nothing.
  EXPECT_EQ(http(api, "PUT", "/parallelism", "abc").status, 400);
  EXPECT_EQ(http(api, "PUT", "/parallelism", "-1").status, 400);
  EXPECT_EQ(http(api, "PUT", "/parallelism", "100000").status, 400);
  EXPECT_EQ(http(api, "GET", "/reset").status, 405);  // state changes are POST/PUT only
  EXPECT_EQ(http_json(api, "GET", "/parallelism")["parallelism"], 6);

  // Down to 0: the lanes finish their request and stop; a reset then stays at zero.
  EXPECT_EQ(http_json(api, "PUT", "/parallelism", R"({"parallelism": 0})")["parallelism"], 0);
  EXPECT_TRUE(eventually([&] { return http_json(api, "GET", "/stats")["in_flight"] == 0; }));
  EXPECT_EQ(http_json(api, "POST", "/reset")["reset"], true);
  auto after = http_json(api, "GET", "/stats");
  EXPECT_EQ(after["requests"]["total"], 0);
  EXPECT_TRUE(after["nodes"].empty());

  load.signal(SIGTERM);
  auto r = load.wait();
  EXPECT_EQ(r.exit_code, 0) << load.err();
  EXPECT_NE(load.out().find("Overall request / reply statistics"), std::string::npos) << load.out();
  stop(*w1);
  stop(*w2);
}

TEST(LoadItest, RequestBudgetEndsTheRunWithAJsonSummary) {
  TempDir dir;
  Broker broker(dir, {"sleep"});
  auto w = worker(broker, dir, "pod-1", "n1");
  Kubench load("load", {"queue", "load", "--broker", broker.address(), "--sleep", "0", "-c", "3", "--requests", "30", "--no-api", "-o", "json"},
               dir);
  auto r = load.wait();
  ASSERT_EQ(r.exit_code, 0) << load.err();
  auto doc = json::parse(load.out());
  EXPECT_EQ(doc["requests"]["ok"], 30);
  EXPECT_EQ(doc["requests"]["failed"], 0);
  EXPECT_EQ(doc["nodes"][0]["node"], "n1");
  EXPECT_EQ(doc["pods"][0]["pod"], "pod-1");
  EXPECT_EQ(queue_stats(broker.port, "sleep")["submitted"], 30);
  stop(*w);
}

TEST(LoadItest, UnknownQueueIsCountedAsFailuresByReason) {
  TempDir dir;
  Broker broker(dir, {"sleep"});
  Kubench load("load", {"queue", "load", "--broker", broker.address(), "--queue", "nosuch", "--requests", "3", "--no-api", "-o", "json"}, dir);
  ASSERT_EQ(load.wait().exit_code, 0) << load.err();
  auto doc = json::parse(load.out());
  EXPECT_EQ(doc["requests"]["failed"], 3);
  EXPECT_EQ(doc["failures"][0]["reason"], "http 404 unknown_queue");
}

TEST(LoadItest, CrossOriginChangesAreRefused) {
  TempDir dir;
  Broker broker(dir, {"sleep"});
  Kubench load("load", {"queue", "load", "--broker", broker.address(), "-c", "0", "--listen", "127.0.0.1:0"}, dir);
  int api = load.port("load API listening on");
  boost::asio::io_context io;
  HttpConnection conn(io, "127.0.0.1", std::to_string(api));
  conn.add_header("Origin", "http://evil.example");
  HttpAnswer answer;
  conn.request("PUT", "/parallelism", "3", std::chrono::seconds(10), [&](HttpAnswer& a) { answer = a; });
  io.run();
  EXPECT_EQ(answer.status, 403);
  EXPECT_EQ(http_json(api, "GET", "/parallelism")["parallelism"], 0);
  stop(load);
}

TEST(LoadItest, HtmlPageEscapesWorkerNamesInABrowser) {
  TempDir dir;
  Broker broker(dir, {"sleep"});
  const std::string node = "<img src=x onerror=alert(1)>";
  const std::string pod = "<script>alert(2)</script>";
  Kubench w("worker", {"queue", "work", "--broker", broker.address(), "--queue", "sleep"}, dir,
            {{"KUBENCH_NODE_NAME", node}, {"KUBENCH_POD_NAME", pod}});
  Kubench load("load", {"queue", "load", "--broker", broker.address(), "--sleep", "0", "-c", "1", "--listen", "127.0.0.1:0"}, dir);
  int api = load.port("load API listening on");
  ASSERT_TRUE(eventually([&] { return http_json(api, "GET", "/stats")["nodes"].size() == 1; }));
  EXPECT_EQ(http_json(api, "GET", "/stats")["nodes"][0]["node"], node);  // JSON carries the raw name

  auto page = http(api, "GET", "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.body.find("<img"), std::string::npos);
  EXPECT_EQ(page.body.find("<script"), std::string::npos);
  EXPECT_NE(page.body.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);

  auto chromium = find_executable("chromium");
  if (!chromium) chromium = find_executable("chromium-browser");
  if (!chromium) GTEST_FAIL() << "chromium is not installed (scripts/install-deps.sh installs it)";
  ProcessSpec spec;
  spec.argv = {chromium->string(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
               "--user-data-dir=" + (dir / "chromium").string(), "--dump-dom", "http://127.0.0.1:" + std::to_string(api) + "/"};
  spec.timeout = std::chrono::seconds(120);
  auto dom = run_process(spec);
  ASSERT_TRUE(dom.ok()) << dom.describe() << dom.stderr_text;
  // The browser's DOM, serialised: the names are text (escaped again on output), not elements.
  EXPECT_NE(dom.stdout_text.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos) << dom.stdout_text;
  EXPECT_NE(dom.stdout_text.find("&lt;script&gt;alert(2)&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(dom.stdout_text.find("<img"), std::string::npos);
  EXPECT_EQ(dom.stdout_text.find("<script"), std::string::npos);
  EXPECT_NE(dom.stdout_text.find("<table id=\"nodes\">"), std::string::npos);  // the page itself did render

  stop(load);
  stop(w);
}

}  // namespace
}  // namespace kb::test
