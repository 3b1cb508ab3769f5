#include "media/test_matrix.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace kb::media {
namespace {

using probe::Backend;

bool has_seq(const std::vector<std::string>& argv, std::vector<std::string> seq) {
  return std::search(argv.begin(), argv.end(), seq.begin(), seq.end()) != argv.end();
}
size_t pos(const std::vector<std::string>& argv, const std::string& item) {
  return static_cast<size_t>(std::find(argv.begin(), argv.end(), item) - argv.begin());
}

TEST(TestMatrix, SeedTestsInTheSeedOrder) {
  std::vector<std::string> ids;
  for (auto& t : test_matrix()) ids.push_back(t.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"h264_1080p_cpu", "h264_1080p", "h264_4k", "hevc_8bit", "hevc_4k_10bit",
                                           "vp9_1080p", "av1_1080p"}));
}

TEST(TestMatrix, QsvCommandsUseTheSeedSettings) {
  auto cmd = build_encode_command(*find_test("h264_1080p"), Backend::qsv, "", "ffmpeg", "/clips/a.mp4");
  auto& a = cmd.argv;
  EXPECT_EQ(cmd.encoder, "h264_qsv");
  EXPECT_LT(pos(a, "h264"), pos(a, "-i"));  // forced software decoder before the input
  EXPECT_TRUE(has_seq(a, {"-c:v", "h264_qsv", "-preset", "fast", "-global_quality", "18", "-look_ahead", "1"}));
  EXPECT_TRUE(has_seq(a, {"-c:a", "copy"}));
  EXPECT_TRUE(has_seq(a, {"-progress", "pipe:3"}));

  auto hevc = build_encode_command(*find_test("hevc_4k_10bit"), Backend::qsv, "", "ffmpeg", "/clips/b.mp4");
  EXPECT_TRUE(has_seq(hevc.argv, {"-c:v", "hevc_qsv", "-i", "/clips/b.mp4"}));  // hardware decode, as the seed
  EXPECT_TRUE(has_seq(hevc.argv, {"-c:v", "hevc_qsv", "-preset", "fast", "-global_quality", "18"}));
}

TEST(TestMatrix, DeviceSelectionReachesFfmpeg) {
  auto qsv = build_encode_command(*find_test("h264_1080p"), Backend::qsv, "/dev/dri/renderD129", "ffmpeg", "c.mp4");
  EXPECT_TRUE(has_seq(qsv.argv, {"-init_hw_device", "qsv=hw:hw,child_device=/dev/dri/renderD129"}));
  auto vaapi = build_encode_command(*find_test("h264_1080p"), Backend::vaapi, "/dev/dri/renderD129", "ffmpeg", "c.mp4");
  EXPECT_TRUE(has_seq(vaapi.argv, {"-vaapi_device", "/dev/dri/renderD129"}));
  EXPECT_TRUE(has_seq(vaapi.argv, {"-vf", "format=nv12,hwupload"}));
  auto nv = build_encode_command(*find_test("hevc_8bit"), Backend::nvenc, "1", "ffmpeg", "c.mp4");
  EXPECT_TRUE(has_seq(nv.argv, {"-hwaccel", "cuda", "-hwaccel_device", "1"}));
  EXPECT_TRUE(has_seq(nv.argv, {"-gpu", "1"}));
}

TEST(TestMatrix, BaselineIsLibx264WhateverTheBackend) {
  auto cmd = build_encode_command(*find_test("h264_1080p_cpu"), Backend::nvenc, "0", "ffmpeg", "c.mp4");
  EXPECT_EQ(cmd.encoder, "libx264");
  EXPECT_EQ(cmd.backend, "cpu");
  EXPECT_TRUE(has_seq(cmd.argv, {"-c:v", "libx264", "-preset", "fast", "-f"}));
  EXPECT_EQ(std::count(cmd.argv.begin(), cmd.argv.end(), "-hwaccel"), 0);
}

TEST(TestMatrix, CpuBackendEncodesTenBitHevcAsTenBit) {
  auto cmd = build_encode_command(*find_test("hevc_4k_10bit"), Backend::cpu, "", "ffmpeg", "c.mp4");
  EXPECT_EQ(cmd.encoder, "libx265");
  EXPECT_TRUE(has_seq(cmd.argv, {"-pix_fmt", "yuv420p10le"}));
  EXPECT_TRUE(has_seq(cmd.argv, {"-c:v", "hevc", "-i"}));  // software decode on the CPU backend
}

TEST(TestMatrix, OutputIsMuxedSoItsSizeIsMeasured) {
  auto cmd = build_encode_command(*find_test("h264_4k"), Backend::cpu, "", "ffmpeg", "c.mp4");
  EXPECT_EQ(std::vector<std::string>(cmd.argv.end() - 3, cmd.argv.end()), (std::vector<std::string>{"-f", "nut", "/dev/null"}));
}

}  // namespace
}  // namespace kb::media
