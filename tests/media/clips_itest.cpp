// Clip sets with real ffmpeg and a real HTTP server on loopback.
#include "media/clips.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/files.h"
#include "core/http_client.h"
#include "support/test_support.h"

namespace kb::media {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

TEST(GeneratedClips, FourFormatsWithManifestReusedAndRepaired) {
  test::TempDir cache;
  auto ffmpeg = probe::locate_ffmpeg();
  Profile one_second{"test", 1};
  int progress_calls = 0;
  auto set = prepare_generated_clips(ffmpeg, cache.path(), one_second, [&](auto&, double, double) { ++progress_calls; });
  EXPECT_GT(progress_calls, 0);
  ASSERT_EQ(set.clips.size(), 4u);
  EXPECT_TRUE(set.missing.empty());
  auto& uhd10 = set.clips.at(ClipFormat::hevc_4k_10bit).info;
  EXPECT_EQ(uhd10.codec, "hevc");
  EXPECT_EQ(uhd10.width, 3840);
  EXPECT_EQ(uhd10.height, 2160);
  EXPECT_EQ(uhd10.bit_depth, 10);
  auto& hd = set.clips.at(ClipFormat::h264_1080p).info;
  EXPECT_EQ(hd.codec, "h264");
  EXPECT_EQ(hd.frames, 30);
  EXPECT_DOUBLE_EQ(hd.frame_rate, 30.0);
  EXPECT_EQ(set.clips.at(ClipFormat::hevc_1080p_8bit).info.bit_depth, 8);

  auto manifest = json::parse(read_file(set.dir / "manifest.json"));
  auto path = set.clips.at(ClipFormat::h264_1080p).path;
  EXPECT_EQ(manifest["files"]["kubench_1080p_h264.mp4"]["sha256"], sha256_file(path));

  // Second call: nothing regenerated.
  auto before = fs::last_write_time(path);
  progress_calls = 0;
  prepare_generated_clips(ffmpeg, cache.path(), one_second, [&](auto&, double, double) { ++progress_calls; });
  EXPECT_EQ(progress_calls, 0);
  EXPECT_EQ(fs::last_write_time(path), before);

  // A damaged file fails its hash and is made again.
  test::write_text(path, "garbage");
  auto repaired = prepare_generated_clips(ffmpeg, cache.path(), one_second);
  EXPECT_EQ(repaired.clips.at(ClipFormat::h264_1080p).info.frames, 30);
  EXPECT_EQ(sha256_file(path), manifest["files"]["kubench_1080p_h264.mp4"]["sha256"]);  // deterministic
}

// Small stand-ins for the official files, served over HTTP.
class OfficialClips : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(served_ / "files");
    for (auto& real : clip_specs()) {
      auto file = served_ / ("files/" + real.official_file);
      test::make_video(file, 160, 90, 15, real.hevc ? "libx265" : "libx264", real.ten_bit ? "yuv420p10le" : "yuv420p");
      ClipSpec small = real;
      small.official_bytes = static_cast<long long>(fs::file_size(file));
      specs_.push_back(small);
    }
  }
  test::TempDir served_, cache_;
  std::vector<ClipSpec> specs_;
};

TEST_F(OfficialClips, BrokenTransfersResumeWithRangeRequests) {
  // Every file's first transfer is cut after 1000 bytes; the download resumes by itself.
  test::FixtureServer server("range_server.py", {(served_ / "files").string(), "--drop-after", "1000"}, served_);
  double last_done = 0, last_total = 0;
  auto set = prepare_official_clips(cache_.path(), server.url() + "/", [&](auto&, double d, double t) { last_done = d, last_total = t; }, specs_);
  ASSERT_EQ(set.clips.size(), 4u);
  EXPECT_EQ(set.kind, "official");
  EXPECT_EQ(last_done, last_total);
  for (auto& spec : specs_) {
    EXPECT_EQ(sha256_file(set.dir / spec.official_file), sha256_file(served_ / ("files/" + spec.official_file)));
    EXPECT_FALSE(fs::exists(set.dir / (spec.official_file + ".part")));
  }
  auto log = json::parse(http_get(server.url() + "/_test/requests").body);
  int resumed = 0;
  for (auto& r : log["requests"]) resumed += r["range"] == "bytes=1000-";
  EXPECT_EQ(resumed, 4) << log.dump();
  EXPECT_EQ(set.clips.at(ClipFormat::h264_1080p).stem, "ribblehead_1080p_h264");
}

