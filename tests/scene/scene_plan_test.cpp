// Many videos over N shards: parts by size, balance, determinism, and merge per video.
#include "scene/scene_plan.h"

#include <gtest/gtest.h>

#include <map>
#include <numeric>

#include "core/error.h"
#include "support/test_support.h"

namespace kb::scene {
namespace {

// Total bytes each shard decodes under the plan.
std::vector<double> loads(const ShardPlan& plan, const std::vector<std::int64_t>& bytes) {
  std::vector<double> out;
  for (auto& shard : plan.shards) {
    double sum = 0;
    for (auto& p : shard) sum += static_cast<double>(bytes[static_cast<size_t>(p.video)]) / p.part.count;
    out.push_back(sum);
  }
  return out;
}

// Every part I/K of every video appears exactly once over all shards.
void expect_every_part_once(const ShardPlan& plan, size_t videos) {
  std::map<std::pair<int, int>, int> seen;
  for (auto& shard : plan.shards)
    for (auto& p : shard) {
      EXPECT_EQ(p.part.count, plan.parts_per_video[static_cast<size_t>(p.video)]);
      ++seen[{p.video, p.part.index}];
    }
  size_t expected = 0;
  for (size_t v = 0; v < videos; ++v) {
    expected += static_cast<size_t>(plan.parts_per_video[v]);
    for (int i = 0; i < plan.parts_per_video[v]; ++i) EXPECT_EQ((seen[{static_cast<int>(v), i}]), 1) << v << " part " << i;
  }
  EXPECT_EQ(seen.size(), expected);
}

TEST(ShardPlan, OneVideoIsSplitIntoNPartsPartIOnShardI) {
  for (int n = 1; n <= 7; ++n) {
    auto plan = plan_shards({123456789}, n);
    ASSERT_EQ(plan.parts_per_video, std::vector<int>{n});
    for (int i = 0; i < n; ++i) {
      ASSERT_EQ(plan.shards[static_cast<size_t>(i)].size(), 1u);
      EXPECT_EQ(plan.shards[static_cast<size_t>(i)][0].part.index, i);
      EXPECT_EQ(plan.shards[static_cast<size_t>(i)][0].part.count, n);
    }
  }
}

TEST(ShardPlan, ABigVideoIsSplitAndSmallOnesFillTheGaps) {
  const std::vector<std::int64_t> bytes = {100, 1, 1, 1};
  auto plan = plan_shards(bytes, 2);
  EXPECT_EQ(plan.parts_per_video, (std::vector<int>{2, 1, 1, 1}));
  expect_every_part_once(plan, bytes.size());
  auto l = loads(plan, bytes);
  EXPECT_LE(*std::max_element(l.begin(), l.end()), 52.0);  // whole files alone would give 100 and 3
}

TEST(ShardPlan, ManyEqualVideosAreWholeAndEvenlySpread) {
  const std::vector<std::int64_t> bytes(12, 1000);
  auto plan = plan_shards(bytes, 4);
  EXPECT_EQ(plan.parts_per_video, std::vector<int>(12, 1));
  expect_every_part_once(plan, bytes.size());
  for (auto& shard : plan.shards) EXPECT_EQ(shard.size(), 3u);
}

TEST(ShardPlan, EveryShardGetsWorkAndTheLoadIsBalanced) {
  const std::vector<std::int64_t> bytes = {5'000'000'000, 700'000'000, 1'200'000'000, 90'000'000, 3'000'000'000, 0};
  const long double total = std::accumulate(bytes.begin(), bytes.end(), 0.0L);
  for (int n = 1; n <= 9; ++n) {
    auto plan = plan_shards(bytes, n);
    expect_every_part_once(plan, bytes.size());
    auto l = loads(plan, bytes);
    for (auto& shard : plan.shards) EXPECT_FALSE(shard.empty()) << n;
    // Largest-first greedy: no shard above the fair share plus one part.
    double largest_part = 0;
    for (size_t v = 0; v < bytes.size(); ++v) largest_part = std::max(largest_part, static_cast<double>(bytes[v]) / plan.parts_per_video[v]);
    EXPECT_LE(*std::max_element(l.begin(), l.end()), static_cast<double>(total / n) + largest_part) << n;
    // The same input, the same plan: every pod computes it on its own.
    auto again = plan_shards(bytes, n);
    for (size_t s = 0; s < plan.shards.size(); ++s)
      for (size_t p = 0; p < plan.shards[s].size(); ++p) {
        EXPECT_EQ(again.shards[s][p].video, plan.shards[s][p].video);
        EXPECT_EQ(again.shards[s][p].part.index, plan.shards[s][p].part.index);
      }
  }
  EXPECT_THROW(plan_shards(bytes, 0), UsageError);
  EXPECT_THROW(plan_shards({}, 2), UsageError);
}

TEST(ShardPlan, SizesNameAMissingFileAndRefuseTwoVideosOfTheSameName) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "a");
  std::filesystem::create_directories(dir / "b");
  test::write_text(dir / "a" / "x.mp4", "12345");
  test::write_text(dir / "b" / "x.mp4", "1");
  EXPECT_EQ(video_sizes({dir / "a" / "x.mp4"}), std::vector<std::int64_t>{5});
  try {
    video_sizes({dir / "a" / "x.mp4", dir / "b" / "x.mp4"});
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("two videos are named x.mp4"), std::string::npos) << e.what();
  }
  try {
    video_sizes({dir / "missing.mp4"});
    FAIL();
  } catch (const ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("missing.mp4: no such file"), std::string::npos) << e.what();
  }
  EXPECT_EQ(part_file_name("film.mp4", {2, 5}), "film.mp4.part-2-of-5.json");
}

