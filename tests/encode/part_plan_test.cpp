#include "encode/part_plan.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace kb::encode {
namespace {

const media::Rational k25{25, 1};

std::vector<std::int64_t> firsts(const std::vector<Part>& parts) {
  std::vector<std::int64_t> f;
  for (auto& p : parts) f.push_back(p.first);
  return f;
}

void expect_covers(const std::vector<Part>& parts, std::int64_t frames) {
  std::int64_t next = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    EXPECT_EQ(parts[i].index, static_cast<int>(i));
    EXPECT_EQ(parts[i].first, next);
    EXPECT_GT(parts[i].frames, 0);
    next += parts[i].frames;
  }
  EXPECT_EQ(next, frames);
  ASSERT_FALSE(parts.empty());
  EXPECT_EQ(parts.back().border, "end");
}

TEST(PartPlan, ScenesArePackedUpToTheLongestPartWithBordersOnlyOnCuts) {
  // Scenes of 30, 45, 45 and 30 frames; parts of at most 80 frames (3.2 s at 25 fps).
  auto parts = plan_parts({30, 75, 120}, 150, k25, parse_split("scenes", 3.2), {});
  expect_covers(parts, 150);
  EXPECT_EQ(firsts(parts), (std::vector<std::int64_t>{0, 75}));
  EXPECT_EQ(parts[0].border, "cut");
  // At most 50 frames: each scene its own part.
  parts = plan_parts({30, 75, 120}, 150, k25, parse_split("scenes", 2), {});
  EXPECT_EQ(firsts(parts), (std::vector<std::int64_t>{0, 30, 75, 120}));
  // Longer than the whole video: one part.
  parts = plan_parts({30, 75, 120}, 150, k25, parse_split("scenes", 60), {});
  EXPECT_EQ(firsts(parts), (std::vector<std::int64_t>{0}));
}

TEST(PartPlan, ALongSceneIsSplitEvenlyAndItsBordersSnapToNearbyKeyframes) {
  // One 250-frame scene after a 10-frame one, parts of at most 100 frames: ⌈250/100⌉ = 3 pieces.
  auto parts = plan_parts({10}, 260, k25, parse_split("scenes", 4), {});
  expect_covers(parts, 260);
  EXPECT_EQ(firsts(parts), (std::vector<std::int64_t>{0, 10, 93, 176}));
  EXPECT_EQ(parts[0].border, "cut");
  EXPECT_EQ(parts[1].border, "split");
  // A keyframe 5 frames from a nominal border (within a tenth of 83) takes it; one 20 away does not.
  parts = plan_parts({10}, 260, k25, parse_split("scenes", 4), {0, 10, 98, 196});
  EXPECT_EQ(firsts(parts), (std::vector<std::int64_t>{0, 10, 98, 176}));
}

TEST(PartPlan, FixedSplitIgnoresCutsAndCoversEveryFrame) {
  auto parts = plan_parts({30, 75, 120}, 150, k25, parse_split("fixed:2", 10), {});
  expect_covers(parts, 150);
  EXPECT_EQ(firsts(parts), (std::vector<std::int64_t>{0, 50, 100}));
  // 30000/1001 fps: 1 s is 30 frames (29.97 rounded), 100 frames make 4 parts.
  parts = plan_parts({}, 100, media::Rational{30000, 1001}, parse_split("fixed:1", 10), {});
  expect_covers(parts, 100);
  EXPECT_EQ(parts.size(), 4u);
}

TEST(PartPlan, CutsOutsideTheVideoAndRepeatsAreIgnored) {
  auto parts = plan_parts({0, 40, 40, 500}, 100, k25, parse_split("scenes", 1), {});
  expect_covers(parts, 100);
  EXPECT_EQ(firsts(parts), (std::vector<std::int64_t>{0, 20, 40, 60, 80}));
  EXPECT_TRUE(plan_parts({}, 0, k25, parse_split("scenes", 1), {}).empty());
}

TEST(PartPlan, SplitRuleParsing) {
  EXPECT_FALSE(parse_split("scenes", 10).fixed);
  auto fixed = parse_split("fixed:2.5", 10);
  EXPECT_TRUE(fixed.fixed);
  EXPECT_DOUBLE_EQ(fixed.fixed_s, 2.5);
  EXPECT_THROW(parse_split("fixed:", 10), UsageError);
  EXPECT_THROW(parse_split("fixed:0", 10), UsageError);
  EXPECT_THROW(parse_split("fixed:2s", 10), UsageError);
  EXPECT_THROW(parse_split("shots", 10), UsageError);
  EXPECT_THROW(parse_split("scenes", 0), UsageError);
}

}  // namespace
}  // namespace kb::encode
