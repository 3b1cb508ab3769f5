// Sweep admission: node matching (selector, affinity, taints, Ready, cordon) and the admission
// plan (capacity, priority, --max-parallel, why it waits). Pod requests: tests/kube/pod_resources_test.
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

// kubench's image (bench, infer workloads) runs only on its architectures.
TEST(NodeMismatch, AnArchitectureTheImageLacks) {
  SweepTarget t;
  const auto pi = node("pi4", {{"kubernetes.io/arch", "arm64"}}, json::object());
  EXPECT_EQ(node_mismatch(pi, t), "");
  EXPECT_EQ(arch_mismatch(pi, {}), "");  // a container workload: kubench knows nothing of its image
  EXPECT_EQ(arch_mismatch(pi, {{"amd64"}, ""}), "is arm64 and the image has amd64 only");
  EXPECT_EQ(arch_mismatch(pi, {{"amd64", "arm64"}, ""}), "");
  EXPECT_EQ(arch_mismatch(node("old", json::object(), json::object()), {{"amd64"}, ""}),
            "is of no stated architecture and the image has amd64 only");
}


AdmissionInput two_gpu_node() {
  AdmissionInput in;
  in.nodes = {{"n1", {{"example.com/gpu", 2000}, {"pods", 110000}}, {}, {}}};
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
