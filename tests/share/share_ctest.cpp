// `kubench share` on the real test cluster, its node made into the fourth seed's: the status
// advertises 8 nvidia.com/gpu.shared and the labels are GPU feature discovery's for a time-sliced
// RTX 3080 Ti (no GPU here: the scheduler and kubelet account the advertised resource as they
// would a device plugin's). The seed's workloads run as busybox Deployments requesting their
// shares, Plex as a pod that requests nothing and says NVIDIA_VISIBLE_DEVICES=all. `show` gives the
// seed's Before table, `plan` its After table and VRAM risk, the real vLLM then lands as planned,
// and a sixth that `plan` said would not fit stays Pending. The node is restored afterwards.
#include <gtest/gtest.h>
#include <unistd.h>

#include <set>

#include "core/text.h"
#include "kube/client.h"
#include "support/cluster_admin.h"
#include "support/kubench_process.h"
#include "support/test_support.h"

namespace kb::share {
namespace {
using nlohmann::json;

constexpr const char* kShare = "nvidia.com/gpu.shared";

class ShareOnCluster : public ::testing::Test {
 protected:
  test::ClusterEnv env;
  test::TempDir dir;
  std::shared_ptr<kube::Client> admin = test::cluster_admin(env);
  std::string node = env["KUBENCH_CLUSTER_NODE"];
  std::string suffix = std::to_string(::getpid());
  std::string ai = "ai-" + suffix, media = "media-" + suffix, dev = "ai-dev-" + suffix, lab = "lab-" + suffix;

  void TearDown() override {
    for (const auto& ns : {ai, media, dev, lab}) admin->remove(kube::resources::namespaces, "", ns);
    restore_node();
  }

  void make_seed_node() {
    admin->patch(kube::resources::nodes, "", node,
                 {{"metadata",
                   {{"labels",
                     {{"nvidia.com/gpu.product", "NVIDIA-GeForce-RTX-3080-Ti"}, {"nvidia.com/gpu.memory", "12288"}, {"nvidia.com/gpu.count", "1"},
                      {"nvidia.com/gpu.replicas", "8"}, {"nvidia.com/gpu.sharing-strategy", "time-slicing"}}}}}},
                 kube::PatchType::merge);
    // What a device plugin reports, advertised by hand (the kubelet keeps a resource it does not manage).
    admin->patch(kube::resources::nodes, "", node, {{"status", {{"capacity", {{kShare, "8"}}}, {"allocatable", {{kShare, "8"}}}}}},
                 kube::PatchType::merge, false, "status");
  }

  void restore_node() {
    json labels = json::object();
    for (const auto* l : {"nvidia.com/gpu.product", "nvidia.com/gpu.memory", "nvidia.com/gpu.count", "nvidia.com/gpu.replicas",
                          "nvidia.com/gpu.sharing-strategy"})
      labels[l] = nullptr;
    admin->patch(kube::resources::nodes, "", node, {{"metadata", {{"labels", labels}}}}, kube::PatchType::merge);
    admin->patch(kube::resources::nodes, "", node,
                 {{"status", {{"capacity", {{kShare, nullptr}}}, {"allocatable", {{kShare, nullptr}}}}}}, kube::PatchType::merge, false, "status");
  }

  void namespace_(const std::string& ns) {
    admin->create(kube::resources::namespaces, "", {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}});
  }

  // A busybox Deployment of one pod asking for `shares` (none: no resources at all).
  void deployment(const std::string& ns, const std::string& name, int shares, json env_vars = json::array(), json annotations = json::object()) {
    json container = {{"name", name}, {"image", env["KUBENCH_CLUSTER_BUSYBOX_IMAGE"]}, {"imagePullPolicy", "Never"},
                      {"command", {"sleep", "3600"}}, {"env", env_vars}};
    if (shares > 0) container["resources"] = {{"limits", {{kShare, std::to_string(shares)}}}, {"requests", {{kShare, std::to_string(shares)}}}};
    admin->create(kube::resources::deployments, ns,
                  {{"apiVersion", "apps/v1"},
                   {"kind", "Deployment"},
                   {"metadata", {{"name", name}}},
                   {"spec",
                    {{"replicas", 1},
                     {"selector", {{"matchLabels", {{"app", name}}}}},
                     {"template",
                      {{"metadata", {{"labels", {{"app", name}}}, {"annotations", annotations}}},
                       {"spec", {{"terminationGracePeriodSeconds", 0}, {"containers", json::array({container})}}}}}}}});
  }

