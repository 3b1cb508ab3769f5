// `kubench sweep run --kube` on the real test cluster: admission against a fake extended resource
// (example.com/gpu: 2, patched into the node's status), priority, why variants wait, retries and
// failure classes, a ConfigMap input and an oversized one, resume after kill -9, Ctrl-C.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/files.h"
#include "kube/client.h"
#include "support/cluster_admin.h"
#include "support/kubench_process.h"
#include "support/sweep_records.h"
#include "support/test_support.h"

namespace kb::jobs {
namespace {
using nlohmann::json;

// Each variant reports when it ran (host uptime: one clock for every pod of the node).
constexpr const char* kTimedWorkload = R"(workload:
  container:
    image: kubench.local/busybox:1
    imagePullPolicy: Never
    command: [sh, -c]
    args: ['read s _ < /proc/uptime; sleep {{ seconds }}; read e _ < /proc/uptime; echo "{\"n\": {{ n }}, \"start\": $s, \"end\": $e}"']
)";

class SweepKube : public ::testing::Test {
 protected:
  test::ClusterEnv env;
  test::TempDir dir;
  std::shared_ptr<kube::Client> admin;

  SweepKube() : admin(test::cluster_admin(env)) {}

  // The node as the other cluster tests expect it: no GPU labels, no fake GPUs.
  void TearDown() override {
    if (!gave_gpus_) return;
    json labels = json::object();
    for (const char* k : {"kubench.test/a", "kubench.test/b", "nvidia.com/gpu.product", "nvidia.com/cuda.driver.major", "nvidia.com/cuda.driver.minor",
                          "nvidia.com/cuda.driver.rev", "nvidia.com/gpu.sharing-strategy"})
      labels[k] = nullptr;
    const auto node = env["KUBENCH_CLUSTER_NODE"];
    admin->patch(kube::resources::nodes, "", node, {{"metadata", {{"labels", labels}}}}, kube::PatchType::merge);
    admin->patch(kube::resources::nodes, "", node, {{"status", {{"capacity", {{"example.com/gpu", nullptr}}}}}}, kube::PatchType::merge, false,
                 "status");
  }
  bool gave_gpus_ = false;

  // The node as two GPU classes sharing two fake GPUs.
  void give_node_two_fake_gpus() {
    gave_gpus_ = true;
    const auto node = env["KUBENCH_CLUSTER_NODE"];
    // And the labels NVIDIA's GPU feature discovery would give it, for the variants' records.
    admin->patch(kube::resources::nodes, "", node,
                 {{"metadata",
                   {{"labels",
                     {{"kubench.test/a", "yes"},
                      {"kubench.test/b", "yes"},
                      {"nvidia.com/gpu.product", "Fake-GPU-80GB"},
                      {"nvidia.com/cuda.driver.major", "550"},
                      {"nvidia.com/cuda.driver.minor", "54"},
                      {"nvidia.com/cuda.driver.rev", "15"},
                      {"nvidia.com/gpu.sharing-strategy", "time-slicing"}}}}}},
                 kube::PatchType::merge);
    admin->patch(kube::resources::nodes, "", node, {{"status", {{"capacity", {{"example.com/gpu", "2"}}}}}}, kube::PatchType::merge, false,
                 "status");
    // The kubelet copies capacity to allocatable on its next status update.
    ASSERT_TRUE(test::eventually(
        [&] { return admin->get(kube::resources::nodes, "", node)["status"]["allocatable"].value("example.com/gpu", "") == "2"; },
        std::chrono::seconds(60)));
  }

  std::filesystem::path suite(const std::string& name, const std::string& yaml) {
    auto path = dir / (name + ".yaml");
    write_file_atomic(path, yaml);
    return path;
  }

  std::vector<std::string> args(const std::vector<std::string>& extra) {
    std::vector<std::string> a = {"sweep", "run", "--kube", "--kubeconfig", env["KUBENCH_CLUSTER_ADMIN_KUBECONFIG"]};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }

