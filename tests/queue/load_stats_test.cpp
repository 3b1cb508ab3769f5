// The load client's statistics: histogram percentiles against exact ones, the sliding rate,
// per-node/pod accounting, failure reasons, bounds on worker-supplied names, answer parsing.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "queue/latency_histogram.h"
#include "queue/load_stats.h"
#include "queue/rate_window.h"

namespace kb::queue {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

TEST(LatencyHistogram, BucketsAreMonotonicAndTight) {
  int last = -1;
  for (std::uint64_t us = 0; us < 5'000'000; us = us < 100 ? us + 1 : us + us / 50) {
    int b = LatencyHistogram::bucket_of(us);
    EXPECT_GE(b, last);
    last = b;
    double mid = LatencyHistogram::bucket_middle_ms(b) * 1000;
    if (us >= 64) EXPECT_NEAR(mid, static_cast<double>(us), static_cast<double>(us) * 0.035) << us;
    else EXPECT_DOUBLE_EQ(mid, static_cast<double>(us));
  }
  EXPECT_EQ(LatencyHistogram::bucket_of(~0ull), LatencyHistogram::kBuckets - 1);
}

TEST(LatencyHistogram, QuantilesMatchExactOnesWithin3Percent) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(1.0, 1.2);  // ms, a long tail
  std::vector<double> values;
  LatencyHistogram h;
  for (int i = 0; i < 100000; ++i) {
    double v = dist(rng);
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    double exact = values[static_cast<size_t>(std::ceil(q * static_cast<double>(values.size()))) - 1];
    EXPECT_NEAR(h.quantile(q), exact, exact * 0.03 + 0.001) << q;
  }
  EXPECT_DOUBLE_EQ(h.max(), values.back());
  EXPECT_DOUBLE_EQ(h.min(), values.front());
  EXPECT_EQ(h.count(), 100000u);
  EXPECT_DOUBLE_EQ(h.quantile(1.0), values.back());
}

TEST(LatencyHistogram, SmallCountsAndEdges) {
  LatencyHistogram h;
  EXPECT_EQ(h.quantile(0.5), 0);
  h.record(10);
  EXPECT_DOUBLE_EQ(h.quantile(0.5), 10);  // clamped to [min, max]
  EXPECT_DOUBLE_EQ(h.quantile(0.99), 10);
  h.record(20);
  EXPECT_NEAR(h.quantile(0.5), 10, 0.3);
  EXPECT_NEAR(h.quantile(0.51), 20, 0.6);
  EXPECT_DOUBLE_EQ(h.mean(), 15);
  h.record(-1);  // clock trouble: counted as 0
  EXPECT_EQ(h.min(), 0);
}

TEST(RateWindow, CountsTheLastTenSeconds) {
  RateWindow w(0);
  for (int t = 0; t < 20000; t += 10) w.add(t);  // 100 per second for 20 s
  EXPECT_NEAR(w.rate(20000), 100, 1.5);
  // Nothing for 5 s: half the window is empty.
  EXPECT_NEAR(w.rate(25000), 50, 1.5);
  EXPECT_EQ(w.rate(40000), 0);
  // Right after a reset only the time since it counts.
  w.reset(50000);
  for (int t = 50000; t < 52000; t += 10) w.add(t);
  EXPECT_NEAR(w.rate(52000), 100, 1.5);
}

RequestOutcome ok_on(const std::string& node, const std::string& pod, double ms, const std::string& device = "") {
  RequestOutcome o;
  o.ok = true;
  o.node = node;
  o.pod = pod;
  o.device = device;
  o.latency_ms = ms;
  o.wait_ms = 0.1;
  o.run_ms = ms - 0.2;
  return o;
}

