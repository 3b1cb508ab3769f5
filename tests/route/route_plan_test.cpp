// Routing on recorded capability matrices: hardware first where proven and joinable, measured
// speed, session limits, GPUs taken by others or gone, CPU-only nodes, pins and forbids, one
// family or mixed.
#include "route/route_plan.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace kb::route {
namespace {

using probe::Backend;
using probe::Codec;

EncoderCapability enc(const std::string& name, Backend b, Codec c, double fps1080, std::optional<int> sessions = std::nullopt, int threads = 0) {
  return {name, b, c, true, "", fps1080, fps1080 / 4, sessions, true, threads, ""};
}

// The fifth seed's homelab: an AMD box (VAAPI), a gaming PC (NVENC, 3 sessions), an iGPU NUC (QSV)
// and a CPU-only node.
CapabilityMatrix homelab() {
  CapabilityMatrix m;
  m.nodes.push_back({"amd", "t", "", "", 8, 16, 0, {}, {{"amd.com/gpu", "1"}}, {enc("h264_vaapi", Backend::vaapi, Codec::h264, 300)}, ""});
  m.nodes.push_back({"gamer", "t", "", "", 8, 16, 0, {}, {{"nvidia.com/gpu", "1"}},
                     {enc("h264_nvenc", Backend::nvenc, Codec::h264, 600, 3), enc("libx264", Backend::cpu, Codec::h264, 80, std::nullopt, 16)}, ""});
  m.nodes.push_back({"nuc", "t", "", "", 4, 8, 0, {}, {{"gpu.intel.com/i915", "1"}}, {enc("h264_qsv", Backend::qsv, Codec::h264, 400)}, ""});
  m.nodes.push_back({"cpu", "t", "", "", 16, 32, 0, {}, {}, {enc("libx264", Backend::cpu, Codec::h264, 120, std::nullopt, 32)}, ""});
  return m;
}

std::vector<NodeNow> all_free() {
  return {{"amd", true, true, {{"cpu", 8000}, {"amd.com/gpu", 1}}},
          {"gamer", true, true, {{"cpu", 8000}, {"nvidia.com/gpu", 1}}},
          {"nuc", true, true, {{"cpu", 4000}, {"gpu.intel.com/i915", 1}}},
          {"cpu", true, true, {{"cpu", 16000}}}};
}

TEST(FpsAt, InterpolatesByPixelRate) {
  const auto e = enc("x", Backend::cpu, Codec::h264, 100);  // 4K: 25 fps, the same pixel rate
  EXPECT_NEAR(*fps_at(e, 1920, 1080), 100, 1e-9);
  EXPECT_NEAR(*fps_at(e, 3840, 2160), 25, 1e-9);
  EXPECT_NEAR(*fps_at(e, 1280, 720), 225, 1e-9);
  EncoderCapability none{"n", Backend::cpu, Codec::h264, true, "", {}, {}, {}, true, 0, ""};
  EXPECT_FALSE(fps_at(none, 1920, 1080));
}

TEST(RouteEncode, OneFamilyByMeasuredTotalWithTheSessionLimit) {
  RoutePolicy policy;
  policy.slots_per_gpu = 5;
  EncodeTask task;
  task.threads_per_part = 4;
  const auto plan = route_encode(homelab(), all_free(), task, policy);
  // CPU: gamer 2 slots × 80×4/16 = 40, cpu 4 slots × 120×4/32 = 60 → 100; NVENC 600 (3 sessions, not 5).
  EXPECT_EQ(plan.family, "nvenc");
  ASSERT_EQ(plan.workers.size(), 1u);
  EXPECT_EQ(plan.workers[0].slots, 3);
  EXPECT_EQ(plan.workers[0].gpu_resource, "nvidia.com/gpu");
  EXPECT_NEAR(plan.fps, 600, 1e-9);
  const auto text = explain(plan);
  EXPECT_NE(text.find("session limit 3 (of 5 slots)"), std::string::npos) << text;
  EXPECT_NE(text.find("nuc h264_qsv: nvenc chosen for the whole output (600.0 fps against 400.0"), std::string::npos) << text;
}

TEST(RouteEncode, MixedTakesEachNodesBest) {
  RoutePolicy policy;
  policy.allow_mixed = true;
  const auto plan = route_encode(homelab(), all_free(), {}, policy);
  EXPECT_EQ(plan.family, "mixed");
  ASSERT_EQ(plan.workers.size(), 4u);
  EXPECT_EQ(plan.workers[0].encoder, "h264_vaapi");  // by node: amd, cpu, gamer, nuc
  EXPECT_EQ(plan.workers[1].encoder, "libx264");
  EXPECT_EQ(plan.workers[2].encoder, "h264_nvenc");  // beats gamer's own CPU
  EXPECT_EQ(plan.workers[3].encoder, "h264_qsv");
  EXPECT_NEAR(plan.fps, 300 + 60 + 600 + 400, 1e-9);
}

TEST(RouteEncode, GpusTakenOrGoneAndUnreadyNodesAreRejectedWithReasons) {
  auto nodes = all_free();
  nodes[1].free["nvidia.com/gpu"] = 0;  // others hold the GPU
  nodes[0].free.erase("amd.com/gpu");   // the GPU vanished since the probe
  nodes[2].ready = false;
  const auto plan = route_encode(homelab(), nodes, {}, {});
  EXPECT_EQ(plan.family, "cpu");
  const auto text = explain(plan);
  EXPECT_NE(text.find("gamer h264_nvenc: every nvidia.com/gpu is requested by other pods now"), std::string::npos) << text;
  EXPECT_NE(text.find("amd h264_vaapi: its GPU resource is no longer advertised"), std::string::npos) << text;
  EXPECT_NE(text.find("nuc: not Ready"), std::string::npos) << text;
}

TEST(RouteEncode, PinsForbidsAndNothingLeft) {
  RoutePolicy policy;
  policy.pin_encoders = {"libx264"};
  policy.forbid_nodes = {"gamer"};
  auto plan = route_encode(homelab(), all_free(), {}, policy);
  ASSERT_EQ(plan.workers.size(), 1u);
  EXPECT_EQ(plan.workers[0].node, "cpu");
  EXPECT_EQ(plan.workers[0].slots, 16);  // 16 free cores, one thread per part
  policy.pin_nodes = {"nuc"};
  try {
    route_encode(homelab(), all_free(), {}, policy);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("no node can encode h264"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("nuc h264_qsv: not pinned (--encoder)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(route_encode({}, {}, {}, {}), UsageError);
  EncodeTask hevc;
  hevc.codec = Codec::hevc;
  EXPECT_THROW(route_encode(homelab(), all_free(), hevc, {}), UsageError);  // nobody measured HEVC
}

TEST(RouteEncode, BrokenOrNonJoinableEncodersAndFailedProbesAreNotUsed) {
  auto m = homelab();
  m.nodes[1].encoders[0].stitchable = false;
  m.nodes[2].encoders[0].works = false;
  m.nodes[2].encoders[0].reason = "MFX session failed";
  m.nodes[0].error = "ImagePullBackOff";
  const auto plan = route_encode(m, all_free(), {}, {});
  EXPECT_EQ(plan.family, "cpu");
  const auto text = explain(plan);
  EXPECT_NE(text.find("gamer h264_nvenc: cannot make joinable parts"), std::string::npos) << text;
  EXPECT_NE(text.find("nuc h264_qsv: does not work here: MFX session failed"), std::string::npos) << text;
  EXPECT_NE(text.find("amd: its probe failed: ImagePullBackOff"), std::string::npos) << text;
}

}  // namespace
}  // namespace kb::route
