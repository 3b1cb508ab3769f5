// The objects of `kubench encode --kube`: a worker Deployment per route class pinned to its node
// with its slots and GPU resource, the broker with its worker token, the stage Jobs with the
// volume and their commands.
#include <gtest/gtest.h>

#include "core/error.h"
#include "encode/kube_objects.h"

namespace kb::encode {
namespace {
using nlohmann::json;

KubeEncodeSpec spec() {
  KubeEncodeSpec s;
  s.run_id = "encode-1";
  s.namespace_name = "media";
  s.image = "kubench:1";
  s.volume = jobs::parse_scene_volume("nfs:nas:/export/video");
  s.request = {{"kind", "kubench/encode-request/v1"}, {"input", "/data/film.mp4"}};
  s.work_dir = "/data/film.mkv.kubench-work";
  route::WorkerClass gpu;
  gpu.node = "gpu-box";
  gpu.encoder = "h264_nvenc";
  gpu.backend = probe::Backend::nvenc;
  gpu.slots = 3;
  gpu.gpu_resource = "nvidia.com/gpu";
  route::WorkerClass cpu;
  cpu.node = "nas";
  cpu.encoder = "libx264";
  cpu.slots = 2;
  s.workers = {gpu, cpu};
  s.join_node = "nas";
  s.cpu_milli_per_part = 1500;
  s.lease_seconds = 20;
  return s;
}

json container(const json& object) { return object["spec"]["template"]["spec"]["containers"][0]; }

std::vector<std::string> command(const json& object) { return container(object)["command"].get<std::vector<std::string>>(); }

bool has(const std::vector<std::string>& argv, const std::vector<std::string>& run) {
  return std::search(argv.begin(), argv.end(), run.begin(), run.end()) != argv.end();
}

TEST(KubeObjects, AWorkerDeploymentPerClassOnItsNodeWithItsSlotsAndGpu) {
  auto workers = render_workers(spec());
  ASSERT_EQ(workers.size(), 2u);
  const auto& gpu = workers[0];
  EXPECT_EQ(gpu["metadata"]["name"], "kubench-encode-1-w0");
  EXPECT_EQ(gpu["spec"]["template"]["spec"]["nodeSelector"]["kubernetes.io/hostname"], "gpu-box");
  EXPECT_EQ(container(gpu)["resources"]["limits"]["nvidia.com/gpu"], "1");
  auto argv = command(gpu);
  EXPECT_TRUE(has(argv, {"--slots", "3"}));
  EXPECT_TRUE(has(argv, {"--broker", "http://kubench-encode-1-broker:8080"}));
  EXPECT_TRUE(has(argv, {"--arg-pattern", "[0-9]{1,9}"})) << "a request may name a part, nothing else";
  EXPECT_TRUE(has(argv, {"--", "kubench", "encode-pod", "part", "--work-dir", "/data/film.mkv.kubench-work", "--backend", "nvenc"}))
      << "each class encodes with its own family (mixed encoders)";
  EXPECT_TRUE(has(argv, {"--token-file", "/etc/kubench/worker-token"}));
  const auto& cpu = workers[1];
  EXPECT_EQ(cpu["spec"]["template"]["spec"]["nodeSelector"]["kubernetes.io/hostname"], "nas");
  EXPECT_EQ(container(cpu)["resources"]["requests"]["cpu"], "3000m") << "two slots of 1.5 cores";
  EXPECT_FALSE(container(cpu)["resources"]["limits"].contains("nvidia.com/gpu"));
  EXPECT_EQ(cpu["spec"]["template"]["spec"]["volumes"][0]["nfs"]["server"], "nas");
  // The node's name reaches the part records through the downward API.
  EXPECT_EQ(container(cpu)["env"][0]["valueFrom"]["fieldRef"]["fieldPath"], "spec.nodeName");
  for (auto& w : workers) EXPECT_EQ(w["metadata"]["labels"]["kubench.io/run-id"], "encode-1");
}

TEST(KubeObjects, TheBrokerTakesOnlyWorkersWithTheToken) {
  auto objects = render_broker(spec(), "0123456789abcdef0123456789abcdef");
  ASSERT_EQ(objects.size(), 3u);
  EXPECT_EQ(objects[0]["kind"], "Secret");
  EXPECT_EQ(objects[0]["stringData"]["worker-token"], "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(objects[1]["kind"], "Deployment");
  auto argv = command(objects[1]);
  EXPECT_TRUE(has(argv, {"kubench", "queue", "serve", "--listen", "0.0.0.0:8080", "--queue", "encode"}));
  EXPECT_TRUE(has(argv, {"--lease-seconds", "20"}));
  EXPECT_TRUE(has(argv, {"--worker-token-file", "/etc/kubench/worker-token"}));
  EXPECT_EQ(container(objects[1])["readinessProbe"]["httpGet"]["path"], "/readyz");
  EXPECT_EQ(objects[2]["kind"], "Service");
  EXPECT_EQ(objects[2]["spec"]["ports"][0]["name"], "http") << "the API server's service proxy names the port";
  auto no_image = spec();
  no_image.image.clear();
  EXPECT_THROW(render_broker(no_image, "t"), UsageError);
}

TEST(KubeObjects, TheStageJobsCarryTheRequestAndTheJoinRunsOnItsNode) {
  auto prepare = prepare_run_options(spec());
  ASSERT_EQ(prepare.jobs.size(), 1u);
  auto argv = command(prepare.jobs[0]);
  EXPECT_TRUE(has(argv, {"kubench", "encode-pod", "prepare", "--request", spec().request.dump(), "--result-frame"}));
  EXPECT_FALSE(prepare.jobs[0]["spec"]["template"]["spec"].contains("nodeSelector")) << "the plan is made before the route exists";
  EXPECT_FALSE(prepare.own_namespace) << "the volume's claim lives in the user's namespace";
  EXPECT_TRUE(prepare.result_ok({{"kind", "kubench/encode-plan/v1"}}));
  EXPECT_FALSE(prepare.result_ok({{"kind", "kubench/encode-error/v1"}}));
  auto join = join_run_options(spec());
  EXPECT_TRUE(has(command(join.jobs[0]), {"encode-pod", "join", "--work-dir", "/data/film.mkv.kubench-work"}));
  EXPECT_EQ(join.jobs[0]["spec"]["template"]["spec"]["nodeSelector"]["kubernetes.io/hostname"], "nas");
  EXPECT_EQ(join.jobs[0]["spec"]["template"]["spec"]["volumes"][0]["name"], "data");
}

TEST(KubeObjects, EveryPodRequiresTheImagesArchitectures) {
  auto s = spec();
  s.architectures = {"amd64", "arm64"};
  std::vector<json> pods;
  for (auto& o : render_broker(s, "t"))
    if (o["kind"] == "Deployment") pods.push_back(o["spec"]["template"]["spec"]);
  for (auto& o : render_workers(s)) pods.push_back(o["spec"]["template"]["spec"]);
  pods.push_back(prepare_run_options(s).jobs[0]["spec"]["template"]["spec"]);
  pods.push_back(join_run_options(s).jobs[0]["spec"]["template"]["spec"]);
  ASSERT_EQ(pods.size(), 5u);
  const json wanted = {{"key", "kubernetes.io/arch"}, {"operator", "In"}, {"values", {"amd64", "arm64"}}};
  for (auto& pod : pods)
    EXPECT_EQ(pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]["matchExpressions"][0], wanted)
        << pod.dump();
  // Without a list (a test's own image, say), no requirement.
  EXPECT_FALSE(render_workers(spec())[0]["spec"]["template"]["spec"].contains("affinity"));
}

}  // namespace
}  // namespace kb::encode