  void expect_nothing_left(const std::string& run_id) {
    kube::ListOptions o;
    o.label_selector = "kubench.io/run-id=" + run_id;
    EXPECT_TRUE(admin->list(kube::resources::namespaces, "", o)["items"].empty()) << "namespace left behind";
    EXPECT_TRUE(admin->list(kube::resources::pods, "", o)["items"].empty()) << "pods left behind";
    EXPECT_TRUE(admin->list(kube::resources::jobs, "", o)["items"].empty()) << "jobs left behind";
  }
};

TEST_F(SweepKube, AdmissionNeverExceedsTheFreeGpusRunsHighPriorityFirstAndSaysWhyOthersWait) {
  give_node_two_fake_gpus();
  auto path = suite("adm", std::string(R"(schema: kubench/sweep/v1
name: adm
groups: [{match: {n: "5"}, priority: 10}]
targets:
  a: {nodeSelector: {kubench.test/a: "yes"}, resources: {limits: {example.com/gpu: 1}}}
  b: {nodeSelector: {kubench.test/b: "yes"}, resources: {limits: {example.com/gpu: 1}}}
matrix:
  n: [0, 1, 2, 3, 4, 5]
  seconds: [1]
)") + kTimedWorkload);
  auto r = test::run_kubench(args({path.string(), "--out", (dir / "out").string(), "--run-id", "t-sw-adm", "-o", "json"}), {}, 600);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  const auto recs = test::sweep_records(dir / "out");
  ASSERT_EQ(recs.size(), 12u);
  // Never more than 2 at once: at every start, count the variants running then.
  int most = 0;
  for (const auto& x : recs) {
    const double t = x["result"]["start"].get<double>();
    int running = 0;
    for (const auto& y : recs) running += y["result"]["start"].get<double>() <= t && t < y["result"]["end"].get<double>();
    most = std::max(most, running);
  }
  EXPECT_LE(most, 2);
  EXPECT_EQ(most, 2) << "the two fake GPUs should both be used";
  // n=5 (priority 10) on both targets ran before every other variant.
  double latest_high = 0, earliest_other = 1e18;
  int waited = 0;
  for (const auto& x : recs) {
    EXPECT_EQ(x["status"], "succeeded") << x.dump();
    EXPECT_EQ(x["node"], env["KUBENCH_CLUSTER_NODE"]);
    EXPECT_EQ(x["gpu_product"], "Fake-GPU-80GB");
    EXPECT_EQ(x["gpu_driver"], "550.54.15");
    EXPECT_EQ(x["sharing"], "time-slicing");
    const double start = x["result"]["start"].get<double>();
    if (x["params"]["n"] == "5") latest_high = std::max(latest_high, start);
    else earliest_other = std::min(earliest_other, start);
    const auto why = x["wait_reason"].get<std::string>();
    if (!why.empty()) {
      ++waited;
      EXPECT_TRUE(why == "target a: 0 of 2 example.com/gpu free" || why == "target b: 0 of 2 example.com/gpu free") << why;
    }
  }
  EXPECT_LE(latest_high, earliest_other);
  EXPECT_GE(waited, 10) << "all but the first two waited for a GPU";
  const auto summary = json::parse(r.stdout_text);
  EXPECT_EQ(summary["schema"], "kubench/sweep-result/v1");
  EXPECT_EQ(summary["counts"]["succeeded"], 12);
  EXPECT_TRUE(std::filesystem::exists(dir / "out" / "results.csv"));
  expect_nothing_left("t-sw-adm");
}

TEST_F(SweepKube, RetriesWhatARetryCanFixExactlyNTimesAndClassifiesTheRest) {
  auto path = suite("classes", R"(schema: kubench/sweep/v1
defaults: {retries: 2}
targets:
  small: {resources: {limits: {memory: 32Mi}}}
matrix:
  case: [ok, fail, oom, silent]
workload:
  container:
    image: kubench.local/busybox:1
    imagePullPolicy: Never
    command: [sh, -c]
    args:
      - |
        case {{ case }} in
          ok) echo '{"ok": 1}' ;;
          fail) echo "attempt failing"; exit 3 ;;
          oom) echo eating; tail /dev/zero ;;
          silent) echo "no json here"; echo "last words" ;;
        esac
)");
  auto r = test::run_kubench(args({path.string(), "--out", (dir / "out").string(), "--run-id", "t-sw-cls"}), {}, 600);
  EXPECT_EQ(r.exit_code, 1) << r.stderr_text;
  const auto recs = test::sweep_records(dir / "out");
  ASSERT_EQ(recs.size(), 4u);
  EXPECT_EQ(recs[0]["status"], "succeeded");
  EXPECT_EQ(recs[0]["metrics"]["ok"], 1);
  EXPECT_EQ(recs[1]["failure_class"], "container-failed");
  EXPECT_EQ(recs[1]["attempts"], 3);  // the first and 2 retries
  EXPECT_EQ(recs[1]["message"], "the workload container exited 3: attempt failing");
  EXPECT_EQ(recs[2]["failure_class"], "oom-killed");
  EXPECT_EQ(recs[2]["attempts"], 1);  // the same limit would kill it again
  EXPECT_EQ(recs[3]["failure_class"], "no-results");
  EXPECT_EQ(recs[3]["attempts"], 1);
  EXPECT_NE(recs[3]["message"].get<std::string>().find("finished without results"), std::string::npos);
  EXPECT_EQ(recs[3]["log"].back(), "last words");
  EXPECT_NE(r.stderr_text.find("case=fail@small: attempt 2 failed (container-failed"), std::string::npos) << r.stderr_text;
  expect_nothing_left("t-sw-cls");
}

