// `kubench run --kube` on the real test cluster with the offline image (scripts/build-image.sh,
// imported by the k8s_image fixture): results, failure classes, Ctrl-C, cleanup, fan-out.
#include <gtest/gtest.h>

#include "core/files.h"
#include "kube/client.h"
#include "support/cluster_admin.h"
#include "support/kubench_process.h"
#include "support/test_support.h"

namespace kb::jobs {
namespace {
using nlohmann::json;

constexpr const char* kImage = "kubench.local/kubench:test";

class RunKube : public ::testing::Test {
 protected:
  test::ClusterEnv env;
  test::TempDir dir;
  std::shared_ptr<kube::Client> admin;

  RunKube() : admin(test::cluster_admin(env)) {}

  std::vector<std::string> run_args(const std::string& run_id, std::vector<std::string> extra) {
    std::vector<std::string> args = {"run", "--kube", "--kubeconfig", env["KUBENCH_CLUSTER_ADMIN_KUBECONFIG"], "--image", kImage,
                                     "--image-pull-policy", "Never", "--run-id", run_id, "--results-dir", (dir / "results").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  // Every object of a run carries its run-id label; none may be left.
  void expect_nothing_left(const std::string& run_id) {
    EXPECT_FALSE(admin->get_if_exists(kube::resources::namespaces, "", "kubench-" + run_id)) << "namespace left behind";
    kube::ListOptions o;
    o.label_selector = "kubench.io/run-id=" + run_id;
    EXPECT_TRUE(admin->list(kube::resources::pods, "", o)["items"].empty()) << "pods left behind";
  }
};

TEST_F(RunKube, CpuRunCollectsResultsAndRemovesTheNamespace) {
  auto r = test::run_kubench(run_args("t-cpu", {"--accel", "cpu", "--tests", "h264_1080p", "-o", "json"}), {}, 600);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  auto doc = json::parse(r.stdout_text);
  EXPECT_EQ(doc["schema"], "kubench/run/v1");
  EXPECT_TRUE(doc["cleaned_up"].get<bool>());
  ASSERT_EQ(doc["targets"].size(), 1u);
  auto& t = doc["targets"][0];
  EXPECT_EQ(t["outcome"], "succeeded");
  EXPECT_EQ(t["node"], env["KUBENCH_CLUSTER_NODE"]);
  // The clips were generated in the init container, and the benchmark encoded every frame of one.
  EXPECT_NE(r.stderr_text.find("[fetch-clips] Clips ready in /work/clips"), std::string::npos) << r.stderr_text;
  auto& result = t["result"];
  EXPECT_EQ(result["schema"], "kubench/bench/v1");
  EXPECT_EQ(result["node"], env["KUBENCH_CLUSTER_NODE"]);
  ASSERT_EQ(result["tests"].size(), 1u);
  auto& test = result["tests"][0];
  EXPECT_EQ(test["status"], "ok");
  EXPECT_EQ(test["backend"], "cpu");
  EXPECT_GT(test["frames"].get<int>(), 0);
  EXPECT_EQ(test["frames"], test["expected_frames"]);
  // The sidecar sampled between the start and stop files; this machine has no readable sensor,
  // so its figure is null with the reason.
  auto& power = t["power"];
  ASSERT_TRUE(power.is_object()) << t.dump();
  EXPECT_EQ(power["schema"], "kubench/power/v1");
  EXPECT_EQ(power["stopped_by"], "stop-file");
  EXPECT_GT(power["reading"]["duration_seconds"].get<double>(), 0);
  if (power["reading"]["avg_watts"].is_null()) {
    EXPECT_FALSE(power["reading"]["null_reason"].get<std::string>().empty());
  }
  // Saved as well as printed.
  EXPECT_EQ(json::parse(read_file(dir / "results" / "t-cpu" / "run.json")), doc);
  // The framed result is the collector's, not the screen's.
  EXPECT_EQ(r.stderr_text.find("BEGIN KUBENCH RESULT"), std::string::npos);
  expect_nothing_left("t-cpu");
}

TEST_F(RunKube, DeviceCheckFailureIsClassified) {
  // QSV on a CPU-only node, with no device access to refuse it up front: check-device fails in the pod.
  auto r = test::run_kubench(run_args("t-qsv", {"--accel", "qsv", "--gpu-access", "none", "-q"}), {}, 300);
  EXPECT_EQ(r.exit_code, 5) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("device-check-failed: node " + env["KUBENCH_CLUSTER_NODE"] + ": no working QSV encoder"),
            std::string::npos)
      << r.stderr_text;
  expect_nothing_left("t-qsv");
}

TEST_F(RunKube, MissingDevicePluginResourceIsRefusedBeforeAnythingIsCreated) {
  auto r = test::run_kubench(run_args("t-res", {"--accel", "qsv"}), {}, 120);
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("no Ready node advertises gpu.intel.com/i915"), std::string::npos) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("--gpu-access hostpath"), std::string::npos) << r.stderr_text;
  expect_nothing_left("t-res");
}

TEST_F(RunKube, UnknownNodeIsAnErrorBeforeAnythingIsCreated) {
  auto r = test::run_kubench(run_args("t-node", {"--accel", "cpu", "--node", "no-such-node"}), {}, 120);
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("node no-such-node does not exist (nodes: " + env["KUBENCH_CLUSTER_NODE"] + ")"), std::string::npos)
      << r.stderr_text;
  expect_nothing_left("t-node");
}

