#include "media/ffmpeg_progress.h"

#include <gtest/gtest.h>

namespace kb::media {
namespace {

TEST(FfmpegProgress, ParsesBlocksAndTheFinalOne) {
  ProgressParser p;
  const char* lines[] = {"frame=30", "fps=29.5", "bitrate= 797.4kbits/s", "total_size=1000", "out_time_us=1000000",
                         "speed=   1x", "progress=continue", "frame=60", "fps=0.00", "total_size=189382",
                         "out_time_us=1900016", "speed= 5.2x", "progress=end"};
  int blocks = 0;
  for (auto* l : lines) blocks += p.feed(l);
  EXPECT_EQ(blocks, 2);
  EXPECT_EQ(p.latest().frame, 60);
  EXPECT_TRUE(p.latest().end);
  EXPECT_DOUBLE_EQ(*p.latest().speed, 5.2);
  EXPECT_EQ(*p.latest().total_size, 189382);
  EXPECT_EQ(p.latest().blocks, 2);
}

TEST(FfmpegProgress, NotAvailableValuesAreAbsentNotZero) {
  ProgressParser p;
  p.feed("total_size=N/A");
  p.feed("speed=N/A");
  p.feed("progress=continue");
  EXPECT_FALSE(p.latest().total_size);
  EXPECT_FALSE(p.latest().speed);
}

TEST(FfmpegProgress, SpeedWithPaddingAndOddForms) {
  // The seed's grep dropped padded values; every one of these is a real speed.
  EXPECT_DOUBLE_EQ(*parse_speed("   1x"), 1.0);
  EXPECT_DOUBLE_EQ(*parse_speed(" 0.5x"), 0.5);
  EXPECT_DOUBLE_EQ(*parse_speed("0.68x"), 0.68);
  EXPECT_DOUBLE_EQ(*parse_speed(".68x"), 0.68);
  EXPECT_DOUBLE_EQ(*parse_speed("  12x"), 12.0);
  EXPECT_DOUBLE_EQ(*parse_speed("1.02e+03x"), 1020.0);
  EXPECT_FALSE(parse_speed("N/A"));
  EXPECT_FALSE(parse_speed("fast"));
}

TEST(FfmpegProgress, PartialBlockDoesNotReplaceTheLastCompleteOne) {
  ProgressParser p;
  p.feed("frame=10");
  p.feed("progress=continue");
  p.feed("frame=20");  // no progress= yet
  EXPECT_EQ(p.latest().frame, 10);
}

}  // namespace
}  // namespace kb::media
