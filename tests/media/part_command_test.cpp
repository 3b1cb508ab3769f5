#include "media/part_command.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/error.h"

namespace kb::media {
namespace {

SourceInfo source(bool indexed, double video_start = 0) {
  SourceInfo s;
  s.path = "in.mp4";
  s.rate = {30000, 1001};
  s.frames = 300;
  s.keyframes = {0, 24, 48, 72};
  s.indexed = indexed;
  s.video_start_s = video_start;
  return s;
}

std::string after(const std::vector<std::string>& argv, const std::string& flag, int nth = 0) {
  for (size_t i = 0; i + 1 < argv.size(); ++i)
    if (argv[i] == flag && nth-- == 0) return argv[i + 1];
  return "";
}
PartCommandSpec spec_of(const SourceInfo& s, std::int64_t first, std::int64_t frames) {
  PartCommandSpec spec;
  spec.source = s;
  spec.first = first;
  spec.frames = frames;
  spec.output = "p.mkv";
  return spec;
}
bool has(const std::vector<std::string>& argv, const std::string& a) { return std::find(argv.begin(), argv.end(), a) != argv.end(); }

TEST(PartCommand, FirstPartHasNoSeek) {
  auto spec = spec_of(source(true), 0, 37);
  auto argv = build_part_command(spec);
  EXPECT_FALSE(has(argv, "-ss"));
  EXPECT_EQ(after(argv, "-frames:v"), "37");
  EXPECT_EQ(after(argv, "-fps_mode"), "passthrough");
  EXPECT_EQ(after(argv, "-c:v"), "libx264");
  EXPECT_EQ(after(argv, "-x264-params"), "stitchable=1");
  EXPECT_EQ(argv.back(), "p.mkv");
  EXPECT_EQ(after(argv, "-f"), "matroska");
}

TEST(PartCommand, IndexedSourceSeeksJustPastTheKeyframeThenTrimsToTheMiddleOfTheFrameBefore) {
  auto argv = build_part_command(spec_of(source(true), 37, 50));
  // Keyframe 24 at 0.800800 s, plus a quarter frame; the trim at (37 − ½) frames on the source's clock.
  EXPECT_EQ(after(argv, "-ss"), "0.809142");
  EXPECT_EQ(after(argv, "-vf"), "trim=start=1.217883");
  EXPECT_TRUE(has(argv, "-noaccurate_seek"));
  EXPECT_TRUE(has(argv, "-copyts"));
  // The seek and -copyts come before -i.
  auto input = std::find(argv.begin(), argv.end(), "-i");
  EXPECT_LT(std::find(argv.begin(), argv.end(), "-noaccurate_seek"), input);
  EXPECT_LT(std::find(argv.begin(), argv.end(), "-copyts"), input);
}

TEST(PartCommand, APartOnAKeyframeSeeksToIt) {
  auto argv = build_part_command(spec_of(source(true), 48, 10));
  EXPECT_EQ(after(argv, "-ss"), "1.609942");
  EXPECT_EQ(after(argv, "-vf"), "trim=start=1.584917");
}

TEST(PartCommand, WithoutAnIndexTheSeekStartsHalfASecondEarlierAndTheTrimCountsTheStreamStart) {
  // MPEG-TS: the file starts at 1.4454 s, its video 0.021333 s later.
  auto s = source(false, 0.021333);
  s.format_start_s = 1.4454;
  auto argv = build_part_command(spec_of(s, 37, 50));
  // 0.021333 + 24 × 1001/30000 − ½ frame − 0.5 from the file's start; the trim on the raw clock.
  EXPECT_EQ(after(argv, "-ss"), "0.305450");
  EXPECT_EQ(after(argv, "-vf"), "trim=start=2.684616");
  // Before the second keyframe: no seek at all, only the trim.
  argv = build_part_command(spec_of(s, 10, 5));
  EXPECT_FALSE(has(argv, "-ss"));
  EXPECT_EQ(after(argv, "-vf"), "trim=start=1.783716");
}

TEST(PartCommand, HardwareFamiliesGetTheirDeviceUploadAndForcedIdr) {
  auto spec = spec_of(source(true), 0, 10);
  spec.backend = probe::Backend::nvenc;
  spec.codec = probe::Codec::hevc;
  auto argv = build_part_command(spec);
  EXPECT_EQ(after(argv, "-c:v"), "hevc_nvenc");
  EXPECT_EQ(after(argv, "-forced-idr"), "1");
  EXPECT_EQ(after(argv, "-g"), "120");
  spec.backend = probe::Backend::vaapi;
  spec.device = "/dev/dri/renderD129";
  argv = build_part_command(spec);
  EXPECT_EQ(after(argv, "-c:v"), "hevc_vaapi");
  EXPECT_NE(after(argv, "-vf").find("hwupload"), std::string::npos);
  spec.first = 30;  // the trim goes before the upload, on software frames
  argv = build_part_command(spec);
  EXPECT_EQ(after(argv, "-vf").rfind("trim=start=0.984317,", 0), 0u) << after(argv, "-vf");
  spec.first = 0;
  EXPECT_TRUE(has(argv, "/dev/dri/renderD129"));
  spec.backend = probe::Backend::cpu;
  spec.quality.quality = 30;
  spec.quality.preset = "slow";
  spec.quality.threads = 2;
  argv = build_part_command(spec);
  EXPECT_EQ(after(argv, "-c:v"), "libx265");
  EXPECT_EQ(after(argv, "-x265-params"), "open-gop=0:log-level=error");
  EXPECT_EQ(after(argv, "-crf"), "30");
  EXPECT_EQ(after(argv, "-preset"), "slow");
  EXPECT_EQ(after(argv, "-threads"), "2");
  spec.backend = probe::Backend::nvenc;
  spec.codec = probe::Codec::vp9;
  EXPECT_THROW(build_part_command(spec), UsageError);
}

TEST(PartCommand, KeyframeBefore) {
  EXPECT_EQ(keyframe_before({0, 24, 48}, 0), 0);
  EXPECT_EQ(keyframe_before({0, 24, 48}, 47), 24);
  EXPECT_EQ(keyframe_before({0, 24, 48}, 48), 48);
  EXPECT_EQ(keyframe_before({}, 100), 0);
}

}  // namespace
}  // namespace kb::media
