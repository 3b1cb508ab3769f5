#include "route/capability_cache.h"

#include <gtest/gtest.h>

#include "kube/credentials.h"

namespace kb::route {
namespace {

NodeCapabilities node(const std::string& name, const std::string& probed_at, const std::string& error = "") {
  NodeCapabilities n;
  n.node = name;
  n.probed_at = probed_at;
  n.error = error;
  return n;
}

std::time_t at(const std::string& text) { return std::chrono::system_clock::to_time_t(*kube::parse_rfc3339(text)); }

TEST(CapabilityCache, OnlyNodesWithoutAFreshGoodEntryAreProbedAgain) {
  CapabilityMatrix cached;
  cached.nodes = {node("a", "2026-12-07T00:00:00Z"), node("b", "2026-11-01T00:00:00Z"), node("c", "2026-12-07T00:00:00Z", "image pull failed")};
  const auto now = at("2026-12-07T12:00:00Z");
  const auto week = std::chrono::hours(24 * 7);
  EXPECT_EQ(nodes_to_probe(cached, {"a", "b", "c", "d"}, now, week, false), (std::vector<std::string>{"b", "c", "d"}));
  EXPECT_EQ(nodes_to_probe(cached, {"a"}, now, std::chrono::hours(1), false), (std::vector<std::string>{"a"}));
  EXPECT_EQ(nodes_to_probe(cached, {"a", "b"}, now, week, true), (std::vector<std::string>{"a", "b"}));
}

TEST(CapabilityCache, TheConfigMapCarriesTheMatrixAsJson) {
  CapabilityMatrix m;
  m.generated_at = "2026-12-07T04:39:13Z";
  m.nodes = {node("gpu-1", "2026-12-07T04:39:13Z")};
  auto cm = capabilities_configmap(m, "media");
  EXPECT_EQ(cm["metadata"]["name"], kCapabilitiesConfigMap);
  EXPECT_EQ(cm["metadata"]["namespace"], "media");
  auto back = matrix_from_json(nlohmann::json::parse(cm["data"]["matrix.json"].get<std::string>()), "test");
  ASSERT_EQ(back.nodes.size(), 1u);
  EXPECT_EQ(back.nodes[0].node, "gpu-1");
  EXPECT_EQ(back.nodes[0].probed_at, "2026-12-07T04:39:13Z");
}

TEST(CapabilityCache, LabelsSayWhatWorksJoinablyAndDropWhatNoLongerDoes) {
  auto n = node("gpu-1", "2026-12-07T04:39:13Z");
  EncoderCapability x264;
  x264.encoder = "libx264";
  x264.works = x264.stitchable = true;
  EncoderCapability nvenc = x264;
  nvenc.encoder = "hevc_nvenc";
  nvenc.stitchable = false;  // works, but cannot make joinable parts: no label
  EncoderCapability qsv = x264;
  qsv.encoder = "h264_qsv";
  qsv.works = false;
  n.encoders = {x264, nvenc, qsv};
  auto patch = label_patch(n, {{"kubench.io/encoder.h264_qsv", "true"}, {"kubernetes.io/hostname", "gpu-1"}});
  const auto& labels = patch["metadata"]["labels"];
  EXPECT_EQ(labels["kubench.io/encoder.libx264"], "true");
  EXPECT_TRUE(labels["kubench.io/encoder.h264_qsv"].is_null());
  EXPECT_FALSE(labels.contains("kubench.io/encoder.hevc_nvenc"));
  EXPECT_FALSE(labels.contains("kubernetes.io/hostname"));
  EXPECT_EQ(labels["kubench.io/capabilities-probed"], "20261207T043913Z");
}

}  // namespace
}  // namespace kb::route
