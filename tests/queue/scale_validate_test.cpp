// `scale validate`'s rounds and verdict, driven through a simulated target: the order of actions
// (client stopped first, maximum checked, then 1, 2, 4 ...), the gain rule, failures, a target
// that cannot reach the maximum, restoring at the end and after Ctrl-C, the report and chart.
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/interrupt.h"
#include "queue/kube_scale_target.h"
#include "queue/scale_validate.h"

namespace kb::queue {
namespace {

using nlohmann::json;

// Throughput = replicas × 10/s × efficiency(replicas); no real time passes.
class SimulatedTarget : public ScaleTarget {
 public:
  std::function<double(int)> efficiency = [](int) { return 1.0; };
  std::function<std::uint64_t(int)> failures = [](int) { return 0; };
  int max_schedulable = 1000;
  int interrupt_at_replicas = 0;  // Ctrl-C during the wait of this round
  int replicas = 3, k = 5;
  std::vector<std::string> log;
  double waited_s = 0;

  std::string describe() const override { return "simulated"; }
  int backend_replicas() override { return replicas; }
  void scale_backends(int n) override {
    log.push_back("scale " + std::to_string(n));
    if (n > max_schedulable) throw CheckFailed("pod w-9 cannot be scheduled: 0/1 nodes are available: Insufficient cpu");
    replicas = n;
  }
  int parallelism() override { return k; }
  void set_parallelism(int v) override {
    log.push_back("k " + std::to_string(v));
    k = v;
  }
  void reset_stats() override { log.push_back("reset"); }
  json stats() override {
    const double elapsed = 20;
    auto ok = static_cast<std::uint64_t>(replicas * 10 * efficiency(replicas) * elapsed);
    json nodes = json::array({{{"node", "n1"}, {"ok", ok}, {"share", 1.0}, {"devices", json::array({{{"device", "renderD128"}, {"ok", ok}}})}}});
    json failures_list = json::array();
    if (failures(replicas)) failures_list.push_back({{"reason", "workload_failed: exit status 1"}, {"count", failures(replicas)}});
    return {{"schema", "kubench/queue-load/v1"},
            {"elapsed_s", elapsed},
            {"requests", {{"ok", ok}, {"failed", failures(replicas)}}},
            {"latency_ms", {{"p50", 2000.5}, {"p99", 2010.0}}},
            {"nodes", nodes},
            {"failures", failures_list}};
  }
  void wait(std::chrono::milliseconds d) override {
    waited_s += static_cast<double>(d.count()) / 1000;
    if (interrupt_at_replicas == replicas && log.back() == "reset") {
      raise_interrupt();
      throw Interrupted();
    }
  }
};

ScaleSettings settings(int max, double gain = 1.8) {
  ScaleSettings s;
  s.max_replicas = max;
  s.min_gain = gain;
  s.request_seconds = 2;
  return s;
}

TEST(DoublingSteps, PowersOfTwoUpToTheMaximum) {
  EXPECT_EQ(doubling_steps(1), std::vector<int>({1}));
  EXPECT_EQ(doubling_steps(12), std::vector<int>({1, 2, 4, 8}));
  EXPECT_EQ(doubling_steps(16), std::vector<int>({1, 2, 4, 8, 16}));
  EXPECT_THROW(doubling_steps(0), UsageError);
}

TEST(ScaleSettings, WindowDefaultsToTwentyRequestsAndAtLeastTenSeconds) {
  ScaleSettings s;
  s.request_seconds = 2;
  EXPECT_DOUBLE_EQ(s.window(), 40);
  s.request_seconds = 0.05;
  EXPECT_DOUBLE_EQ(s.window(), 10);
  s.window_seconds = 3;
  EXPECT_DOUBLE_EQ(s.window(), 3);
}

TEST(ValidateScaling, LinearScalingPassesInTheRightOrderAndRestores) {
  SimulatedTarget t;
  auto r = validate_scaling(t, settings(4));
  EXPECT_TRUE(r.passed);
  ASSERT_EQ(r.rounds.size(), 3u);
  EXPECT_DOUBLE_EQ(r.rounds[0].requests_per_s, 10);
  EXPECT_DOUBLE_EQ(r.rounds[2].requests_per_s, 40);
  EXPECT_DOUBLE_EQ(r.rounds[1].gain, 2);
  EXPECT_EQ(r.rounds[2].parallelism, 4);
  const std::vector<std::string> expected = {
      "k 0", "scale 4", "scale 1",                       // prepare: client stopped, maximum runs, back to 1
      "scale 1", "k 1", "reset", "scale 2", "k 2", "reset", "scale 4", "k 4", "reset",
      "k 0", "scale 3", "k 5"};                          // client stopped, then both put back
  EXPECT_EQ(t.log, expected);
  EXPECT_DOUBLE_EQ(t.waited_s, 3 * (4 + 40));  // settle 2 × 2 s and a 40 s window per round
}

TEST(ValidateScaling, GainBelowTheMinimumFailsThatRoundAndTheRoundsGoOn) {
  SimulatedTarget t;
  t.efficiency = [](int n) { return n >= 4 ? 0.8 : 1.0; };  // 20 → 32: 1.6×
  auto r = validate_scaling(t, settings(8));
  EXPECT_FALSE(r.passed);
  ASSERT_EQ(r.rounds.size(), 4u);
  EXPECT_TRUE(r.rounds[1].passed);
  EXPECT_FALSE(r.rounds[2].passed);
  EXPECT_EQ(r.rounds[2].problems.at(0), "gain 1.60 < 1.80");
  EXPECT_TRUE(r.rounds[3].passed);  // 32 → 64
  EXPECT_NE(to_table(r).find("*** FAIL ***"), std::string::npos);
}

TEST(ValidateScaling, GainEqualToTheMinimumAtPrintedPrecisionPasses) {
  SimulatedTarget t;
  t.efficiency = [](int n) { return n == 2 ? 0.9 : 1.0; };  // 10 → 18: exactly 1.80
  EXPECT_TRUE(validate_scaling(t, settings(2)).passed);
}

TEST(ValidateScaling, FailedRequestsFailTheRoundWithTheirReason) {
  SimulatedTarget t;
  t.failures = [](int n) { return n == 2 ? 3u : 0u; };
  auto r = validate_scaling(t, settings(2));
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.rounds[1].problems.at(0), "3 request(s) failed: workload_failed: exit status 1 ×3");
}

TEST(ValidateScaling, ZeroThroughputFails) {
  SimulatedTarget t;
  t.efficiency = [](int) { return 0.0; };
  auto r = validate_scaling(t, settings(1));
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.rounds[0].problems.at(0), "throughput was zero");
}

