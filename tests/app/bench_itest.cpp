// `kubench bench` end to end with real ffmpeg on tiny clips.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <set>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/files.h"
#include "media/result_frame.h"
#include "core/process.h"
#include "support/test_support.h"

namespace kb {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kFrames = 24;

// Tiny stand-ins for the four clips, named as generated clips so `--clips DIR` finds them.
class BenchTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    clips_ = new test::TempDir();
    test::make_video(*clips_ / "kubench_1080p_h264.mp4", 320, 180, kFrames);
    test::make_video(*clips_ / "kubench_4k_h264.mp4", 640, 360, kFrames);
    test::make_video(*clips_ / "kubench_1080p_hevc_8bit.mp4", 320, 180, kFrames, "libx265");
    test::make_video(*clips_ / "kubench_4k_hevc_10bit.mp4", 320, 180, kFrames, "libx265", "yuv420p10le");
  }
  static void TearDownTestSuite() { delete clips_; }
  static test::TempDir* clips_;
  test::TempDir results_;

  std::vector<std::string> args(std::vector<std::string> extra) {
    std::vector<std::string> a = {"bench", "--accel", "cpu", "--clips", clips_->path().string(), "--results-dir",
                                  results_.path().string(), "--run-id", "run"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  json saved() { return json::parse(read_file(results_ / "run/result.json")); }
};
test::TempDir* BenchTest::clips_ = nullptr;

TEST_F(BenchTest, CpuRunEncodesEveryFrameOfEveryClip) {
  auto r = test::run_kubench(args({"--tests", "h264_1080p_cpu,h264_1080p,h264_4k,hevc_8bit,hevc_4k_10bit", "-o", "json"}));
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  auto out = json::parse(r.stdout_text);
  EXPECT_EQ(out, saved());  // what was printed is what was saved
  EXPECT_EQ(out["schema"], "kubench/bench/v1");
  EXPECT_EQ(out["backend"], "cpu");
  EXPECT_TRUE(out["complete"].get<bool>());
  ASSERT_EQ(out["tests"].size(), 5u);
  for (auto& t : out["tests"]) {
    SCOPED_TRACE(t["test_id"].get<std::string>());
    EXPECT_EQ(t["status"], "ok") << t["reason"];
    EXPECT_EQ(t["frames"], kFrames);
    EXPECT_EQ(t["expected_frames"], kFrames);
    EXPECT_GT(t["fps"].get<double>(), 0);
    EXPECT_NEAR(t["fps"].get<double>(), kFrames / t["wall_seconds"].get<double>(), 1e-6);
    EXPECT_GT(t["output_bitrate_kbps"].get<double>(), 0);
    EXPECT_GT(t["input_bitrate_kbps"].get<double>(), 0);
    EXPECT_TRUE(fs::exists(results_ / ("run/" + t["log"].get<std::string>())));
    EXPECT_EQ(t["command"][0], out["ffmpeg"]["path"]);
    // Power is either measured or null with the reason.
    EXPECT_TRUE(!t["power"]["avg_watts"].is_null() || !t["power"]["null_reason"].get<std::string>().empty());
  }
  EXPECT_EQ(out["tests"][0]["encoder"], "libx264");
  EXPECT_EQ(out["tests"][3]["encoder"], "libx265");
  EXPECT_FALSE(out["ffmpeg"]["version"].get<std::string>().empty());
  // The seed's pipe table and the CSV are saved beside the JSON.
  auto qs = read_file(results_ / "run/quicksync.txt");
  EXPECT_EQ(qs.substr(0, qs.find('\n')), "CPU|TEST|FILE|BITRATE|TIME|AVG_FPS|AVG_SPEED|AVG_WATTS");
  EXPECT_NE(qs.find("|h264_1080p_cpu|kubench_1080p_h264|"), std::string::npos);
  EXPECT_NE(read_file(results_ / "run/results.csv").find("hevc_4k_10bit"), std::string::npos);
}

TEST_F(BenchTest, QuicksyncOutputIsThePipeTable) {
  auto r = test::run_kubench(args({"--tests", "h264_1080p_cpu", "-o", "quicksync"}));
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(r.stdout_text, read_file(results_ / "run/quicksync.txt"));
  EXPECT_NE(r.stdout_text.find("|N/A\n"), std::string::npos);  // the CPU row never has watts
}

TEST_F(BenchTest, InPodResultReachesTheCollector) {
  // The log always carries the framed result (the collector's fast path); the 4 KiB termination
  // message carries it too when it fits (one test), and is left alone when it does not (five).
  for (auto tests : {"h264_1080p_cpu", "h264_1080p_cpu,h264_1080p,h264_4k,hevc_8bit,hevc_4k_10bit"}) {
    SCOPED_TRACE(tests);
    auto termination = results_ / "termination-log";
    fs::remove(termination);
    auto r = test::run_kubench(args({"--tests", tests, "--in-pod", "--termination-log", termination.string(), "-o", "csv"}));
    ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
    auto doc = saved();
    auto framed = media::find_framed_result(r.stdout_text);
    ASSERT_TRUE(framed);
    EXPECT_EQ(*framed, doc);
    if (doc.dump().size() <= media::kTerminationMessageLimit) EXPECT_EQ(json::parse(read_file(termination)), doc);
    else EXPECT_FALSE(fs::exists(termination));
    fs::remove_all(results_ / "run");
  }
}

TEST_F(BenchTest, ConcurrencySearchRunsSeparateStreams) {
  auto r = test::run_kubench(args({"--tests", "h264_1080p", "--concurrency-only", "--max-streams", "3", "-o", "json"}));
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  auto out = json::parse(r.stdout_text);
  ASSERT_EQ(out["concurrency"].size(), 1u);
  auto& c = out["concurrency"][0];
  EXPECT_EQ(c["cap"], 3);
  int max = c["max_realtime_streams"];
  EXPECT_GE(max, 0);
  EXPECT_LE(max, 3);
  std::set<std::string> logs;
  for (auto& level : c["levels"]) {
    EXPECT_EQ(level["runs"].size(), level["streams"].get<size_t>());
    double min_speed = 1e9;
    for (auto& s : level["runs"]) {
      EXPECT_EQ(s["frames"], kFrames);
      EXPECT_TRUE(logs.insert(s["log"].get<std::string>()).second) << "log names collide";
      EXPECT_TRUE(fs::exists(results_ / ("run/" + s["log"].get<std::string>())));
      min_speed = std::min(min_speed, s["speed"].get<double>());
    }
    EXPECT_DOUBLE_EQ(level["min_speed"].get<double>(), min_speed);
    EXPECT_EQ(level["realtime"].get<bool>(), min_speed >= 1.0);
  }
  EXPECT_TRUE(out["tests"].empty());
}

TEST_F(BenchTest, NoFfmpegIsOneLineWithAnInstallHint) {
  auto r = test::run_kubench(args({}), {{"PATH", "/nonexistent"}, {"KUBENCH_FFMPEG", ""}});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("ffmpeg not found"), std::string::npos);
  EXPECT_NE(r.stderr_text.find("apt-get install ffmpeg"), std::string::npos);
  EXPECT_EQ(std::count(r.stderr_text.begin(), r.stderr_text.end(), '\n'), 1);
  EXPECT_FALSE(fs::exists(results_ / "run"));
}