TEST_F(OfficialClips, PartialFileFromAnEarlierRunIsContinued) {
  test::FixtureServer server("range_server.py", {(served_ / "files").string()}, served_);
  auto dir = cache_ / "clips/official";
  fs::create_directories(dir);
  auto source = read_file(served_ / ("files/" + specs_[0].official_file));
  test::write_text(dir / (specs_[0].official_file + ".part"), source.substr(0, 777));
  prepare_official_clips(cache_.path(), server.url(), {}, specs_);
  EXPECT_EQ(read_file(dir / specs_[0].official_file), source);
  auto log = json::parse(http_get(server.url() + "/_test/requests").body);
  EXPECT_EQ(log["requests"][0]["range"], "bytes=777-") << log.dump();
}

TEST_F(OfficialClips, ServerWithoutRangesDiscardsThePartialFile) {
  test::FixtureServer server("range_server.py", {(served_ / "files").string(), "--ignore-range"}, served_);
  auto dir = cache_ / "clips/official";
  fs::create_directories(dir);
  test::write_text(dir / (specs_[0].official_file + ".part"), "stale");
  EXPECT_THROW(prepare_official_clips(cache_.path(), server.url(), {}, specs_), EnvironmentError);
  EXPECT_FALSE(fs::exists(dir / (specs_[0].official_file + ".part")));
  // The next run starts from zero and succeeds.
  auto set = prepare_official_clips(cache_.path(), server.url(), {}, specs_);
  EXPECT_EQ(set.clips.size(), 4u);
}

TEST_F(OfficialClips, VerifiedOnReuseAndAlteredFilesAreFetchedAgain) {
  test::FixtureServer server("range_server.py", {(served_ / "files").string()}, served_);
  auto set = prepare_official_clips(cache_.path(), server.url(), {}, specs_);
  auto manifest = json::parse(read_file(set.dir / "manifest.json"));
  auto file = set.dir / specs_[1].official_file;
  EXPECT_EQ(manifest["files"][specs_[1].official_file]["sha256"], sha256_file(file));
  auto served_before = json::parse(http_get(server.url() + "/_test/requests").body)["count"].get<int>();

  // Reuse: no request at all.
  prepare_official_clips(cache_.path(), server.url(), {}, specs_);
  EXPECT_EQ(json::parse(http_get(server.url() + "/_test/requests").body)["count"].get<int>(), served_before);

  // Same size, one byte changed: the hash no longer matches, so it is downloaded again.
  auto bytes = read_file(file);
  bytes[bytes.size() / 2] ^= 0x5a;
  test::write_text(file, bytes);
  prepare_official_clips(cache_.path(), server.url(), {}, specs_);
  EXPECT_EQ(sha256_file(file), sha256_file(served_ / ("files/" + specs_[1].official_file)));
  EXPECT_EQ(json::parse(http_get(server.url() + "/_test/requests").body)["count"].get<int>(), served_before + 1);
}

TEST_F(OfficialClips, WrongSizeFromTheServerIsRejected) {
  test::FixtureServer server("range_server.py", {(served_ / "files").string()}, served_);
  specs_[0].official_bytes += 1;
  try {
    prepare_official_clips(cache_.path(), server.url(), {}, specs_);
    FAIL();
  } catch (const EnvironmentError& e) {
    EXPECT_NE(std::string(e.what()).find("expected"), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(cache_ / ("clips/official/" + specs_[0].official_file)));
}

TEST_F(OfficialClips, UnreachableServerNamesTheUrl) {
  try {
    prepare_official_clips(cache_.path(), "http://127.0.0.1:9/", {}, specs_);
    FAIL();
  } catch (const EnvironmentError& e) {
    EXPECT_NE(std::string(e.what()).find("http://127.0.0.1:9/ribblehead_1080p_h264.mp4"), std::string::npos) << e.what();
  }
}

TEST(UserClips, FindsOfficialOrGeneratedNamesAndReportsTheRest) {
  test::TempDir dir;
  test::make_video(dir / "ribblehead_1080p_h264.mp4", 160, 90, 5);
  test::make_video(dir / "kubench_4k_h264.mp4", 160, 90, 5);
  auto set = use_clip_dir(dir.path());
  EXPECT_EQ(set.kind, "user");
  EXPECT_EQ(set.clips.size(), 2u);
  EXPECT_EQ(set.missing.size(), 2u);
  EXPECT_EQ(set.clips.at(ClipFormat::h264_4k).stem, "kubench_4k_h264");
  EXPECT_THROW(use_clip_dir(dir / "nope"), UsageError);
}

}  // namespace
}  // namespace kb::media
