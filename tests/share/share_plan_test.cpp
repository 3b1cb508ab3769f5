// `share plan` on the seed's cluster: adding vLLM gives the seed's "After" table; a workload that
// does not fit says why; bad changes are usage errors.
#include "share/share_plan.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "share/share_fixtures.h"

namespace kb::share {
namespace {

std::vector<NodeShare> seed_view() { return share_view({test::seed_node()}, test::seed_pods()); }

TEST(SharePlan, AddingVllmGivesTheSeedsAfterTable) {
  const auto plan = plan_shares(seed_view(), {parse_plan_change(PlanChange::Kind::add, "ai-dev/vllm=2,vram=8Gi-10Gi")});
  EXPECT_TRUE(plan.fits);
  ASSERT_EQ(plan.placements.size(), 1u);
  EXPECT_EQ(plan.placements[0].node, "homelabai");
  EXPECT_EQ(plan.placements[0].reason, "fits: 2 nvidia.com/gpu.shared left");
  const auto after = share_csv(plan.after);
  EXPECT_NE(after.find("homelabai,whisper,ai,Deployment,2,25%,?,none,\nhomelabai,vllm,ai-dev,Deployment,2,25%,?,none,planned\n"
                       "homelabai,Available,-,,2,25%,,,\nhomelabai,Total,-,,8,100%,"),
            std::string::npos)
      << after;
  EXPECT_NE(share_csv(plan.before).find("homelabai,Available,-,,4,50%,,,"), std::string::npos);  // before unchanged
}

TEST(SharePlan, WhatDoesNotFitSaysWhyAndFailsThePlan) {
  const auto plan = plan_shares(seed_view(), {parse_plan_change(PlanChange::Kind::add, "ai-dev/vllm=2"),
                                              parse_plan_change(PlanChange::Kind::add, "lab/sixth=3,node=homelabai")});
  EXPECT_FALSE(plan.fits);
  EXPECT_TRUE(plan.placements[0].fits);
  EXPECT_FALSE(plan.placements[1].fits);
  EXPECT_EQ(plan.placements[1].reason, "needs 3 nvidia.com/gpu.shared on homelabai, 2 free");
}

TEST(SharePlan, RemoveAndResize) {
  auto plan = plan_shares(seed_view(), {parse_plan_change(PlanChange::Kind::remove, "ai/whisper"),
                                        parse_plan_change(PlanChange::Kind::resize, "ai/ollama=5")});
  EXPECT_TRUE(plan.fits);
  EXPECT_NE(share_csv(plan.after).find("homelabai,Available,-,,2,25%,,,"), std::string::npos) << share_csv(plan.after);
  plan = plan_shares(seed_view(), {parse_plan_change(PlanChange::Kind::resize, "ai/ollama=6")});
  EXPECT_FALSE(plan.fits);
  EXPECT_EQ(plan.placements[0].reason, "needs 6 nvidia.com/gpu.shared on homelabai, 5 free");
}

TEST(SharePlan, BadChangesAreUsageErrors) {
  EXPECT_THROW(parse_plan_change(PlanChange::Kind::add, "vllm=2"), UsageError);
  EXPECT_THROW(parse_plan_change(PlanChange::Kind::add, "ai/vllm=lots"), UsageError);
  EXPECT_THROW(parse_plan_change(PlanChange::Kind::add, "ai/vllm=2,vram=10Gi-8Gi"), UsageError);
  EXPECT_THROW(parse_plan_change(PlanChange::Kind::add, "ai/vllm=2,colour=red"), UsageError);
  EXPECT_THROW(parse_plan_change(PlanChange::Kind::remove, "ai/vllm=2"), UsageError);
  EXPECT_THROW(plan_shares(seed_view(), {parse_plan_change(PlanChange::Kind::add, "ai/x=1,node=nope")}), UsageError);
  EXPECT_THROW(plan_shares(seed_view(), {parse_plan_change(PlanChange::Kind::remove, "ai/ghost")}), UsageError);
  const auto c = parse_plan_change(PlanChange::Kind::add, "ai-dev/vllm=2,vram=8Gi-10Gi,node=homelabai");
  EXPECT_EQ(c.vram_bytes->first, 8LL << 30);
  EXPECT_EQ(c.vram_bytes->second, 10LL << 30);
  EXPECT_EQ(c.node, "homelabai");
}

}  // namespace
}  // namespace kb::share