  json pods_of(const std::string& ns) { return admin->list(kube::resources::pods, ns)["items"]; }

  bool bound(const std::string& ns) {
    const auto pods = pods_of(ns);
    if (pods.empty()) return false;
    for (const auto& p : pods)
      if (p["spec"].value("nodeName", "").empty()) return false;
    return true;
  }

  std::vector<std::string> kube_args(std::vector<std::string> args) {
    args.insert(args.end(), {"--kubeconfig", env["KUBENCH_CLUSTER_ADMIN_KUBECONFIG"]});
    return args;
  }

  // The node's rows of `share show -o csv`, namespaces with this run's suffix taken off.
  std::string rows(const std::string& csv) {
    std::string out;
    for (const auto& line : split(csv, '\n')) {
      if (!starts_with(line, node + ",")) continue;
      auto l = line.substr(node.size() + 1);
      for (const auto& ns : {dev, media, ai})  // ai-dev-N before ai-N
        for (auto at = l.find(ns); at != std::string::npos; at = l.find(ns)) l.replace(at, ns.size(), ns.substr(0, ns.size() - suffix.size() - 1));
      out += l + "\n";
    }
    return out;
  }
};

TEST_F(ShareOnCluster, TheSeedsNodeBeforeAndAfterVllmAndASixthThatDoesNotFit) {
  // A cluster without GPUs: an empty view, exit 0.
  auto r = test::run_kubench(kube_args({"share", "show"}));
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_NE(r.stdout_text.find("no node shows a GPU"), std::string::npos) << r.stdout_text;

  make_seed_node();
  namespace_(ai);
  namespace_(media);
  deployment(media, "plex", 0, json::array({{{"name", "NVIDIA_VISIBLE_DEVICES"}, {"value", "all"}}}), {{"gpu-directories", "nvidia"}});
  deployment(ai, "ollama", 1);
  deployment(ai, "tts", 1);
  deployment(ai, "whisper", 2);
  ASSERT_TRUE(test::eventually([&] { return bound(ai) && bound(media) && pods_of(ai).size() == 3; }, std::chrono::seconds(120)));

  test::write_text(dir / "vram.yaml", "plex: 1Gi-2Gi\nollama: 2Gi-4Gi\ntts: 512Mi-1Gi\nwhisper: 2Gi-3Gi\n");
  const auto estimates = (dir / "vram.yaml").string();
  r = test::run_kubench(kube_args({"share", "show", "-o", "csv", "--vram-estimates", estimates}));
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(rows(r.stdout_text),
            "plex,media,Deployment,N/A,variable,1.0-2.0 GiB,estimates: " + estimates +
                ": plex,\"requests no GPU, uses one: NVIDIA_VISIBLE_DEVICES=all in container plex; annotation gpu-directories=nvidia\"\n"
                "ollama,ai,Deployment,1,12.5%,2.0-4.0 GiB,estimates: " + estimates + ": ollama,\n"
                "tts,ai,Deployment,1,12.5%,0.5-1.0 GiB,estimates: " + estimates + ": tts,\n"
                "whisper,ai,Deployment,2,25%,2.0-3.0 GiB,estimates: " + estimates + ": whisper,\n"
                "Available,-,,4,50%,,,\n"
                "Total,-,,8,100%,10.0 GiB worst,VRAM ok (12.0 GiB),nvidia.com/gpu.shared\n")
      << r.stdout_text;

  // JSON and the table say the same.
  r = test::run_kubench(kube_args({"share", "show", "--node", node, "-o", "json", "--vram-estimates", estimates}));
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  const auto doc = json::parse(r.stdout_text);
  ASSERT_EQ(doc["nodes"].size(), 1u);
  const auto& n = doc["nodes"][0];
  EXPECT_EQ(n["gpu"]["product"], "NVIDIA-GeForce-RTX-3080-Ti");
  EXPECT_EQ(n["gpu"]["sharing"], "time-slicing");
  EXPECT_EQ(n["shares"]["available"], 4);
  EXPECT_EQ(n["vram_budget"]["verdict"], "ok");
  std::map<std::string, json> by_name;
  for (const auto& w : n["workloads"]) by_name[w["name"]] = w;
  EXPECT_EQ(by_name["whisper"]["shares"], 2);
  EXPECT_EQ(by_name["ollama"]["percentage"], 12.5);
  EXPECT_TRUE(by_name["plex"]["shares"].is_null());
  EXPECT_EQ(by_name["plex"]["unrequested_gpu_use"].size(), 2u);
  r = test::run_kubench(kube_args({"share", "show", "--node", node}));
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_NE(r.stdout_text.find(node + ": 1 × nvidia NVIDIA-GeForce-RTX-3080-Ti, 12.0 GiB, time-slicing × 8"), std::string::npos) << r.stdout_text;

  // The plan: the seed's After table, and its VRAM risk (exit 0; --strict makes the risk fail).
  r = test::run_kubench(kube_args({"share", "plan", "--add", dev + "/vllm=2,vram=8Gi-10Gi", "--vram-estimates", estimates}));
  ASSERT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text;
  EXPECT_NE(r.stdout_text.find("fits     " + dev + "/vllm on " + node + ": fits: 2 nvidia.com/gpu.shared left"), std::string::npos) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("VRAM     " + node + ": at risk (worst case 20.0 GiB of 12.0 GiB"), std::string::npos) << r.stdout_text;
  r = test::run_kubench(kube_args({"share", "plan", "--add", dev + "/vllm=2,vram=8Gi-10Gi", "--vram-estimates", estimates, "--strict", "-o", "json"}));
  EXPECT_EQ(r.exit_code, 1) << r.stderr_text;
  const auto plan = json::parse(r.stdout_text);
  EXPECT_TRUE(plan["fits"].get<bool>());
  EXPECT_TRUE(plan["vram_at_risk"].get<bool>());
  EXPECT_EQ(plan["after"][0]["shares"]["available"], 2);

