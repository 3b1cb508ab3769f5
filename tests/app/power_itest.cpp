// `kubench power`, the power sidecar, end to end with the built binary and a fake RAPL sysfs tree
// (the test machines' own RAPL is root-only or absent). Waits are for conditions, each bounded
// only so that a broken sidecar fails the test instead of hanging the suite.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/files.h"
#include "core/process.h"
#include "media/result_frame.h"
#include "support/test_support.h"

namespace kb {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

constexpr auto kBound = std::chrono::seconds(60);

// Polls `condition` until it holds or kBound passes.
template <class Condition>
bool eventually(Condition condition) {
  auto give_up = std::chrono::steady_clock::now() + kBound;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

std::string read_or_empty(const fs::path& path) {
  std::error_code ec;
  return fs::exists(path, ec) ? read_file(path) : "";
}

// The sidecar running in the background; stderr goes to a file so the test can see it log
// "sampling power" before it moves the benchmark along.
class Sidecar {
 public:
  Sidecar(const test::TempDir& dir, std::vector<std::string> args) : stderr_path_(dir / "sidecar.stderr") {
    ProcessSpec spec;
    spec.argv = {test::kubench_binary().string(), "power"};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.stdout_mode = OutputMode::capture;
    spec.stderr_mode = OutputMode::file;
    spec.stderr_path = stderr_path_;
    spec.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(kBound);
    child_ = std::make_unique<ChildProcess>(spec);
  }
  std::string log() const { return read_or_empty(stderr_path_); }
  bool sampling() const {
    return eventually([&] { return log().find("sampling power") != std::string::npos; });
  }
  void terminate() { ::kill(child_->pid(), SIGTERM); }  // as the kubelet does: the process, not its group
  ProcessResult wait() {
    auto r = child_->wait();
    r.stderr_text = log();
    return r;
  }

 private:
  fs::path stderr_path_;
  std::unique_ptr<ChildProcess> child_;
};

class PowerSidecarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    zone_ = dir_ / "sys/class/powercap/intel-rapl:0";
    fs::create_directories(zone_);
    test::write_text(zone_ / "name", "package-0\n");
    test::write_text(zone_ / "energy_uj", "1000000\n");
    test::write_text(zone_ / "max_energy_range_uj", "262143328850\n");
  }
  std::vector<std::string> args(std::vector<std::string> extra) {
    std::vector<std::string> a = {"--accel", "cpu", "--sysfs-root", (dir_ / "sys").string(), "--termination-log",
                                  termination_.string()};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  // The package counter grows by 4 J while the sidecar samples.
  void burn_energy() { test::write_text(zone_ / "energy_uj", "5000000\n"); }
  // What the sidecar printed; the termination log holds the same document, compact.
  json document(const ProcessResult& r) {
    auto doc = json::parse(r.stdout_text);
    EXPECT_EQ(doc["schema"], "kubench/power/v1");
    EXPECT_EQ(doc["backend"], "cpu");
    EXPECT_FALSE(doc["stopped_at"].get<std::string>().empty());
    auto compact = read_or_empty(termination_);
    EXPECT_EQ(compact, doc.dump());
    EXPECT_LE(compact.size(), media::kTerminationMessageLimit);
    return doc;
  }
  static void expect_measured(const json& reading) {
    ASSERT_FALSE(reading["avg_watts"].is_null()) << reading["null_reason"];
    EXPECT_GT(reading["avg_watts"].get<double>(), 0);
    EXPECT_DOUBLE_EQ(reading["energy_joules"].get<double>(), 4.0);
    EXPECT_GT(reading["samples"].get<int>(), 0);
    EXPECT_EQ(reading["domain"], "package");
    EXPECT_EQ(reading["source"], "rapl");
  }

  test::TempDir dir_;
  fs::path zone_;
  fs::path termination_ = dir_ / "termination-log";
  fs::path start_ = dir_ / "started";
  fs::path stop_ = dir_ / "stopped";
};

TEST_F(PowerSidecarTest, FilesModeSamplesFromStartFileToStopFile) {
  Sidecar sidecar(dir_, args({"--start-file", start_.string(), "--stop-file", stop_.string()}));
  test::write_text(start_, "");
  ASSERT_TRUE(sidecar.sampling()) << sidecar.log();
  burn_energy();
  test::write_text(stop_, "");
  auto r = sidecar.wait();
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  auto doc = document(r);
  EXPECT_EQ(doc["stopped_by"], "stop-file");
  EXPECT_TRUE(doc["device"].is_null());
  EXPECT_TRUE(doc["started_at"].is_string());
  expect_measured(doc["reading"]);
  // One line when sampling starts (which sensors), one when it stops (the figure).
  EXPECT_NE(r.stderr_text.find("sampling power for --accel cpu: rapl"), std::string::npos) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("stopped sampling (stop-file)"), std::string::npos) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find(" W package (rapl"), std::string::npos) << r.stderr_text;
}

