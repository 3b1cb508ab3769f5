// Joining parts whose parameter sets differ — what parts from different encoder families look like
// (`kubench encode --allow-mixed-encoders`); two libx264 settings stand in for two families, as
// this machine has no hardware encoder: refused by default, naming the difference; with `mixed`
// every picture decodes exactly as in its own part, the later part's SPS/PPS carried in band.
#include <gtest/gtest.h>

#include <sstream>

#include "core/error.h"
#include "core/process.h"
#include "media/decode_check.h"
#include "media/parameter_sets.h"
#include "media/stream_join.h"
#include "support/test_support.h"

namespace kb::media {
namespace {

ProcessResult run(const std::vector<std::string>& argv) {
  ProcessSpec spec;
  spec.argv = argv;
  return run_process(spec);
}

std::vector<std::string> frame_hashes(const std::filesystem::path& video) {
  auto r = run({"ffmpeg", "-v", "error", "-i", video.string(), "-map", "0:v:0", "-f", "framemd5", "-hash", "md5", "-"});
  EXPECT_TRUE(r.ok()) << r.stderr_text;
  std::vector<std::string> hashes;
  std::istringstream lines(r.stdout_text);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && line[0] != '#') hashes.push_back(line.substr(line.rfind(',') + 1));
  return hashes;
}

// 25 frames of `source` encoded as one joinable part with these x264 settings.
void make_part(const std::filesystem::path& out, const std::string& source, const std::string& profile, const std::string& params) {
  auto r = run({"ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", source + "=s=320x240:r=25", "-frames:v", "25", "-pix_fmt", "yuv420p",
                "-c:v", "libx264", "-preset", "veryfast", "-profile:v", profile, "-g", "25", "-x264-params", params + ":stitchable=1",
                out.string()});
  ASSERT_TRUE(r.ok()) << r.stderr_text;
}

class MixedJoin : public ::testing::Test {
 protected:
  test::TempDir dir;
  JoinInput input;
  MixedJoin() {
    make_part(dir / "a.mkv", "testsrc2", "high", "ref=1:bframes=2");
    make_part(dir / "b.mkv", "smptebars", "main", "ref=3:bframes=0:cabac=0");
    input.parts = {dir / "a.mkv", dir / "b.mkv"};
    input.rate = {25, 1};
  }
};

TEST_F(MixedJoin, DifferentParameterSetsAreRefusedUnlessMixed) {
  try {
    join_parts(input, dir / "out.mkv", "out.mkv");
    FAIL() << "joined parts of different profiles";
  } catch (const CheckFailed& e) {
    EXPECT_NE(std::string(e.what()).find("b.mkv cannot follow a.mkv: profile High vs Main"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "out.mkv"));
}

TEST_F(MixedJoin, MixedPartsDecodeFrameForFrameWithTheirOwnParameterSets) {
  input.mixed = true;
  for (const char* name : {"out.mkv", "out.mp4"}) {
    auto report = join_parts(input, dir / name, name);
    EXPECT_EQ(report.in_band_parts, 1);
    EXPECT_EQ(report.video_packets, 50);
    DecodeCheckOptions o;
    auto count = decode_count(dir / name, o);
    EXPECT_EQ(count.video_frames, 50) << name;
    EXPECT_EQ(count.decode_errors, 0) << name << ": " << count.first_error;
    auto expected = frame_hashes(dir / "a.mkv");
    auto b = frame_hashes(dir / "b.mkv");
    expected.insert(expected.end(), b.begin(), b.end());
    EXPECT_EQ(frame_hashes(dir / name), expected) << name;
  }
}

TEST(ParameterSets, AvcCRecordsAreReadAndBadOnesRefused) {
  // avcC: version 1, profile 100, compat 0, level 30, 4-byte lengths, one SPS (3 bytes), one PPS (2 bytes).
  const std::uint8_t avcc[] = {1, 100, 0, 30, 0xff, 0xe1, 0, 3, 0x67, 0x64, 0x00, 1, 0, 2, 0x68, 0xee};
  auto sets = parse_parameter_sets("h264", avcc, sizeof avcc);
  ASSERT_TRUE(sets);
  EXPECT_EQ(sets->length_size, 4);
  ASSERT_EQ(sets->nals.size(), 2u);
  EXPECT_EQ(length_prefixed(*sets, 4), std::string("\0\0\0\3\x67\x64\x00\0\0\0\2\x68\xee", 13));
  EXPECT_FALSE(parse_parameter_sets("h264", avcc, 10)) << "truncated";
  const std::uint8_t annexb[] = {0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1e};
  EXPECT_FALSE(parse_parameter_sets("h264", annexb, sizeof annexb));
  EXPECT_FALSE(parse_parameter_sets("vp9", avcc, sizeof avcc));
}

}  // namespace
}  // namespace kb::media
