// The VRAM budget: each source in its order, each sharing mode's model, the seed's "After" risk,
// the DCGM answer (one pod per GPU, a shared GPU, renamed labels), and plans from manifests.
#include "share/vram_budget.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "share/share_fixtures.h"
#include "share/share_plan.h"
#include "share/vram_live.h"
#include "support/test_support.h"

namespace kb::share {
namespace {

using nlohmann::json;
constexpr int64_t GiB = 1LL << 30;

// The seed's "Expected Usage" list as the estimates file would give it.
VramSources seed_estimates() {
  VramSources s;
  s.estimates = {{"plex", {1 * GiB, 2 * GiB}}, {"ai/ollama", {2 * GiB, 4 * GiB}}, {"tts", {GiB / 2, 1 * GiB}}, {"whisper", {2 * GiB, 3 * GiB}}};
  s.estimates_path = "vram.yaml";
  return s;
}

std::vector<NodeShare> budgeted(std::vector<NodeShare> view, const VramSources& sources) {
  std::vector<std::string> warnings;
  apply_vram_budget(view, sources, warnings);
  return view;
}

TEST(VramRange, QuantitiesAndRanges) {
  EXPECT_EQ(parse_vram_range("8Gi"), (VramRange{8 * GiB, 8 * GiB}));
  EXPECT_EQ(parse_vram_range("6Gi-8Gi"), (VramRange{6 * GiB, 8 * GiB}));
  EXPECT_EQ(parse_vram_range("512Mi-1Gi"), (VramRange{GiB / 2, GiB}));
  EXPECT_FALSE(parse_vram_range("8Gi-6Gi"));
  EXPECT_FALSE(parse_vram_range("lots"));
  EXPECT_FALSE(parse_vram_range(""));
  EXPECT_FALSE(parse_vram_range("0"));
}

TEST(VramEstimatesFile, ReadsEachFormAndNamesBadEntries) {
  test::TempDir dir;
  test::write_text(dir / "vram.yaml", "media/plex: 1Gi-2Gi\nollama: {min: 2Gi, max: 4Gi}\ntts: 1Gi\n");
  const auto e = load_vram_estimates(dir / "vram.yaml");
  EXPECT_EQ(e.at("media/plex"), (VramRange{GiB, 2 * GiB}));
  EXPECT_EQ(e.at("ollama"), (VramRange{2 * GiB, 4 * GiB}));
  EXPECT_EQ(e.at("tts"), (VramRange{GiB, GiB}));
  test::write_text(dir / "bad.yaml", "ollama: plenty\n");
  try {
    load_vram_estimates(dir / "bad.yaml");
    FAIL();
  } catch (const UsageError& err) {
    EXPECT_NE(std::string(err.what()).find("ollama: give LO-HI"), std::string::npos) << err.what();
  }
  test::write_text(dir / "list.yaml", "- a\n- b\n");
  EXPECT_THROW(load_vram_estimates(dir / "list.yaml"), UsageError);
  test::write_text(dir / "broken.yaml", "a: [1, 2\n");
  EXPECT_THROW(load_vram_estimates(dir / "broken.yaml"), UsageError);
  EXPECT_THROW(load_vram_estimates(dir / "missing.yaml"), UsageError);
}

TEST(VllmSettings, FlagEnvAndDefault) {
  std::string how;
  EXPECT_DOUBLE_EQ(*vllm_memory_fraction(json{{"args", {"--model", "m", "--gpu-memory-utilization", "0.7"}}}, &how), 0.7);
  EXPECT_EQ(how, "vLLM --gpu-memory-utilization 0.7");
  EXPECT_DOUBLE_EQ(*vllm_memory_fraction(json{{"command", {"sh", "-c", "vllm serve m --gpu-memory-utilization=0.5"}}}, &how), 0.5);
  EXPECT_DOUBLE_EQ(*vllm_memory_fraction(json{{"env", {{{"name", "GPU_MEMORY_UTILIZATION"}, {"value", "0.70"}}}}}, &how), 0.7);
  EXPECT_EQ(how, "GPU_MEMORY_UTILIZATION=0.70");
  EXPECT_DOUBLE_EQ(*vllm_memory_fraction(json{{"image", "vllm/vllm-openai:v0.6.3"}}, &how), 0.9);
  EXPECT_EQ(how, "vLLM's default --gpu-memory-utilization 0.9");
  EXPECT_FALSE(vllm_memory_fraction(json{{"image", "ollama/ollama"}}, &how));
  EXPECT_FALSE(vllm_memory_fraction(json{{"env", {{{"name", "GPU_MEMORY_UTILIZATION"}, {"value", "7"}}}}}, &how));
}

TEST(VramBudget, SeedBeforeIsOkAndAfterVllmAtRisk) {
  const auto before = budgeted(share_view({test::seed_node()}, test::seed_pods()), seed_estimates());
  ASSERT_TRUE(before[0].budget);
  const auto& b = *before[0].budget;
  EXPECT_EQ(*b.vram_bytes, 12 * GiB);
  EXPECT_EQ(b.worst_bytes, 2 * GiB + 4 * GiB + 1 * GiB + 3 * GiB);
  EXPECT_EQ(b.verdict, "ok");
  EXPECT_EQ(before[0].workloads[0].vram.source, "estimates");
  EXPECT_EQ(before[0].workloads[0].vram.detail, "vram.yaml: plex");

  auto plan = plan_shares(share_view({test::seed_node()}, test::seed_pods()),
                          {parse_plan_change(PlanChange::Kind::add, "ai-dev/vllm=2,vram=8Gi-10Gi")});
  std::vector<std::string> warnings;
  budget_plan(plan, seed_estimates(), warnings);
  const auto& a = *plan.after[0].budget;
  EXPECT_EQ(a.verdict, "at risk");
  EXPECT_EQ(a.worst_bytes, 20 * GiB);  // the seed's "potential total" against its 12 GB card
  EXPECT_EQ(a.contributors.front(), (std::pair<std::string, int64_t>{"vllm", 10 * GiB}));
  EXPECT_NE(a.reasons[0].find("worst case 20.0 GiB of 12.0 GiB"), std::string::npos) << a.reasons[0];
  EXPECT_TRUE(plan.vram_at_risk);
  EXPECT_FALSE(plan.vram_over);
  EXPECT_EQ(plan.after[0].workloads.back().vram.detail, "kubench.io/vram=8Gi-10Gi");
  // The table carries it: the After row, and the verdict in the Total row.
  const auto csv = share_csv(plan.after);
  EXPECT_NE(csv.find("homelabai,vllm,ai-dev,Deployment,2,25%,8.0-10.0 GiB,annotation: kubench.io/vram=8Gi-10Gi,planned"), std::string::npos) << csv;
  EXPECT_NE(csv.find("homelabai,Total,-,,8,100%,20.0 GiB worst,VRAM at risk (12.0 GiB),nvidia.com/gpu.shared"), std::string::npos) << csv;
}

TEST(VramBudget, TimeSlicingWithoutEstimatesAssumesAllOfIt) {
  const auto view = budgeted(share_view({test::seed_node()}, test::seed_pods()), {});
  const auto& b = *view[0].budget;
  EXPECT_EQ(b.worst_bytes, 4 * 12 * GiB);  // four users, each may take the whole card
  EXPECT_EQ(b.verdict, "at risk");
  EXPECT_EQ(view[0].workloads[1].vram.source, "none");
}

TEST(VramBudget, SourcesInOrderLiveAnnotationSettingsEstimates) {
  auto pods = test::seed_pods();
  pods[1]["metadata"]["annotations"] = {{"kubench.io/vram", "3Gi-5Gi"}};                             // whisper
  pods[2]["spec"]["containers"][0]["args"] = {"--gpu-memory-utilization", "0.25"};                   // ollama: settings
  pods[3]["metadata"]["annotations"] = {{"kubench.io/vram", "a lot"}};                                // tts: bad, falls back
  auto sources = seed_estimates();
  sources.live_by_pod["ai/whisper-7c9d8b6f5-x2k4q"] = 1536LL << 20;                                   // live wins
  std::vector<std::string> warnings;
  auto view = share_view({test::seed_node()}, pods);
  apply_vram_budget(view, sources, warnings);
  std::map<std::string, VramEstimate> by;
  for (const auto& w : view[0].workloads) by[w.owner.name] = w.vram;
  EXPECT_EQ(by["whisper"].source, "live");
  EXPECT_EQ(*by["whisper"].high, 1536LL << 20);
  EXPECT_TRUE(by["whisper"].resident);
  EXPECT_EQ(by["ollama"].source, "settings");
  EXPECT_EQ(*by["ollama"].high, 3 * GiB);
  EXPECT_EQ(by["ollama"].detail, "vLLM --gpu-memory-utilization 0.25 × 12.0 GiB");
  EXPECT_EQ(by["tts"].source, "estimates");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("ai/tts: annotation kubench.io/vram=a lot"), std::string::npos);
}

TEST(VramBudget, ResidentMemoryBeyondTheCardIsOver) {
  auto pods = test::seed_pods();
  pods[1]["spec"]["containers"][0]["env"] = {{{"name", "GPU_MEMORY_UTILIZATION"}, {"value", "0.9"}}};  // whisper
  pods[2]["spec"]["containers"][0]["env"] = {{{"name", "GPU_MEMORY_UTILIZATION"}, {"value", "0.5"}}};  // ollama
  const auto view = budgeted(share_view({test::seed_node()}, pods), seed_estimates());
  EXPECT_EQ(view[0].budget->verdict, "over");
  EXPECT_EQ(view[0].budget->resident_bytes, static_cast<int64_t>(1.4 * 12 * GiB));
}

TEST(VramBudget, MpsCapsEachShare) {
  auto node = test::seed_node();
  node["metadata"]["labels"]["nvidia.com/gpu.sharing-strategy"] = "mps";
  auto sources = seed_estimates();
  sources.estimates["whisper"] = {2 * GiB, 4 * GiB};  // 2 shares of 1.5 GiB: capped at 3 GiB
  const auto view = budgeted(share_view({node}, test::seed_pods()), sources);
  const auto& b = *view[0].budget;
  EXPECT_EQ(b.verdict, "at risk");
  EXPECT_NE(std::find_if(b.reasons.begin(), b.reasons.end(),
                         [](const std::string& r) { return r == "whisper may need 4.0 GiB, MPS caps it at 3.0 GiB: it runs out of memory itself"; }),
            b.reasons.end());
  // plex (no request: not capped) 2 + ollama 1.5 cap (estimate 4 > cap) + tts 1 + whisper 3.
  EXPECT_EQ(b.worst_bytes, 2 * GiB + 3 * GiB / 2 + 1 * GiB + 3 * GiB);
}

TEST(VramBudget, HamiBooksGpumem) {
  json node = {{"metadata", {{"name", "h"}, {"labels", {{"nvidia.com/gpu.memory", "24576"}, {"nvidia.com/gpu.product", "L4"}}},
                             {"annotations", {{"hami.io/node-nvidia-register",
                                              R"([{"id":"GPU-1","count":10,"devmem":24576,"devcore":100,"type":"NVIDIA-L4","health":true}])"}}}}},
               {"status", {{"capacity", {{"nvidia.com/gpu", "10"}}}, {"allocatable", {{"nvidia.com/gpu", "10"}}}}}};
  auto pod = test::seed_pod("ai", "llm", 0);
  pod["spec"]["nodeName"] = "h";
  pod["spec"]["containers"][0]["resources"] = {{"limits", {{"nvidia.com/gpu", "1"}, {"nvidia.com/gpumem", "8192"}}}};
  VramSources sources;
  sources.estimates["llm"] = {6 * GiB, 10 * GiB};
  const auto view = budgeted(share_view({node}, {pod}), sources);
  ASSERT_EQ(view.size(), 1u);
  EXPECT_EQ(view[0].gpus.sharing, "hami");
  const auto& b = *view[0].budget;
  EXPECT_EQ(b.worst_bytes, 8 * GiB);
  EXPECT_EQ(b.verdict, "at risk");
  EXPECT_EQ(b.reasons.back(), "llm may need 10.0 GiB, HAMi caps it at its booked 8.0 GiB: it runs out of memory itself");
}

TEST(VramBudget, UnknownVramOrEstimatesNeverSayOk) {
  auto node = test::seed_node();
  node["metadata"]["labels"].erase("nvidia.com/gpu.memory");
  auto view = budgeted(share_view({node}, test::seed_pods()), seed_estimates());
  EXPECT_EQ(view[0].budget->verdict, "unknown");
  EXPECT_NE(view[0].budget->reasons[0].find("does not say its VRAM"), std::string::npos);
}

json dcgm(const std::string& uuid, const std::string& ns, const std::string& pod, const std::string& mib, bool exported = false) {
  json metric = {{"__name__", "DCGM_FI_DEV_FB_USED"}, {"UUID", uuid}, {"gpu", "0"}, {"Hostname", "homelabai"}};
  metric[exported ? "exported_namespace" : "namespace"] = ns;
  metric[exported ? "exported_pod" : "pod"] = pod;
  if (exported) {
    metric["namespace"] = "gpu-operator";
    metric["pod"] = "nvidia-dcgm-exporter-abcde";
  }
  return {{"metric", metric}, {"value", {1733530000.0, mib}}};
}

TEST(VramLive, OnePodPerGpuIsLiveASharedGpuCannotBeSplit) {
  VramSources s;
  read_dcgm_answer({{"status", "success"},
                    {"data", {{"resultType", "vector"},
                              {"result", {dcgm("GPU-a", "ai", "llm-0", "8192", true), dcgm("GPU-b", "ai", "whisper-1", "2048"),
                                          dcgm("GPU-b", "ai", "tts-1", "2048"), {{"metric", {{"UUID", "GPU-c"}}}, {"value", {0, "5"}}}}}}}},
                   s);
  ASSERT_EQ(s.live_by_pod.size(), 1u);
  EXPECT_EQ(s.live_by_pod.at("ai/llm-0"), 8 * GiB);  // exported_ labels are the workload's
  ASSERT_EQ(s.live_notes.size(), 1u);
  EXPECT_EQ(s.live_notes[0],
            "DCGM_FI_DEV_FB_USED is per GPU: GPU GPU-b is shared by ai/tts-1, ai/whisper-1 (2.0 GiB in use there now), which cannot be split; "
            "their estimates come from the next source");
  VramSources bad;
  read_dcgm_answer({{"status", "error"}, {"error", "parse error"}}, bad);
  EXPECT_NE(bad.live_notes.at(0).find("fall back"), std::string::npos);
  VramSources none;
  read_dcgm_answer({{"status", "success"}, {"data", {{"result", json::array()}}}}, none);
  EXPECT_NE(none.live_notes.at(0).find("no DCGM_FI_DEV_FB_USED series"), std::string::npos);
}

TEST(VramLive, UnreachablePrometheusFallsBack) {
  VramSources s;
  query_live_vram("http://127.0.0.1:1", s);
  ASSERT_EQ(s.live_notes.size(), 1u);
  EXPECT_NE(s.live_notes[0].find("--prometheus http://127.0.0.1:1 unreachable"), std::string::npos) << s.live_notes[0];
  EXPECT_TRUE(s.live_by_pod.empty());
}

// The seed's vLLM Deployment, as written.
const char* kSeedVllm = R"(apiVersion: v1
kind: Service
metadata: {name: vllm, namespace: ai-dev}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: vllm
  namespace: ai-dev
spec:
  replicas: 1
  template:
    metadata:
      annotations:
        gpu-directories: nvidia
    spec:
      nodeSelector:
        kubernetes.io/hostname: homelabai
      runtimeClassName: nvidia
      containers:
      - name: vllm
        image: vllm/vllm-openai:latest
        env:
        - name: GPU_MEMORY_UTILIZATION
          value: "0.70"
        resources:
          requests:
            nvidia.com/gpu.shared: "2"
          limits:
            nvidia.com/gpu.shared: "2"
)";

