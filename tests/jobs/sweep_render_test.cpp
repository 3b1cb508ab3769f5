// A sweep's objects: the variant Job (container and bench workloads) on its target, the setup
// (ServiceAccount, deny-all NetworkPolicy), and the inputs ConfigMap with its size checked.
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/files.h"
#include "core/text.h"
#include "jobs/benchmark_spec.h"
#include "jobs/sweep_admission.h"
#include "jobs/sweep_render.h"
#include "support/test_support.h"

namespace kb::jobs {
namespace {

using nlohmann::json;

const char* kSuite = R"(schema: kubench/sweep/v1
name: quant
defaults: {retries: 1, timeout: 10m}
groups: [{match: {bits: "4"}, priorityClassName: sweep-high, timeout: 90s}]
targets:
  a100:
    nodeSelector: {nvidia.com/gpu.product: A100}
    resources: {requests: {cpu: 500m}, limits: {nvidia.com/gpu: 1}}
    tolerations: [{key: gpu, operator: Exists}]
    runtimeClassName: nvidia
matrix:
  bits: [4, 8]
workload:
  container:
    image: example/q:{{ bits }}
    command: [python3, /inputs/run.py]
    args: ["--bits", "{{ bits }}"]
    env: {MODEL: "bert-{{ target }}"}
)";

SweepPlacement placement() {
  SweepPlacement p;
  p.sweep_id = "sw1";
  p.run_id = "sw1-r1";
  p.namespace_name = "kubench-sweep-sw1-r1";
  return p;
}

json env_value(const json& container, const std::string& name) {
  for (const auto& e : container["env"])
    if (e["name"] == name) return e["value"];
  return nullptr;
}

TEST(SweepRender, InferVariantRunsKubenchInferInTheImageWithItsInputs) {
  test::TempDir dir;
  test::write_text(dir / "model.pt", std::string("PK\x03\x04\xff\xfe torch", 12));
  const auto suite = parse_sweep_suite(R"(schema: kubench/sweep/v1
inputs: {files: [model.pt]}
targets: {a100: {resources: {limits: {nvidia.com/gpu: 1}}}}
matrix: {batch: [1, 8]}
workload:
  infer: {image: kubench.local/kubench:dev, model: "{{ inputs }}/model.pt", input_shape: "1,3,32,32", batch: "{{ batch }}", device: cuda}
)", (dir / "suite.yaml").string());
  const auto vj = render_variant_job(suite, expand_sweep(suite)[1], 1, 1, placement());
  EXPECT_EQ(vj.result_container, kWorkloadContainer);
  const auto& pod = vj.job["spec"]["template"]["spec"];
  const auto& c = pod["containers"][0];
  EXPECT_EQ(c["image"], "kubench.local/kubench:dev");
  EXPECT_EQ(c["command"], json::array({"kubench"}));
  EXPECT_EQ(c["args"], json::array({"infer", "/inputs/model.pt", "--input-shape", "1,3,32,32", "--batch", "8", "--device", "cuda", "-o", "json",
                                    "--in-pod"}));
  EXPECT_EQ(c["resources"]["limits"]["nvidia.com/gpu"], "1");
  EXPECT_EQ(c["volumeMounts"][0]["mountPath"], "/inputs");
  EXPECT_EQ(env_value(c, "KUBENCH_PARAM_BATCH"), "8");
  bool node_name = false;
  for (const auto& e : c["env"]) node_name = node_name || (e["name"] == "KUBENCH_NODE_NAME" && e["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName");
  EXPECT_TRUE(node_name);
  // A binary model goes into the inputs ConfigMap as binaryData.
  const auto cm = render_inputs_config_map(suite, placement());
  EXPECT_TRUE(cm["binaryData"].contains("model.pt"));
}

TEST(SweepRender, ContainerVariantJobOnItsTarget) {
  const auto suite = parse_sweep_suite(kSuite, "suite.yaml");
  const auto variants = expand_sweep(suite);
  const auto vj = render_variant_job(suite, variants[0], 0, 2, placement());
  const auto& job = vj.job;
  EXPECT_EQ(vj.case_label, "v0");
  EXPECT_EQ(vj.result_container, kWorkloadContainer);
  EXPECT_EQ(job["metadata"]["name"], "sw1-r1-v0-a2");
  EXPECT_EQ(job["metadata"]["labels"][kSweepLabel], "sw1");
  EXPECT_EQ(job["metadata"]["labels"][kCaseLabel], "v0");
  EXPECT_EQ(job["metadata"]["annotations"][kVariantAnnotation], "bits=4@a100");
  EXPECT_EQ(job["metadata"]["annotations"][kAttemptAnnotation], "2");
  EXPECT_EQ(job["spec"]["backoffLimit"], 0);  // kubench retries, by class
  EXPECT_EQ(job["spec"]["activeDeadlineSeconds"], 90);  // the group's timeout
  EXPECT_EQ(job["spec"]["ttlSecondsAfterFinished"], 3600);
  const auto& pod = job["spec"]["template"]["spec"];
  EXPECT_EQ(pod["automountServiceAccountToken"], false);
  EXPECT_EQ(pod["serviceAccountName"], kSweepServiceAccount);
  EXPECT_EQ(pod["nodeSelector"]["nvidia.com/gpu.product"], "A100");
  EXPECT_EQ(pod["tolerations"][0]["key"], "gpu");
  EXPECT_EQ(pod["runtimeClassName"], "nvidia");
  EXPECT_EQ(pod["priorityClassName"], "sweep-high");
  const auto& c = pod["containers"][0];
  EXPECT_EQ(c["image"], "example/q:4");
  EXPECT_EQ(c["args"], json::array({"--bits", "4"}));
  EXPECT_EQ(c["resources"]["limits"]["nvidia.com/gpu"], "1");
  EXPECT_EQ(env_value(c, "MODEL"), "bert-a100");
  EXPECT_EQ(env_value(c, "KUBENCH_PARAM_BITS"), "4");
  EXPECT_EQ(env_value(c, "KUBENCH_VARIANT"), "bits=4@a100");
  // What admission counts for it: the target's requests and limits.
  const auto req = pod_requests(pod);
  EXPECT_EQ(req.at("cpu"), 500);
  EXPECT_EQ(req.at("nvidia.com/gpu"), 1000);

  const auto other = render_variant_job(suite, variants[1], 1, 1, placement()).job;
  EXPECT_FALSE(other["spec"]["template"]["spec"].contains("priorityClassName"));
  EXPECT_EQ(other["spec"]["activeDeadlineSeconds"], 600);
}

TEST(SweepRender, BenchVariantRunsKubenchBenchWithTheTargetsDevice) {
  const std::string yaml = R"(schema: kubench/sweep/v1
targets:
  a100: {resources: {limits: {nvidia.com/gpu: 1}}}
matrix: {accel: [nvenc]}
workload:
  bench: {image: "kubench:dev", accel: "{{ accel }}", tests: [h264_1080p]}
)";
  const auto suite = parse_sweep_suite(yaml, "suite.yaml");
  const auto vj = render_variant_job(suite, expand_sweep(suite)[0], 0, 1, placement());
  EXPECT_EQ(vj.result_container, kBenchmarkContainer);
  EXPECT_TRUE(vj.power);
  json bench;
  for (const auto& c : vj.job["spec"]["template"]["spec"]["containers"])
    if (c["name"] == kBenchmarkContainer) bench = c;
  ASSERT_FALSE(bench.is_null());
  const auto command = bench["command"].dump();
  EXPECT_NE(command.find("\"--accel\",\"nvenc\""), std::string::npos) << command;
  EXPECT_NE(command.find("\"--tests\",\"h264_1080p\""), std::string::npos) << command;
  EXPECT_EQ(bench["resources"]["limits"]["nvidia.com/gpu"], "1");
  EXPECT_EQ(vj.job["spec"]["template"]["spec"]["serviceAccountName"], kSweepServiceAccount);
}

// kubench's image goes only to its architectures, beside the target's own affinity; a container
// workload's image is the user's, and its placement too.
TEST(SweepRender, KubenchsImageKeepsToItsArchitectures) {
  const std::string yaml = R"(schema: kubench/sweep/v1
targets:
  edge: {affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: In, values: [a]}]}]}}}}
