// The seed's allocation table computed from its node and pods, and the inventory, owner and
// detection rules behind it.
#include "share/share_view.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "share/share_fixtures.h"

namespace kb::share {
namespace {

using nlohmann::json;

TEST(ShareView, ReproducesTheSeedsBeforeTable) {
  const auto view = share_view({test::seed_node()}, test::seed_pods());
  ASSERT_EQ(view.size(), 1u);
  const auto& n = view[0];
  EXPECT_EQ(n.gpus.product, "NVIDIA-GeForce-RTX-3080-Ti");
  EXPECT_EQ(n.gpus.sharing, "time-slicing");
  EXPECT_EQ(n.gpus.replicas, 8);
  EXPECT_EQ(n.gpus.share_resource, "nvidia.com/gpu.shared");
  EXPECT_EQ(*n.gpus.memory_bytes, 12LL << 30);
  EXPECT_TRUE(n.gpus.warnings.empty());
  const auto csv = share_csv(view);
  EXPECT_EQ(csv,
            "node,workload,namespace,kind,shares,percentage,vram,vram_from,note\n"
            "homelabai,plex,media,Deployment,N/A,variable,?,none,\"requests no GPU, uses one: hostPath /dev/nvidia0 in container plex; "
            "runtimeClassName nvidia; annotation gpu-directories=nvidia\"\n"
            "homelabai,ollama,ai,Deployment,1,12.5%,?,none,\n"
            "homelabai,tts,ai,Deployment,1,12.5%,?,none,\n"
            "homelabai,whisper,ai,Deployment,2,25%,?,none,\n"
            "homelabai,Available,-,,4,50%,,,\n"
            "homelabai,Total,-,,8,100%,,,nvidia.com/gpu.shared\n")
      << csv;
  const auto doc = share_json(view);
  EXPECT_EQ(doc["schema"], "kubench/share/v1");
  EXPECT_EQ(doc["nodes"][0]["shares"]["available"], 4);
  EXPECT_EQ(doc["nodes"][0]["workloads"][3]["percentage"], 25);
  EXPECT_TRUE(doc["nodes"][0]["workloads"][0]["shares"].is_null());
  const auto text = render_text(share_report(view));
  EXPECT_NE(text.find("homelabai: 1 × nvidia NVIDIA-GeForce-RTX-3080-Ti, 12.0 GiB, time-slicing × 8"), std::string::npos) << text;
}

TEST(ShareView, NoGpuNodesIsAnEmptyViewAndAnUnknownNodeAnError) {
  json plain = {{"metadata", {{"name", "cpu-1"}}}, {"status", {{"capacity", {{"cpu", "4"}}}}}};
  EXPECT_TRUE(share_view({plain}, std::vector<json>{}).empty());
  EXPECT_NE(render_text(share_report({})).find("no node shows a GPU"), std::string::npos);
  EXPECT_THROW(share_view({plain}, std::vector<json>{}, "nope"), UsageError);
  EXPECT_TRUE(share_view({plain, test::seed_node()}, std::vector<json>{}, "cpu-1").empty());
}

TEST(GpuInventory, ContradictionsAreWarningsNotSilentPicks) {
  auto node = test::seed_node();
  node["metadata"]["labels"]["nvidia.com/gpu.replicas"] = "4";
  node["status"]["capacity"]["nvidia.com/gpu"] = "1";
  const auto g = read_node_gpus(node);
  EXPECT_EQ(g.replicas, 8);  // the capacity is what the scheduler uses
  ASSERT_EQ(g.warnings.size(), 2u);
  EXPECT_NE(g.warnings[0].find("both nvidia.com/gpu (1) and nvidia.com/gpu.shared (8)"), std::string::npos) << g.warnings[0];
  EXPECT_NE(g.warnings[1].find("nvidia.com/gpu.replicas=4 (per GPU, × 1 GPU) but the node advertises 8"), std::string::npos) << g.warnings[1];
}

TEST(GpuInventory, EachVendorAndSharingMode) {
  // Time-slicing without renaming: GFD appends -SHARED to the product.
  json ts = {{"metadata", {{"name", "t4"}, {"labels", {{"nvidia.com/gpu.product", "Tesla-T4-SHARED"}, {"nvidia.com/gpu.count", "2"},
                                                       {"nvidia.com/gpu.replicas", "4"}}}}},
             {"status", {{"capacity", {{"nvidia.com/gpu", "8"}}}}}};
  auto g = read_node_gpus(ts);
  EXPECT_EQ(g.product, "Tesla-T4");
  EXPECT_EQ(g.sharing, "time-slicing");
  EXPECT_EQ(g.count, 2);
  EXPECT_EQ(g.replicas, 4);
  EXPECT_EQ(g.share_resource, "nvidia.com/gpu");
  EXPECT_TRUE(g.warnings.empty()) << g.warnings[0];  // 4 per GPU × 2 GPUs = the 8 advertised
  // MPS.
  ts["metadata"]["labels"]["nvidia.com/gpu.sharing-strategy"] = "mps";
  EXPECT_EQ(read_node_gpus(ts).sharing, "mps");
  // Not shared.
  json whole = {{"metadata", {{"name", "a100"}, {"labels", {{"nvidia.com/gpu.product", "A100-SXM4-80GB"}, {"nvidia.com/gpu.memory", "81920"}}}}},
                {"status", {{"capacity", {{"nvidia.com/gpu", "4"}}}}}};
  g = read_node_gpus(whole);
  EXPECT_EQ(g.sharing, "none");
  EXPECT_EQ(g.count, 4);
  EXPECT_EQ(*g.memory_bytes, 80LL << 30);
  // HAMi: its node annotation lists the devices.
  json hami = {{"metadata", {{"name", "h"}, {"annotations", {{"hami.io/node-nvidia-register",
                R"([{"id":"GPU-1","count":10,"devmem":24576,"devcore":100,"type":"NVIDIA-GeForce-RTX-4090","numa":0,"health":true}])"}}}}},
               {"status", {{"capacity", {{"nvidia.com/gpu", "10"}}}}}};
  g = read_node_gpus(hami);
  EXPECT_EQ(g.sharing, "hami");
  EXPECT_EQ(g.count, 1);
  EXPECT_EQ(g.replicas, 10);
  EXPECT_EQ(g.product, "NVIDIA-GeForce-RTX-4090");
  EXPECT_EQ(*g.memory_bytes, 24LL << 30);
  // Intel with shared-dev-num 4 on two cards.
  json intel = {{"metadata", {{"name", "arc"}, {"labels", {{"gpu.intel.com/cards", "card0.card1"}, {"gpu.intel.com/family", "A_Series"},
                                                          {"gpu.intel.com/memory.max", "17179869184"}}}}},
                {"status", {{"capacity", {{"gpu.intel.com/i915", "8"}}}}}};
  g = read_node_gpus(intel);
  EXPECT_EQ(g.vendor, "intel");
  EXPECT_EQ(g.sharing, "shared-dev");
  EXPECT_EQ(g.count, 2);
  EXPECT_EQ(g.replicas, 4);
  EXPECT_EQ(*g.memory_bytes, 16LL << 30);
  // AMD's labeller.
  json amd = {{"metadata", {{"name", "mi"}, {"labels", {{"amd.com/gpu.product-name", "Radeon-RX-7900-XTX"}, {"amd.com/gpu.vram", "24G"}}}}},
              {"status", {{"capacity", {{"amd.com/gpu", "1"}}}}}};
  g = read_node_gpus(amd);
  EXPECT_EQ(g.vendor, "amd");
  EXPECT_EQ(g.count, 1);
  EXPECT_EQ(*g.memory_bytes, 24LL << 30);
}

TEST(GpuUsers, OwnersFromThePodAlone) {
  EXPECT_EQ(owner_of(test::seed_pod("ai", "whisper", 1)).kind, "Deployment");
  EXPECT_EQ(owner_of(test::seed_pod("ai", "whisper", 1)).name, "whisper");
  json job_pod = {{"metadata", {{"name", "backup-29161440-abcde"}, {"ownerReferences", json::array({{{"kind", "Job"}, {"name", "backup-29161440"}, {"controller", true}}})}}}};
  EXPECT_EQ(owner_of(job_pod).kind, "CronJob");
  EXPECT_EQ(owner_of(job_pod).name, "backup");
  job_pod["metadata"]["ownerReferences"][0]["name"] = "encode-7";
  EXPECT_EQ(owner_of(job_pod).kind, "Job");
  json sts = {{"metadata", {{"name", "db-0"}, {"ownerReferences", json::array({{{"kind", "StatefulSet"}, {"name", "db"}, {"controller", true}}})}}}};
  EXPECT_EQ(owner_of(sts).name, "db");
  EXPECT_EQ(owner_of(json{{"metadata", {{"name", "lonely"}}}}).kind, "Pod");
}

TEST(GpuUsers, DetectsGpuUseWithoutARequest) {
  json pod = {{"metadata", {{"name", "p"}}},
              {"spec", {{"containers", json::array({{{"name", "c"}, {"env", json::array({{{"name", "NVIDIA_VISIBLE_DEVICES"}, {"value", "all"}}})}}})}}}};
  EXPECT_EQ(unrequested_gpu_evidence(pod), std::vector<std::string>{"NVIDIA_VISIBLE_DEVICES=all in container c"});
  pod["spec"]["containers"][0]["env"][0]["value"] = "void";  // the device plugin's way to hide every GPU
  EXPECT_TRUE(unrequested_gpu_evidence(pod).empty());
  pod["spec"]["volumes"] = json::array({{{"name", "dri"}, {"hostPath", {{"path", "/dev/dri"}}}}});
  pod["spec"]["containers"][0]["volumeMounts"] = json::array({{{"name", "dri"}, {"mountPath", "/dev/dri"}}});
  pod["spec"]["containers"][0]["securityContext"] = {{"privileged", true}};
  EXPECT_EQ(unrequested_gpu_evidence(pod), std::vector<std::string>{"privileged + hostPath /dev/dri in container c"});
  // A volume defined but never mounted is no use of it.
  pod["spec"]["containers"][0].erase("volumeMounts");
  EXPECT_TRUE(unrequested_gpu_evidence(pod).empty());
}

}  // namespace
}  // namespace kb::share