TEST_F(PowerSidecarTest, StopFileBeforeStartFileMeansTheBenchmarkNeverStarted) {
  test::write_text(stop_, "");
  auto r = test::run_kubench({"power", "--accel", "cpu", "--sysfs-root", (dir_ / "sys").string(), "--start-file",
                              start_.string(), "--stop-file", stop_.string(), "--termination-log", termination_.string()},
                             {{"KUBENCH_NODE_NAME", "node-3"}}, 60);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  auto doc = document(r);
  EXPECT_EQ(doc["node"], "node-3");
  EXPECT_EQ(doc["stopped_by"], "never-started");
  EXPECT_TRUE(doc["started_at"].is_null());
  EXPECT_TRUE(doc["reading"]["avg_watts"].is_null());
  EXPECT_EQ(doc["reading"]["null_reason"], "the benchmark never started");
  EXPECT_EQ(doc["reading"]["samples"], 0);
  EXPECT_EQ(r.stderr_text.find("sampling power"), std::string::npos) << r.stderr_text;
}

TEST_F(PowerSidecarTest, SigtermEndsANativeSidecarWithItsDocument) {
  Sidecar sidecar(dir_, args({"-o", "json"}));
  ASSERT_TRUE(sidecar.sampling()) << sidecar.log();
  burn_energy();
  sidecar.terminate();
  auto r = sidecar.wait();
  ASSERT_EQ(r.signal, 0) << r.describe();
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;  // being stopped is a sidecar's normal end, not 130
  auto doc = document(r);
  EXPECT_EQ(doc["stopped_by"], "signal");
  expect_measured(doc["reading"]);
}

TEST_F(PowerSidecarTest, SigtermWhileWaitingForTheStartHandsOverAnEmptyReading) {
  Sidecar sidecar(dir_, args({"--start-file", start_.string(), "--stop-file", stop_.string(), "-v", "-v"}));
  // At -v -v the wait itself is logged: the sidecar is past its start-up and waiting.
  ASSERT_TRUE(eventually([&] { return sidecar.log().find("waiting for") != std::string::npos; })) << sidecar.log();
  sidecar.terminate();
  auto r = sidecar.wait();
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  auto doc = document(r);
  EXPECT_EQ(doc["stopped_by"], "signal");
  EXPECT_TRUE(doc["reading"]["avg_watts"].is_null());
  EXPECT_EQ(doc["reading"]["null_reason"], "stopped by a signal before the benchmark started");
}

TEST_F(PowerSidecarTest, MaxSecondsIsTheSafetyBound) {
  auto r = test::run_kubench({"power", "--accel", "cpu", "--sysfs-root", (dir_ / "sys").string(), "--max-seconds", "1",
                              "--termination-log", termination_.string()},
                             {}, 60);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  auto doc = document(r);
  EXPECT_EQ(doc["stopped_by"], "max-seconds");
  EXPECT_EQ(doc["reading"]["source"], "rapl");
  EXPECT_GT(doc["reading"]["samples"].get<int>(), 0);
}

