// `kubench scenes detect | merge` on videos the test makes with ffmpeg (lavfi sources joined by
// the concat filter: the cuts are the running sums of the segment lengths): exact hard cuts,
// fades, the minimum scene length, every split N = 1…7 equal to the single pass (metrics and
// all), work really split, merge's refusals, corrupt and non-video input.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/files.h"
#include "core/process.h"
#include "core/text.h"
#include "support/cut_video.h"
#include "support/kubench_process.h"
#include "support/test_support.h"

namespace kb::test {
namespace {

using nlohmann::json;

const auto& kV1 = kCutsAt30_75_120;

json detect_json(const std::vector<std::string>& args) {
  std::vector<std::string> a = {"scenes", "detect"};
  a.insert(a.end(), args.begin(), args.end());
  a.insert(a.end(), {"-q", "-o", "json"});
  auto r = run_kubench(a);
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  return json::parse(r.stdout_text, nullptr, false);
}

class Scenes : public ::testing::Test {
 protected:
  TempDir dir;
  std::filesystem::path v1 = dir / "cuts_30_75_120.mp4";
  void SetUp() override { make_cut_video(v1, kV1); }
};

TEST_F(Scenes, HardCutsFoundExactlyByContentAndAdaptive) {
  auto doc = detect_json({v1.string()});
  EXPECT_EQ(doc["schema"], "kubench/scenes/v1");
  EXPECT_EQ(doc["cuts"], json({30, 75, 120}));
  EXPECT_EQ(doc["frames"], 150);
  ASSERT_EQ(doc["scenes"].size(), 4u);
  EXPECT_EQ(doc["scenes"][1]["start_frame"], 30);
  EXPECT_EQ(doc["scenes"][1]["end_frame"], 75);
  EXPECT_DOUBLE_EQ(doc["scenes"][3]["start_s"].get<double>(), 4.8);
  EXPECT_EQ(detect_json({v1.string(), "--detector", "adaptive"})["cuts"], json({30, 75, 120}));
  // Skipping the loop filter (the benchmark's decoder shortcut) does not change the answer.
  EXPECT_EQ(detect_json({v1.string(), "--fast-decode"})["cuts"], json({30, 75, 120}));
  EXPECT_EQ(detect_json({v1.string(), "--fast-decode", "--detector", "adaptive"})["cuts"], json({30, 75, 120}));
  // The threshold reaches the detector: nothing scores 95.
  EXPECT_EQ(detect_json({v1.string(), "--threshold", "95"})["cuts"], json::array());

  auto csv = run_kubench({"scenes", "detect", v1.string(), "-q", "-o", "csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.stderr_text;
  EXPECT_EQ(csv.stdout_text.substr(0, csv.stdout_text.find('\n')), "Timecode List:,00:00:01.200,00:00:03.000,00:00:04.800");
  EXPECT_NE(csv.stdout_text.find("\n4,121,00:00:04.800,4.800,150,00:00:06.000,6.000,30,00:00:01.200,1.200\n"), std::string::npos)
      << csv.stdout_text;
  auto edl = run_kubench({"scenes", "detect", v1.string(), "-q", "-o", "edl"});
  EXPECT_NE(edl.stdout_text.find("004  AX       V     C        00:00:04:20 00:00:06:00"), std::string::npos) << edl.stdout_text;
}

TEST_F(Scenes, NoCutIsOneSceneAndMinimumLengthMergesCloseCuts) {
  auto v0 = dir / "no_cut.mp4";
  make_cut_video(v0, {{"testsrc2", 150, ""}});
  auto doc = detect_json({v0.string()});
  EXPECT_EQ(doc["cuts"], json::array());
  ASSERT_EQ(doc["scenes"].size(), 1u);
  EXPECT_EQ(doc["scenes"][0]["end_frame"], 150);

  auto v2 = dir / "short_30_35_75.mp4";
  make_cut_video(v2, {{"testsrc2", 30, ""}, {"smptebars", 5, ""}, {"mandelbrot", 40, ""}, {"rgbtestsrc", 30, ""}});
  EXPECT_EQ(detect_json({v2.string()})["cuts"], json({30, 75}));
  EXPECT_EQ(detect_json({v2.string(), "--min-scene-len", "1"})["cuts"], json({30, 35, 75}));
  EXPECT_EQ(detect_json({v2.string(), "--min-scene-len", "1", "--fast-decode"})["cuts"], json({30, 35, 75}));
  EXPECT_EQ(detect_json({v0.string(), "--fast-decode"})["cuts"], json::array());
}

TEST_F(Scenes, FadeIsCutAtItsMiddle) {
  auto v3 = dir / "fade_60.mp4";
  make_cut_video(v3, {{"testsrc2", 60, ",fade=t=out:start_frame=40:nb_frames=20"}, {"smptebars", 60, ",fade=t=in:start_frame=0:nb_frames=20"}});
  EXPECT_EQ(detect_json({v3.string(), "--detector", "threshold"})["cuts"], json({61}));
  EXPECT_EQ(detect_json({v3.string(), "--detector", "threshold", "--fast-decode"})["cuts"], json({61}));
}

TEST_F(Scenes, EverySplitEqualsTheSinglePass) {
  auto single = run_kubench({"scenes", "detect", v1.string(), "-q", "-o", "csv", "--stats", (dir / "single.csv").string()});
  ASSERT_EQ(single.exit_code, 0) << single.stderr_text;
  const auto single_stats = read_file(dir / "single.csv");
  for (int n = 1; n <= 7; ++n) {
    std::vector<std::string> merge = {"scenes", "merge", "-o", "csv", "--stats", (dir / ("merged-" + std::to_string(n) + ".csv")).string()};
    for (int i = n - 1; i >= 0; --i) {  // shard files given in any order
      auto out = (dir / ("n" + std::to_string(n) + "-" + std::to_string(i) + ".json")).string();
      auto r = run_kubench({"scenes", "detect", v1.string(), "-q", "--shard", std::to_string(i) + "/" + std::to_string(n), "--shard-out", out});
      ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
      merge.push_back(out);
    }
    auto merged = run_kubench(merge);
    ASSERT_EQ(merged.exit_code, 0) << merged.stderr_text;
    EXPECT_EQ(merged.stdout_text, single.stdout_text) << "N = " << n;
    EXPECT_EQ(read_file(dir / ("merged-" + std::to_string(n) + ".csv")), single_stats) << "N = " << n;
  }
  // N = 2 splits exactly on the cut at 75: the first shard decodes frame 75 as its look-ahead and
  // scores the cut there; the second starts at 75 without a predecessor.
  auto s0 = json::parse(read_file(dir / "n2-0.json"));
  auto s1 = json::parse(read_file(dir / "n2-1.json"));
  EXPECT_EQ(s1["range"]["first"], 75);
  EXPECT_EQ(s0["metrics"]["frame"].back(), 75);
  EXPECT_GT(s0["metrics"]["delta_hue"].back().get<double>() + s0["metrics"]["delta_lum"].back().get<double>(), 50);

  // Local parallel: the same answer.
  auto parallel = run_kubench({"scenes", "detect", v1.string(), "-q", "--jobs", "3", "-o", "csv"});
  ASSERT_EQ(parallel.exit_code, 0) << parallel.stderr_text;
  EXPECT_EQ(parallel.stdout_text, single.stdout_text);
}

TEST_F(Scenes, ManyVideosGiveOneResultEachWhateverTheSplit) {
  // Three videos of different lengths (so different sizes): the plan splits the big one and
  // spreads the rest; every way of running it gives each video its single-pass answer.
  auto v2 = dir / "short_30_35_75.mp4";
  make_cut_video(v2, {{"testsrc2", 30, ""}, {"smptebars", 5, ""}, {"mandelbrot", 40, ""}, {"rgbtestsrc", 30, ""}});
  auto v5 = dir / "long_100_400.mp4";
  make_cut_video(v5, {{"testsrc2", 100, ""}, {"smptebars", 300, ""}, {"mandelbrot", 200, ""}}, 25);
  const std::vector<std::string> videos = {v1.string(), v2.string(), v5.string()};
  const std::vector<json> expected_cuts = {json({30, 75, 120}), json({30, 75}), json({100, 400})};

  std::vector<std::string> all = {"scenes", "detect"};
  all.insert(all.end(), videos.begin(), videos.end());
  auto joined = [&](std::vector<std::string> extra) {
    auto a = all;
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  auto one_pass = run_kubench(joined({"-q", "-o", "json"}));
  ASSERT_EQ(one_pass.exit_code, 0) << one_pass.stderr_text;
  auto docs = json::parse(one_pass.stdout_text);
  ASSERT_EQ(docs.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(docs[i]["video"]["name"], std::filesystem::path(videos[i]).filename().string());
    EXPECT_EQ(docs[i]["cuts"], expected_cuts[i]) << i;
  }
  for (int jobs : {2, 4}) {
    auto parallel = run_kubench(joined({"-q", "-o", "json", "--jobs", std::to_string(jobs)}));
    ASSERT_EQ(parallel.exit_code, 0) << parallel.stderr_text;
    // The same lists; only "shards" (into how many parts a video was cut) says how it was run.
    auto got = json::parse(parallel.stdout_text);
    ASSERT_EQ(got.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_GE(got[i]["shards"].get<int>(), 1);
      got[i]["shards"] = docs[i]["shards"];
    }
    EXPECT_EQ(got, docs) << "--jobs " << jobs;
  }
  // Shards run one by one into a directory, then merged from the files.
  auto shard_dir = dir / "parts";
  for (int i = 0; i < 3; ++i) {
    auto r = run_kubench(joined({"-q", "--shard", std::to_string(i) + "/3", "--shard-out", shard_dir.string()}));
    ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  }
  // The big video (600 frames, most of the bytes) is cut in parts; a small one stays whole.
  EXPECT_TRUE(std::filesystem::exists(shard_dir / "long_100_400.mp4.part-0-of-2.json") ||
              std::filesystem::exists(shard_dir / "long_100_400.mp4.part-0-of-3.json"));
  EXPECT_TRUE(std::filesystem::exists(shard_dir / "short_30_35_75.mp4.part-0-of-1.json"));
  std::vector<std::string> merge = {"scenes", "merge", "-o", "csv", "--out-dir", (dir / "lists").string()};
  for (auto& e : std::filesystem::directory_iterator(shard_dir)) merge.push_back(e.path().string());
  auto merged = run_kubench(merge);
  ASSERT_EQ(merged.exit_code, 0) << merged.stderr_text;
  for (auto& v : videos) {
    auto name = std::filesystem::path(v).filename().string();
    auto single = run_kubench({"scenes", "detect", v, "-q", "-o", "csv"});
    EXPECT_EQ(read_file(dir / "lists" / (name + ".scenes.csv")), single.stdout_text) << name;
    EXPECT_NE(merged.stderr_text.find(name + ": "), std::string::npos) << merged.stderr_text;
  }
  // A pod's shard prints its parts framed for the collector.
  auto framed = run_kubench(joined({"-q", "--shard", "0/3", "--result-frame"}));
  ASSERT_EQ(framed.exit_code, 0) << framed.stderr_text;
  EXPECT_NE(framed.stdout_text.find("----- BEGIN KUBENCH RESULT sha256="), std::string::npos);
  EXPECT_NE(framed.stdout_text.find("kubench/scene-shard-set/v1"), std::string::npos);

  // CSV of several videos needs a directory; two videos of one name are refused up front.
  auto r = run_kubench(joined({"-q", "-o", "csv"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("-o csv with several videos needs --out-dir"), std::string::npos) << r.stderr_text;
  std::filesystem::create_directories(dir / "copy");
  std::filesystem::copy_file(v1, dir / "copy" / v1.filename());
  r = run_kubench({"scenes", "detect", v1.string(), (dir / "copy" / v1.filename()).string(), "--jobs", "2"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("two videos are named cuts_30_75_120.mp4"), std::string::npos) << r.stderr_text;
}

TEST_F(Scenes, ShardsDecodeOnlyTheirRange) {
  // 600 frames with a keyframe every 25: borders fall on keyframes, so a shard decodes its range
  // and the next shard's first frame (and the decoder may hand out one more before it stops).
  // Borders balance the estimated decode cost (pixels + bitstream bytes): the busy mandelbrot
  // part (frames 400…599) is cut finer than the static bars.
  auto v4 = dir / "long_scene.mp4";
  make_cut_video(v4, {{"testsrc2", 100, ""}, {"smptebars", 300, ""}, {"mandelbrot", 200, ""}}, 25);
  std::int64_t total = 0;
  std::vector<std::int64_t> firsts;
  std::vector<json> shards;
  std::vector<std::string> merge = {"scenes", "merge", "-o", "json"};
  for (int i = 0; i < 4; ++i) {
    auto out = (dir / ("long-" + std::to_string(i) + ".json")).string();
    auto r = run_kubench({"scenes", "detect", v4.string(), "-q", "--shard", std::to_string(i) + "/4", "--shard-out", out});
    ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
    shards.push_back(json::parse(read_file(out)));
    firsts.push_back(shards.back()["range"]["first"]);
    merge.push_back(out);
  }
  for (int i = 0; i < 4; ++i) {
    auto& shard = shards[static_cast<size_t>(i)];
    const std::int64_t first = firsts[static_cast<size_t>(i)], end = i < 3 ? firsts[static_cast<size_t>(i) + 1] : 600;
    const std::int64_t decoded = shard["frames_decoded"];
    EXPECT_EQ(first % 25, 0) << "shard " << i << " starts on a keyframe";
    EXPECT_LT(first, end) << "shard " << i;
    EXPECT_LE(decoded, end - first + 2) << "shard " << i;
    EXPECT_EQ(static_cast<std::int64_t>(shard["metrics"]["frame"].size()), end - first + (i < 3 ? 1 : 0)) << "shard " << i;
    total += decoded;
  }
  EXPECT_LE(total, 600 + 4 * 2);
  EXPECT_GT(firsts[3], 450) << "the expensive end is split finer than equal frame counts";
  auto merged = run_kubench(merge);
  ASSERT_EQ(merged.exit_code, 0) << merged.stderr_text;
  auto doc = json::parse(merged.stdout_text);
  EXPECT_EQ(doc["cuts"], json({100, 400}));
  EXPECT_EQ(doc["frames"], 600);
}

TEST_F(Scenes, MergeRefusesAMissingOrForeignShard) {
  std::vector<std::string> shards;
  for (int i = 0; i < 3; ++i) {
    shards.push_back((dir / ("s" + std::to_string(i) + ".json")).string());
    ASSERT_EQ(run_kubench({"scenes", "detect", v1.string(), "-q", "--shard", std::to_string(i) + "/3", "--shard-out", shards.back()}).exit_code, 0);
  }
  auto r = run_kubench({"scenes", "merge", shards[0], shards[2]});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("shard 1/3 is missing"), std::string::npos) << r.stderr_text;

  auto other = dir / "other.mp4";
  make_cut_video(other, {{"smptebars", 150, ""}});
  auto foreign = (dir / "foreign.json").string();
  ASSERT_EQ(run_kubench({"scenes", "detect", other.string(), "-q", "--shard", "1/3", "--shard-out", foreign}).exit_code, 0);
  r = run_kubench({"scenes", "merge", shards[0], foreign, shards[2]});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("shard 1/3 is of another video (other.mp4"), std::string::npos) << r.stderr_text;

  write_text(dir / "junk.json", "{\"schema\": \"kubench/bench/v1\"}");
  r = run_kubench({"scenes", "merge", shards[0], (dir / "junk.json").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("not a kubench scene shard result"), std::string::npos) << r.stderr_text;
}

TEST_F(Scenes, CorruptMiddleIsReportedAndDetectionGoesOn) {
  // MPEG-TS resynchronises after damage; 6000 bytes of garbage in the middle lose a frame or more.
  auto ts = dir / "v1.ts";
  ProcessSpec spec;
  spec.argv = {"ffmpeg", "-v", "error", "-y", "-i", v1.string(), "-c", "copy", ts.string()};
  ASSERT_TRUE(run_process(spec).ok());
  {
    std::fstream f(ts, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(std::filesystem::file_size(ts) / 2));
    std::string junk(6000, '\x55');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  auto r = run_kubench({"scenes", "detect", ts.string(), "--threads", "1", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  auto doc = json::parse(r.stdout_text);
  EXPECT_EQ(doc["cuts"], json({30, 75, 120}));
  ASSERT_FALSE(doc["damaged"].empty());
  EXPECT_GT(doc["damaged"][0]["first"].get<int>(), 75);
  EXPECT_LT(doc["damaged"][0]["last"].get<int>(), 120);
  EXPECT_NE(r.stderr_text.find("damaged"), std::string::npos) << r.stderr_text;
}

// Raw palette video in AVI carries its palette only beside the first packet: a shard that seeks
// past it must still decode its frames in colour, so the split finds the single pass's cuts.
TEST_F(Scenes, PaletteVideoSplitsLikeOnePass) {
  auto pal8 = dir / "pal8.avi";
  ProcessSpec spec;
  spec.argv = {"ffmpeg", "-v", "error", "-y", "-i", v1.string(), "-c:v", "rawvideo", "-pix_fmt", "pal8", pal8.string()};
  ASSERT_TRUE(run_process(spec).ok());
  const json one = detect_json({pal8.string()});
  EXPECT_EQ(one["cuts"], json({30, 75, 120}));
  EXPECT_EQ(detect_json({pal8.string(), "--jobs", "3"})["cuts"], one["cuts"]);
  EXPECT_EQ(detect_json({pal8.string(), "--jobs", "3", "--detector", "adaptive"})["cuts"], detect_json({pal8.string(), "--detector", "adaptive"})["cuts"]);
}

TEST_F(Scenes, BadInputIsOneLineAndExit2) {
  write_text(dir / "notes.mp4", "not a video at all\n");
  auto r = run_kubench({"scenes", "detect", (dir / "notes.mp4").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("notes.mp4: not a video"), std::string::npos) << r.stderr_text;
  r = run_kubench({"scenes", "detect", (dir / "missing.mp4").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("missing.mp4: no such file"), std::string::npos) << r.stderr_text;
  r = run_kubench({"scenes", "detect", v1.string(), "--shard", "3/3", "--shard-out", (dir / "x.json").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("--shard index 3 is outside"), std::string::npos) << r.stderr_text;
  EXPECT_FALSE(std::filesystem::exists(dir / "x.json"));
  // An audio-only file has no video stream.
  ProcessSpec spec;
  spec.argv = {"ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=d=1", (dir / "tone.m4a").string()};
  ASSERT_TRUE(run_process(spec).ok());
  r = run_kubench({"scenes", "detect", (dir / "tone.m4a").string(), "--jobs", "2"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("no video stream"), std::string::npos) << r.stderr_text;
}

// Frames that are not 8-bit 4:2:0 go through swscale (to planar G, B, R) instead of kubench's own
// downscale: the same cuts, and every frame's scores close to the 4:2:0 file's (a swapped plane
// moves the content score by ~10).
TEST_F(Scenes, OtherPixelFormatsScoreAlike) {
  ProcessSpec to444;
  to444.argv = {"ffmpeg", "-v", "error", "-y", "-i", v1.string(), "-pix_fmt", "yuv444p", "-c:v", "libx264", "-crf", "10",
                (dir / "v444.mp4").string()};
  ASSERT_TRUE(run_process(to444).ok());
  auto stats = [&](const std::filesystem::path& video, const std::string& name) {
    auto r = run_kubench({"scenes", "detect", video.string(), "-q", "-o", "json", "--stats", (dir / name).string()});
    EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
    EXPECT_EQ(json::parse(r.stdout_text)["cuts"], json({30, 75, 120})) << video;
    std::vector<std::vector<std::string>> rows;
    for (auto& line : split(read_file(dir / name), '\n'))
      if (!line.empty()) rows.push_back(split(line, ','));
    return rows;
  };
  const auto a = stats(v1, "420.csv"), b = stats(dir / "v444.mp4", "444.csv");
  ASSERT_EQ(a.size(), b.size());
  ASSERT_EQ(a[0][2], "content_val");
  ASSERT_EQ(a[0][6], "brightness");
  for (size_t i = 1; i < a.size(); ++i) {
    EXPECT_NEAR(std::stod(a[i][2]), std::stod(b[i][2]), 2.0) << "content_val of frame " << a[i][0];
    EXPECT_NEAR(std::stod(a[i][6]), std::stod(b[i][6]), 2.0) << "brightness of frame " << a[i][0];
  }
}

TEST_F(Scenes, CtrlCStopsTheShardProcessesAndLeavesNothing) {
  // A long video in no time: the test clip looped 80 times without re-encoding (12 000 frames).
  ProcessSpec loop;
  loop.argv = {"ffmpeg", "-v", "error", "-y", "-stream_loop", "79", "-i", v1.string(), "-c", "copy", (dir / "long.mp4").string()};
  ASSERT_TRUE(run_process(loop).ok());
  const auto tmp = dir / "tmp";
  std::filesystem::create_directories(tmp);
  Kubench child("jobs", {"scenes", "detect", (dir / "long.mp4").string(), "--jobs", "2", "--threads", "1", "-o", "json"}, dir,
                {{"TMPDIR", tmp.string()}});
  // Interrupt once both shard processes run.
  std::vector<pid_t> shards;
  ASSERT_TRUE(eventually([&] {
    std::ifstream in("/proc/" + std::to_string(child.pid()) + "/task/" + std::to_string(child.pid()) + "/children");
    shards.clear();
    for (pid_t p; in >> p;) shards.push_back(p);
    return shards.size() == 2;
  }));
  child.signal(SIGINT);
  auto r = child.wait();
  EXPECT_EQ(r.exit_code, 130) << child.err();
  EXPECT_TRUE(child.out().empty()) << child.out();  // no partial scene list
  for (pid_t p : shards) EXPECT_TRUE(eventually([&] { return ::kill(p, 0) != 0; })) << "shard process " << p << " still there";
  EXPECT_TRUE(std::filesystem::is_empty(tmp)) << "the shard results' temporary directory is left";
}

}  // namespace
}  // namespace kb::test
