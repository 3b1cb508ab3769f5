#include "jobs/job_render.h"

#include "core/error.h"
#include "core/output.h"
#include "core/text.h"
#include "jobs/image_platforms.h"

namespace kb::jobs {

using nlohmann::json;

namespace {

json run_labels(const BenchmarkJobSpec& spec) {
  json labels = {{kNameLabel, "kubench"}, {kRunIdLabel, label_value(spec.run_id)}};
  return labels;
}

json job_labels(const BenchmarkJobSpec& spec) {
  json labels = run_labels(spec);
  labels[kComponentLabel] = "benchmark";
  labels[kCaseLabel] = label_value(spec.case_name.empty() ? "default" : spec.case_name);
  return labels;
}

json env_from_field(const std::string& name, const std::string& path) {
  return {{"name", name}, {"valueFrom", {{"fieldRef", {{"fieldPath", path}}}}}};
}

json pod_env() {
  return json::array({env_from_field("KUBENCH_NODE_NAME", "spec.nodeName"), env_from_field("KUBENCH_POD_NAME", "metadata.name")});
}

void append(json& command, std::initializer_list<std::string> args) {
  for (auto& a : args) command.push_back(a);
}

bool needs_device(const BenchmarkJobSpec& spec) { return spec.accel != "cpu" && spec.gpu_access != GpuAccess::none; }

// Requests/limits of a container that touches the GPU (check-device, benchmark). A CPU benchmark
// told to hold the resource anyway (`share check --accel cpu`) requests it too.
json device_resources(const BenchmarkJobSpec& spec) {
  json r = {{"requests", {{"cpu", spec.cpu_request}, {"memory", spec.memory_request}}},
            {"limits", {{"memory", spec.memory_limit}}}};
  if ((needs_device(spec) && spec.gpu_access == GpuAccess::resource) || spec.hold_gpu_resource) {
    r["requests"][spec.gpu_resource] = std::to_string(spec.gpu_count);
    r["limits"][spec.gpu_resource] = std::to_string(spec.gpu_count);
  }
  return r;
}

// Privileged with /dev/dri mounted: only in hostpath mode.
void add_host_device(const BenchmarkJobSpec& spec, json& container) {
  if (spec.gpu_access != GpuAccess::hostpath || spec.accel == "cpu") return;
  container["securityContext"] = {{"privileged", true}};
  container["volumeMounts"].push_back({{"name", "dri"}, {"mountPath", "/dev/dri"}});
}

json container(const BenchmarkJobSpec& spec, const std::string& name, const json& command) {
  return {{"name", name},
          {"image", spec.image},
          {"imagePullPolicy", spec.image_pull_policy},
          {"command", command},
          {"env", pod_env()},
          {"volumeMounts", json::array()}};
}

void add_device_flags(const BenchmarkJobSpec& spec, json& command) {
  append(command, {"--accel", spec.accel});
  if (!spec.device.empty()) append(command, {"--device", spec.device});
}

json check_device_container(const BenchmarkJobSpec& spec) {
  json command = {"kubench", "probe", "--require", spec.accel, "--termination-log", "/dev/termination-log"};
  if (!spec.device.empty()) append(command, {"--device", spec.device});
  auto c = container(spec, kCheckDeviceContainer, command);
  c["resources"] = device_resources(spec);
  // The one-line reason ("node X: no working QSV encoder: ...") goes to the termination message;
  // a crash before that still leaves the log's tail.
  c["terminationMessagePolicy"] = "FallbackToLogsOnError";
  add_host_device(spec, c);
  return c;
}

json fetch_clips_container(const BenchmarkJobSpec& spec) {
  json command;
  if (spec.clips == "official") {
    command = {"kubench", "clips", "fetch", "--cache-dir", kClipsDir};
    if (!spec.clips_url.empty()) append(command, {"--url", spec.clips_url});
  } else {
    command = {"kubench", "clips", "generate", "--profile", spec.profile, "--cache-dir", kClipsDir};
  }
  auto c = container(spec, kFetchClipsContainer, command);
  c["resources"] = {{"requests", {{"cpu", spec.cpu_request}, {"memory", spec.memory_request}}},
                    {"limits", {{"memory", spec.memory_limit}}}};
  c["terminationMessagePolicy"] = "FallbackToLogsOnError";
  c["volumeMounts"].push_back({{"name", "work"}, {"mountPath", "/work"}});
  return c;
}

json benchmark_container(const BenchmarkJobSpec& spec) {
  json command = {"kubench", "bench", "--in-pod"};
  add_device_flags(spec, command);
  std::string run_id = spec.case_name.empty() ? spec.run_id : spec.run_id + "-" + dns_label(spec.case_name);
  append(command, {"--profile", spec.profile, "--clips", spec.clips == "official" ? "official" : "generated",
                   "--cache-dir", kClipsDir, "--results-dir", kResultsDir, "--run-id", run_id});
  if (spec.clips == "official" && !spec.clips_url.empty()) append(command, {"--clips-url", spec.clips_url});
  if (!spec.tests.empty()) {
    std::string tests;
    for (auto& t : spec.tests) tests += (tests.empty() ? "" : ",") + t;
    append(command, {"--tests", tests});
  }
  if (spec.concurrency) append(command, {"--concurrency"});
  if (spec.power && spec.sidecar == SidecarMode::files) append(command, {"--start-file", kStartFile, "--stop-file", kStopFile});
  auto c = container(spec, kBenchmarkContainer, command);
  c["resources"] = device_resources(spec);
  c["terminationMessagePolicy"] = "File";
  c["volumeMounts"].push_back({{"name", "work"}, {"mountPath", "/work"}});
  if (spec.power && spec.sidecar == SidecarMode::files) c["volumeMounts"].push_back({{"name", "signals"}, {"mountPath", "/signals"}});
  add_host_device(spec, c);
  return c;
}

json power_container(const BenchmarkJobSpec& spec) {
  json command = {"kubench", "power"};
  add_device_flags(spec, command);
  if (spec.sidecar == SidecarMode::files) append(command, {"--start-file", kStartFile, "--stop-file", kStopFile});
  // A bound in case the benchmark dies without writing the stop file.
  append(command, {"--max-seconds", std::to_string(spec.active_deadline_seconds), "--termination-log", "/dev/termination-log"});
  auto c = container(spec, kPowerContainer, command);
  c["resources"] = {{"requests", {{"cpu", "50m"}, {"memory", "64Mi"}}}, {"limits", {{"memory", "256Mi"}}}};
  c["terminationMessagePolicy"] = "File";
  if (spec.sidecar == SidecarMode::files) c["volumeMounts"].push_back({{"name", "signals"}, {"mountPath", "/signals"}});
  else c["restartPolicy"] = "Always";
  // Power sensors (RAPL, intel_gpu_top) want what the benchmark container does not need.
  add_host_device(spec, c);
  return c;
}

}  // namespace

json control_plane_tolerations() {
  return json::array({{{"key", "node-role.kubernetes.io/control-plane"}, {"operator", "Exists"}, {"effect", "NoSchedule"}},
                     {{"key", "node-role.kubernetes.io/master"}, {"operator", "Exists"}, {"effect", "NoSchedule"}}});
}

json render_namespace(const BenchmarkJobSpec& spec) {
  json labels = run_labels(spec);
  // A privileged pod is refused by Pod Security admission unless its namespace allows it.
  if (spec.gpu_access == GpuAccess::hostpath && spec.accel != "cpu") labels["pod-security.kubernetes.io/enforce"] = "privileged";
  return {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", spec.namespace_or_default()}, {"labels", labels}}}};
}

json render_service_account(const BenchmarkJobSpec& spec) {
  return {{"apiVersion", "v1"},
          {"kind", "ServiceAccount"},
          {"metadata", {{"name", kServiceAccount}, {"namespace", spec.namespace_or_default()}, {"labels", run_labels(spec)}}},
          {"automountServiceAccountToken", false}};
}

json render_job(const BenchmarkJobSpec& spec) {
  if (spec.image.empty()) throw UsageError("no image given (--image)");
  json init = json::array({check_device_container(spec), fetch_clips_container(spec)});
  json containers = json::array({benchmark_container(spec)});
  if (spec.power) (spec.sidecar == SidecarMode::native ? init : containers).push_back(power_container(spec));

  for (auto* list : {&init, &containers})
    for (auto& c : *list)
      if (c["volumeMounts"].empty()) c.erase("volumeMounts");

  json volumes = json::array({{{"name", "work"}, {"emptyDir", {{"sizeLimit", spec.clips_size_limit}}}}});
  if (spec.power && spec.sidecar == SidecarMode::files)
    volumes.push_back({{"name", "signals"}, {"emptyDir", {{"medium", "Memory"}, {"sizeLimit", "1Mi"}}}});
  if (spec.gpu_access == GpuAccess::hostpath && spec.accel != "cpu")
    volumes.push_back({{"name", "dri"}, {"hostPath", {{"path", "/dev/dri"}, {"type", "Directory"}}}});

  json pod = {{"serviceAccountName", kServiceAccount},
              {"automountServiceAccountToken", false},
              {"enableServiceLinks", false},
              {"restartPolicy", "Never"},
              {"terminationGracePeriodSeconds", 10},
              {"initContainers", init},
              {"containers", containers},
              {"volumes", volumes},
              {"tolerations", control_plane_tolerations()}};
  if (!spec.node.empty())
    pod["affinity"] = {{"nodeAffinity",
                        {{"requiredDuringSchedulingIgnoredDuringExecution",
                          {{"nodeSelectorTerms",
                            json::array({{{"matchFields", json::array({{{"key", "metadata.name"}, {"operator", "In"}, {"values", json::array({spec.node})}}})}}})}}}}}};
  if (!spec.node_selector.empty()) pod["nodeSelector"] = spec.node_selector;
  if (!spec.architectures.empty()) require_architectures(pod, spec.architectures);

  json labels = job_labels(spec);
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata", {{"name", spec.job_name()}, {"namespace", spec.namespace_or_default()}, {"labels", labels}}},
          {"spec",
           {{"backoffLimit", 0},
            {"completions", 1},
            {"parallelism", 1},
            {"activeDeadlineSeconds", spec.active_deadline_seconds},
            {"ttlSecondsAfterFinished", spec.ttl_seconds_after_finished},
            {"template", {{"metadata", {{"labels", labels}}}, {"spec", pod}}}}}};
}

std::vector<json> render_run(const std::vector<BenchmarkJobSpec>& specs) {
  if (specs.empty()) throw UsageError("nothing to render");
  std::vector<json> objects{render_namespace(specs.front()), render_service_account(specs.front())};
  for (auto& s : specs) objects.push_back(render_job(s));
  return objects;
}

std::string to_manifest_yaml(const std::vector<json>& objects) {
  std::string out;
  for (auto& o : objects) out += "---\n" + to_yaml(o);
  return out;
}

}  // namespace kb::jobs