TEST_F(BenchTest, UnknownAccelListsWhatWorksHere) {
  auto r = test::run_kubench({"bench", "--accel", "quantum", "--results-dir", results_.path().string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("unknown --accel 'quantum'"), std::string::npos);
  EXPECT_NE(r.stderr_text.find("working here: cpu"), std::string::npos);
}

TEST_F(BenchTest, UnavailableAccelSaysWhyBeforeAnyWork) {
  // No GPU on the test machines: QSV cannot work, and the error says what ffmpeg said.
  auto r = test::run_kubench({"bench", "--accel", "qsv", "--clips", clips_->path().string(), "--results-dir",
                              results_.path().string(), "--run-id", "run"});
  if (r.exit_code == 0) GTEST_SKIP() << "this machine has working QSV";
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("--accel qsv does not work here"), std::string::npos);
  EXPECT_FALSE(fs::exists(results_ / "run/result.json"));
}

TEST_F(BenchTest, UnwritableResultsDirectoryFailsBeforeWork) {
  if (::geteuid() == 0) {
    // root ignores permissions; a path under a regular file cannot be created by anyone.
    test::write_text(results_ / "file", "x");
    auto r = test::run_kubench({"bench", "--accel", "cpu", "--clips", clips_->path().string(), "--results-dir",
                                (results_ / "file/sub").string()});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.stderr_text.find("cannot create"), std::string::npos) << r.stderr_text;
    EXPECT_EQ(r.stderr_text.find("Checking which encoders"), std::string::npos);
    return;
  }
  fs::create_directories(results_ / "ro");
  ::chmod((results_ / "ro").c_str(), 0500);
  auto r = test::run_kubench({"bench", "--accel", "cpu", "--results-dir", (results_ / "ro").string()});
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(BenchTest, CorruptClipFailsThatTestAndTheOthersRun) {
  test::TempDir bad;
  for (auto& entry : fs::directory_iterator(clips_->path())) fs::copy(entry.path(), bad / entry.path().filename().string());
  // Truncate the 4K H.264 clip to half: the container is there, the frames are not.
  auto victim = bad / "kubench_4k_h264.mp4";
  auto content = read_file(victim);
  test::write_text(victim, content.substr(0, content.size() / 2));
  auto r = test::run_kubench({"bench", "--accel", "cpu", "--clips", bad.path().string(), "--results-dir",
                              results_.path().string(), "--run-id", "run", "--tests", "h264_1080p,h264_4k,hevc_8bit", "-o", "json"});
  EXPECT_EQ(r.exit_code, 1) << r.stderr_text;
  auto out = json::parse(r.stdout_text);
  ASSERT_EQ(out["tests"].size(), 3u);
  EXPECT_EQ(out["tests"][0]["status"], "ok");
  EXPECT_EQ(out["tests"][1]["status"], "failed");
  EXPECT_FALSE(out["tests"][1]["reason"].get<std::string>().empty());
  EXPECT_EQ(out["tests"][2]["status"], "ok");
  EXPECT_TRUE(out["complete"].get<bool>());
}

