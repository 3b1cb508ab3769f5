// What pods ask of nodes, by the scheduler's rules: limits as requests, init containers at their
// peak, sidecars through both phases, overhead; and a node's requested total from listed pods.
#include "kube/pod_resources.h"

#include <gtest/gtest.h>

namespace kb::kube {
namespace {

using nlohmann::json;

json container(const json& requests, const json& limits = json::object()) {
  return {{"name", "c"}, {"resources", {{"requests", requests}, {"limits", limits}}}};
}

json node(const std::string& name, const json& allocatable) {
  return {{"metadata", {{"name", name}}}, {"status", {{"allocatable", allocatable}, {"capacity", allocatable}}}};
}

json pod(const std::string& node_name, const std::string& phase, const json& requests) {
  return {{"metadata", {{"name", "p"}}}, {"spec", {{"nodeName", node_name}, {"containers", json::array({container(requests)})}}}, {"status", {{"phase", phase}}}};
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

TEST(NodeCapacity, CountsOnlyRunningAndPendingPodsBoundToTheNode) {
  auto caps = node_capacity({node("n1", {{"example.com/gpu", "2"}, {"pods", "110"}})},
                            {pod("n1", "Running", {{"example.com/gpu", "1"}}), pod("n1", "Succeeded", {{"example.com/gpu", "1"}}),
                             pod("", "Pending", {{"example.com/gpu", "1"}}), pod("n2", "Running", {{"example.com/gpu", "1"}})});
  ASSERT_EQ(caps.size(), 1u);
  EXPECT_EQ(caps[0].allocatable["example.com/gpu"], 2000);
  EXPECT_EQ(caps[0].requested["example.com/gpu"], 1000);
  EXPECT_EQ(caps[0].requested["pods"], 1000);
  EXPECT_EQ(caps[0].capacity["example.com/gpu"], 2000);
}

TEST(PodRequests, BadQuantityIsAnError) {
  EXPECT_THROW(pod_requests({{"containers", json::array({container({{"cpu", "lots"}})})}}), std::exception);
  EXPECT_TRUE(holds_node_resources(pod("n1", "Pending", json::object())));
  EXPECT_FALSE(holds_node_resources(pod("", "Pending", json::object())));
  EXPECT_FALSE(holds_node_resources(pod("n1", "Failed", json::object())));
}

}  // namespace
}  // namespace kb::kube
