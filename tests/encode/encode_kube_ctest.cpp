// `kubench encode --kube` on the real test cluster (one node: this machine) with the offline image
// and the clip on a hostPath volume: workers on the node give the very output a local encode gives,
// frame for frame; a worker killed mid-part and a broker restarted mid-run both end in a complete,
// verified output; not-a-video is exit 2 from the prepare pod; Ctrl-C leaves nothing but the work
// directory. Every case checks that no object of the run is left.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <thread>

#include "core/files.h"
#include "core/process.h"
#include "support/cluster_admin.h"
#include "support/cut_video.h"
#include "support/kubench_process.h"
#include "support/test_support.h"

namespace kb::test {
namespace {
using nlohmann::json;

constexpr const char* kImage = "kubench.local/kubench:test";
const std::vector<Segment> kScenes = {{"testsrc2", 30, ""}, {"smptebars", 45, ""}, {"mandelbrot", 45, ""}, {"rgbtestsrc", 30, ""}};

std::vector<std::string> frame_hashes(const std::filesystem::path& video) {
  ProcessSpec spec;
  spec.argv = {"ffmpeg", "-v", "error", "-i", video.string(), "-map", "0:v:0", "-f", "framemd5", "-hash", "md5", "-"};
  auto r = run_process(spec);
  EXPECT_TRUE(r.ok()) << r.stderr_text;
  std::vector<std::string> hashes;
  std::istringstream lines(r.stdout_text);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && line[0] != '#') hashes.push_back(line.substr(line.rfind(',') + 1));
  return hashes;
}

// The pid of a process on this machine (the test cluster's node) whose command line holds every
// one of `parts`, or -1.
int pid_of(const std::vector<std::string>& parts) {
  for (auto& entry : std::filesystem::directory_iterator("/proc")) {
    const auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline;
    try {
      cmdline = read_file(entry.path() / "cmdline");
    } catch (const std::exception&) {
      continue;  // the process ended while we looked
    }
    for (auto& c : cmdline)
      if (c == '\0') c = ' ';
    bool all = !cmdline.empty();
    for (auto& p : parts) all = all && cmdline.find(p) != std::string::npos;
    if (all) return std::stoi(name);
  }
  return -1;
}

// The `kubench queue work` process of the worker pod (the cases run one at a time).
int worker_pid() { return pid_of({"kubench queue work", "--queue encode"}); }

class EncodeKube : public ::testing::Test {
 protected:
  static inline ClusterEnv* env = nullptr;
  TempDir dir;  // the hostPath volume: the test cluster's only node is this machine
  std::shared_ptr<kube::Client> admin;

  // The capability matrix once for every case (the ConfigMap cache `encode --kube` reads).
  static void SetUpTestSuite() {
    env = new ClusterEnv;
    auto r = run_kubench({"nodes", "probe", "--kubeconfig", (*env)["KUBENCH_CLUSTER_ADMIN_KUBECONFIG"], "-n", "default", "--image", kImage,
                          "--image-pull-policy", "Never", "--encoders", "libx264", "--probe-seconds", "0.5", "--no-4k", "-q"},
                         {}, 400);
    ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  }
  static void TearDownTestSuite() {
    cluster_admin(*env)->remove(kube::resources::config_maps, "default", "kubench-capabilities");
    delete env;
  }

  EncodeKube() : admin(cluster_admin(*env)) {
    make_cut_clip(dir / "src.mp4", kScenes, "25");
    ::chmod(dir.path().c_str(), 0777);
  }

