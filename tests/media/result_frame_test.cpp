#include "media/result_frame.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/error.h"
#include "core/files.h"
#include "core/text.h"
#include "support/test_support.h"

namespace kb::media {
namespace {

nlohmann::json doc() { return {{"schema", "kubench/bench/v1"}, {"tests", {{{"test_id", "h264_1080p"}, {"fps", 232.03}}}}}; }

TEST(ResultFrame, FoundAmongOtherLogLines) {
  std::string log = "progress line\n" + frame_result(doc()) + "trailing line\n";
  auto found = find_framed_result(log);
  ASSERT_TRUE(found);
  EXPECT_EQ(*found, doc());
}

TEST(ResultFrame, TheLastCompleteFrameWins) {
  auto second = doc();
  second["tests"][0]["fps"] = 1.0;
  auto found = find_framed_result(frame_result(doc()) + frame_result(second));
  EXPECT_EQ((*found)["tests"][0]["fps"], 1.0);
}

TEST(ResultFrame, CutShortOrAbsentIsNoResult) {
  auto framed = frame_result(doc());
  EXPECT_FALSE(find_framed_result("no result here\n"));
  EXPECT_FALSE(find_framed_result(framed.substr(0, framed.size() / 2)));
}

TEST(ResultFrame, DamagedBodyIsAnErrorNotAResult) {
  auto framed = frame_result(doc());
  framed[framed.find("232.03")] = '9';
  EXPECT_THROW(find_framed_result(framed), ParseError);
}

TEST(ResultFrame, LongBodiesAreWrappedIntoShortLinesAndJoinedBack) {
  nlohmann::json big = {{"schema", "kubench/scene-shard-set/v1"}, {"values", std::vector<double>(5000, 12.345678)}};
  auto framed = frame_result(big);
  for (auto& line : split(framed, '\n')) EXPECT_LE(line.size(), kFrameLineLength);
  EXPECT_GT(std::count(framed.begin(), framed.end(), '\n'), 10);
  EXPECT_EQ(find_framed_result("x\n" + framed), big);
  // Read back through a follower that joins lines with "\r\n".
  std::string crlf;
  for (auto& line : split(framed, '\n')) crlf += line + "\r\n";
  EXPECT_EQ(find_framed_result(crlf), big);
}

TEST(ResultFrame, SmallResultsGoToTheTerminationMessage) {
  test::TempDir dir;
  EXPECT_EQ(publish_result(doc(), dir / "termination-log"), ResultChannel::termination_message);
  EXPECT_EQ(nlohmann::json::parse(read_file(dir / "termination-log")), doc());
}

TEST(ResultFrame, LargeResultsGoToTheLog) {
  test::TempDir dir;
  auto big = doc();
  big["padding"] = std::string(kTerminationMessageLimit, 'x');
  testing::internal::CaptureStdout();
  EXPECT_EQ(publish_result(big, dir / "termination-log"), ResultChannel::log);
  auto out = testing::internal::GetCapturedStdout();
  EXPECT_EQ(*find_framed_result(out), big);
  EXPECT_FALSE(std::filesystem::exists(dir / "termination-log"));
}

}  // namespace
}  // namespace kb::media