TEST_F(PowerSidecarTest, NoReadableSensorIsANullReadingWithTheReason) {
  test::TempDir empty;
  auto r = test::run_kubench({"power", "--accel", "cpu", "--sysfs-root", empty.path().string(), "--max-seconds", "0.2",
                              "--termination-log", termination_.string()},
                             {}, 60);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  auto doc = document(r);
  EXPECT_TRUE(doc["reading"]["avg_watts"].is_null());
  EXPECT_NE(doc["reading"]["null_reason"].get<std::string>().find("rapl"), std::string::npos) << doc.dump();
  EXPECT_NE(r.stderr_text.find("no figure: rapl"), std::string::npos) << r.stderr_text;
}

TEST_F(PowerSidecarTest, ALongReasonIsCutToFitTheTerminationMessage) {
  // nvidia-smi "installed" at a 6000-character path: its not-installed reason alone is over 4 KiB.
  std::string tool = "/nonexistent/" + std::string(6000, 'x') + "/nvidia-smi";
  auto r = test::run_kubench({"power", "--accel", "nvenc", "--sysfs-root", (dir_ / "nosys").string(), "--nvidia-smi",
                              tool, "--max-seconds", "0.2", "--termination-log", termination_.string()},
                             {}, 60);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  auto printed = json::parse(r.stdout_text);
  EXPECT_NE(printed["reading"]["null_reason"].get<std::string>().find(tool), std::string::npos);  // stdout: whole
  auto compact = read_file(termination_);
  EXPECT_LE(compact.size(), media::kTerminationMessageLimit);
  auto cut = json::parse(compact);
  auto reason = cut["reading"]["null_reason"].get<std::string>();
  EXPECT_EQ(reason.substr(reason.size() - 3), "\u2026");
  EXPECT_EQ(printed["reading"]["null_reason"].get<std::string>().rfind(reason.substr(0, reason.size() - 3), 0), 0u);
  cut["reading"].erase("null_reason");
  printed["reading"].erase("null_reason");
  EXPECT_EQ(cut, printed);
}

TEST_F(PowerSidecarTest, TableOutput) {
  auto r = test::run_kubench({"power", "--accel", "cpu", "--sysfs-root", (dir_ / "sys").string(), "--max-seconds", "0.2",
                              "-o", "table"},
                             {}, 60);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_NE(r.stdout_text.find("stopped_by        max-seconds"), std::string::npos) << r.stdout_text;
  EXPECT_FALSE(fs::exists(termination_));  // no --termination-log: none written
}

TEST(PowerSidecarFlags, BadFlagsAreOneLineUsageErrors) {
  for (auto args : std::vector<std::vector<std::string>>{{"power", "--accel", "bogus"},
                                                         {"power"},
                                                         {"power", "--accel", "cpu", "--max-seconds", "-1"},
                                                         {"power", "--accel", "cpu", "-o", "yaml"}}) {
    SCOPED_TRACE(args.size() > 2 ? args[2] + " " + args.back() : "no --accel");
    auto r = test::run_kubench(args, {}, 60);
    EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
    EXPECT_EQ(std::count(r.stderr_text.begin(), r.stderr_text.end(), '\n'), 1) << r.stderr_text;
    EXPECT_TRUE(r.stdout_text.empty());
  }
  auto r = test::run_kubench({"power", "--accel", "bogus"}, {}, 60);
  EXPECT_NE(r.stderr_text.find("unknown --accel 'bogus': use qsv, vaapi, nvenc, amf or cpu"), std::string::npos);
}

TEST(PowerSidecarFlags, HelpHasAnExample) {
  auto r = test::run_kubench({"power", "--help"}, {}, 60);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.stdout_text.find("Examples:\n  kubench power --accel"), std::string::npos) << r.stdout_text;
  EXPECT_EQ(r.stdout_text.find("--sysfs-root"), std::string::npos) << "test flags stay hidden";
}

}  // namespace
}  // namespace kb
