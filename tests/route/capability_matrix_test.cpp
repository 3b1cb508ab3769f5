// The capability matrix: its JSON round trip, what a bad document says, merging a fresh probe into
// the cache, and the table.
#include "route/capability_matrix.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace kb::route {
namespace {

using nlohmann::json;

CapabilityMatrix homelab() {
  CapabilityMatrix m;
  m.generated_at = "2026-12-07T02:00:00Z";
  NodeCapabilities nuc{"nuc", "2026-12-07T01:59:00Z", "0.1.0", "5.1.9", 4, 8, 16LL << 30, {"intel 0x4680"}, {{"gpu.intel.com/i915", "1"}}, {}, ""};
  nuc.encoders.push_back({"h264_qsv", probe::Backend::qsv, probe::Codec::h264, true, "", 412.5, 101.0, std::nullopt, true, 0, "/dev/dri/renderD128"});
  nuc.encoders.push_back({"av1_qsv", probe::Backend::qsv, probe::Codec::av1, false, "no AV1 encoder on this GPU", {}, {}, {}, false, 0, ""});
  nuc.encoders.push_back({"libx264", probe::Backend::cpu, probe::Codec::h264, true, "", 61.0, 14.5, std::nullopt, true, 8, ""});
  NodeCapabilities rtx{"gamer", "2026-12-07T01:58:00Z", "0.1.0", "5.1.9", 8, 16, 32LL << 30, {"nvidia NVIDIA GeForce RTX 3080 Ti"}, {{"nvidia.com/gpu", "1"}}, {}, ""};
  rtx.encoders.push_back({"hevc_nvenc", probe::Backend::nvenc, probe::Codec::hevc, true, "", 540.0, 138.0, 3, true, 0, "0"});
  NodeCapabilities broken{"pi", "2026-12-07T01:57:00Z", "", "", 0, 0, 0, {}, {}, {}, "ImagePullBackOff"};
  m.nodes = {rtx, nuc, broken};
  return m;
}

TEST(CapabilityMatrix, JsonRoundTripKeepsEveryField) {
  const auto m = homelab();
  const auto doc = to_json(m);
  EXPECT_EQ(doc["schema"], "kubench/capabilities/v1");
  EXPECT_TRUE(doc["nodes"][1]["encoders"][1]["fps_1080p"].is_null());
  EXPECT_EQ(doc["nodes"][0]["encoders"][0]["session_limit"], 3);
  const auto back = matrix_from_json(doc, "test");
  EXPECT_EQ(to_json(back), to_json(matrix_from_json(to_json(back), "again")));
  ASSERT_EQ(back.nodes.size(), 3u);
  EXPECT_EQ(back.nodes[0].node, "gamer");  // sorted by name
  EXPECT_EQ(back.nodes[1].node, "nuc");
  const auto& qsv = back.nodes[1].encoders[0];
  EXPECT_EQ(qsv.backend, probe::Backend::qsv);
  EXPECT_EQ(qsv.codec, probe::Codec::h264);
  EXPECT_DOUBLE_EQ(*qsv.fps_4k, 101.0);
  EXPECT_FALSE(qsv.session_limit);
  EXPECT_EQ(back.nodes[1].encoders[1].reason, "no AV1 encoder on this GPU");
  EXPECT_EQ(back.nodes[1].memory_bytes, 16LL << 30);
  EXPECT_EQ(back.nodes[0].gpu_resources.at("nvidia.com/gpu"), "1");
  EXPECT_EQ(back.nodes[2].error, "ImagePullBackOff");
}

TEST(CapabilityMatrix, BadDocumentsNameTheirOrigin) {
  try {
    matrix_from_json(json{{"schema", "kubench/share/v1"}}, "cache.json");
    FAIL();
  } catch (const ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("cache.json: not a kubench/capabilities/v1 document"), std::string::npos) << e.what();
  }
  auto doc = to_json(homelab());
  doc["nodes"][0]["encoders"][0]["backend"] = "cuda";
  try {
    matrix_from_json(doc, "cm");
    FAIL();
  } catch (const ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("cm: node gamer: encoder hevc_nvenc: unknown backend 'cuda'"), std::string::npos) << e.what();
  }
  doc = to_json(homelab());
  doc["nodes"][1]["cpu_cores"] = "many";
  EXPECT_THROW(matrix_from_json(doc, "cm"), ParseError);
  doc = to_json(homelab());
  doc["nodes"][1]["encoders"][0]["codec"] = "mpeg2";
  EXPECT_THROW(matrix_from_json(doc, "cm"), ParseError);
}

TEST(CapabilityMatrix, MergeReplacesProbedNodesAndKeepsTheOthers) {
  NodeCapabilities pi{"pi", "2026-12-07T03:00:00Z", "0.1.0", "5.1.9", 4, 4, 8LL << 30, {}, {}, {}, ""};
  pi.encoders.push_back({"libx264", probe::Backend::cpu, probe::Codec::h264, true, "", 9.5, std::nullopt, std::nullopt, true, 4, ""});
  NodeCapabilities fresh{"new", "2026-12-07T03:00:00Z", "0.1.0", "5.1.9", 2, 2, 4LL << 30, {}, {}, {}, ""};
  const auto m = merge(homelab(), {pi, fresh}, "2026-12-07T03:00:01Z");
  ASSERT_EQ(m.nodes.size(), 4u);
  EXPECT_EQ(m.generated_at, "2026-12-07T03:00:01Z");
  EXPECT_EQ(m.nodes[2].node, "nuc");
  EXPECT_EQ(m.nodes[2].probed_at, "2026-12-07T01:59:00Z");  // not probed again: kept
  EXPECT_EQ(m.nodes[3].node, "pi");
  EXPECT_TRUE(m.nodes[3].error.empty());
  EXPECT_DOUBLE_EQ(*m.nodes[3].encoders[0].fps_1080p, 9.5);
}

TEST(CapabilityMatrix, TableHasARowPerWorkingEncoderAndSaysWhyForNone) {
  const auto text = matrix_table(homelab()).render();
  EXPECT_NE(text.find("hevc_nvenc"), std::string::npos) << text;
  EXPECT_NE(text.find("540.0"), std::string::npos) << text;
  EXPECT_EQ(text.find("av1_qsv"), std::string::npos) << text;  // not working: not a row
  EXPECT_NE(text.find("probe failed: ImagePullBackOff"), std::string::npos) << text;
  EXPECT_EQ(matrix_table(homelab()).rows.size(), 4u);
}

}  // namespace
}  // namespace kb::route
