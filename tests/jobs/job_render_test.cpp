#include "jobs/job_render.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>

#include "core/error.h"

namespace kb::jobs {
namespace {

using nlohmann::json;

BenchmarkJobSpec base_spec() {
  BenchmarkJobSpec spec;
  spec.image = "registry.example/kubench:1.0";
  return spec;
}

const json& pod_spec(const json& job) { return job["spec"]["template"]["spec"]; }

std::vector<std::string> names(const json& containers) {
  std::vector<std::string> out;
  for (auto& c : containers) out.push_back(c["name"]);
  return out;
}

// The container called `name` among init containers and containers.
const json& container(const json& job, const std::string& name) {
  for (const char* list : {"initContainers", "containers"})
    for (auto& c : pod_spec(job)[list])
      if (c["name"] == name) return c;
  throw std::runtime_error("no container " + name);
}

std::vector<std::string> command(const json& c) { return c["command"].get<std::vector<std::string>>(); }

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

// The argument after `flag`, "" when absent.
std::string arg(const json& c, const std::string& flag) {
  auto cmd = command(c);
  auto it = std::find(cmd.begin(), cmd.end(), flag);
  return it == cmd.end() || it + 1 == cmd.end() ? "" : *(it + 1);
}

bool mounts(const json& c, const std::string& volume) {
  for (auto& m : c.value("volumeMounts", json::array()))
    if (m["name"] == volume) return true;
  return false;
}

const json* volume(const json& job, const std::string& name) {
  for (auto& v : pod_spec(job)["volumes"])
    if (v["name"] == name) return &v;
  return nullptr;
}

bool requests_resource(const json& c, const std::string& resource) {
  return c["resources"]["requests"].contains(resource) || c["resources"]["limits"].contains(resource);
}

bool privileged(const json& c) { return c.value("securityContext", json::object()).value("privileged", false); }

TEST(RenderJob, DefaultSpecIsQsvWithTheIntelResourceAndFileSidecar) {
  auto job = render_job(base_spec());
  EXPECT_EQ(job["apiVersion"], "batch/v1");
  EXPECT_EQ(job["kind"], "Job");
  EXPECT_EQ(job["metadata"]["name"], "kubench-bench");
  EXPECT_EQ(job["metadata"]["namespace"], "kubench-quicksync");
  EXPECT_EQ(names(pod_spec(job)["initContainers"]), (std::vector<std::string>{"check-device", "fetch-clips"}));
  EXPECT_EQ(names(pod_spec(job)["containers"]), (std::vector<std::string>{"benchmark", "power"}));

  for (const char* name : {"check-device", "benchmark"}) {
    const auto& c = container(job, name);
    EXPECT_EQ(c["resources"]["requests"]["gpu.intel.com/i915"], "1") << name;
    EXPECT_EQ(c["resources"]["limits"]["gpu.intel.com/i915"], "1") << name;
    EXPECT_FALSE(privileged(c)) << name;
  }
  for (const char* name : {"power", "fetch-clips"}) EXPECT_FALSE(requests_resource(container(job, name), "gpu.intel.com/i915")) << name;

  EXPECT_EQ(command(container(job, "check-device")), (std::vector<std::string>{"kubench", "probe", "--require", "qsv", "--termination-log", "/dev/termination-log"}));
  const auto& bench = container(job, "benchmark");
  EXPECT_EQ(arg(bench, "bench"), "--in-pod");
  EXPECT_EQ(arg(bench, "--accel"), "qsv");
  EXPECT_EQ(arg(bench, "--run-id"), "quicksync");
  EXPECT_EQ(arg(bench, "--clips"), "generated");
  EXPECT_FALSE(has(command(bench), "--tests"));

  // files sidecar: a regular container, the benchmark and power share the start/stop files.
  const auto& power = container(job, "power");
  EXPECT_FALSE(power.contains("restartPolicy"));
  for (const json* c : {&bench, &power}) {
    EXPECT_EQ(arg(*c, "--start-file"), kStartFile);
    EXPECT_EQ(arg(*c, "--stop-file"), kStopFile);
    EXPECT_TRUE(mounts(*c, "signals"));
  }
  EXPECT_EQ(arg(power, "--max-seconds"), "3600");
  ASSERT_NE(volume(job, "signals"), nullptr);
  EXPECT_EQ((*volume(job, "signals"))["emptyDir"]["medium"], "Memory");
  ASSERT_NE(volume(job, "work"), nullptr);
  EXPECT_EQ((*volume(job, "work"))["emptyDir"]["sizeLimit"], "4Gi");
  EXPECT_EQ(volume(job, "dri"), nullptr);
  EXPECT_TRUE(mounts(bench, "work"));
  EXPECT_TRUE(mounts(container(job, "fetch-clips"), "work"));
}

TEST(RenderJob, NativeSidecarRunsPowerAsARestartableInitContainer) {
  auto spec = base_spec();
  spec.sidecar = SidecarMode::native;
  auto job = render_job(spec);
  EXPECT_EQ(names(pod_spec(job)["initContainers"]), (std::vector<std::string>{"check-device", "fetch-clips", "power"}));
  EXPECT_EQ(names(pod_spec(job)["containers"]), (std::vector<std::string>{"benchmark"}));
  const auto& power = container(job, "power");
  EXPECT_EQ(power["restartPolicy"], "Always");
  EXPECT_FALSE(has(command(power), "--start-file"));
  EXPECT_FALSE(power.contains("volumeMounts"));  // empty lists are dropped
  const auto& bench = container(job, "benchmark");
  EXPECT_FALSE(has(command(bench), "--start-file"));
  EXPECT_FALSE(has(command(bench), "--stop-file"));
  EXPECT_FALSE(mounts(bench, "signals"));
  EXPECT_EQ(volume(job, "signals"), nullptr);
}

TEST(RenderJob, NoPowerMeansNoSidecarAndNoSignals) {
  auto spec = base_spec();
  spec.power = false;
  auto job = render_job(spec);
  EXPECT_EQ(names(pod_spec(job)["containers"]), (std::vector<std::string>{"benchmark"}));
  EXPECT_FALSE(has(command(container(job, "benchmark")), "--start-file"));
  EXPECT_EQ(volume(job, "signals"), nullptr);
}

TEST(RenderJob, CpuAccelRequestsNoGpuAndIsNotPrivileged) {
  auto spec = base_spec();
  spec.accel = "cpu";
  auto job = render_job(spec);
  auto text = job.dump();
  EXPECT_EQ(text.find("gpu.intel.com"), std::string::npos);
  EXPECT_EQ(text.find("privileged"), std::string::npos);
  EXPECT_EQ(command(container(job, "check-device")), (std::vector<std::string>{"kubench", "probe", "--require", "cpu", "--termination-log", "/dev/termination-log"}));
  EXPECT_EQ(arg(container(job, "benchmark"), "--accel"), "cpu");
  // Even asked for hostpath, a CPU run gets no privilege and no /dev/dri.
  spec.gpu_access = GpuAccess::hostpath;
  job = render_job(spec);
  EXPECT_EQ(job.dump().find("privileged"), std::string::npos);
  EXPECT_EQ(volume(job, "dri"), nullptr);
  EXPECT_FALSE(render_namespace(spec)["metadata"]["labels"].contains("pod-security.kubernetes.io/enforce"));
  // `share check --accel cpu` holds a share anyway, in both GPU containers (the pod asks for one).
  spec.gpu_access = GpuAccess::none;
  spec.hold_gpu_resource = true;
  spec.gpu_resource = "nvidia.com/gpu.shared";
  job = render_job(spec);
  EXPECT_EQ(container(job, "benchmark")["resources"]["limits"]["nvidia.com/gpu.shared"], "1");
  EXPECT_EQ(container(job, "check-device")["resources"]["requests"]["nvidia.com/gpu.shared"], "1");
  EXPECT_EQ(job.dump().find("privileged"), std::string::npos);
}

TEST(RenderJob, GpuAccessNoneRequestsNoResource) {
  auto spec = base_spec();
  spec.gpu_access = GpuAccess::none;
  auto job = render_job(spec);
  EXPECT_EQ(job.dump().find("gpu.intel.com"), std::string::npos);
  EXPECT_EQ(arg(container(job, "benchmark"), "--accel"), "qsv");
}

TEST(RenderJob, GpuResourceAndCountAndDeviceFollowTheSpec) {
  auto spec = base_spec();
  spec.accel = "nvenc";
  spec.gpu_resource = "nvidia.com/gpu";
  spec.gpu_count = 2;
  spec.device = "1";
  auto job = render_job(spec);
  for (const char* name : {"check-device", "benchmark"}) {
    EXPECT_EQ(container(job, name)["resources"]["limits"]["nvidia.com/gpu"], "2") << name;
    EXPECT_EQ(arg(container(job, name), "--device"), "1") << name;
  }
  EXPECT_EQ(job.dump().find("gpu.intel.com"), std::string::npos);
}

TEST(RenderJob, HostpathIsPrivilegedWithDevDri) {
  auto spec = base_spec();
  spec.gpu_access = GpuAccess::hostpath;
  auto job = render_job(spec);
  for (const char* name : {"check-device", "benchmark", "power"}) {
    const auto& c = container(job, name);
    EXPECT_TRUE(privileged(c)) << name;
    EXPECT_TRUE(mounts(c, "dri")) << name;
    EXPECT_FALSE(requests_resource(c, "gpu.intel.com/i915")) << name;
  }
  const auto& fetch = container(job, "fetch-clips");
  EXPECT_FALSE(privileged(fetch));
  EXPECT_FALSE(mounts(fetch, "dri"));
  ASSERT_NE(volume(job, "dri"), nullptr);
  EXPECT_EQ((*volume(job, "dri"))["hostPath"]["path"], "/dev/dri");
  auto ns = render_namespace(spec);
  EXPECT_EQ(ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"], "privileged");
  EXPECT_FALSE(render_namespace(base_spec())["metadata"]["labels"].contains("pod-security.kubernetes.io/enforce"));
}

TEST(RenderJob, NodeBecomesRequiredNodeAffinityNotNodeName) {
  auto spec = base_spec();
  spec.node = "gpu-node-1";
  auto job = render_job(spec);
  const auto& pod = pod_spec(job);
  EXPECT_FALSE(pod.contains("nodeName"));  // the scheduler still checks resources
  const auto& terms = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"];
  ASSERT_EQ(terms.size(), 1u);
  EXPECT_EQ(terms[0]["matchFields"],
            json::parse(R"([{"key": "metadata.name", "operator": "In", "values": ["gpu-node-1"]}])"));
  EXPECT_FALSE(pod_spec(render_job(base_spec())).contains("affinity"));
}

TEST(RenderJob, NodeSelector) {
  auto spec = base_spec();
  spec.node_selector = {{"kubernetes.io/arch", "amd64"}, {"gpu", "arc"}};
  EXPECT_EQ(pod_spec(render_job(spec))["nodeSelector"], json::parse(R"({"kubernetes.io/arch": "amd64", "gpu": "arc"})"));
  EXPECT_FALSE(pod_spec(render_job(base_spec())).contains("nodeSelector"));
}

TEST(RenderJob, JobRunsOnceWithDeadlineAndTtl) {
  auto spec = base_spec();
  spec.active_deadline_seconds = 900;
  spec.ttl_seconds_after_finished = 120;
  auto job = render_job(spec);
  EXPECT_EQ(job["spec"]["backoffLimit"], 0);
  EXPECT_EQ(job["spec"]["activeDeadlineSeconds"], 900);
  EXPECT_EQ(job["spec"]["ttlSecondsAfterFinished"], 120);
  EXPECT_EQ(pod_spec(job)["restartPolicy"], "Never");
  EXPECT_EQ(pod_spec(job)["serviceAccountName"], kServiceAccount);
  EXPECT_EQ(pod_spec(job)["automountServiceAccountToken"], false);
  EXPECT_EQ(arg(container(job, "power"), "--max-seconds"), "900");
  bool control_plane = false;
  for (auto& t : pod_spec(job)["tolerations"])
    control_plane |= t["key"] == "node-role.kubernetes.io/control-plane" && t["operator"] == "Exists" && t["effect"] == "NoSchedule";
  EXPECT_TRUE(control_plane);
}

TEST(RenderJob, LabelsOnJobAndPodTemplate) {
  auto spec = base_spec();
  spec.run_id = "nightly";
  spec.case_name = "Node_A";
  auto job = render_job(spec);
  EXPECT_EQ(job["metadata"]["name"], "kubench-bench-node-a");
  EXPECT_EQ(job["metadata"]["namespace"], "kubench-nightly");
  for (const json* labels : {&job["metadata"]["labels"], &job["spec"]["template"]["metadata"]["labels"]}) {
    EXPECT_EQ((*labels)[kRunIdLabel], "nightly");
    EXPECT_EQ((*labels)[kCaseLabel], "Node_A");
    EXPECT_EQ((*labels)[kNameLabel], "kubench");
  }
  // Per-case results do not collide.
  EXPECT_EQ(arg(container(job, "benchmark"), "--run-id"), "nightly-node-a");
  EXPECT_EQ(render_job(base_spec())["metadata"]["labels"][kCaseLabel], "default");
}

TEST(RenderJob, OfficialClipsAreFetchedFromTheUrl) {
  auto spec = base_spec();
  spec.clips = "official";
  spec.clips_url = "http://mirror.local/clips";
  auto job = render_job(spec);
  const auto& fetch = container(job, "fetch-clips");
  auto cmd = command(fetch);
  ASSERT_GE(cmd.size(), 3u);
  EXPECT_EQ((std::vector<std::string>{cmd[0], cmd[1], cmd[2]}), (std::vector<std::string>{"kubench", "clips", "fetch"}));
  EXPECT_EQ(arg(fetch, "--url"), "http://mirror.local/clips");
  EXPECT_EQ(arg(fetch, "--cache-dir"), kClipsDir);
  const auto& bench = container(job, "benchmark");
  EXPECT_EQ(arg(bench, "--clips"), "official");
  EXPECT_EQ(arg(bench, "--clips-url"), "http://mirror.local/clips");

  auto generated = container(render_job(base_spec()), "fetch-clips");
  EXPECT_EQ(command(generated)[2], "generate");
  EXPECT_EQ(arg(generated, "--profile"), "quick");
  EXPECT_FALSE(has(command(generated), "--url"));
}

TEST(RenderJob, TestsAreJoinedByCommas) {
  auto spec = base_spec();
  spec.tests = {"h264-1080p", "hevc-4k", "av1-1080p"};
  spec.concurrency = true;
  auto bench = container(render_job(spec), "benchmark");  // a copy: the Job is a temporary
  EXPECT_EQ(arg(bench, "--tests"), "h264-1080p,hevc-4k,av1-1080p");
  EXPECT_TRUE(has(command(bench), "--concurrency"));
}

TEST(RenderJob, EveryContainerGetsTheNodeNameFromTheDownwardApi) {
  auto job = render_job(base_spec());
  for (const char* name : {"check-device", "fetch-clips", "benchmark", "power"}) {
    bool found = false;
    for (auto& e : container(job, name)["env"])
      if (e["name"] == "KUBENCH_NODE_NAME") found = e["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName";
    EXPECT_TRUE(found) << name;
  }
}

TEST(RenderJob, CheckDeviceReportsItsLogOnError) {
  auto job = render_job(base_spec());
  EXPECT_EQ(container(job, "check-device")["terminationMessagePolicy"], "FallbackToLogsOnError");
  EXPECT_EQ(container(job, "fetch-clips")["terminationMessagePolicy"], "FallbackToLogsOnError");
}

TEST(RenderJob, NoImageIsAUsageError) {
  BenchmarkJobSpec spec;
  EXPECT_THROW(render_job(spec), UsageError);
  EXPECT_THROW(render_run({spec}), UsageError);
  EXPECT_THROW(render_run({}), UsageError);
}

TEST(RenderRun, NamespaceAndServiceAccountThenOneJobPerSpec) {
  auto a = base_spec(), b = base_spec();
  a.case_name = "n1";
  b.case_name = "n2";
  auto objects = render_run({a, b});
  ASSERT_EQ(objects.size(), 4u);
  EXPECT_EQ(objects[0]["kind"], "Namespace");
  EXPECT_EQ(objects[0]["metadata"]["name"], "kubench-quicksync");
  EXPECT_EQ(objects[1]["kind"], "ServiceAccount");
  EXPECT_EQ(objects[1]["metadata"]["namespace"], "kubench-quicksync");
  EXPECT_EQ(objects[1]["automountServiceAccountToken"], false);
  EXPECT_EQ(objects[2]["metadata"]["name"], "kubench-bench-n1");
  EXPECT_EQ(objects[3]["metadata"]["name"], "kubench-bench-n2");
}

// YAML -> JSON as the API server reads it: quoted scalars are strings, plain ones are typed.
json yaml_to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null: return nullptr;
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (auto& item : n) out.push_back(yaml_to_json(item));
      return out;
    }
    case YAML::NodeType::Map: {
      json out = json::object();
      for (auto& kv : n) out[kv.first.Scalar()] = yaml_to_json(kv.second);
      return out;
    }
    case YAML::NodeType::Scalar: {
      const auto& s = n.Scalar();
      if (n.Tag() != "?") return s;  // quoted
      if (s == "true" || s == "false") return s == "true";
      long long i;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
      if (ec == std::errc() && end == s.data() + s.size()) return i;
      return s;
    }
    default: return nullptr;
  }
}

TEST(ManifestYaml, DocumentsParseBackToTheSameObjects) {
  auto spec = base_spec();
  spec.gpu_access = GpuAccess::hostpath;
  spec.node = "n1";
  spec.tests = {"1"};  // strings that look like numbers or booleans must stay strings
  spec.node_selector = {{"gpu", "true"}};
  auto other = base_spec();
  other.case_name = "native";
  other.sidecar = SidecarMode::native;
  auto objects = render_run({spec, other});
  auto text = to_manifest_yaml(objects);
  EXPECT_EQ(text.rfind("---\n", 0), 0u);
  size_t separators = 0;
  for (size_t p = text.find("---\n"); p != std::string::npos; p = text.find("---\n", p + 1))
    if (p == 0 || text[p - 1] == '\n') ++separators;
  EXPECT_EQ(separators, objects.size());

  auto docs = YAML::LoadAll(text);
  ASSERT_EQ(docs.size(), objects.size());
  for (size_t i = 0; i < docs.size(); ++i) EXPECT_EQ(yaml_to_json(docs[i]), objects[i]) << "document " << i;
}

}  // namespace
}  // namespace kb::jobs