TEST(ValidateScaling, MaximumThatCannotRunFailsBeforeAnyRoundAndRestores) {
  SimulatedTarget t;
  t.max_schedulable = 4;
  auto r = validate_scaling(t, settings(8));
  EXPECT_FALSE(r.passed);
  EXPECT_TRUE(r.rounds.empty());
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].find("the maximum of 8 backends cannot run: pod w-9 cannot be scheduled"), std::string::npos);
  EXPECT_EQ(t.replicas, 3);
  EXPECT_EQ(t.k, 5);
  EXPECT_EQ(to_json(r)["passed"], false);
}

TEST(ValidateScaling, CtrlCKeepsTheRoundsMeasuredAndRestores) {
  SimulatedTarget t;
  t.interrupt_at_replicas = 2;
  auto r = validate_scaling(t, settings(8));
  EXPECT_TRUE(r.interrupted);
  EXPECT_TRUE(interrupted());  // still raised, so main() exits 130
  clear_interrupt();
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.rounds.size(), 1u);
  EXPECT_EQ(t.replicas, 3);
  EXPECT_EQ(t.k, 5);
}

TEST(ValidateScaling, KeepScaledLeavesTheLastRoundButStopsTheClient) {
  SimulatedTarget t;
  auto s = settings(4);
  s.restore = false;
  validate_scaling(t, s);
  EXPECT_EQ(t.replicas, 4);
  EXPECT_EQ(t.k, 0);
}

TEST(ValidateScaling, BadSettingsAreUsageErrors) {
  SimulatedTarget t;
  auto s = settings(4, 0);
  EXPECT_THROW(validate_scaling(t, s), UsageError);
  s = settings(4);
  s.parallelism_per_replica = 0;
  EXPECT_THROW(validate_scaling(t, s), UsageError);
  EXPECT_TRUE(t.log.empty());  // nothing was touched
}

