#include "jobs/node_probe_job.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace kb::jobs {
namespace {

NodeProbeJobSpec spec() {
  NodeProbeJobSpec s;
  s.run_id = "probe-1";
  s.namespace_name = "media";
  s.image = "kubench:test";
  kube::NodeInventory cpu, gpu;
  cpu.name = "cpu-node";
  gpu.name = "gpu-node";
  gpu.gpu_resources = {{"nvidia.com/gpu", "2"}, {"gpu.intel.com/i915", "0"}};
  s.nodes = {cpu, gpu};
  s.probe_seconds = 2.5;
  s.encoders = {"libx264", "h264_nvenc"};
  return s;
}

TEST(NodeProbeJob, OneJobPerNodePinnedByHostnameWithOneUnitOfEachGpuResource) {
  auto jobs = render_node_probe_jobs(spec());
  ASSERT_EQ(jobs.size(), 2u);
  const auto& pod = jobs[1]["spec"]["template"]["spec"];
  EXPECT_EQ(pod["nodeSelector"]["kubernetes.io/hostname"], "gpu-node");
  const auto& c = pod["containers"][0];
  EXPECT_EQ(c["name"], kNodeProbeContainer);
  EXPECT_EQ(c["resources"]["limits"]["nvidia.com/gpu"], "1");
  EXPECT_FALSE(c["resources"]["limits"].contains("gpu.intel.com/i915"));  // none allocatable
  EXPECT_FALSE(jobs[0]["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"].contains("nvidia.com/gpu"));
  const std::vector<std::string> command = c["command"];
  EXPECT_EQ(command, (std::vector<std::string>{"kubench", "nodes", "probe", "--local", "--result-frame", "-q", "--probe-seconds", "2.500",
                                               "--encoders", "libx264,h264_nvenc"}));
  EXPECT_EQ(c["env"][0]["valueFrom"]["fieldRef"]["fieldPath"], "spec.nodeName");
  EXPECT_EQ(jobs[0]["metadata"]["namespace"], "media");
  EXPECT_EQ(jobs[0]["metadata"]["labels"]["kubench.io/run-id"], "probe-1");
  EXPECT_EQ(jobs[0]["spec"]["backoffLimit"], 0);
}

TEST(NodeProbeJob, RunOptionsTargetEachNodeAndAcceptOnlyAOneNodeMatrix) {
  auto o = node_probe_run_options(spec());
  EXPECT_FALSE(o.own_namespace);
  ASSERT_EQ(o.targets.size(), 2u);
  EXPECT_EQ(o.targets[1].case_name, "gpu-node");
  EXPECT_EQ(o.targets[1].result_container, kNodeProbeContainer);
  EXPECT_TRUE(o.result_ok({{"schema", "kubench/capabilities/v1"}, {"nodes", {{{"node", "x"}}}}}));
  EXPECT_FALSE(o.result_ok({{"schema", "kubench/capabilities/v1"}, {"nodes", nlohmann::json::array()}}));
  EXPECT_FALSE(o.result_ok({{"schema", "other"}, {"nodes", {{{"node", "x"}}}}}));
}

TEST(NodeProbeJob, NothingToProbeOrNoImageIsRefused) {
  auto s = spec();
  s.nodes.clear();
  EXPECT_THROW(render_node_probe_jobs(s), UsageError);
  s = spec();
  s.image.clear();
  EXPECT_THROW(render_node_probe_jobs(s), UsageError);
}

}  // namespace
}  // namespace kb::jobs
