// The detectors on synthetic metrics (no decoding): OpenCV's HSV, the minimum scene length's
// merge rule, the adaptive ratio, fades; shard planning and merge's refusals.
#include <gtest/gtest.h>

#include "core/error.h"
#include "scene/detectors.h"
#include "scene/scene_list_format.h"
#include "scene/scene_shard.h"

namespace kb::scene {
namespace {

// Frames 0…n-1 with content score 1 except the given frames, which score `high`.
std::vector<FrameMetric> content_metrics(std::int64_t n, std::vector<std::int64_t> peaks, float high = 80) {
  std::vector<FrameMetric> out;
  for (std::int64_t i = 0; i < n; ++i) {
    float v = std::find(peaks.begin(), peaks.end(), i) != peaks.end() ? high : 1.0f;
    out.push_back({i, v, v, v, 100});
  }
  return out;
}

TEST(BgrToHsv, MatchesOpenCvOnPrimariesAndGrey) {
  // Red, green, blue, grey, black, cyan; repeated so the SIMD path (8 at a time) sees them too.
  const std::uint8_t b6[] = {0, 0, 255, 128, 0, 255}, g6[] = {0, 255, 0, 128, 0, 255}, r6[] = {255, 0, 0, 128, 0, 0};
  const std::uint8_t expected[] = {0, 255, 255, 60, 255, 255, 120, 255, 255, 0, 0, 128, 0, 0, 0, 90, 255, 255};
  std::vector<std::uint8_t> b, g, r;
  for (int k = 0; k < 3; ++k) {
    b.insert(b.end(), b6, b6 + 6);
    g.insert(g.end(), g6, g6 + 6);
    r.insert(r.end(), r6, r6 + 6);
  }
  for (bool portable : {false, true}) {
    std::uint8_t h[18], s[18], v[18];
    bgr_to_hsv({18, 1, b.data(), g.data(), r.data()}, h, s, v, portable);
    for (int i = 0; i < 18; ++i) {
      EXPECT_EQ(h[i], expected[3 * (i % 6)]) << i << (portable ? " portable" : "");
      EXPECT_EQ(s[i], expected[3 * (i % 6) + 1]) << i;
      EXPECT_EQ(v[i], expected[3 * (i % 6) + 2]) << i;
    }
  }
}

TEST(MetricsCalculator, FirstFrameScoresZeroThenMeanAbsoluteDifferences) {
  MetricsCalculator calc;
  std::vector<std::uint8_t> black(4 * 3, 0), grey(4 * 3, 100);
  auto planes = [](const std::vector<std::uint8_t>& p) { return BgrPlanes{2, 2, p.data(), p.data() + 4, p.data() + 8}; };
  auto a = calc.add(0, planes(black));
  EXPECT_EQ(a.content(), 0);
  EXPECT_EQ(a.brightness, 0);
  auto b = calc.add(1, planes(grey));
  EXPECT_DOUBLE_EQ(b.delta_lum, 100);
  EXPECT_DOUBLE_EQ(b.delta_hue, 0);
  EXPECT_DOUBLE_EQ(b.brightness, 100);
}

TEST(ContentDetector, CutsAtThresholdWithMinimumLength) {
  auto s = DetectorSettings::defaults(DetectorKind::content);
  EXPECT_EQ(detect_cuts(content_metrics(150, {30, 75, 120}), s, 150), (std::vector<std::int64_t>{30, 75, 120}));
  // A cut before min_scene_len from the start is dropped (the first scene must be long enough).
  EXPECT_EQ(detect_cuts(content_metrics(100, {10, 50}), s, 100), (std::vector<std::int64_t>{50}));
  // 30, 35 (too close), 75: merged into 30's run, emitted once the run ends: 30 and 75.
  EXPECT_EQ(detect_cuts(content_metrics(105, {30, 35, 75}), s, 105), (std::vector<std::int64_t>{30, 75}));
  s.min_scene_len = 1;
  EXPECT_EQ(detect_cuts(content_metrics(105, {30, 35, 75}), s, 105), (std::vector<std::int64_t>{30, 35, 75}));
  s.threshold = 95;
  EXPECT_TRUE(detect_cuts(content_metrics(150, {30, 75, 120}), s, 150).empty());
}

TEST(ContentDetector, FlashingRunIsMergedIntoItsLastFrame) {
  auto s = DetectorSettings::defaults(DetectorKind::content);
  // Cuts at 20 and 40; the flashes at 45 and 50 come too soon after 40 and their run lasts less
  // than the minimum length, so they are no cut.
  EXPECT_EQ(detect_cuts(content_metrics(100, {20, 40, 45, 50}), s, 100), (std::vector<std::int64_t>{20, 40}));
  // A run of flashes longer than the minimum length is one cut at its last frame, emitted once
  // the length has passed without another.
  EXPECT_EQ(detect_cuts(content_metrics(120, {20, 40, 45, 50, 55, 60, 65}), s, 120), (std::vector<std::int64_t>{20, 40, 65}));
}

TEST(AdaptiveDetector, RatioToNeighboursAndMinimumContent) {
  auto s = DetectorSettings::defaults(DetectorKind::adaptive);
  EXPECT_EQ(detect_cuts(content_metrics(150, {30, 75, 120}), s, 150), (std::vector<std::int64_t>{30, 75, 120}));
  // High everywhere: no frame stands out from its neighbours.
  EXPECT_TRUE(detect_cuts(content_metrics(60, {}, 0), s, 60).empty());
  auto busy = content_metrics(60, {});
  for (auto& m : busy) m.delta_hue = m.delta_sat = m.delta_lum = 40;
  EXPECT_TRUE(detect_cuts(busy, s, 60).empty());
  // Below min_content_val: a relative jump that is too small in absolute terms.
  EXPECT_TRUE(detect_cuts(content_metrics(60, {30}, 10), s, 60).empty());
}

TEST(ThresholdDetector, CutInTheMiddleOfTheFade) {
  std::vector<FrameMetric> m;
  for (std::int64_t i = 0; i < 120; ++i) m.push_back({i, 0, 0, 0, (i >= 59 && i <= 62) ? 5.0f : 120.0f});
  auto s = DetectorSettings::defaults(DetectorKind::threshold);
  EXPECT_EQ(s.threshold, 12);
  EXPECT_EQ(detect_cuts(m, s, 120), (std::vector<std::int64_t>{61}));  // (63 + 59) / 2
  s.fade_bias = 1;
  EXPECT_EQ(detect_cuts(m, s, 120), (std::vector<std::int64_t>{63}));
  // A fade-out at the very end: a cut only with add_final_scene.
  std::vector<FrameMetric> tail;
  for (std::int64_t i = 0; i < 100; ++i) tail.push_back({i, 0, 0, 0, i >= 90 ? 1.0f : 120.0f});
  s = DetectorSettings::defaults(DetectorKind::threshold);
  EXPECT_TRUE(detect_cuts(tail, s, 100).empty());
  s.add_final_scene = true;
  EXPECT_EQ(detect_cuts(tail, s, 100), (std::vector<std::int64_t>{90}));
}

TEST(DetectorSettings, BadValuesAreUsageErrors) {
  auto s = DetectorSettings::defaults(DetectorKind::content);
  s.threshold = -1;
  EXPECT_THROW(s.validate(), UsageError);
  s = DetectorSettings::defaults(DetectorKind::adaptive);
  s.window_width = 0;
  EXPECT_THROW(s.validate(), UsageError);
  EXPECT_THROW(parse_detector("hash"), UsageError);
  auto round_trip = detector_settings_from_json(to_json(DetectorSettings::defaults(DetectorKind::threshold)));
  EXPECT_EQ(to_json(round_trip), to_json(DetectorSettings::defaults(DetectorKind::threshold)));
}

TEST(Shards, ParseAndRangesTileTheVideo) {
  EXPECT_EQ(parse_shard("2/8").index, 2);
  EXPECT_THROW(parse_shard("8/8"), UsageError);
  EXPECT_THROW(parse_shard("-1/8"), UsageError);
  EXPECT_THROW(parse_shard("1/0"), UsageError);
  EXPECT_THROW(parse_shard("1"), UsageError);
  for (int n = 1; n <= 7; ++n) {
    std::int64_t next = 0;
    for (int i = 0; i < n; ++i) {
      auto [first, end] = shard_range({i, n}, 150);
      EXPECT_EQ(first, next);
      next = end;
      if (i + 1 == n) {
        EXPECT_EQ(end, -1);
      }
    }
  }
  EXPECT_EQ(shard_range({1, 2}, 150).first, 75);
}

TEST(Shards, BordersBalanceTheDecodeCostAndSnapToTheNearestKeyframe) {
  // 100 frames, the last 20 ten times as expensive (total 280): half is reached at frame 86.
  std::vector<double> cost_before(101, 0);
  for (int f = 0; f < 100; ++f) cost_before[static_cast<size_t>(f) + 1] = cost_before[static_cast<size_t>(f)] + (f >= 80 ? 10 : 1);
  EXPECT_EQ(shard_range({1, 2}, 100, {}, cost_before).first, 86);
  // Keyframes at 0, 50, 85, 95: 85 is nearest in cost to the nominal border 86.
  EXPECT_EQ(shard_range({1, 2}, 100, {0, 50, 85, 95}, cost_before).first, 85);
  EXPECT_EQ(shard_range({0, 2}, 100, {0, 50, 85, 95}, cost_before).second, 85);
  // Any N: the shards tile the video in order.
  for (int n = 1; n <= 9; ++n) {
    std::int64_t expected = 0;
    for (int i = 0; i < n; ++i) {
      auto [first, end] = shard_range({i, n}, 100, {0, 10, 50, 85, 95}, cost_before);
      EXPECT_EQ(first, expected) << i << "/" << n;
      EXPECT_LE(first, end < 0 ? 100 : end) << i << "/" << n;
      expected = end;
    }
    EXPECT_EQ(expected, -1);
  }
  // Costs from packet sizes: every frame costs its pixels, plus 150 × its bytes.
  auto before = decode_cost_before({{0, 10}, {1, 0}, {2, 6}}, 3, 1000);
  EXPECT_EQ(before, (std::vector<double>{0, 2500, 3500, 5400}));
  EXPECT_TRUE(decode_cost_before({}, 3, 1000).empty());
}

ShardResult synthetic_shard(int index, int count, std::int64_t frames, const std::vector<FrameMetric>& all) {
  ShardResult r;
  r.video.name = "v.mp4";
  r.video.bytes = 1000;
  r.video.frames = frames;
  r.video.frame_rate = 25;
  r.video.rate_num = 25;
  r.settings = DetectorSettings::defaults(DetectorKind::content);
  r.shard = {index, count};
  auto [first, end] = shard_range(r.shard, frames);
  r.first = first;
  r.to_end_of_stream = end < 0;
  r.end = end < 0 ? frames : end;
  for (auto& m : all)
    if (m.frame >= r.first && m.frame < r.end) r.metrics.push_back(m);
  return r;
}

TEST(MergeShards, AnySplitGivesTheSinglePassAnswerAndJsonRoundTrips) {
  const auto all = content_metrics(105, {30, 35, 75});
  const auto single = detect_cuts(all, DetectorSettings::defaults(DetectorKind::content), 105);
  for (int n = 1; n <= 7; ++n) {
    std::vector<ShardResult> shards;
    for (int i = n - 1; i >= 0; --i)  // any order
      shards.push_back(shard_result_from_json(to_json(synthetic_shard(i, n, 105, all)), "shard"));
    auto list = merge_shards(shards);
    EXPECT_EQ(list.cuts, single) << n;
    EXPECT_EQ(list.end_frame, 105);
  }
}

TEST(MergeShards, RefusesMissingDuplicatedForeignAndMismatchedShards) {
  const auto all = content_metrics(150, {30, 75, 120});
  auto s0 = synthetic_shard(0, 3, 150, all), s1 = synthetic_shard(1, 3, 150, all), s2 = synthetic_shard(2, 3, 150, all);
  auto message = [](std::vector<ShardResult> v) {
    try {
      merge_shards(std::move(v));
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message({s0, s2}), "shard 1/3 is missing");
  EXPECT_EQ(message({s0, s1, s1, s2}), "shard 1/3 is given twice");
  auto foreign = s1;
  foreign.video.sampled_sha256 = "other";
  EXPECT_NE(message({s0, foreign, s2}).find("shard 1/3 is of another video"), std::string::npos);
  auto other_settings = s2;
  other_settings.settings.threshold = 30;
  EXPECT_NE(message({s0, s1, other_settings}).find("shard 2/3 was detected with other settings"), std::string::npos);
  auto other_split = synthetic_shard(1, 4, 150, all);
  EXPECT_NE(message({s0, other_split, s2}).find("belongs to a split into 4"), std::string::npos);
  auto gap = s1;
  gap.first += 1;
  EXPECT_EQ(message({s0, gap, s2}), "shard 1/3 starts at frame 51, expected 50");
  EXPECT_THROW(shard_result_from_json({{"schema", "kubench/bench/v1"}}, "x.json"), ParseError);
}

TEST(SceneListFormat, PySceneDetectCsvEdlAndNoCutIsOneScene) {
  SceneList list;
  list.video.name = "v1.mp4";
  list.video.frame_rate = 25;
  list.end_frame = 150;
  list.cuts = {30, 75, 120};
  auto csv = scenes_csv(list);
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "Timecode List:,00:00:01.200,00:00:03.000,00:00:04.800");
  EXPECT_NE(csv.find("\n2,31,00:00:01.200,1.200,75,00:00:03.000,3.000,45,00:00:01.800,1.800\n"), std::string::npos) << csv;
  EXPECT_EQ(scenes_csv(list, true).rfind("Scene Number,", 0), 0u);
  auto edl = scenes_edl(list, "v1");
  EXPECT_NE(edl.find("002  AX       V     C        00:00:01:05 00:00:03:00 00:00:01:05 00:00:03:00"), std::string::npos) << edl;
  list.cuts.clear();
  ASSERT_EQ(scenes_of(list).size(), 1u);
  EXPECT_EQ(scenes_of(list)[0].end, 150);
  EXPECT_EQ(scenes_json(list)["scenes"].size(), 1u);
}

}  // namespace
}  // namespace kb::scene
