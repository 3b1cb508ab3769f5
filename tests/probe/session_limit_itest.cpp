// The NVENC session-limit probe against a stand-in ffmpeg (tests/fixtures/probe/nvenc-sessions.sh:
// this machine has no NVIDIA GPU) that caps concurrent sessions as a GeForce driver does: the
// probe finds the cap, finds none when there is none up to its own cap, and says why when the
// first session fails for another reason. Which products are not probed at all.
#include <gtest/gtest.h>

#include "probe/session_limit.h"
#include "support/test_support.h"

namespace kb::probe {
namespace {

class SessionLimit : public ::testing::Test {
 protected:
  test::TempDir dir;
  FfmpegInfo fake{test::fixtures_dir() / "probe" / "nvenc-sessions.sh", "5.1"};

  SessionLimitResult probe_with_cap(const std::string& driver_cap, int probe_cap) {
    ::setenv("FAKE_NVENC_DIR", dir.path().c_str(), 1);
    ::setenv("FAKE_NVENC_SESSIONS", driver_cap.c_str(), 1);
    SessionLimitProbe p;
    p.cap = probe_cap;
    p.step = std::chrono::milliseconds(300);
    p.hold = std::chrono::milliseconds(600);
    return session_limit(fake, p);
  }
};

TEST_F(SessionLimit, TheDriversCapIsFound) {
  auto r = probe_with_cap("3", 6);
  ASSERT_TRUE(r.limit.has_value()) << r.reason;
  EXPECT_EQ(*r.limit, 3);
  EXPECT_EQ(r.opened, 3);
}

TEST_F(SessionLimit, NoCapUpToTheProbesOwnIsNoLimit) {
  auto r = probe_with_cap("8", 4);
  EXPECT_FALSE(r.limit.has_value());
  EXPECT_EQ(r.opened, 4);
  EXPECT_TRUE(r.reason.empty()) << r.reason;
}

TEST_F(SessionLimit, AFirstSessionThatFailsIsNotACap) {
  auto r = probe_with_cap("0", 3);
  EXPECT_FALSE(r.limit.has_value());
  EXPECT_EQ(r.opened, 0);
  EXPECT_NE(r.reason.find("session 1 failed"), std::string::npos) << r.reason;
}

TEST(SessionLimitWords, RefusalsAndProducts) {
  EXPECT_TRUE(refused_session("[hevc_nvenc @ 0x1] OpenEncodeSessionEx failed: out of memory (10): (no details)"));
  EXPECT_TRUE(refused_session("[h264_nvenc @ 0x1] OpenEncodeSessionEx failed: incompatible client key (21): (no details)"));
  EXPECT_FALSE(refused_session("[h264_nvenc @ 0x1] Cannot load libnvidia-encode.so.1"));
  for (auto name : {"NVIDIA H100 80GB HBM3", "Tesla T4", "NVIDIA A100-SXM4-40GB", "NVIDIA L4", "NVIDIA L40S", "Quadro RTX 4000",
                    "NVIDIA RTX A4000", "NVIDIA H200"})
    EXPECT_TRUE(uncapped_sessions(name)) << name;
  for (auto name : {"NVIDIA GeForce RTX 3060", "NVIDIA GeForce GTX 1080 Ti", "NVIDIA GeForce RTX 4090", "Orin (nvgpu)"})
    EXPECT_FALSE(uncapped_sessions(name)) << name;
}

}  // namespace
}  // namespace kb::probe