TEST_F(BenchTest, NotAVideoIsReportedWithItsReason) {
  test::TempDir bad;
  test::write_text(bad / "kubench_1080p_h264.mp4", "this is not a video\n");
  auto r = test::run_kubench({"bench", "--accel", "cpu", "--clips", bad.path().string(), "--results-dir",
                              results_.path().string(), "--run-id", "run", "--tests", "h264_1080p", "-o", "json"});
  EXPECT_EQ(r.exit_code, 1);
  auto out = json::parse(r.stdout_text);
  EXPECT_EQ(out["tests"][0]["status"], "failed");
  EXPECT_NE(out["tests"][0]["reason"].get<std::string>().find("not a readable video"), std::string::npos);
}

// Processes whose command line mentions `needle` (our own children are found by their clip path).
std::vector<pid_t> processes_mentioning(const std::string& needle) {
  std::vector<pid_t> found;
  for (auto& entry : fs::directory_iterator("/proc")) {
    auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), {});
    if (cmdline.find(needle) != std::string::npos) found.push_back(std::stoi(name));
  }
  return found;
}

TEST_F(BenchTest, CtrlCKillsEncodesSavesPartialResultsAndExits130) {
  test::TempDir slow;
  // Long enough that the interrupt lands mid-encode.
  test::make_video(slow / "kubench_1080p_hevc_8bit.mp4", 640, 360, 900, "libx265");
  ProcessSpec spec;
  spec.argv = {test::kubench_binary().string(), "bench", "--accel", "cpu", "--clips", slow.path().string(),
               "--results-dir", results_.path().string(), "--run-id", "run", "--tests", "hevc_8bit"};
  ChildProcess bench(spec);
  auto log = results_ / "run/logs/hevc_8bit.log";
  for (int i = 0; i < 3000 && !fs::exists(log); ++i) ::usleep(10000);
  ASSERT_TRUE(fs::exists(log)) << "the encode never started";
  ::usleep(200000);
  ASSERT_FALSE(processes_mentioning(slow.path().string()).size() < 2) << "encode finished too early to interrupt";
  ::kill(bench.pid(), SIGINT);
  auto r = bench.wait();
  EXPECT_EQ(r.exit_code, 130) << r.stderr_text;
  auto out = saved();
  EXPECT_FALSE(out["complete"].get<bool>());
  EXPECT_TRUE(out["interrupted"].get<bool>());
  ASSERT_EQ(out["tests"].size(), 1u);
  EXPECT_EQ(out["tests"][0]["status"], "interrupted");
  EXPECT_TRUE(processes_mentioning(slow.path().string()).empty()) << "an ffmpeg child survived";
}

}  // namespace
}  // namespace kb