matrix: {accel: [cpu]}
workload:
  bench: {image: "kubench:dev", accel: "{{ accel }}"}
)";
  const auto suite = parse_sweep_suite(yaml, "suite.yaml");
  auto where = placement();
  where.architectures = {"amd64"};
  const auto vj = render_variant_job(suite, expand_sweep(suite)[0], 0, 1, where);
  const auto term = vj.job["spec"]["template"]["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0];
  ASSERT_EQ(term["matchExpressions"].size(), 2u) << term.dump();
  EXPECT_EQ(term["matchExpressions"][0]["key"], "zone");
  EXPECT_EQ(term["matchExpressions"][1], (json{{"key", "kubernetes.io/arch"}, {"operator", "In"}, {"values", {"amd64"}}}));
  EXPECT_EQ(kubench_image(suite, expand_sweep(suite)[0]), "kubench:dev");

  const auto container_suite = parse_sweep_suite(kSuite, "suite.yaml");
  const auto cj = render_variant_job(container_suite, expand_sweep(container_suite)[0], 0, 1, where);
  EXPECT_EQ(cj.job.dump().find("kubernetes.io/arch"), std::string::npos);
  EXPECT_EQ(kubench_image(container_suite, expand_sweep(container_suite)[0]), "");
}

TEST(SweepRender, SetupHasADenyAllPolicyOnlyForNetworkNone) {
  auto suite = parse_sweep_suite(kSuite, "suite.yaml");
  auto setup = render_sweep_setup(suite, placement());
  ASSERT_EQ(setup.size(), 2u);
  EXPECT_EQ(setup[0]["kind"], "Namespace");
  EXPECT_EQ(setup[1]["kind"], "ServiceAccount");
  EXPECT_EQ(setup[1]["automountServiceAccountToken"], false);
  suite.network_none = true;
  auto in_user_namespace = placement();
  in_user_namespace.own_namespace = false;
  setup = render_sweep_setup(suite, in_user_namespace);
  ASSERT_EQ(setup.size(), 2u);
  EXPECT_EQ(setup[0]["kind"], "ServiceAccount");
  EXPECT_EQ(setup[1]["kind"], "NetworkPolicy");
  EXPECT_EQ(setup[1]["spec"]["policyTypes"], json::array({"Ingress", "Egress"}));
  EXPECT_FALSE(setup[1]["spec"].contains("egress"));  // no rule: nothing allowed
}