  std::vector<std::string> args(const std::string& run_id, std::vector<std::string> extra) {
    std::vector<std::string> a = {"encode", "--kube", "--kubeconfig", (*env)["KUBENCH_CLUSTER_ADMIN_KUBECONFIG"], "-n", "default",
                                  "--image", kImage, "--image-pull-policy", "Never", "--run-id", run_id,
                                  "--volume", "hostpath:" + dir.path().string(), "--accel", "cpu", "--preset", "veryfast",
                                  "--threads-per-part", "1", "--cpu-per-part", "0.1", "--max-workers-per-node", "3",
                                  "--max-part", "2", "--audio", "copy"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }

  void expect_nothing_left(const std::string& run_id) {
    kube::ListOptions o;
    o.label_selector = "kubench.io/run-id=" + run_id;
    EXPECT_TRUE(admin->list(kube::resources::jobs, "default", o)["items"].empty()) << "Jobs left behind";
    EXPECT_TRUE(admin->list(kube::resources::deployments, "default", o)["items"].empty()) << "Deployments left behind";
    EXPECT_TRUE(admin->list(kube::resources::services, "default", o)["items"].empty()) << "Services left behind";
    EXPECT_TRUE(admin->list(kube::resources::secrets, "default", o)["items"].empty()) << "Secrets left behind";
    EXPECT_TRUE(admin->list(kube::resources::pods, "default", o)["items"].empty()) << "pods left behind";
  }

  // The same encode on this machine.
  std::vector<std::string> local_hashes() {
    auto r = run_kubench({"encode", (dir / "src.mp4").string(), (dir / "local.mkv").string(), "--accel", "cpu", "--preset", "veryfast",
                          "--threads-per-part", "1", "--max-part", "2", "--jobs", "2", "-q"});
    EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
    return frame_hashes(dir / "local.mkv");
  }

  // A script on the volume that makes every part take 8 s longer (time to break things mid-part);
  // the image has no shell, so Debian's static busybox comes along.
  std::string slow_ffmpeg() {
    std::filesystem::copy_file("/bin/busybox", dir / "busybox");
    write_text(dir / "slow-ffmpeg.sh", "#!/data/busybox sh\ncase \"$*\" in *parts/*) /data/busybox sleep 8 ;; esac\nexec ffmpeg \"$@\"\n");
    ::chmod((dir / "slow-ffmpeg.sh").c_str(), 0755);
    return "/data/slow-ffmpeg.sh";
  }
};

TEST_F(EncodeKube, ThreeWorkersOnTheNodeGiveTheLocalOutputFrameForFrame) {
  auto r = run_kubench(args("t-enc", {"src.mp4", "out.mkv", "-o", "json"}), {}, 400);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  auto report = json::parse(r.stdout_text);
  EXPECT_EQ(report["verification"]["frames"], 150);
  // Copied audio, every sample, placed within Matroska's millisecond.
  EXPECT_LE(std::abs(report["verification"]["audio_samples"].get<long>() - report["verification"]["source_audio_samples"].get<long>()), 48);
  ASSERT_EQ(report["workers"].size(), 1u);
  EXPECT_EQ(report["workers"][0]["slots"], 3) << report.dump();
  EXPECT_EQ(report["workers"][0]["encoder"], "libx264");
  const auto node = admin->list(kube::resources::nodes, "")["items"][0]["metadata"]["name"].get<std::string>();
  for (auto& p : report["parts"]) {
    EXPECT_EQ(p["node"], node) << "a part records the node it was made on, not its pod";
    EXPECT_FALSE(p["reused"].get<bool>());
  }
  // Scenes of 30, 45, 45 and 30 frames, none packable into 2 s with the next: a part each.
  ASSERT_EQ(report["parts"].size(), 4u);
  EXPECT_EQ(report["parts"][1]["first"], 30);
  EXPECT_EQ(report["parts"][3]["first"], 120);
  EXPECT_EQ(frame_hashes(dir / "out.mkv"), local_hashes());
  EXPECT_FALSE(std::filesystem::exists(dir / "out.mkv.kubench-work")) << "the work directory goes after success";
  expect_nothing_left("t-enc");
}

TEST_F(EncodeKube, AWorkerKilledMidPartAndARestartedBrokerEndInAVerifiedOutput) {
  Kubench child("encode-kill", args("t-enc-kill", {"src.mp4", "out.mkv", "--ffmpeg", slow_ffmpeg(), "--lease-seconds", "4", "-o", "json"}), dir);
  // Once a worker holds parts (their encoders sleep in front of ffmpeg), SIGKILL the worker
  // process: its container restarts, the broker gives the parts to the next lease.
  ASSERT_TRUE(eventually([&] { return pid_of({"/data/busybox sleep 8"}) > 0; }, std::chrono::seconds(200))) << child.err();
  const int pid = worker_pid();
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  // Once the restarted worker encodes again, delete the broker's pod: its Deployment starts
  // another, kubench submits again what was lost and points the workers at the new broker.
  ASSERT_TRUE(eventually([&] { return worker_pid() > 0 && worker_pid() != pid && pid_of({"/data/busybox sleep 8"}) > 0; },
                         std::chrono::seconds(120)))
      << child.err();
  kube::ListOptions o;
  o.label_selector = "kubench.io/run-id=t-enc-kill,app.kubernetes.io/component=encode-broker";
  auto brokers = admin->list(kube::resources::pods, "default", o);
  ASSERT_EQ(brokers["items"].size(), 1u);
  admin->remove(kube::resources::pods, "default", brokers["items"][0]["metadata"]["name"].get<std::string>());
  auto r = child.wait();
  ASSERT_EQ(r.exit_code, 0) << child.err();
  auto report = json::parse(child.out());
  EXPECT_EQ(report["verification"]["frames"], 150);
  EXPECT_NE(child.err().find("workers follow it"), std::string::npos) << child.err();
  EXPECT_EQ(frame_hashes(dir / "out.mkv"), local_hashes());
  expect_nothing_left("t-enc-kill");
}

TEST_F(EncodeKube, DryRunPlansOnTheClusterAndShowsTheRouteWritingNothing) {
  auto r = run_kubench(args("t-enc-dry", {"src.mp4", "out.mkv", "--dry-run", "-q"}), {}, 300);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_NE(r.stdout_text.find("plan for /data/out.mkv: 4 parts, libx264"), std::string::npos) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find(": libx264 × 3"), std::string::npos) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("capped at 3 (--max-workers-per-node)"), std::string::npos) << r.stdout_text;
  EXPECT_FALSE(std::filesystem::exists(dir / "out.mkv.kubench-work"));
  expect_nothing_left("t-enc-dry");
}