TEST_F(SweepKube, ReadsAConfigMapInputAndRefusesAnOversizedOneBeforeCreatingAnything) {
  write_file_atomic(dir / "greeting.txt", "hello from the laptop");
  auto path = suite("inputs", R"(schema: kubench/sweep/v1
inputs: {files: [greeting.txt]}
network: none
targets: {any: {}}
workload:
  container:
    image: kubench.local/busybox:1
    imagePullPolicy: Never
    command: [sh, -c, 'echo "{\"words\": $(wc -w < /inputs/greeting.txt)}"']
)");
  auto r = test::run_kubench(args({path.string(), "--out", (dir / "out").string(), "--run-id", "t-sw-in"}), {}, 600);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(test::sweep_records(dir / "out")[0]["metrics"]["words"], 4);
  expect_nothing_left("t-sw-in");

  write_file_atomic(dir / "greeting.txt", std::string(1100 * 1024, 'x'));
  r = test::run_kubench(args({path.string(), "--out", (dir / "big").string(), "--run-id", "t-sw-big"}), {}, 600);
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("1.07 MiB in 1 file is more than a ConfigMap holds (1 MiB); put them on a volume"), std::string::npos)
      << r.stderr_text;
  EXPECT_FALSE(std::filesystem::exists(dir / "big")) << "nothing written either";
  expect_nothing_left("t-sw-big");
}

TEST_F(SweepKube, ResumesAfterKill9WithoutRunningAFinishedVariantTwice) {
  auto path = suite("resume", std::string(R"(schema: kubench/sweep/v1
targets: {any: {}}
matrix:
  n: [0, 1, 2, 3, 4, 5]
  seconds: [2]
)") + kTimedWorkload);
  const auto out = dir / "out";
  std::map<std::string, std::string> before;
  {
    test::Kubench child("sweep", args({path.string(), "--out", out.string(), "--run-id", "t-sw-res", "--max-parallel", "2"}), dir);
    ASSERT_TRUE(test::eventually(
        [&] {
          std::error_code ec;
          if (!std::filesystem::is_directory(out / "variants", ec)) return false;
          int n = 0;
          for (const auto& e : std::filesystem::directory_iterator(out / "variants")) n += e.path().extension() == ".json";
          return n >= 2;
        },
        std::chrono::seconds(180)))
        << child.err();
    child.signal(SIGKILL);
    child.wait();
  }
  for (const auto& e : std::filesystem::directory_iterator(out / "variants")) before[e.path().filename()] = read_file(e.path());
  ASSERT_GE(before.size(), 2u);
  ASSERT_LT(before.size(), 6u) << "killed too late to test anything";

  auto r = test::run_kubench(args({"--resume", out.string(), "--run-id", "t-sw-res2"}), {}, 600);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("left by an earlier run of this sweep"), std::string::npos) << r.stderr_text;
  for (const auto& [name, text] : before) EXPECT_EQ(read_file(out / "variants" / name), text) << name << " was run again";
  const auto recs = test::sweep_records(out);
  ASSERT_EQ(recs.size(), 6u);
  for (const auto& x : recs) {
    EXPECT_EQ(x["status"], "succeeded");
    const bool ran_now = r.stderr_text.find(x["id"].get<std::string>() + ": succeeded") != std::string::npos;
    EXPECT_NE(ran_now, before.count("000" + std::to_string(x["index"].get<int>()) + ".json") == 1) << x["id"];
  }
  const auto summary = json::parse(read_file(out / "sweep.json"));
  EXPECT_EQ(summary["counts"]["succeeded"], 6);
  // Every variant has a result now: a third run has nothing to do.
  r = test::run_kubench(args({"--resume", out.string()}), {}, 600);
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("every variant has a result"), std::string::npos) << r.stderr_text;
  expect_nothing_left("t-sw-res2");
  EXPECT_TRUE(test::eventually([&] { return admin->get_if_exists(kube::resources::namespaces, "", "kubench-sweep-t-sw-res") == std::nullopt; },
                               std::chrono::seconds(120)))
      << "the killed run's namespace was not deleted";
}

