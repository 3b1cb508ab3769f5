// Sweep admission: pod requests by the scheduler's rules (init containers, sidecars, overhead,
// limits as requests), node matching (selector, affinity, taints, Ready, cordon), free capacity
// from listed pods, and the admission plan (capacity, priority, --max-parallel, why it waits).
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/quantity.h"
#include "jobs/sweep_admission.h"

namespace kb::jobs {
namespace {

using nlohmann::json;

TEST(Quantity, ParsesKubernetesSuffixesAsThousandths) {
  EXPECT_EQ(parse_quantity_milli("500m"), 500);
  EXPECT_EQ(parse_quantity_milli("2"), 2000);
  EXPECT_EQ(parse_quantity_milli("1.5"), 1500);
  EXPECT_EQ(parse_quantity_milli("1Ki"), 1024000);
  EXPECT_EQ(parse_quantity_milli("4Gi"), 4LL * 1024 * 1024 * 1024 * 1000);
  EXPECT_EQ(parse_quantity_milli("1k"), 1000000);
  EXPECT_EQ(parse_quantity_milli("1e3"), 1000000);
  EXPECT_EQ(parse_quantity_milli("0.1"), 100);
  EXPECT_EQ(parse_quantity_milli("0.0001"), 1);  // a fraction of a thousandth rounds up
  EXPECT_THROW(parse_quantity_milli("4GB"), ParseError);
  EXPECT_THROW(parse_quantity_milli("lots"), ParseError);
  EXPECT_THROW(parse_quantity_milli(""), ParseError);
  EXPECT_EQ(format_quantity_milli(250), "250m");
  EXPECT_EQ(format_quantity_milli(1500), "1.5");
  EXPECT_EQ(format_quantity_milli(2000), "2");
  EXPECT_EQ(format_quantity_milli(4LL * 1024 * 1024 * 1024 * 1000), "4Gi");
}

json container(const json& requests, const json& limits = json::object()) {
  return {{"name", "c"}, {"resources", {{"requests", requests}, {"limits", limits}}}};
}

TEST(PodRequests, SumsContainersAndTakesLimitsWhereNoRequestIsGiven) {
  json spec = {{"containers", json::array({container({{"cpu", "500m"}}, {{"example.com/gpu", "1"}}), container({{"cpu", "250m"}})})}};
  auto r = pod_requests(spec);
  EXPECT_EQ(r["cpu"], 750);
  EXPECT_EQ(r["example.com/gpu"], 1000);
  EXPECT_EQ(r["pods"], 1000);
}

TEST(PodRequests, InitContainersCountAtTheirPeakAndSidecarsStayForTheRest) {
  // init 2 CPU alone > app 1 CPU: the init phase decides.
  json spec = {{"initContainers", json::array({container({{"cpu", "2"}})})}, {"containers", json::array({container({{"cpu", "1"}})})}};
  EXPECT_EQ(pod_requests(spec)["cpu"], 2000);
  // A sidecar (restartPolicy Always) before an ordinary init container adds to it, and to the app.
  auto sidecar = container({{"cpu", "500m"}, {"memory", "1Gi"}});
  sidecar["restartPolicy"] = "Always";
  spec["initContainers"] = json::array({sidecar, container({{"cpu", "2"}})});
  auto r = pod_requests(spec);
  EXPECT_EQ(r["cpu"], 2500);                              // max(0.5 + 2, 1 + 0.5)
  EXPECT_EQ(r["memory"], 1024LL * 1024 * 1024 * 1000);   // the sidecar's, through both phases
  // An ordinary init container *before* the sidecar does not run beside it.
  spec["initContainers"] = json::array({container({{"cpu", "2"}}), sidecar});
  EXPECT_EQ(pod_requests(spec)["cpu"], 2000);             // max(2, 0.5, 1 + 0.5)
  spec["overhead"] = {{"cpu", "100m"}};
  EXPECT_EQ(pod_requests(spec)["cpu"], 2100);
}

json node(const std::string& name, const json& labels, const json& allocatable, bool ready = true) {
  return {{"metadata", {{"name", name}, {"labels", labels}}},
          {"spec", json::object()},
          {"status", {{"allocatable", allocatable}, {"conditions", json::array({{{"type", "Ready"}, {"status", ready ? "True" : "False"}}})}}}};
}

TEST(NodeMismatch, SelectorAffinityTaintsReadyAndCordon) {
  SweepTarget t;
  t.node_selector = {{"gpu", "a100"}};
  auto n = node("n1", {{"gpu", "a100"}, {"zone", "b"}}, {{"pods", "110"}});
  EXPECT_EQ(node_mismatch(n, t), "");
  EXPECT_EQ(node_mismatch(node("n2", {{"gpu", "t4"}}, json::object()), t), "label gpu=t4, not a100");
  EXPECT_EQ(node_mismatch(node("n3", json::object(), json::object()), t), "no label gpu");
  EXPECT_EQ(node_mismatch(node("n4", {{"gpu", "a100"}}, json::object(), false), t), "not Ready");
  auto cordoned = n;
  cordoned["spec"]["unschedulable"] = true;
  EXPECT_EQ(node_mismatch(cordoned, t), "cordoned");

  auto tainted = n;
  tainted["spec"]["taints"] = json::array({{{"key", "gpu"}, {"value", "yes"}, {"effect", "NoSchedule"}}});
  EXPECT_EQ(node_mismatch(tainted, t), "taint gpu=yes:NoSchedule not tolerated");
  t.tolerations = json::array({{{"key", "gpu"}, {"operator", "Exists"}}});
  EXPECT_EQ(node_mismatch(tainted, t), "");
  tainted["spec"]["taints"][0]["effect"] = "PreferNoSchedule";  // not a reason to stay off
  t.tolerations = nullptr;
  EXPECT_EQ(node_mismatch(tainted, t), "");

  t.affinity = json::parse(R"({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
      {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]},
      {"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["c"]}, {"key": "gpu", "operator": "Exists"}]}]}}})");
  EXPECT_EQ(node_mismatch(n, t), "");  // the second term holds
  n["metadata"]["labels"]["zone"] = "c";
  EXPECT_EQ(node_mismatch(n, t), "fails the required node affinity");
}

json pod(const std::string& node_name, const std::string& phase, const json& requests) {
  return {{"metadata", {{"name", "p"}}}, {"spec", {{"nodeName", node_name}, {"containers", json::array({container(requests)})}}}, {"status", {{"phase", phase}}}};
}

TEST(NodeCapacity, CountsOnlyRunningAndPendingPodsBoundToTheNode) {
  auto caps = node_capacity({node("n1", json::object(), {{"example.com/gpu", "2"}, {"pods", "110"}})},
                            {pod("n1", "Running", {{"example.com/gpu", "1"}}), pod("n1", "Succeeded", {{"example.com/gpu", "1"}}),
                             pod("", "Pending", {{"example.com/gpu", "1"}}), pod("n2", "Running", {{"example.com/gpu", "1"}})});
  ASSERT_EQ(caps.size(), 1u);
  EXPECT_EQ(caps[0].allocatable["example.com/gpu"], 2000);
  EXPECT_EQ(caps[0].requested["example.com/gpu"], 1000);
  EXPECT_EQ(caps[0].requested["pods"], 1000);
}

AdmissionInput two_gpu_node() {
  AdmissionInput in;
  in.nodes = {{"n1", {{"example.com/gpu", 2000}, {"pods", 110000}}, {}}};
  in.target_nodes = {{"a", {"n1"}}, {"b", {"n1"}}};
  return in;
}

PendingVariant variant(size_t key, const std::string& target, int priority, int64_t gpus = 1000) {
  return {key, target, priority, {{"example.com/gpu", gpus}, {"pods", 1000}}};
}

TEST(PlanAdmission, AdmitsWhatFitsHighestPriorityFirstAndSaysWhyTheRestWait) {
  auto in = two_gpu_node();
  auto plan = plan_admission(in, {variant(0, "a", 0), variant(1, "b", 0), variant(2, "a", 5), variant(3, "b", 1)});
  EXPECT_EQ(plan.admit, (std::vector<size_t>{2, 3}));
  EXPECT_EQ(plan.waiting.at(0), "target a: 0 of 2 example.com/gpu free");
  EXPECT_EQ(plan.waiting.at(1), "target b: 0 of 2 example.com/gpu free");

  // One GPU held by a running pod: one more fits.
  in.nodes[0].requested = {{"example.com/gpu", 1000}};
  plan = plan_admission(in, {variant(0, "a", 0), variant(1, "a", 0)});
  EXPECT_EQ(plan.admit, (std::vector<size_t>{0}));
  // The sweep's own pod not yet bound holds the other.
  in.unbound = {{"a", {{"example.com/gpu", 1000}}}};
  plan = plan_admission(in, {variant(0, "a", 0)});
  EXPECT_TRUE(plan.admit.empty());
  EXPECT_EQ(plan.waiting.at(0), "target a: 0 of 2 example.com/gpu free");
}

TEST(PlanAdmission, ATargetKeepsItsOrderAndANodeWithoutTheResourceHasNone) {
  auto in = two_gpu_node();
  in.nodes[0].requested = {{"example.com/gpu", 1000}};
  // The 2-GPU variant first in line does not fit; the 1-GPU one behind it waits too (no starving).
  auto plan = plan_admission(in, {variant(0, "a", 1, 2000), variant(1, "a", 0, 1000), variant(2, "b", 0, 1000)});
  EXPECT_EQ(plan.admit, (std::vector<size_t>{2}));
  EXPECT_EQ(plan.waiting.at(0), "target a: 1 of 2 example.com/gpu free, needs 2");
  EXPECT_EQ(plan.waiting.at(1), plan.waiting.at(0));

  in = two_gpu_node();
  in.target_nodes["c"] = {};
  plan = plan_admission(in, {{0, "a", 0, {{"nvidia.com/gpu", 1000}}}, variant(1, "c", 0)});
  EXPECT_TRUE(plan.admit.empty());
  EXPECT_EQ(plan.waiting.at(0), "target a: 0 of 0 nvidia.com/gpu free");
  EXPECT_EQ(plan.waiting.at(1), "target c: no node can run it now");
}

TEST(PlanAdmission, MaxParallelCapsTheWholeSweepAndUnknownCapacityLeavesOnlyIt) {
  auto in = two_gpu_node();
  in.max_parallel = 3;
  in.in_flight = 2;
  in.nodes[0].allocatable["example.com/gpu"] = 10000;
  auto plan = plan_admission(in, {variant(0, "a", 0), variant(1, "a", 0)});
  EXPECT_EQ(plan.admit, (std::vector<size_t>{0}));
  EXPECT_EQ(plan.waiting.at(1), "--max-parallel 3: 3 in flight");

  in = two_gpu_node();
  in.capacity_known = false;
  in.max_parallel = 3;
  plan = plan_admission(in, {variant(0, "a", 0), variant(1, "a", 0), variant(2, "a", 0), variant(3, "a", 0)});
  EXPECT_EQ(plan.admit, (std::vector<size_t>{0, 1, 2}));
}

}  // namespace
}  // namespace kb::jobs