TEST(ScaleReport, JsonHasRoundsIdealLineAndDistribution) {
  SimulatedTarget t;
  t.efficiency = [](int n) { return n == 4 ? 0.95 : 1.0; };
  auto doc = to_json(validate_scaling(t, settings(4)));
  EXPECT_EQ(doc["schema"], "kubench/scale-validate/v1");
  EXPECT_EQ(doc["rounds"].size(), 3u);
  EXPECT_TRUE(doc["rounds"][0]["gain"].is_null());
  EXPECT_DOUBLE_EQ(doc["rounds"][2]["ideal_requests_per_s"].get<double>(), 40);
  EXPECT_DOUBLE_EQ(doc["rounds"][2]["requests_per_s"].get<double>(), 38);
  EXPECT_EQ(doc["distribution"][0]["node"], "n1");
  EXPECT_DOUBLE_EQ(doc["settings"]["window_seconds"].get<double>(), 40);
}

TEST(ScaleReport, ChartIsAnSvgWithMeasuredAndIdealLines) {
  SimulatedTarget t;
  auto r = validate_scaling(t, settings(4));
  r.target = "<script>";
  auto svg = throughput_chart_svg(r);
  EXPECT_EQ(svg.rfind("<svg ", 0), 0u);
  EXPECT_NE(svg.find("measured"), std::string::npos);
  EXPECT_NE(svg.find("ideal (linear)"), std::string::npos);
  EXPECT_EQ(std::count(svg.begin(), svg.end(), '\n') > 10, true);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  // Three rounds → three measured markers.
  size_t circles = 0;
  for (size_t p = svg.find("<circle"); p != std::string::npos; p = svg.find("<circle", p + 1)) ++circles;
  EXPECT_EQ(circles, 3u);
}

TEST(LabelSelectorText, MatchLabelsAndExpressions) {
  auto sel = json::parse(R"({"matchLabels": {"app": "worker", "queue": "sleep"},
                             "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]},
                                                  {"key": "canary", "operator": "DoesNotExist"}]})");
  EXPECT_EQ(label_selector_text(sel), "app=worker,queue=sleep,tier in (a,b),!canary");
  EXPECT_THROW(label_selector_text(json::parse(R"({"matchExpressions": [{"key": "x", "operator": "Near"}]})")), ParseError);
  EXPECT_THROW(label_selector_text(json::parse(R"({"matchExpressions": [["x"]]})")), ParseError);
}

TEST(PodsNotRunningReason, SchedulerMessageAndHopelessContainers) {
  json pending = json::array({{{"metadata", {{"name", "w-1"}}},
                               {"status", {{"conditions", json::array({{{"type", "PodScheduled"}, {"status", "False"},
                                                                        {"message", "0/1 nodes are available: 1 Insufficient nvidia.com/gpu."}}})}}}}});
  bool fatal = true;
  EXPECT_EQ(pods_not_running_reason(pending, &fatal), "pod w-1 cannot be scheduled: 0/1 nodes are available: 1 Insufficient nvidia.com/gpu.");
  EXPECT_FALSE(fatal);  // the scheduler may still find room

  json pull = json::array({{{"metadata", {{"name", "w-2"}}},
                            {"status", {{"containerStatuses", json::array({{{"name", "worker"},
                                                                            {"state", {{"waiting", {{"reason", "ImagePullBackOff"}, {"message", "no such image"}}}}}}})}}}}});
  EXPECT_EQ(pods_not_running_reason(pull, &fatal), "pod w-2, container worker: ImagePullBackOff: no such image");
  EXPECT_TRUE(fatal);

  json creating = json::array({{{"metadata", {{"name", "w-3"}}},
                                {"status", {{"containerStatuses", json::array({{{"name", "worker"}, {"state", {{"waiting", {{"reason", "ContainerCreating"}}}}}}})}}}}});
  EXPECT_EQ(pods_not_running_reason(creating, &fatal), "");
  EXPECT_FALSE(fatal);
}

}  // namespace
}  // namespace kb::queue
