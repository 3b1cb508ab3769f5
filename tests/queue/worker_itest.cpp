// `kubench queue work` against the real broker on loopback: sleep, exec and media workloads, a
// worker killed mid-item, time limits, drain on SIGTERM, idle exit.
#include <errno.h>
#include <gtest/gtest.h>

#include <set>

#include "queue/queue_process_support.h"

namespace kb::test {
namespace {

using nlohmann::json;

std::vector<std::string> work(const Broker& b, std::vector<std::string> extra) {
  std::vector<std::string> a = {"queue", "work", "--broker", b.address(), "-o", "json"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

TEST(WorkerItest, SleepRoundTripReportsNodePodAndExitsOnSigterm) {
  TempDir dir;
  Broker broker(dir, {"sleep", "exec"});
  Kubench worker("worker", work(broker, {"--queue", "sleep", "--slots", "2"}), dir,
                 {{"KUBENCH_NODE_NAME", "node-a"}, {"KUBENCH_POD_NAME", "pod-1"}});
  Submit a(broker.port, "sleep", {{"seconds", 0.05}});
  Submit b(broker.port, "sleep", {{"seconds", 0}});
  for (auto* s : {&a, &b}) {
    auto answer = s->answer();
    ASSERT_TRUE(answer.ok()) << answer.error;
    ASSERT_EQ(answer.status, 200) << answer.body;
    auto doc = json::parse(answer.body);
    EXPECT_EQ(doc["status"], "ok") << answer.body;
    EXPECT_EQ(doc["result"]["node"], "node-a");
    EXPECT_EQ(doc["result"]["pod"], "pod-1");
    EXPECT_EQ(doc["attempts"], 1);
  }
  EXPECT_EQ(json::parse(a.answer().body)["result"]["slept_s"], 0.05);

  // A bad payload fails the item with the reason; the worker goes on.
  Submit bad(broker.port, "sleep", {{"seconds", "soon"}});
  auto doc = bad.json();
  EXPECT_EQ(doc["status"], "failed");
  EXPECT_EQ(doc["error"]["code"], "workload_failed");
  EXPECT_NE(doc["error"]["message"].get<std::string>().find("seconds"), std::string::npos);

  worker.signal(SIGTERM);
  auto r = worker.wait();
  EXPECT_EQ(r.exit_code, 0) << worker.err();
  auto summary = json::parse(worker.out());
  EXPECT_EQ(summary["ok"], 2);
  EXPECT_EQ(summary["failed"], 1);
  EXPECT_EQ(summary["stop_reason"], "signal");
}

TEST(WorkerItest, KilledWorkerItemIsCompletedByAnotherExactlyOnce) {
  TempDir dir;
  Broker broker(dir, {"sleep", "exec"}, {"--lease-seconds", "0.5"});
  auto first = std::make_unique<Kubench>("first", work(broker, {"--queue", "sleep"}), dir,
                                         std::vector<std::pair<std::string, std::string>>{{"KUBENCH_NODE_NAME", "node-first"}});
  Submit submit(broker.port, "sleep", {{"seconds", 1.5}});
  ASSERT_TRUE(eventually([&] { return queue_stats(broker.port, "sleep")["leased"] == 1; }));
  first->signal(SIGKILL);
  first->wait();
  Kubench second("second", work(broker, {"--queue", "sleep"}), dir, {{"KUBENCH_NODE_NAME", "node-second"}});
  auto answer = submit.answer();
  ASSERT_EQ(answer.status, 200) << answer.error << answer.body;
  auto doc = json::parse(answer.body);
  EXPECT_EQ(doc["status"], "ok");
  EXPECT_EQ(doc["attempts"], 2);
  EXPECT_EQ(doc["result"]["node"], "node-second");
  auto q = queue_stats(broker.port, "sleep");
  EXPECT_EQ(q["submitted"], 1);
  EXPECT_EQ(q["completed"], 1);
  EXPECT_EQ(q["lease_expired"], 1);
  second.signal(SIGTERM);
  EXPECT_EQ(second.wait().exit_code, 0);
  auto summary = json::parse(second.out());
  EXPECT_EQ(summary["ok"], 1);
  // Its completion rode on a long poll that the drain cut: acknowledged then, or on the resend.
  EXPECT_EQ(summary["delivered"].get<int>() + summary["unacknowledged"].get<int>(), 1) << summary.dump();
  EXPECT_EQ(summary["stale"], 0);
}

TEST(WorkerItest, LongItemIsHeartbeatedPastItsLease) {
  TempDir dir;
  Broker broker(dir, {"sleep", "exec"}, {"--lease-seconds", "0.6"});
  Kubench worker("worker", work(broker, {"--queue", "sleep"}), dir);
  auto doc = Submit(broker.port, "sleep", {{"seconds", 2}}).json();
  EXPECT_EQ(doc["status"], "ok");
  EXPECT_EQ(doc["attempts"], 1);
  EXPECT_EQ(queue_stats(broker.port, "sleep")["lease_expired"], 0);
  worker.signal(SIGTERM);
  EXPECT_EQ(worker.wait().exit_code, 0);
}

TEST(WorkerItest, SigtermFinishesTheRunningItem) {
  TempDir dir;
  Broker broker(dir, {"sleep", "exec"});
  Kubench worker("worker", work(broker, {"--queue", "sleep"}), dir);
  Submit submit(broker.port, "sleep", {{"seconds", 1}});
  ASSERT_TRUE(eventually([&] { return queue_stats(broker.port, "sleep")["leased"] == 1; }));
  worker.signal(SIGTERM);
  auto doc = submit.json();
  EXPECT_EQ(doc["status"], "ok");
  EXPECT_EQ(worker.wait().exit_code, 0) << worker.err();
  // Nothing more is leased after the signal: a new item waits.
  Submit later(broker.port, "sleep", {{"seconds", 0}}, 200);
  EXPECT_EQ(later.answer().status, 504);
}

TEST(WorkerItest, SecondSigtermReleasesTheRunningItemAtOnce) {
  TempDir dir;
  Broker broker(dir, {"sleep", "exec"});  // 30 s leases: only a release can hand the item on this soon
  Kubench first("first", work(broker, {"--queue", "sleep", "-v"}), dir, {{"KUBENCH_NODE_NAME", "node-first"}});
  Submit submit(broker.port, "sleep", {{"seconds", 1}});
  ASSERT_TRUE(eventually([&] { return queue_stats(broker.port, "sleep")["leased"] == 1; }));
  first.signal(SIGTERM);
  // Signals sent back to back may merge into one: the second goes after the first was seen.
  ASSERT_TRUE(eventually([&] { return first.err().find("draining") != std::string::npos; }));
  first.signal(SIGTERM);
  EXPECT_EQ(first.wait().exit_code, 0) << first.err();
  auto summary = json::parse(first.out());
  EXPECT_EQ(summary["released"], 1) << summary.dump();
  EXPECT_EQ(queue_stats(broker.port, "sleep")["waiting"], 1);

  Kubench second("second", work(broker, {"--queue", "sleep"}), dir, {{"KUBENCH_NODE_NAME", "node-second"}});
  auto doc = submit.json();
  EXPECT_EQ(doc["status"], "ok");
  EXPECT_EQ(doc["result"]["node"], "node-second");
  EXPECT_EQ(queue_stats(broker.port, "sleep")["lease_expired"], 0);
  second.signal(SIGTERM);
  EXPECT_EQ(second.wait().exit_code, 0);
}

TEST(WorkerItest, IdleExitAndUnreachableBroker) {
  TempDir dir;
  Broker broker(dir, {"sleep", "exec"});
  Kubench idle("idle", work(broker, {"--queue", "sleep", "--idle-exit", "0"}), dir);
  auto r = idle.wait();
  EXPECT_EQ(r.exit_code, 0) << idle.err();
  EXPECT_EQ(json::parse(idle.out())["stop_reason"], "idle");

  // Nobody listens there: the worker backs off, then gives up after the idle time, exit 0.
  Kubench lost("lost", {"queue", "work", "--broker", "127.0.0.1:1", "--idle-exit", "0.5", "--backoff", "0.05", "-o", "json"}, dir);
  r = lost.wait();
  EXPECT_EQ(r.exit_code, 0) << lost.err();
  auto summary = json::parse(lost.out());
  EXPECT_GE(summary["broker_errors"].get<int>(), 1);
  EXPECT_NE(lost.err().find("retrying with backoff"), std::string::npos);

  // A queue the broker does not have is a configuration error: exit 2 with the reason.
  Kubench wrong("wrong", work(broker, {"--queue", "nosuch"}), dir);
  r = wrong.wait();
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(wrong.err().find("unknown_queue"), std::string::npos) << wrong.err();
}

TEST(WorkerItest, ExecRefusesRequestArgsUnlessAllowedAndMatching) {
  TempDir dir;
  Broker broker(dir, {"sleep", "exec"});
  {
    Kubench strict("strict", work(broker, {"--queue", "exec", "--workload", "exec", "--", "echo", "hello"}), dir);
    auto plain = Submit(broker.port, "exec", nullptr).json();
    EXPECT_EQ(plain["status"], "ok") << plain.dump();
    EXPECT_EQ(plain["result"]["stdout"], "hello\n");
    auto refused = Submit(broker.port, "exec", {{"args", {"world"}}}).json();
    EXPECT_EQ(refused["status"], "failed");
    EXPECT_NE(refused["error"]["message"].get<std::string>().find("--allow-request-args"), std::string::npos) << refused.dump();
    strict.signal(SIGTERM);
    EXPECT_EQ(strict.wait().exit_code, 0);
  }
  {
    Kubench open("open", work(broker, {"--queue", "exec", "--workload", "exec", "--allow-request-args", "--", "echo", "hello"}), dir);
    auto ok = Submit(broker.port, "exec", {{"args", {"world", "crf=23"}}}).json();
    EXPECT_EQ(ok["result"]["stdout"], "hello world crf=23\n") << ok.dump();
    auto bad = Submit(broker.port, "exec", {{"args", {"-o", "/etc/passwd"}}}).json();
    EXPECT_EQ(bad["status"], "failed");
    EXPECT_NE(bad["error"]["message"].get<std::string>().find("--arg-pattern"), std::string::npos) << bad.dump();
    open.signal(SIGTERM);
    EXPECT_EQ(open.wait().exit_code, 0);
  }
  {
    // Even with a pattern that lets anything through, arguments are argv entries, never shell text.
    auto marker = dir / "pwned";
    Kubench loose("loose", work(broker, {"--queue", "exec", "--workload", "exec", "--allow-request-args", "--arg-pattern", ".*",
                                         "--", "echo"}), dir);
    std::string injected = "$(touch " + marker.string() + ")";
    auto doc = Submit(broker.port, "exec", {{"args", {injected, ";", "touch", marker.string()}}}).json();
    EXPECT_EQ(doc["result"]["stdout"], injected + " ; touch " + marker.string() + "\n") << doc.dump();
    EXPECT_FALSE(std::filesystem::exists(marker));
    loose.signal(SIGTERM);
    EXPECT_EQ(loose.wait().exit_code, 0);
  }
}

TEST(WorkerItest, ExecTimeLimitKillsTheProcessGroup) {
  TempDir dir;
  Broker broker(dir, {"sleep", "exec"});
  // The child starts a grandchild in its group; both must be gone after the limit.
  Kubench worker("worker", work(broker, {"--queue", "exec", "--workload", "exec", "--time-limit", "1", "--kill-grace", "0.5",
                                         "--", "sh", "-c", "sleep 30 & sleep 30"}), dir);
  auto doc = Submit(broker.port, "exec", nullptr).json();
  EXPECT_EQ(doc["status"], "failed") << doc.dump();
  EXPECT_NE(doc["error"]["message"].get<std::string>().find("time limit"), std::string::npos) << doc.dump();
  EXPECT_EQ(doc["result"]["timed_out"], true);
  pid_t pgid = doc["result"]["pid"].get<pid_t>();
  ASSERT_GT(pgid, 1);
  EXPECT_TRUE(eventually([&] { return live_group_members(pgid).empty(); }, std::chrono::seconds(10)))
      << live_group_members(pgid).size() << " process(es) left in group " << pgid;
  // A failing command reports its status and stderr.
  worker.signal(SIGTERM);
  EXPECT_EQ(worker.wait().exit_code, 0);
  Kubench failing("failing", work(broker, {"--queue", "exec", "--workload", "exec", "--", "sh", "-c", "echo broken >&2; exit 3"}), dir);
  auto f = Submit(broker.port, "exec", nullptr).json();
  EXPECT_EQ(f["status"], "failed");
  EXPECT_EQ(f["result"]["retcode"], 3);
  EXPECT_NE(f["error"]["message"].get<std::string>().find("exit status 3: broken"), std::string::npos) << f.dump();
  failing.signal(SIGTERM);
  EXPECT_EQ(failing.wait().exit_code, 0);
}

TEST(WorkerItest, ExecSlotsGetDevicesFromTheGlob) {
  TempDir dir;
  Broker broker(dir, {"sleep", "exec"});
  for (auto name : {"renderD128", "renderD129"}) write_text(dir / name, "");
  Kubench worker("worker", work(broker, {"--queue", "exec", "--workload", "exec", "--slots", "2", "--device-glob",
                                         (dir.path() / "renderD*").string(), "--", "sh", "-c",
                                         "echo $KUBENCH_DEVICE; while [ ! -e " + (dir / "go").string() + " ]; do sleep 0.01; done"}), dir);
  Submit a(broker.port, "exec", nullptr), b(broker.port, "exec", nullptr);
  // Both run at once (each waits for the go file), so each has its own slot.
  ASSERT_TRUE(eventually([&] { return queue_stats(broker.port, "exec")["leased"] == 2; }));
  write_text(dir / "go", "");
  std::set<std::string> devices = {a.json()["result"]["device"], b.json()["result"]["device"]};
  EXPECT_EQ(devices, (std::set<std::string>{"renderD128", "renderD129"}));
  worker.signal(SIGTERM);
  EXPECT_EQ(worker.wait().exit_code, 0);
}

TEST(WorkerItest, MediaWorkloadTranscodesWithKubenchsRunner) {
  TempDir dir;
  auto clips = dir / "clips";
  std::filesystem::create_directories(clips);
  make_video(clips / "kubench_1080p_h264.mp4", 320, 180, 30);
  Broker broker(dir, {"sleep", "exec"}, {"--queue", "media"});
  Kubench worker("worker", work(broker, {"--queue", "media", "--workload", "media", "--accel", "cpu", "--clips", clips.string(),
                                         "--log-dir", (dir / "logs").string()}), dir, {{"KUBENCH_NODE_NAME", "gpu-node"}});
  auto doc = Submit(broker.port, "media", {{"test", "h264_1080p"}}, 300000).json();
  EXPECT_EQ(doc["status"], "ok") << doc.dump() << worker.err();
  EXPECT_EQ(doc["result"]["frames"], 30);
  EXPECT_EQ(doc["result"]["encoder"], "libx264");
  EXPECT_GT(doc["result"]["fps"].get<double>(), 0);
  EXPECT_EQ(doc["result"]["node"], "gpu-node");
  auto unknown = Submit(broker.port, "media", {{"test", "<nope>"}}).json();
  EXPECT_EQ(unknown["status"], "failed");
  auto missing = Submit(broker.port, "media", {{"test", "h264_4k"}}).json();  // no 4k clip in the directory
  EXPECT_EQ(missing["status"], "failed");
  EXPECT_NE(missing["error"]["message"].get<std::string>().find("not available"), std::string::npos) << missing.dump();
  worker.signal(SIGTERM);
  EXPECT_EQ(worker.wait().exit_code, 0);
}

}  // namespace
}  // namespace kb::test