TEST_F(EncodeKube, NotAVideoIsExitTwoFromThePreparePod) {
  write_text(dir / "notes.mp4", "not a video\n");
  auto r = run_kubench(args("t-enc-bad", {"notes.mp4", "out.mkv", "-q"}), {}, 300);
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("the prepare pod: /data/notes.mp4: not a readable video"), std::string::npos) << r.stderr_text;
  EXPECT_FALSE(std::filesystem::exists(dir / "out.mkv"));
  EXPECT_FALSE(std::filesystem::exists(dir / "out.mkv.kubench-work")) << "bad input leaves nothing";
  // A path outside the volume, before anything is created.
  r = run_kubench(args("t-enc-abs", {"/etc/passwd", "out.mkv"}), {}, 120);
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("must be a path relative to the volume"), std::string::npos) << r.stderr_text;
  expect_nothing_left("t-enc-bad");
  expect_nothing_left("t-enc-abs");
}

TEST_F(EncodeKube, CtrlCRemovesTheWorkersAndTheBrokerAndKeepsTheWork) {
  Kubench child("encode-int", args("t-enc-int", {"src.mp4", "out.mkv", "--ffmpeg", slow_ffmpeg()}), dir);
  ASSERT_TRUE(eventually([&] { return worker_pid() > 0 && std::filesystem::exists(dir / "out.mkv.kubench-work" / "plan.json"); },
                         std::chrono::seconds(200)))
      << child.err();
  child.signal(SIGINT);
  EXPECT_EQ(child.wait().exit_code, 130) << child.err();
  EXPECT_FALSE(std::filesystem::exists(dir / "out.mkv"));
  EXPECT_TRUE(std::filesystem::exists(dir / "out.mkv.kubench-work" / "plan.json")) << "the work directory is kept for a rerun";
  expect_nothing_left("t-enc-int");
}

}  // namespace
}  // namespace kb::test