TEST(PlanManifest, TheSeedsVllmDeployment) {
  test::TempDir dir;
  test::write_text(dir / "vllm.yaml", kSeedVllm);
  const auto changes = plan_changes_from_manifest((dir / "vllm.yaml").string());
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].namespace_name, "ai-dev");
  EXPECT_EQ(changes[0].resource, "nvidia.com/gpu.shared");
  EXPECT_EQ(changes[0].shares_milli, 2000);
  EXPECT_EQ(changes[0].node, "homelabai");
  auto plan = plan_shares(share_view({test::seed_node()}, test::seed_pods()), changes);
  std::vector<std::string> warnings;
  budget_plan(plan, seed_estimates(), warnings);
  EXPECT_TRUE(plan.fits);
  const auto& vllm = plan.after[0].workloads.back();
  EXPECT_EQ(vllm.vram.source, "settings");
  EXPECT_EQ(vllm.vram.detail, "GPU_MEMORY_UTILIZATION=0.70 × 12.0 GiB");
  EXPECT_EQ(plan.after[0].budget->verdict, "at risk");  // 10 + 8.4 of 12 GiB
  EXPECT_FALSE(plan.vram_over);
}

TEST(PlanManifest, ReplicasArePlacedOneByOneAndBadManifestsRefused) {
  test::TempDir dir;
  std::string three = kSeedVllm;
  three.replace(three.find("replicas: 1"), 11, "replicas: 3");
  test::write_text(dir / "three.yaml", three);
  const auto plan = plan_shares(share_view({test::seed_node()}, test::seed_pods()), plan_changes_from_manifest((dir / "three.yaml").string()));
  EXPECT_FALSE(plan.fits);  // 4 free: two pods of 2 fit, the third does not
  ASSERT_EQ(plan.placements.size(), 3u);
  EXPECT_TRUE(plan.placements[1].fits);
  EXPECT_EQ(plan.placements[2].workload, "ai-dev/vllm (pod 3 of 3)");
  EXPECT_EQ(plan.placements[2].reason, "needs 2 nvidia.com/gpu.shared on homelabai, 0 free");
  EXPECT_EQ(plan.after[0].workloads.back().pods, 2);

  test::write_text(dir / "ds.yaml", "kind: DaemonSet\nmetadata: {name: d}\nspec: {template: {spec: {containers: []}}}\n");
  EXPECT_THROW(plan_changes_from_manifest((dir / "ds.yaml").string()), UsageError);
  test::write_text(dir / "cpu.yaml", "kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, resources: {requests: {cpu: '1'}}}]}\n");
  EXPECT_THROW(plan_changes_from_manifest((dir / "cpu.yaml").string()), UsageError);
  test::write_text(dir / "bad.yaml", "kind: Pod\nmetadata: {name: [\n");
  EXPECT_THROW(plan_changes_from_manifest((dir / "bad.yaml").string()), UsageError);
  EXPECT_THROW(plan_changes_from_manifest((dir / "none.yaml").string()), UsageError);
}

}  // namespace
}  // namespace kb::share