  // Deployed for real, the cluster matches the plan's After table.
  namespace_(dev);
  deployment(dev, "vllm", 2, json::array(), {{"kubench.io/vram", "8Gi-10Gi"}});
  ASSERT_TRUE(test::eventually([&] { return bound(dev); }, std::chrono::seconds(120)));
  r = test::run_kubench(kube_args({"share", "show", "-o", "csv", "--vram-estimates", estimates}));
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  const auto after = rows(r.stdout_text);
  EXPECT_NE(after.find("whisper,ai,Deployment,2,25%,2.0-3.0 GiB,estimates: " + estimates + ": whisper,\n"
                       "vllm,ai-dev,Deployment,2,25%,8.0-10.0 GiB,annotation: kubench.io/vram=8Gi-10Gi,\n"
                       "Available,-,,2,25%,,,\n"
                       "Total,-,,8,100%,20.0 GiB worst,VRAM at risk (12.0 GiB),nvidia.com/gpu.shared\n"),
            std::string::npos)
      << after;

  // A sixth asking for 3: plan says it does not fit (exit 1), and the scheduler agrees.
  r = test::run_kubench(kube_args({"share", "plan", "--add", lab + "/sixth=3"}));
  EXPECT_EQ(r.exit_code, 1) << r.stderr_text;
  EXPECT_NE(r.stdout_text.find("NO FIT   " + lab + "/sixth: needs 3 nvidia.com/gpu.shared on " + node + ", 2 free"), std::string::npos)
      << r.stdout_text;
  namespace_(lab);
  deployment(lab, "sixth", 3);
  std::string why;
  ASSERT_TRUE(test::eventually(
      [&] {
        for (const auto& p : pods_of(lab))
          for (const auto& c : p["status"].value("conditions", json::array()))
            if (c.value("type", "") == "PodScheduled" && c.value("reason", "") == "Unschedulable") why = c.value("message", "");
        return !why.empty();
      },
      std::chrono::seconds(120)));
  EXPECT_NE(why.find("Insufficient nvidia.com/gpu.shared"), std::string::npos) << why;
  r = test::run_kubench(kube_args({"share", "show", "-o", "csv"}));
  EXPECT_EQ(r.stdout_text.find("sixth"), std::string::npos) << "a Pending pod holds nothing: " << r.stdout_text;