TEST(LoadStats, CountsPerNodePodAndReason) {
  auto t0 = Clock::now();
  LoadStats s(t0);
  for (int i = 0; i < 30; ++i) s.record(ok_on("n1", "p1", 10, "renderD128"), t0 + std::chrono::milliseconds(100 * i));
  for (int i = 0; i < 10; ++i) s.record(ok_on("n2", "p2", 20), t0 + std::chrono::milliseconds(100 * i));
  RequestOutcome bad;
  bad.reason = "http 429 queue_full";
  s.record(bad, t0);
  bad.reason = "workload_failed: exit status 1";
  bad.node = "n2";
  s.record(bad, t0);
  s.record(bad, t0);

  auto doc = s.snapshot(t0 + std::chrono::seconds(4));
  EXPECT_EQ(doc["requests"]["ok"], 40);
  EXPECT_EQ(doc["requests"]["failed"], 3);
  EXPECT_NEAR(doc["rate"]["since_reset_ok_per_s"].get<double>(), 10, 1e-9);
  ASSERT_EQ(doc["nodes"].size(), 2u);
  EXPECT_EQ(doc["nodes"][0]["node"], "n1");
  EXPECT_EQ(doc["nodes"][0]["ok"], 30);
  EXPECT_DOUBLE_EQ(doc["nodes"][0]["share"].get<double>(), 0.75);
  EXPECT_EQ(doc["nodes"][0]["devices"][0], (json{{"device", "renderD128"}, {"ok", 30}}));
  EXPECT_EQ(doc["nodes"][1]["failed"], 2);
  EXPECT_EQ(doc["nodes"][1]["devices"][0]["device"], "-");
  EXPECT_EQ(doc["pods"][1], (json{{"pod", "p2"}, {"node", "n2"}, {"ok", 10}, {"failed", 0}}));
  EXPECT_EQ(doc["failures"][0], (json{{"reason", "workload_failed: exit status 1"}, {"count", 2}}));
  EXPECT_EQ(doc["failures"][1]["count"], 1);
  EXPECT_NEAR(doc["latency_ms"]["p50"].get<double>(), 10, 0.3);
  EXPECT_NEAR(doc["latency_ms"]["p99"].get<double>(), 20, 0.6);

  s.reset(t0 + std::chrono::seconds(5));
  doc = s.snapshot(t0 + std::chrono::seconds(6));
  EXPECT_EQ(doc["requests"]["total"], 0);
  EXPECT_TRUE(doc["nodes"].empty());
  EXPECT_TRUE(doc["failures"].empty());
  EXPECT_EQ(doc["latency_ms"]["max"], 0);
}

TEST(LoadStats, WorkerNamesAreBounded) {
  LoadStats s;
  for (size_t i = 0; i < LoadStats::kMaxNames + 50; ++i) s.record(ok_on("node-" + std::to_string(i), "pod", 1));
  auto doc = s.snapshot();
  EXPECT_EQ(doc["nodes"].size(), LoadStats::kMaxNames + 1);  // the rest under "(other)"
  bool other = false;
  for (auto& n : doc["nodes"]) other |= n["node"] == "(other)" && n["ok"] == 50;
  EXPECT_TRUE(other);
  RequestOutcome bad;
  for (int i = 0; i < 200; ++i) {
    bad.reason = "reason " + std::to_string(i);
    s.record(bad);
  }
  EXPECT_EQ(s.snapshot()["failures"].size(), LoadStats::kMaxReasons + 1);
}

TEST(ClassifyAnswer, OkFailedRefusedAndBroken) {
  auto ok = classify_answer("", 200, R"({"id":"1","status":"ok","wait_ms":0.5,"run_ms":2,
      "result":{"node":"n1","pod":"p1","device":"renderD128"}})");
  EXPECT_TRUE(ok.ok);
  EXPECT_EQ(ok.node, "n1");
  EXPECT_EQ(ok.pod, "p1");
  EXPECT_EQ(ok.device, "renderD128");
  EXPECT_DOUBLE_EQ(ok.wait_ms, 0.5);
  EXPECT_DOUBLE_EQ(ok.run_ms, 2);

  auto failed = classify_answer("", 200, R"({"status":"failed","error":{"code":"workload_failed","message":"exit status 1"},
      "result":{"node":"n2"}})");
  EXPECT_FALSE(failed.ok);
  EXPECT_EQ(failed.reason, "workload_failed: exit status 1");
  EXPECT_EQ(failed.node, "n2");

  EXPECT_EQ(classify_answer("", 429, R"({"error":{"code":"queue_full","message":"x"}})").reason, "http 429 queue_full");
  EXPECT_EQ(classify_answer("", 502, "oops").reason, "http 502");
  EXPECT_EQ(classify_answer("timed out", 0, "").reason, "connection: timed out");
  EXPECT_EQ(classify_answer("", 200, "[1]").reason, "answer is not JSON");
  // A node name that is not a string is ignored; a huge one is cut.
  auto odd = classify_answer("", 200, R"({"status":"ok","result":{"node":5}})");
  EXPECT_TRUE(odd.ok);
  EXPECT_EQ(odd.node, "");
  auto huge = classify_answer("", 200, json{{"status", "ok"}, {"result", {{"node", std::string(5000, 'x')}}}}.dump());
  EXPECT_LE(huge.node.size(), LoadStats::kMaxNameBytes + 3);
}

}  // namespace
}  // namespace kb::queue
