// `kubench encode` end to end on clips the test makes: frame-exact joins at every rate and in
// MPEG-TS, outputs that do not depend on the number of jobs, borders on scene cuts, quality against
// a one-pass encode, resume after a crash and after damage, retries, bad input and Ctrl-C.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "core/process.h"
#include "support/cut_video.h"
#include "support/kubench_process.h"
#include "support/test_support.h"

namespace kb::test {
namespace {

// Scenes of 30, 45, 45 and 30 frames.
const std::vector<Segment> kScenes = {{"testsrc2", 30, ""}, {"smptebars", 45, ""}, {"mandelbrot", 45, ""}, {"rgbtestsrc", 30, ""}};

ProcessResult run_argv(const std::vector<std::string>& argv) {
  ProcessSpec spec;
  spec.argv = argv;
  return run_process(spec);
}

std::vector<std::string> frame_hashes(const std::filesystem::path& video) {
  auto r = run_argv({"ffmpeg", "-v", "error", "-i", video.string(), "-map", "0:v:0", "-f", "framemd5", "-hash", "md5", "-"});
  EXPECT_TRUE(r.ok()) << r.stderr_text;
  std::vector<std::string> hashes;
  std::istringstream lines(r.stdout_text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    hashes.push_back(line.substr(line.rfind(',') + 1));
  }
  return hashes;
}

double psnr(const std::filesystem::path& encoded, const std::filesystem::path& reference) {
  auto r = run_argv({"ffmpeg", "-v", "info", "-nostats", "-i", encoded.string(), "-i", reference.string(), "-lavfi", "[0:v][1:v]psnr",
                                 "-f", "null", "-"});
  EXPECT_TRUE(r.ok()) << r.stderr_text;
  std::smatch m;
  std::regex re("average:([0-9.]+)");
  EXPECT_TRUE(std::regex_search(r.stderr_text, m, re)) << r.stderr_text;
  return m.empty() ? 0 : std::stod(m[1]);
}

nlohmann::json encode(const std::vector<std::string>& args, const std::vector<std::pair<std::string, std::string>>& env = {}) {
  std::vector<std::string> argv = {"encode"};
  argv.insert(argv.end(), args.begin(), args.end());
  // The CPU encoder whatever this machine's cached capability matrix says (auto: nodes_probe_itest).
  if (std::find(args.begin(), args.end(), "--accel") == args.end()) argv.insert(argv.end(), {"--accel", "cpu"});
  argv.insert(argv.end(), {"-o", "json", "-q"});
  auto r = run_kubench(argv, env);
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  return r.exit_code == 0 ? nlohmann::json::parse(r.stdout_text) : nlohmann::json::object();
}

std::string wrapper() { return (fixtures_dir() / "encode" / "ffmpeg-wrapper.sh").string(); }

class Encode : public ::testing::Test {
 protected:
  TempDir dir;
};

TEST_F(Encode, LosslessPartsJoinFrameExactAtEveryRateWithTheAudioWhole) {
  int n = 0;
  for (std::string rate : {"24", "25", "30000/1001"}) {
    SCOPED_TRACE(rate);
    ++n;
    const auto src = dir / ("src-" + std::to_string(n) + ".mp4");
    make_cut_clip(src, kScenes, rate);
    const auto out = dir / ("out-" + std::to_string(n) + ".mp4");
    // Parts of at most a second: several per scene, borders off the keyframes.
    auto report = encode({src.string(), out.string(), "--jobs", "3", "--max-part", "1", "--quality", "0", "--preset", "ultrafast"});
    ASSERT_TRUE(report.contains("parts"));
    EXPECT_GE(report["parts"].size(), 6u);
    EXPECT_EQ(frame_hashes(out), frame_hashes(src));
    const auto& v = report["verification"];
    EXPECT_EQ(v["frames"], 150);
    EXPECT_EQ(v["audio_samples"], v["source_audio_samples"]);
    EXPECT_GT(v["audio_samples"].get<long long>(), 0);
    EXPECT_FALSE(std::filesystem::exists(out.string() + ".kubench-work"));  // removed after success
  }
}

TEST_F(Encode, MpegTsSourceWithoutAnIndexIsCutFrameExactly) {
  const auto mp4 = dir / "src.mp4", ts = dir / "src.ts", out = dir / "out.mkv";
  make_cut_clip(mp4, kScenes, "30000/1001");
  ASSERT_TRUE(run_argv({"ffmpeg", "-v", "error", "-i", mp4.string(), "-c", "copy", ts.string()}).ok());
  auto report = encode({ts.string(), out.string(), "--jobs", "2", "--split", "fixed:0.7", "--quality", "0", "--preset", "ultrafast"});
  EXPECT_GE(report["parts"].size(), 6u);
  EXPECT_EQ(frame_hashes(out), frame_hashes(mp4));
  // The AAC priming in front of the video is not part of what plays with it; Matroska places
  // the audio to the millisecond (48 samples).
  EXPECT_NEAR(report["verification"]["audio_samples"].get<double>(), report["verification"]["source_audio_samples"].get<double>(), 48);
}

TEST_F(Encode, TheOutputDoesNotDependOnTheNumberOfJobsAndSeamsNeitherDropNorRepeatFrames) {
  const auto src = dir / "src.mp4";
  make_cut_clip(src, kScenes, "25");
  std::vector<std::string> first;
  for (int jobs = 1; jobs <= 4; ++jobs) {
    SCOPED_TRACE(jobs);
    const auto out = dir / ("out" + std::to_string(jobs) + ".mp4");
    const auto work = dir / ("work" + std::to_string(jobs));
    auto report = encode({src.string(), out.string(), "--jobs", std::to_string(jobs), "--threads-per-part", "1", "--max-part", "1",
                          "--preset", "veryfast", "--work-dir", work.string(), "--keep-work"});
    const auto hashes = frame_hashes(out);
    ASSERT_EQ(hashes.size(), 150u);
    if (jobs == 1) first = hashes;
    EXPECT_EQ(hashes, first);
    // The joined stream decodes to exactly its parts' pictures, one after the other.
    std::vector<std::string> parts;
    for (auto& p : report["parts"]) {
      char name[32];
      std::snprintf(name, sizeof name, "%05d.mkv", p["index"].get<int>());
      auto h = frame_hashes(work / "parts" / name);
      EXPECT_EQ(static_cast<long long>(h.size()), p["frames"].get<long long>());
      parts.insert(parts.end(), h.begin(), h.end());
    }
    EXPECT_EQ(parts, hashes);
  }
}

TEST_F(Encode, PartBordersAreTheSceneCuts) {
  const auto src = dir / "src.mp4", out = dir / "out.mp4";
  make_cut_clip(src, kScenes, "25");
  // At most 2 s (50 frames): no two scenes fit together, none needs splitting.
  auto report = encode({src.string(), out.string(), "--jobs", "2", "--max-part", "2", "--preset", "ultrafast"});
  EXPECT_EQ(report["split"]["cuts"], (std::vector<int>{30, 75, 120}));
  std::vector<int> firsts;
  for (auto& p : report["parts"]) firsts.push_back(p["first"].get<int>());
  EXPECT_EQ(firsts, (std::vector<int>{0, 30, 75, 120}));
  EXPECT_EQ(report["parts"][0]["border"], "cut");
  EXPECT_EQ(report["parts"][3]["border"], "end");
}

TEST_F(Encode, QualityIsWithinAThirdOfADecibelOfOnePassAtTheSameSettings) {
  // Six seconds of moving pictures, cut every 1.5 s at most.
  const std::vector<Segment> moving = {{"testsrc2", 50, ""}, {"mandelbrot", 50, ""}, {"life", 50, ""}};
  const auto src = dir / "src.mp4", joined = dir / "joined.mp4", one = dir / "one.mp4";
  make_cut_clip(src, moving, "25", false);
  encode({src.string(), joined.string(), "--jobs", "2", "--threads-per-part", "1", "--max-part", "1.5", "--preset", "veryfast", "--quality", "23"});
  ASSERT_TRUE(run_argv({"ffmpeg", "-v", "error", "-i", src.string(), "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-threads",
                                    "1", one.string()})
                  .ok());
  const double split = psnr(joined, src), whole = psnr(one, src);
  EXPECT_GT(whole, 20);
  EXPECT_LT(std::abs(split - whole), 0.3) << "joined " << split << " dB, one pass " << whole << " dB";
}

TEST_F(Encode, AfterACrashMidPartARerunRedoesOnlyWhatWasNotDone) {
  const auto src = dir / "src.mp4", out = dir / "out.mp4", work = dir / "work";
  make_cut_clip(src, kScenes, "25");
  // One job, parts longest first; the crash comes when part 00002 starts.
  const std::vector<std::string> args = {src.string(), out.string(), "--jobs", "1", "--max-part", "2", "--preset", "ultrafast",
                                         "--work-dir", work.string(), "--keep-work", "--ffmpeg", wrapper()};
  auto argv = std::vector<std::string>{"encode"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto crashed = run_kubench(argv, {{"KUBENCH_TEST_PART", "00002"}, {"KUBENCH_TEST_FAULT", "kill"}});
  EXPECT_EQ(crashed.signal, SIGKILL);
  EXPECT_FALSE(std::filesystem::exists(out));
  // Parts 1 (45 frames) was encoded before 2 (45 frames, same length: in plan order); 0 and 3 not yet.
  ASSERT_TRUE(std::filesystem::exists(work / "parts" / "00001.json"));
  EXPECT_FALSE(std::filesystem::exists(work / "parts" / "00002.json"));
  struct stat before {};
  ASSERT_EQ(::stat((work / "parts" / "00001.mkv").c_str(), &before), 0);

  auto report = encode(args);
  EXPECT_EQ(report["reused_parts"], 1);
  for (auto& p : report["parts"]) EXPECT_EQ(p["reused"], p["index"] == 1) << p.dump();
  struct stat after {};
  ASSERT_EQ(::stat((work / "parts" / "00001.mkv").c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);
  EXPECT_EQ(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
  EXPECT_EQ(frame_hashes(out).size(), 150u);
  // No temporary file of the killed encode is taken for a part.
  for (auto& e : std::filesystem::directory_iterator(work / "parts"))
    if (e.path().string().find(".tmp-") != std::string::npos) {
      EXPECT_EQ(e.path().filename().string().substr(0, 5), "00002");
    }
}

TEST_F(Encode, ADamagedPartIsFoundByItsChecksumAndRedoneAlone) {
  const auto src = dir / "src.mp4", out = dir / "out.mp4", work = dir / "work";
  make_cut_clip(src, kScenes, "25");
  const std::vector<std::string> args = {src.string(), out.string(), "--jobs", "2", "--max-part", "2", "--preset", "ultrafast",
                                         "--work-dir", work.string(), "--keep-work", "--force"};
  auto first = encode(args);
  const auto expected = frame_hashes(out);
  {
    std::fstream part(work / "parts" / "00001.mkv", std::ios::in | std::ios::out | std::ios::binary);
    part.seekp(2000);
    char byte = 0;
    part.read(&byte, 1);
    part.seekp(2000);
    byte = static_cast<char>(byte ^ 0x5a);
    part.write(&byte, 1);
  }
  auto again = encode(args);
  EXPECT_EQ(again["reused_parts"], 3);
  for (auto& p : again["parts"]) EXPECT_EQ(p["reused"], p["index"] != 1) << p.dump();
  EXPECT_TRUE(again["split"]["cuts_reused"].get<bool>());  // no second detection pass
  EXPECT_EQ(frame_hashes(out), expected);
}

TEST_F(Encode, APartWithAFrameMissingIsRetriedAndOneThatFailsEveryTimeStopsTheEncodeNamingIt) {
  const auto src = dir / "src.mp4", out = dir / "out.mp4", work = dir / "work";
  make_cut_clip(src, kScenes, "25");
  const std::vector<std::string> args = {src.string(), out.string(), "--jobs", "1", "--max-part", "2", "--preset", "ultrafast",
                                         "--work-dir", work.string(), "--ffmpeg", wrapper()};
  auto report = encode(args, {{"KUBENCH_TEST_PART", "00003"}, {"KUBENCH_TEST_FAULT", "short"}, {"KUBENCH_TEST_TIMES", "2"},
                              {"KUBENCH_TEST_COUNTER", (dir / "count").string()}});
  EXPECT_EQ(report["parts"][3]["attempts"], 3);
  EXPECT_EQ(frame_hashes(out).size(), 150u);

  std::filesystem::remove(out);
  std::vector<std::string> argv = {"encode"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto failed = run_kubench(argv, {{"KUBENCH_TEST_PART", "00003"}, {"KUBENCH_TEST_FAULT", "short"}});
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_NE(failed.stderr_text.find("part 3 (frames 120–149): 29 of 30 frames after 3 attempts"), std::string::npos) << failed.stderr_text;
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_TRUE(std::filesystem::exists(work / "parts" / "00000.json"));  // kept for the rerun
}

TEST_F(Encode, BadInputIsRefusedWithOneLineAndExitTwo) {
  const auto src = dir / "src.mp4";
  make_cut_clip(src, kScenes, "25");
  write_text(dir / "notes.txt", "not a video\n");
  auto audio_only = dir / "tone.m4a";
  ASSERT_TRUE(run_argv({"ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=d=1", audio_only.string()}).ok());
  // Frame 10 missing: not a constant frame rate.
  auto gap = dir / "gap.mkv";
  ASSERT_TRUE(run_argv({"ffmpeg", "-v", "error", "-i", src.string(), "-vf", "select=not(eq(n\\,10))", "-fps_mode", "passthrough",
                                    "-an", "-c:v", "libx264", "-preset", "ultrafast", gap.string()})
                  .ok());
  write_text(dir / "exists.mp4", "keep me");
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{(dir / "missing.mp4").string(), (dir / "o1.mp4").string()}, "missing.mp4: no such file"},
      {{(dir / "notes.txt").string(), (dir / "o2.mp4").string()}, "not a readable video"},
      {{audio_only.string(), (dir / "o3.mp4").string()}, "no video stream"},
      {{gap.string(), (dir / "o4.mp4").string()}, "not at a constant frame rate of 25 fps (frame 10 is missing)"},
      {{src.string(), (dir / "exists.mp4").string()}, "exists; --force replaces it"},
      {{src.string(), (dir / "o5.xyz").string()}, "no muxer"},
      {{src.string(), (dir / "o6.mp4").string(), "--split", "shots"}, "--split must be"},
      {{src.string(), (dir / "o7.mp4").string(), "--audio", "mp3"}, "--audio must be"},
      {{src.string(), (dir / "o8.mp4").string(), "--accel", "nvenc", "--codec", "vp9"}, "nvenc has no vp9 encoder"},
  };
  for (auto& c : cases) {
    std::vector<std::string> argv = {"encode"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    auto r = run_kubench(argv);
    EXPECT_EQ(r.exit_code, 2) << c.says << ": " << r.stderr_text;
    EXPECT_NE(r.stderr_text.find(c.says), std::string::npos) << r.stderr_text;
    EXPECT_EQ(std::count(r.stderr_text.begin(), r.stderr_text.end(), '\n'), 1) << r.stderr_text;
  }
  EXPECT_EQ(slurp(dir / "exists.mp4"), "keep me");
  for (auto& e : std::filesystem::directory_iterator(dir.path()))
    EXPECT_EQ(e.path().string().find(".kubench-work"), std::string::npos) << e.path();
}

TEST_F(Encode, CtrlCStopsTheEncodersKeepsTheWorkAndWritesNoOutput) {
  const auto src = dir / "src.mp4", out = dir / "out.mp4", work = dir / "work", marker = dir / "hung.pid";
  make_cut_clip(src, kScenes, "25");
  Kubench run("encode",
              {"encode", src.string(), out.string(), "--jobs", "2", "--max-part", "2", "--preset", "ultrafast", "--work-dir", work.string(), "--ffmpeg",
               wrapper(), "-q"},
              dir, {{"KUBENCH_TEST_PART", "00000"}, {"KUBENCH_TEST_FAULT", "hang"}, {"KUBENCH_TEST_MARKER", marker.string()}});
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(marker); }));
  const pid_t hung = std::stoi(slurp(marker));
  run.signal(SIGINT);
  auto r = run.wait();
  EXPECT_EQ(r.exit_code, 130) << run.err();
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_TRUE(std::filesystem::exists(work / "plan.json"));
  EXPECT_TRUE(eventually([&] { return ::kill(hung, 0) != 0; }));  // the encoder went with it
}

// A disk that fills up: in a private mount namespace (unshare -m), a tiny tmpfs for the parts, or
// for the output, so nothing outlives the test.
ProcessResult in_tiny_tmpfs(const std::filesystem::path& mount, const std::string& size, const std::vector<std::string>& kubench_args) {
  std::string command = "mkdir -p '" + mount.string() + "' && mount -t tmpfs -o size=" + size + " tmpfs '" + mount.string() + "' && '" +
                        kubench_binary().string() + "'";
  for (auto& a : kubench_args) command += " '" + a + "'";
  command += "; echo \"exit=$?\"; ls -A '" + mount.string() + "'";
  return run_argv({"unshare", "--mount", "--propagation", "private", "sh", "-c", command});
}

TEST_F(Encode, ADiskThatFillsUpGivesAClearErrorAndNoOutput) {
  const auto src = dir / "src.mp4";
  make_cut_clip(src, kScenes, "25");
  // The output's volume is full: the join says so, leaves nothing there; the parts stay.
  const auto full = dir / "full";
  auto r = in_tiny_tmpfs(full, "32k", {"encode", src.string(), (full / "out.mp4").string(), "--accel", "cpu", "--preset", "ultrafast",
                                       "--max-part", "2", "--work-dir", (dir / "work").string(), "-q"});
  EXPECT_NE(r.stdout_text.find("exit=2"), std::string::npos) << r.stdout_text << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("disk full writing " + (full / ".out.mp4.kubench-tmp").string()), std::string::npos) << r.stderr_text;
  EXPECT_EQ(r.stdout_text.substr(r.stdout_text.find("exit=2") + 6), "\n") << "left on the full volume: " << r.stdout_text;
  EXPECT_TRUE(std::filesystem::exists(dir / "work" / "parts" / "00000.json"));
  // The parts' volume is full: stopped at once (no retries), named.
  auto parts = in_tiny_tmpfs(dir / "tiny-work", "64k", {"encode", src.string(), (dir / "out2.mp4").string(), "--accel", "cpu", "--quality", "0",
                                                        "--preset", "ultrafast", "--max-part", "2", "--work-dir", (dir / "tiny-work").string(), "-q"});
  EXPECT_NE(parts.stdout_text.find("exit=2"), std::string::npos) << parts.stdout_text << parts.stderr_text;
  EXPECT_NE(parts.stderr_text.find("disk full writing part"), std::string::npos) << parts.stderr_text;
  EXPECT_FALSE(std::filesystem::exists(dir / "out2.mp4"));
}

TEST_F(Encode, DryRunPrintsThePlanAndWritesNothing) {
  const auto src = dir / "src.mp4", out = dir / "out.mp4";
  make_cut_clip(src, kScenes, "25");
  auto r = run_kubench({"encode", src.string(), out.string(), "--max-part", "2", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_NE(r.stdout_text.find("4 parts, libx264"), std::string::npos) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("-x264-params stitchable=1"), std::string::npos) << r.stdout_text;
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_FALSE(std::filesystem::exists(out.string() + ".kubench-work"));
}

}  // namespace
}  // namespace kb::test
