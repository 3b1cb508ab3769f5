// `kubench nodes probe` on the real test cluster (one node: this machine) with the offline image:
// a Job on the node measures libx264 there, the matrix lands in the ConfigMap with its probe time,
// --label writes the node's encoder labels, a second probe within --max-age creates no Job,
// --refresh does; nothing is left behind.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/files.h"

#include "support/cluster_admin.h"
#include "support/kubench_process.h"
#include "support/test_support.h"

namespace kb::test {
namespace {
using nlohmann::json;

constexpr const char* kImage = "kubench.local/kubench:test";

class NodesProbeKube : public ::testing::Test {
 protected:
  ClusterEnv env;
  std::shared_ptr<kube::Client> admin;
  std::string ns = "kubench-probe-test";

  NodesProbeKube() : admin(cluster_admin(env)) {
    admin->apply(kube::resources::namespaces, "", {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}});
  }
  ~NodesProbeKube() override {
    admin->remove(kube::resources::config_maps, ns, "kubench-capabilities");
    const auto nodes = admin->list(kube::resources::nodes, "");  // not a temporary: the loop would dangle
    for (auto& node : nodes["items"]) {
      json labels = json::object();
      for (auto& [key, value] : node["metadata"]["labels"].items())
        if (key.rfind("kubench.io/", 0) == 0) labels[key] = nullptr;
      if (!labels.empty())
        admin->patch(kube::resources::nodes, "", node["metadata"]["name"], {{"metadata", {{"labels", labels}}}}, kube::PatchType::merge);
    }
  }

  std::vector<std::string> args(std::vector<std::string> extra) {
    std::vector<std::string> a = {"nodes", "probe", "--kubeconfig", env["KUBENCH_CLUSTER_ADMIN_KUBECONFIG"], "-n", ns, "--image", kImage,
                                  "--image-pull-policy", "Never", "--encoders", "libx264", "--probe-seconds", "0.5", "--no-4k"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
};

TEST_F(NodesProbeKube, AJobPerNodeFillsTheConfigMapAndLabelsAndTheCacheIsReused) {
  auto r = run_kubench(args({"--label", "-o", "json"}), {}, 400);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  auto matrix = json::parse(r.stdout_text);
  auto nodes = admin->list(kube::resources::nodes, "")["items"];
  ASSERT_EQ(matrix["nodes"].size(), nodes.size());
  const std::string node = nodes[0]["metadata"]["name"];
  EXPECT_EQ(matrix["nodes"][0]["node"], node);  // the node's name, not the pod's hostname
  bool x264 = false;
  for (auto& e : matrix["nodes"][0]["encoders"])
    if (e["encoder"] == "libx264") {
      x264 = true;
      EXPECT_TRUE(e["works"].get<bool>() && e["stitchable"].get<bool>()) << e.dump();
      EXPECT_GT(e["fps_1080p"].get<double>(), 0);
    }
  EXPECT_TRUE(x264) << matrix.dump();
  EXPECT_NE(r.stderr_text.find("Probing 1 of 1 nodes"), std::string::npos) << r.stderr_text;

  // Cached in the ConfigMap, with the node's probe time.
  auto cm = admin->get(kube::resources::config_maps, ns, "kubench-capabilities");
  auto cached = json::parse(cm["data"]["matrix.json"].get<std::string>());
  EXPECT_EQ(cached["nodes"][0]["probed_at"], matrix["nodes"][0]["probed_at"]);
  // The node's labels.
  auto labels = admin->get(kube::resources::nodes, "", node)["metadata"]["labels"];
  EXPECT_EQ(labels.value("kubench.io/encoder.libx264", ""), "true") << labels.dump();
  EXPECT_FALSE(labels.value("kubench.io/capabilities-probed", "").empty());

  // Within --max-age: no Job, the same answer from the cache.
  auto again = run_kubench(args({"-o", "json"}), {}, 120);
  ASSERT_EQ(again.exit_code, 0) << again.stderr_text;
  EXPECT_EQ(json::parse(again.stdout_text), matrix);
  EXPECT_NE(again.stderr_text.find("every node was probed within"), std::string::npos) << again.stderr_text;
  EXPECT_EQ(again.stderr_text.find("created"), std::string::npos) << again.stderr_text;

  // --refresh measures again.
  auto refreshed = run_kubench(args({"--refresh", "-o", "json"}), {}, 400);
  ASSERT_EQ(refreshed.exit_code, 0) << refreshed.stderr_text;
  EXPECT_NE(json::parse(refreshed.stdout_text)["nodes"][0]["probed_at"], nullptr);
  EXPECT_NE(refreshed.stderr_text.find("Probing 1 of 1 nodes"), std::string::npos) << refreshed.stderr_text;

  kube::ListOptions o;
  o.label_selector = "app.kubernetes.io/component=nodes-probe";
  EXPECT_TRUE(eventually([&] { return admin->list(kube::resources::pods, ns, o)["items"].empty(); }));
  EXPECT_TRUE(admin->list(kube::resources::jobs, ns, o)["items"].empty());
}

TEST_F(NodesProbeKube, ASelectorThatMatchesNothingIsRefused) {
  auto r = run_kubench(args({"--selector", "kubench.io/no-such-label=x"}), {}, 60);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("no Ready, schedulable node matches --selector"), std::string::npos) << r.stderr_text;
}

// The test image's index, recorded by scripts/build-image.sh (cluster_image), says amd64: the probe
// Jobs above ran under that requirement. An image said to be arm64 only has no node here: refused
// before any Job, the node named with its architecture.
TEST_F(NodesProbeKube, NodesOfAnArchitectureTheImageLacksAreNamedNotProbed) {
  const char* cache = std::getenv("KUBENCH_IMAGE_CACHE");
  const std::filesystem::path record =
      std::filesystem::path(cache && *cache ? cache : "/var/cache/kubench/images") / "platforms" / "kubench.local%2Fkubench%3Atest.json";
  const auto index = json::parse(read_file(record));
  ASSERT_EQ(index["manifests"].size(), 1u) << index.dump();
  EXPECT_EQ(index["manifests"][0]["platform"]["architecture"], "amd64");

  const auto nodes = admin->list(kube::resources::nodes, "");  // not a temporary: the loop would dangle
  ASSERT_EQ(nodes["items"].size(), 1u);
  const std::string node = nodes["items"][0]["metadata"]["name"];
  EXPECT_EQ(nodes["items"][0]["metadata"]["labels"]["kubernetes.io/arch"], "amd64");
  auto r = run_kubench(args({"--image-platforms", "linux/arm64/v8"}), {}, 60);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("node " + node + " is amd64 and " + kImage + " has arm64 only (--image-platforms)"), std::string::npos)
      << r.stderr_text;
  EXPECT_TRUE(admin->list(kube::resources::jobs, ns)["items"].empty());
}

}  // namespace
}  // namespace kb::test
