#include "kube/node_inventory.h"

#include <gtest/gtest.h>

#include "kube/client.h"
#include "kube/rbac_preflight.h"
#include "kube/transport.h"

namespace kb::kube {
namespace {

TEST(NodeInventory, GpuResourcesAndLabelsOfEachVendor) {
  auto node = nlohmann::json::parse(R"({
    "metadata": {"name": "gpu-1", "labels": {
      "node-role.kubernetes.io/worker": "", "kubernetes.io/hostname": "gpu-1",
      "nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3", "nvidia.com/gpu.count": "8",
      "gpu.intel.com/device-id.0300-56a5.present": "true",
      "intel.feature.node.kubernetes.io/gpu": "true", "amd.com/gpu.family": "AI"}},
    "spec": {"unschedulable": true},
    "status": {"conditions": [{"type": "Ready", "status": "True"}],
               "nodeInfo": {"kubeletVersion": "v1.29.1"},
               "allocatable": {"cpu": "64", "memory": "512Gi", "nvidia.com/gpu": "8", "nvidia.com/mig-1g.10gb": 7,
                               "gpu.intel.com/i915": "1", "amd.com/gpu": "2", "ephemeral-storage": "1Ti"}}})");
  auto n = node_inventory(node);
  EXPECT_EQ(n.name, "gpu-1");
  EXPECT_TRUE(n.ready);
  EXPECT_TRUE(n.unschedulable);
  EXPECT_EQ(n.roles, "worker");
  EXPECT_EQ(n.kubelet_version, "v1.29.1");
  EXPECT_EQ(n.gpu_resources.size(), 4u);
  EXPECT_EQ(n.gpu_resources["nvidia.com/gpu"], "8");
  EXPECT_EQ(n.gpu_resources["nvidia.com/mig-1g.10gb"], "7");
  EXPECT_EQ(n.gpu_resources["gpu.intel.com/i915"], "1");
  EXPECT_EQ(n.gpu_labels.size(), 5u);
  EXPECT_FALSE(n.gpu_labels.count("kubernetes.io/hostname"));
}

TEST(ResourcePath, CoreAndNamedGroups) {
  EXPECT_EQ(resource_path(resources::pods, "ns", "p", "log"), "/api/v1/namespaces/ns/pods/p/log");
  EXPECT_EQ(resource_path(resources::jobs, "ns"), "/apis/batch/v1/namespaces/ns/jobs");
  EXPECT_EQ(resource_path(resources::nodes, "ignored", "n1"), "/api/v1/nodes/n1");
  EXPECT_EQ(resource_path(resources::jobs, ""), "/apis/batch/v1/jobs");
}

TEST(RbacPreflight, RunNeedsPodLogsAndItsOwnNamespace) {
  auto checks = run_permissions("");
  EXPECT_EQ(describe(checks.front()), "create namespaces");
  bool logs = false;
  for (auto& c : checks) logs |= describe(c) == "get pods/log in namespace kubench-preflight";
  EXPECT_TRUE(logs);
  for (auto& c : run_permissions("team")) {
    EXPECT_NE(c.resource, "namespaces");
    EXPECT_NE(c.resource, "serviceaccounts") << "nothing but Jobs is created in a namespace the run did not make";
  }
}

TEST(ApiErrors, StatusReasonAndMessage) {
  auto e = api_error("GET", "/api/v1/namespaces/x/pods/p?watch=1", 404,
                     R"({"kind":"Status","reason":"NotFound","message":"pods \"p\" not found","code":404})");
  EXPECT_TRUE(e.not_found());
  EXPECT_EQ(e.reason(), "NotFound");
  EXPECT_EQ(std::string(e.what()), "GET /api/v1/namespaces/x/pods/p: pods \"p\" not found (NotFound, HTTP 404)");
  EXPECT_TRUE(api_error("GET", "/x", 410, "{\"kind\":\"Status\",\"reason\":\"Expired\"}").gone());
  EXPECT_EQ(parse_retry_after("3")->count(), 3000);
  EXPECT_FALSE(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"));
}

}  // namespace
}  // namespace kb::kube