TEST_F(SweepKube, CtrlCDeletesEverythingAndExits130) {
  auto path = suite("int", std::string(R"(schema: kubench/sweep/v1
targets: {any: {}}
matrix:
  n: [0, 1, 2]
  seconds: [60]
)") + kTimedWorkload);
  test::Kubench child("sweep", args({path.string(), "--out", (dir / "out").string(), "--run-id", "t-sw-int"}), dir);
  kube::ListOptions o;
  o.label_selector = "kubench.io/run-id=t-sw-int";
  ASSERT_TRUE(test::eventually(
      [&] {
        const auto pods = admin->list(kube::resources::pods, "", o);
        for (const auto& p : pods["items"])
          if (p["status"].value("phase", "") == "Running") return true;
        return false;
      },
      std::chrono::seconds(120)))
      << child.err();
  child.signal(SIGINT);
  EXPECT_EQ(child.wait().exit_code, 130) << child.err();
  EXPECT_NE(child.err().find("Namespace kubench-sweep-t-sw-int deleted"), std::string::npos) << child.err();
  EXPECT_NE(child.err().find("--resume"), std::string::npos) << child.err();
  expect_nothing_left("t-sw-int");
}

TEST_F(SweepKube, AnUnreachableContextFailsItsVariantsAndTheRestRun) {
  // The admin kubeconfig plus a context whose server refuses connections.
  auto config = read_file(env["KUBENCH_CLUSTER_ADMIN_KUBECONFIG"]);
  config.replace(config.find("clusters:\n") + 10, 0, "- name: dead\n  cluster:\n    server: https://127.0.0.1:1\n");
  config.replace(config.find("contexts:\n") + 10, 0, "- name: dead\n  context:\n    cluster: dead\n    user: kubench-admin\n");
  write_file_atomic(dir / "two.kubeconfig", config);
  auto path = suite("two", R"(schema: kubench/sweep/v1
targets:
  here: {}
  away: {context: dead}
matrix: {n: [0, 1]}
workload:
  container: {image: kubench.local/busybox:1, imagePullPolicy: Never, command: [sh, -c, 'echo "{\"n\": {{ n }}}"']}
)");
  auto r = test::run_kubench({"sweep", "run", "--kube", "--kubeconfig", (dir / "two.kubeconfig").string(), path.string(), "--out",
                              (dir / "out").string(), "--run-id", "t-sw-two"},
                             {}, 600);
  EXPECT_EQ(r.exit_code, 1) << r.stderr_text;
  const auto recs = test::sweep_records(dir / "out");
  ASSERT_EQ(recs.size(), 4u) << r.stderr_text;
  for (const auto& x : recs) {
    if (x["target"] == "here") {
      EXPECT_EQ(x["status"], "succeeded") << x.dump();
    } else {
      EXPECT_EQ(x["failure_class"], "unreachable") << x.dump();
      EXPECT_EQ(x["context"], "dead");
      EXPECT_NE(x["message"].get<std::string>().find("context dead is unreachable"), std::string::npos) << x.dump();
    }
  }
  expect_nothing_left("t-sw-two");
}

TEST_F(SweepKube, ATargetNoNodeSatisfiesIsAnErrorBeforeAnythingIsCreated) {
  auto path = suite("nogpu", R"(schema: kubench/sweep/v1
targets: {h100: {nodeSelector: {nvidia.com/gpu.product: H100}, resources: {limits: {nvidia.com/gpu: 1}}}}
workload: {container: {image: kubench.local/busybox:1}}
)");
  auto r = test::run_kubench(args({path.string(), "--out", (dir / "out").string(), "--run-id", "t-sw-none"}), {}, 120);
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("target h100 (the current context): no node can run it (" + env["KUBENCH_CLUSTER_NODE"] +
                               ": no label nvidia.com/gpu.product)"),
            std::string::npos)
      << r.stderr_text;
  EXPECT_FALSE(std::filesystem::exists(dir / "out"));
  expect_nothing_left("t-sw-none");
  // A PriorityClass the cluster does not have.
  path = suite("noclass", R"(schema: kubench/sweep/v1
defaults: {priorityClassName: no-such-class}
targets: {any: {}}
workload: {container: {image: kubench.local/busybox:1}}
)");
  r = test::run_kubench(args({path.string(), "--out", (dir / "out").string(), "--run-id", "t-sw-none"}), {}, 120);
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("priorityClassName no-such-class: the cluster has no such PriorityClass"), std::string::npos) << r.stderr_text;
  EXPECT_FALSE(std::filesystem::exists(dir / "out"));
}

}  // namespace
}  // namespace kb::jobs