TEST(SweepRender, InputsBecomeAConfigMapCheckedBeforeAnythingIsCreated) {
  TempDirectory dir;
  write_file_atomic(dir.path() / "run.py", "print('hi')\n");
  write_file_atomic(dir.path() / "weights.bin", std::string("\x00\xff\x10", 3));
  auto suite = parse_sweep_suite(kSuite, (dir.path() / "suite.yaml").string());
  suite.inputs.files = {dir.path() / "run.py", dir.path() / "weights.bin"};
  const auto cm = render_inputs_config_map(suite, placement());
  EXPECT_EQ(cm["data"]["run.py"], "print('hi')\n");
  EXPECT_EQ(base64_decode(cm["binaryData"]["weights.bin"].get<std::string>()), std::string("\x00\xff\x10", 3));
  const auto job = render_variant_job(suite, expand_sweep(suite)[0], 0, 1, placement()).job;
  const auto& pod = job["spec"]["template"]["spec"];
  EXPECT_EQ(pod["volumes"][0]["configMap"]["name"], cm["metadata"]["name"]);
  EXPECT_EQ(pod["containers"][0]["volumeMounts"][0]["mountPath"], "/inputs");

  write_file_atomic(dir.path() / "big.bin", std::string(kConfigMapLimit, 'x'));
  suite.inputs.files.push_back(dir.path() / "big.bin");
  try {
    render_sweep_setup(suite, placement());
    FAIL() << "an oversized input was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("1.00 MiB in 3 files is more than a ConfigMap holds (1 MiB); put them on a volume"), std::string::npos)
        << e.what();
  }
  suite.inputs.files = {dir.path() / "missing.txt"};
  EXPECT_THROW(render_inputs_config_map(suite, placement()), UsageError);
  std::filesystem::create_directories(dir.path() / "sub");
  write_file_atomic(dir.path() / "sub" / "run.py", "x");
  suite.inputs.files = {dir.path() / "run.py", dir.path() / "sub" / "run.py"};
  EXPECT_THROW(render_inputs_config_map(suite, placement()), UsageError);
}

TEST(SweepRender, InputsFromAVolumeAreMountedReadOnly) {
  auto suite = parse_sweep_suite(kSuite, "suite.yaml");
  suite.inputs.volume = "pvc:models";
  suite.inputs.mount_path = "/models";
  EXPECT_TRUE(render_inputs_config_map(suite, placement()).is_null());
  const auto pod = render_variant_job(suite, expand_sweep(suite)[0], 0, 1, placement()).job["spec"]["template"]["spec"];
  EXPECT_EQ(pod["volumes"][0]["persistentVolumeClaim"]["claimName"], "models");
  EXPECT_EQ(pod["containers"][0]["volumeMounts"][0]["mountPath"], "/models");
  EXPECT_EQ(pod["containers"][0]["volumeMounts"][0]["readOnly"], true);
}

}  // namespace
}  // namespace kb::jobs