  // share check: a Job holding one of the 2 free shares runs the concurrency search beside the others
  // (on the CPU: no GPU here), reported with the allocation table.
  const std::vector<std::string> check = {"share", "check", "--node", node, "--accel", "cpu", "--tests", "h264_1080p", "--image",
                                          "kubench.local/kubench:test", "--image-pull-policy", "Never"};
  auto args = check;
  args.insert(args.end(), {"--run-id", "share-check-" + suffix, "-o", "json"});
  r = test::run_kubench(kube_args(args), {}, 600);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  const auto checked = json::parse(r.stdout_text);
  EXPECT_EQ(checked["schema"], "kubench/share-check/v1");
  EXPECT_EQ(checked["run"]["targets"][0]["outcome"], "succeeded");
  EXPECT_EQ(checked["run"]["targets"][0]["result"]["concurrency"][0]["test_id"], "h264_1080p");
  EXPECT_NE(checked["verdict"].get<std::string>().find("h264_1080p on " + node + ", holding 1 nvidia.com/gpu.shared beside plex, ollama, tts, whisper, vllm: "),
            std::string::npos)
      << checked["verdict"];
  EXPECT_FALSE(admin->get_if_exists(kube::resources::namespaces, "", "kubench-share-check-" + suffix)) << "the check's namespace is left";
  // With every share taken the check cannot start: it requests a share, and says the scheduler's reason.
  deployment(dev, "filler", 2);
  ASSERT_TRUE(test::eventually([&] { return bound(dev) && pods_of(dev).size() == 2; }, std::chrono::seconds(120)));
  args = check;
  args.insert(args.end(), {"--run-id", "share-full-" + suffix, "--schedule-timeout", "10"});
  r = test::run_kubench(kube_args(args), {}, 300);
  EXPECT_EQ(r.exit_code, 3) << r.stdout_text << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("Insufficient nvidia.com/gpu.shared"), std::string::npos) << r.stderr_text;

  // Bad input: an unknown node and a bad plan are exit 2, an unreachable Prometheus only a warning.
  r = test::run_kubench(kube_args({"share", "show", "--node", "no-such-node"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("--node no-such-node: the cluster has no such node"), std::string::npos) << r.stderr_text;
  r = test::run_kubench(kube_args({"share", "plan", "--add", lab + "/x=1,node=nope"}));
  EXPECT_EQ(r.exit_code, 2);
  r = test::run_kubench(kube_args({"share", "show", "--prometheus", "http://127.0.0.1:1", "-o", "json"}));
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("--prometheus http://127.0.0.1:1 unreachable"), std::string::npos) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("fall back to the next source"), std::string::npos) << r.stderr_text;
}

TEST_F(ShareOnCluster, AWrongKubeconfigIsOneLine) {
  test::write_text(dir / "bad.kubeconfig", "not: [a kubeconfig\n");
  const auto r = test::run_kubench({"share", "show", "--kubeconfig", (dir / "bad.kubeconfig").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(std::count(r.stderr_text.begin(), r.stderr_text.end(), '\n'), 1) << r.stderr_text;
}

}  // namespace
}  // namespace kb::share
