#include "jobs/run_targets.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace kb::jobs {
namespace {

using kube::NodeInventory;

NodeInventory node(const std::string& name, std::map<std::string, std::string> gpu_resources = {},
                   std::map<std::string, std::string> labels = {}) {
  NodeInventory n;
  n.name = name;
  n.ready = true;
  n.gpu_resources = std::move(gpu_resources);
  n.labels = std::move(labels);
  return n;
}

TargetRequest request(const std::string& accel = "auto") {
  TargetRequest r;
  r.base.image = "registry.example/kubench:1.0";
  r.base.run_id = "nightly";
  r.access.accel = accel;
  return r;
}

// The UsageError's text, "" when none is thrown.
std::string usage_error(const TargetRequest& r, const std::optional<std::vector<NodeInventory>>& nodes) {
  std::vector<std::string> notes;
  try {
    plan_targets(r, nodes, notes);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

bool any_note_has(const std::vector<std::string>& notes, const std::string& a, const std::string& b) {
  for (auto& n : notes)
    if (n.find(a) != std::string::npos && n.find(b) != std::string::npos) return true;
  return false;
}

TEST(ParseSelector, PairsAndSpaces) {
  EXPECT_EQ(parse_selector("gpu=arc, zone=eu-1 ,,"),
            (std::map<std::string, std::string>{{"gpu", "arc"}, {"zone", "eu-1"}}));
  EXPECT_EQ(parse_selector("a=b=c"), (std::map<std::string, std::string>{{"a", "b=c"}}));
  EXPECT_EQ(parse_selector("empty="), (std::map<std::string, std::string>{{"empty", ""}}));
  EXPECT_TRUE(parse_selector("").empty());
}

TEST(ParseSelector, Malformed) {
  EXPECT_THROW(parse_selector("gpu"), UsageError);
  EXPECT_THROW(parse_selector("=arc"), UsageError);
  try {
    parse_selector("a=b,novalue");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("'a=b,novalue'"), std::string::npos) << e.what();
  }
}

TEST(Matches, AllPairsMustMatch) {
  auto n = node("n1", {}, {{"gpu", "arc"}, {"zone", "eu-1"}});
  EXPECT_TRUE(matches(n, {}));
  EXPECT_TRUE(matches(n, {{"gpu", "arc"}}));
  EXPECT_TRUE(matches(n, {{"gpu", "arc"}, {"zone", "eu-1"}}));
  EXPECT_FALSE(matches(n, {{"gpu", "flex"}}));
  EXPECT_FALSE(matches(n, {{"gpu", "arc"}, {"rack", "r1"}}));
}

TEST(PlanTargets, NodeThatDoesNotExistListsTheNodes) {
  auto r = request("qsv");
  r.node = "n9";
  auto msg = usage_error(r, std::vector{node("n1"), node("n2")});
  EXPECT_NE(msg.find("n9"), std::string::npos) << msg;
  EXPECT_NE(msg.find("n1, n2"), std::string::npos) << msg;
}

TEST(PlanTargets, NodeIsCheckedAgainstItsResources) {
  auto r = request("auto");
  r.node = "gpu-1";
  std::vector<std::string> notes;
  auto specs = plan_targets(r, std::vector{node("cpu-1"), node("gpu-1", {{"nvidia.com/gpu", "2"}})}, notes);
  ASSERT_EQ(specs.size(), 1u);
  EXPECT_EQ(specs[0].node, "gpu-1");
  EXPECT_EQ(specs[0].case_name, "");
  EXPECT_EQ(specs[0].accel, "nvenc");
  EXPECT_EQ(specs[0].gpu_access, GpuAccess::resource);
  EXPECT_EQ(specs[0].gpu_resource, "nvidia.com/gpu");
  EXPECT_EQ(specs[0].image, "registry.example/kubench:1.0");

  r.access.accel = "qsv";
  EXPECT_NE(usage_error(r, std::vector{node("gpu-1", {{"nvidia.com/gpu", "2"}})}).find("--gpu-access hostpath"), std::string::npos);
  r.selector = {{"gpu", "arc"}};
  EXPECT_NE(usage_error(r, std::vector{node("gpu-1", {{"gpu.intel.com/i915", "1"}})}).find("--selector"), std::string::npos);
}

TEST(PlanTargets, NotReadyNodeIsANote) {
  auto r = request("qsv");
  r.node = "n1";
  auto n = node("n1", {{"gpu.intel.com/i915", "1"}});
  n.ready = false;
  std::vector<std::string> notes;
  EXPECT_EQ(plan_targets(r, std::vector{n}, notes).size(), 1u);
  EXPECT_TRUE(any_note_has(notes, "n1", "not Ready"));
}

TEST(PlanTargets, NodeWithoutTheRightToListIsTakenOnTrust) {
  auto r = request("qsv");
  r.node = "somewhere";
  r.selector = {{"gpu", "arc"}};
  std::vector<std::string> notes;
  auto specs = plan_targets(r, std::nullopt, notes);
  ASSERT_EQ(specs.size(), 1u);
  EXPECT_EQ(specs[0].node, "somewhere");
  EXPECT_EQ(specs[0].gpu_resource, "gpu.intel.com/i915");
  EXPECT_EQ(specs[0].node_selector, r.selector);
  r.access.accel = "auto";  // cannot be decided without the node
  EXPECT_NE(usage_error(r, std::nullopt), "");
}

TEST(PlanTargets, AllNodesMakesOneSpecPerUsableNode) {
  auto not_ready = node("down", {{"gpu.intel.com/i915", "1"}}, {{"pool", "gpu"}});
  not_ready.ready = false;
  auto cordoned = node("cordoned", {{"gpu.intel.com/i915", "1"}}, {{"pool", "gpu"}});
  cordoned.unschedulable = true;
  std::vector<NodeInventory> nodes{node("intel-1", {{"gpu.intel.com/i915", "1"}}, {{"pool", "gpu"}}),
                                   not_ready,
                                   node("other-pool", {{"gpu.intel.com/i915", "1"}}, {{"pool", "batch"}}),
                                   cordoned,
                                   node("nv-1", {{"nvidia.com/gpu", "1"}}, {{"pool", "gpu"}}),
                                   node("plain", {}, {{"pool", "gpu"}})};
  auto r = request("auto");
  r.all_nodes = true;
  r.selector = {{"pool", "gpu"}};
  std::vector<std::string> notes;
  auto specs = plan_targets(r, nodes, notes);
  ASSERT_EQ(specs.size(), 3u);
  const char* expected[][3] = {{"intel-1", "qsv", "gpu.intel.com/i915"}, {"nv-1", "nvenc", "nvidia.com/gpu"}, {"plain", "cpu", ""}};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(specs[i].node, expected[i][0]);
    EXPECT_EQ(specs[i].case_name, expected[i][0]);
    EXPECT_EQ(specs[i].accel, expected[i][1]);
    EXPECT_EQ(specs[i].gpu_resource, expected[i][2]);
    EXPECT_EQ(specs[i].node_selector, r.selector);
    EXPECT_EQ(specs[i].run_id, "nightly");
    EXPECT_NE(specs[i].job_name(), specs[(i + 1) % 3].job_name());
  }
  EXPECT_EQ(specs[2].gpu_access, GpuAccess::none);
  EXPECT_TRUE(any_note_has(notes, "down", "not Ready"));
  EXPECT_TRUE(any_note_has(notes, "cordoned", "cordoned"));
  EXPECT_FALSE(any_note_has(notes, "other-pool", ""));  // outside the selector: not a target at all
}

TEST(PlanTargets, AllNodesWithExplicitAccelSkipsNodesWithoutIt) {
  auto r = request("qsv");
  r.all_nodes = true;
  std::vector<std::string> notes;
  auto specs = plan_targets(r, std::vector{node("nv-1", {{"nvidia.com/gpu", "1"}}), node("intel-1", {{"gpu.intel.com/i915", "1"}})}, notes);
  ASSERT_EQ(specs.size(), 1u);
  EXPECT_EQ(specs[0].node, "intel-1");
  EXPECT_EQ(specs[0].accel, "qsv");
  EXPECT_TRUE(any_note_has(notes, "nv-1", "gpu.intel.com/i915"));
}

TEST(PlanTargets, AllNodesWithNoneLeftIsAnError) {
  auto r = request("qsv");
  r.all_nodes = true;
  auto msg = usage_error(r, std::vector{node("nv-1", {{"nvidia.com/gpu", "1"}}), node("plain")});
  EXPECT_NE(msg.find("nv-1, plain"), std::string::npos) << msg;
  r.selector = {{"gpu", "arc"}};
  r.access.accel = "auto";
  EXPECT_NE(usage_error(r, std::vector{node("plain")}), "");
  EXPECT_NE(usage_error(r, std::vector<NodeInventory>{}), "");
}

TEST(PlanTargets, AllNodesNeedsTheNodeList) {
  auto r = request("qsv");
  r.all_nodes = true;
  EXPECT_NE(usage_error(r, std::nullopt).find("--all-nodes"), std::string::npos);
}

TEST(PlanTargets, NodeAndAllNodesExcludeEachOther) {
  auto r = request("qsv");
  r.all_nodes = true;
  r.node = "n1";
  auto msg = usage_error(r, std::vector{node("n1", {{"gpu.intel.com/i915", "1"}})});
  EXPECT_NE(msg.find("--node"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--all-nodes"), std::string::npos) << msg;
}

TEST(PlanTargets, SchedulerPlacedAutoPicksTheClustersGpu) {
  // The first node is CPU-only; auto still picks the GPU that another node offers.
  auto gpu = kube::node_inventory(nlohmann::json::parse(R"({
    "metadata": {"name": "arc-1", "labels": {"kubernetes.io/hostname": "arc-1"}},
    "status": {"conditions": [{"type": "Ready", "status": "True"}],
               "allocatable": {"cpu": "16", "memory": "64Gi", "gpu.intel.com/i915": "1"}}})"));
  auto r = request("auto");
  std::vector<std::string> notes;
  auto specs = plan_targets(r, std::vector{node("cpu-1"), gpu}, notes);
  ASSERT_EQ(specs.size(), 1u);
  EXPECT_EQ(specs[0].node, "");  // the scheduler decides
  EXPECT_EQ(specs[0].case_name, "");
  EXPECT_EQ(specs[0].accel, "qsv");
  EXPECT_EQ(specs[0].gpu_access, GpuAccess::resource);
  EXPECT_EQ(specs[0].gpu_resource, "gpu.intel.com/i915");
  EXPECT_TRUE(any_note_has(notes, "auto", "qsv"));
}

TEST(PlanTargets, SchedulerPlacedIgnoresUnusableNodes) {
  auto cordoned = node("nv-1", {{"nvidia.com/gpu", "1"}});
  cordoned.unschedulable = true;
  std::vector<std::string> notes;
  auto specs = plan_targets(request("auto"), std::vector{cordoned, node("cpu-1")}, notes);
  ASSERT_EQ(specs.size(), 1u);
  EXPECT_EQ(specs[0].accel, "cpu");
  // An explicit accel no usable node serves is an error that says what would help.
  auto msg = usage_error(request("nvenc"), std::vector{cordoned, node("cpu-1")});
  EXPECT_NE(msg.find("--gpu-access hostpath"), std::string::npos) << msg;
}

TEST(PlanTargets, SchedulerPlacedWithoutNodeList) {
  std::vector<std::string> notes;
  auto specs = plan_targets(request("nvenc"), std::nullopt, notes);
  ASSERT_EQ(specs.size(), 1u);
  EXPECT_EQ(specs[0].gpu_resource, "nvidia.com/gpu");
  EXPECT_NE(usage_error(request("auto"), std::nullopt).find("--accel"), std::string::npos);
}

TEST(PlanTargets, NoReadyNodeIsAnError) {
  auto down = node("n1", {{"gpu.intel.com/i915", "1"}});
  down.ready = false;
  auto msg = usage_error(request("auto"), std::vector{down});
  EXPECT_NE(msg.find("Ready"), std::string::npos) << msg;
  EXPECT_NE(msg.find("n1"), std::string::npos) << msg;
}

}  // namespace
}  // namespace kb::jobs