ShardResult part(const std::string& name, int index, int count, std::int64_t frames) {
  ShardResult r;
  r.video.name = name;
  r.video.bytes = frames * 10;
  r.video.frames = frames;
  r.video.frame_rate = 25;
  r.video.rate_num = 25;
  r.settings = DetectorSettings::defaults(DetectorKind::content);
  r.shard = {index, count};
  auto [first, end] = shard_range(r.shard, frames);
  r.first = first;
  r.to_end_of_stream = end < 0;
  r.end = end < 0 ? frames : end;
  for (std::int64_t f = r.first; f < r.end; ++f) {
    float v = f == 40 ? 90.0f : 1.0f;  // a cut at 40 in every video
    r.metrics.push_back({f, v, v, v, 100});
  }
  return r;
}

TEST(MergeVideos, OneListPerVideoWhateverTheOrderOfTheParts) {
  auto lists = merge_videos({part("b.mp4", 1, 2, 100), part("a.mp4", 0, 1, 60), part("b.mp4", 0, 2, 100)});
  ASSERT_EQ(lists.size(), 2u);
  EXPECT_EQ(lists[0].video.name, "b.mp4");
  EXPECT_EQ(lists[0].end_frame, 100);
  EXPECT_EQ(lists[0].cuts, std::vector<std::int64_t>{40});
  EXPECT_EQ(lists[1].video.name, "a.mp4");
  EXPECT_EQ(lists[1].cuts, std::vector<std::int64_t>{40});
}

TEST(MergeVideos, AMissingPartNamesItsVideoAndAForeignOneIsCalledSo) {
  auto message = [](std::vector<ShardResult> v) {
    try {
      merge_videos(std::move(v));
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message({part("a.mp4", 0, 1, 60), part("b.mp4", 0, 2, 100)}), "b.mp4: shard 1/2 is missing");
  // Part 1/3 of another video among the parts of one: named as foreign, not as two missing parts.
  EXPECT_EQ(message({part("a.mp4", 0, 3, 150), part("other.mp4", 1, 3, 90), part("a.mp4", 2, 3, 150)}),
            "shard 1/3 is of another video (other.mp4, 900 bytes) than shard 0 (a.mp4)");
}

TEST(ShardSet, RoundTripsAndRefusesOtherDocuments) {
  auto parts = std::vector<ShardResult>{part("a.mp4", 0, 2, 100), part("c.mp4", 0, 1, 30)};
  auto doc = shard_set_json({1, 3}, parts);
  EXPECT_EQ(doc["schema"], "kubench/scene-shard-set/v1");
  auto back = shard_set_from_json(nlohmann::json::parse(doc.dump()), "pod");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1].video.name, "c.mp4");
  EXPECT_EQ(back[0].metrics.size(), parts[0].metrics.size());
  EXPECT_THROW(shard_set_from_json({{"schema", "kubench/bench/v1"}}, "pod"), ParseError);
}

}  // namespace
}  // namespace kb::scene