// The test node is amd64: an image said to have arm64 only leaves it out, named, and nothing is created.
TEST_F(RunKube, ANodeOfAnArchitectureTheImageLacksIsNamedAndLeftOut) {
  const auto node = env["KUBENCH_CLUSTER_NODE"];
  auto r = test::run_kubench(run_args("t-arch", {"--accel", "cpu", "--all-nodes", "--image-platforms", "arm64"}), {}, 120);
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("skipping: node " + node + " is amd64 and " + kImage + " has arm64 only (--image-platforms)"), std::string::npos)
      << r.stderr_text;
  expect_nothing_left("t-arch");
  r = test::run_kubench(run_args("t-arch", {"--accel", "cpu", "--node", node, "--image-platforms", "arm64"}), {}, 120);
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("node " + node + " is amd64"), std::string::npos) << r.stderr_text;
  expect_nothing_left("t-arch");
}

TEST_F(RunKube, NativeSidecarOnAnOldServerIsRefused) {
  // 1.20 would drop the init container's restartPolicy and the sidecar would block the pod.
  auto r = test::run_kubench(run_args("t-native", {"--accel", "cpu", "--sidecar", "native"}), {}, 120);
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("--sidecar native needs Kubernetes 1.29"), std::string::npos) << r.stderr_text;
  expect_nothing_left("t-native");
}

TEST_F(RunKube, UnreachableServerIsOneLineNamingIt) {
  auto kubeconfig = dir / "dead.kubeconfig";
  test::write_text(kubeconfig, "apiVersion: v1\nkind: Config\ncurrent-context: t\n"
                               "clusters: [{name: c, cluster: {server: \"https://127.0.0.1:9\", insecure-skip-tls-verify: true}}]\n"
                               "users: [{name: u, user: {token: x}}]\ncontexts: [{name: t, context: {cluster: c, user: u}}]\n");
  auto r = test::run_kubench({"run", "--kube", "--kubeconfig", kubeconfig.string(), "--accel", "cpu"}, {}, 120);
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("https://127.0.0.1:9"), std::string::npos) << r.stderr_text;
}

TEST_F(RunKube, MissingPermissionIsNamedByThePreflight) {
  auto r = test::run_kubench({"run", "--kube", "--kubeconfig", env["KUBENCH_CLUSTER_RESTRICTED_KUBECONFIG"], "--accel", "cpu",
                              "--image", kImage, "--run-id", "t-rbac"},
                             {}, 120);
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("not allowed to create namespaces"), std::string::npos) << r.stderr_text;
  expect_nothing_left("t-rbac");
}

TEST_F(RunKube, BenchmarkWithoutResultIsReportedWithItsLastLines) {
  // An unknown test id: the benchmark container exits before producing a result.
  auto r = test::run_kubench(run_args("t-nores", {"--accel", "cpu", "--tests", "no_such_test", "-q"}), {}, 300);
  EXPECT_EQ(r.exit_code, 9) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("no-results: the benchmark container finished without results"), std::string::npos) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("  | "), std::string::npos) << "the last log lines are shown:\n" << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("no_such_test"), std::string::npos) << r.stderr_text;
  expect_nothing_left("t-nores");
}

TEST_F(RunKube, CtrlCDeletesTheNamespaceAndExits130) {
  test::Kubench child("run", run_args("t-int", {"--accel", "cpu", "--profile", "standard"}), dir);
  // Interrupt once the pod is doing work (the clips are being made).
  ASSERT_TRUE(test::eventually([&] { return child.err().find("fetch-clips:running") != std::string::npos; }, std::chrono::seconds(180)))
      << child.err();
  child.signal(SIGINT);
  EXPECT_EQ(child.wait().exit_code, 130) << child.err();
  EXPECT_NE(child.err().find("Namespace kubench-t-int deleted"), std::string::npos) << child.err();
  expect_nothing_left("t-int");
}

TEST_F(RunKube, AllNodesFansOutOneJobPerNodeAndCompares) {
  // The test cluster has one node: the fan-out still goes through the per-node path (case label,
  // node pinning, comparison table).
  auto r = test::run_kubench(run_args("t-all", {"--all-nodes", "--max-parallel", "1", "--accel", "cpu", "--tests", "h264_1080p",
                                                "--no-power", "-q", "-o", "csv"}),
                             {}, 600);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_NE(r.stdout_text.find("NODE,GPU,BACKEND,TEST,FPS,SPEED,WATTS,FPS/W,STATUS"), std::string::npos) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find(env["KUBENCH_CLUSTER_NODE"] + ",-,cpu,h264_1080p,"), std::string::npos) << r.stdout_text;
  auto doc = json::parse(read_file(dir / "results" / "t-all" / "run.json"));
  ASSERT_EQ(doc["targets"].size(), 1u);
  EXPECT_EQ(doc["targets"][0]["case"], env["KUBENCH_CLUSTER_NODE"]);
  EXPECT_EQ(doc["targets"][0]["job"], "kubench-bench-" + env["KUBENCH_CLUSTER_NODE"]);
  EXPECT_TRUE(doc["targets"][0]["power"].is_null());
  expect_nothing_left("t-all");
}

}  // namespace
}  // namespace kb::jobs
