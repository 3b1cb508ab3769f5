#include "jobs/sweep_render.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "core/error.h"
#include "core/files.h"
#include "core/text.h"
#include "jobs/benchmark_spec.h"
#include "jobs/image_platforms.h"
#include "jobs/job_render.h"
#include "jobs/scene_job.h"

namespace kb::jobs {

using nlohmann::json;

namespace {

constexpr const char* kInputsVolume = "inputs";

json sweep_labels(const SweepPlacement& where) {
  return {{kNameLabel, "kubench"}, {kComponentLabel, "sweep"}, {kRunIdLabel, label_value(where.run_id)}, {kSweepLabel, label_value(where.sweep_id)}};
}


// Where a variant's pod sees the inputs: {{ inputs }}.
std::map<std::string, std::string> pod_builtins(const SweepSuite& suite) { return {{"inputs", suite.inputs.mount_path}}; }


// Everything about the pod that comes from the target and the variant's settings.
void place_on_target(json& pod, const SweepTarget& target, const SweepSettings& settings) {
  if (!target.node_selector.empty()) pod["nodeSelector"] = target.node_selector;
  if (target.affinity.is_object()) pod["affinity"] = target.affinity;
  if (target.tolerations.is_array()) {
    auto& tolerations = pod["tolerations"];
    if (!tolerations.is_array()) tolerations = json::array();
    for (const auto& t : target.tolerations) tolerations.push_back(t);
  }
  if (!target.runtime_class.empty()) pod["runtimeClassName"] = target.runtime_class;
  if (!settings.priority_class.empty()) pod["priorityClassName"] = settings.priority_class;
}

// The target's requests and limits on the container that does the work (over what it had).
void apply_resources(json& container, const SweepTarget& target) {
  auto& r = container["resources"];
  if (!r.is_object()) r = json::object();
  for (const auto& [name, q] : target.requests) r["requests"][name] = q;
  for (const auto& [name, q] : target.limits) r["limits"][name] = q;
  if (r.empty()) container.erase("resources");
}

void mount_inputs(json& pod, json& container, const SweepSuite& suite, const SweepPlacement& where) {
  if (suite.inputs.empty()) return;
  json volume = {{"name", kInputsVolume}};
  if (!suite.inputs.files.empty()) {
    volume["configMap"] = {{"name", dns_label("kubench-inputs-" + where.run_id)}};
  } else {
    auto source = parse_scene_volume(suite.inputs.volume);
    json v;
    switch (source.kind) {
      case SceneVolume::Kind::host_path: v = {{"hostPath", {{"path", source.path}, {"type", "Directory"}}}}; break;
      case SceneVolume::Kind::pvc: v = {{"persistentVolumeClaim", {{"claimName", source.claim}, {"readOnly", true}}}}; break;
      case SceneVolume::Kind::nfs: v = {{"nfs", {{"server", source.server}, {"path", source.path}, {"readOnly", true}}}}; break;
    }
    volume.update(v);
  }
  pod["volumes"].push_back(volume);
  container["volumeMounts"].push_back({{"name", kInputsVolume}, {"mountPath", suite.inputs.mount_path}, {"readOnly", true}});
}

json variant_env(const SweepVariant& v, size_t index) {
  json env = json::array();
  for (const auto& [name, value] : variant_environment(v, index)) env.push_back({{"name", name}, {"value", value}});
  return env;
}

json single_container_pod(json c, const SweepSuite& suite, const SweepPlacement& where);

json container_job_pod(const SweepSuite& suite, const SweepVariant& v, size_t index, const SweepPlacement& where) {
  const auto& w = suite.workload;
  if (!w.contains("image")) throw UsageError(suite.file + ": workload.container: an image is needed to run on Kubernetes (local is for runs without --kube)");
  json c = {{"name", kWorkloadContainer},
            {"image", workload_text(suite, v, "image", "")},
            {"imagePullPolicy", w.value("imagePullPolicy", "IfNotPresent")},
            {"terminationMessagePolicy", "File"},
            {"env", variant_env(v, index)},
            {"volumeMounts", json::array()}};
  if (w.contains("command")) c["command"] = workload_list(suite, v, "command", pod_builtins(suite));
  if (w.contains("args")) c["args"] = workload_list(suite, v, "args", pod_builtins(suite));
  if (w.contains("workingDir")) c["workingDir"] = workload_text(suite, v, "workingDir", "", pod_builtins(suite));
  for (const auto& [k, val] : workload_env(suite, v, pod_builtins(suite))) c["env"].push_back({{"name", k}, {"value", val}});
  return single_container_pod(std::move(c), suite, where);
}

// `kubench infer` in the workload's image (one with kubench and libtorch: kubench's own), its
// result handed over with --in-pod.
json infer_job_pod(const SweepSuite& suite, const SweepVariant& v, size_t index, const SweepPlacement& where) {
  const auto image = workload_text(suite, v, "image", "");
  if (image.empty()) throw UsageError(suite.file + ": workload.infer: an image with kubench is needed (image: …)");
  auto args = infer_arguments(suite, v, pod_builtins(suite));
  args.push_back("--in-pod");
  json env = variant_env(v, index);
  env.push_back({{"name", "KUBENCH_NODE_NAME"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "spec.nodeName"}}}}}});
  json c = {{"name", kWorkloadContainer},
            {"image", image},
            {"imagePullPolicy", workload_text(suite, v, "imagePullPolicy", "IfNotPresent")},
            {"command", json::array({"kubench"})},
            {"args", args},
            {"terminationMessagePolicy", "File"},
            {"env", env},
            {"volumeMounts", json::array()}};
  return single_container_pod(std::move(c), suite, where);
}

json single_container_pod(json c, const SweepSuite& suite, const SweepPlacement& where) {
  json pod = {{"serviceAccountName", kSweepServiceAccount},
              {"automountServiceAccountToken", false},
              {"enableServiceLinks", false},
              {"restartPolicy", "Never"},
              {"terminationGracePeriodSeconds", 10},
              {"volumes", json::array()}};
  mount_inputs(pod, c, suite, where);
  if (c["volumeMounts"].empty()) c.erase("volumeMounts");
  if (pod["volumes"].empty()) pod.erase("volumes");
  pod["containers"] = json::array({c});
  return pod;
}

BenchmarkJobSpec bench_spec(const SweepSuite& suite, const SweepVariant& v, const SweepPlacement& where) {
  const auto text = [&](const char* key, const std::string& fallback) { return workload_text(suite, v, key, fallback); };
  BenchmarkJobSpec spec;
  spec.run_id = where.run_id;
  spec.namespace_name = where.namespace_name;
  spec.image = text("image", "");
  if (spec.image.empty()) throw UsageError(suite.file + ": workload.bench: an image with kubench is needed (image: …)");
  spec.image_pull_policy = text("imagePullPolicy", "IfNotPresent");
  spec.accel = text("accel", "cpu");
  spec.device = text("device", "");
  spec.profile = text("profile", "quick");
  spec.concurrency = text("concurrency", "false") == "true";
  spec.clips = text("clips", "generated");
  if (spec.clips != "generated" && spec.clips != "official")
    throw UsageError(suite.file + ": workload.bench.clips: on Kubernetes the clips are generated or official, not '" + spec.clips + "'");
  spec.tests = workload_list(suite, v, "tests");
  // The target's resources give the device; kubench's own default device resource stays out.
  spec.gpu_access = GpuAccess::none;
  spec.power = spec.accel != "cpu";
  return spec;
}

}  // namespace

std::string kubench_image(const SweepSuite& suite, const SweepVariant& variant) {
  return suite.workload_kind == "container" ? std::string() : workload_text(suite, variant, "image", "");
}

std::string variant_case(size_t index) { return "v" + std::to_string(index); }

std::vector<json> render_sweep_setup(const SweepSuite& suite, const SweepPlacement& where) {
  std::vector<json> out;
  if (where.own_namespace)
    out.push_back({{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", where.namespace_name}, {"labels", sweep_labels(where)}}}});
  out.push_back({{"apiVersion", "v1"},
                 {"kind", "ServiceAccount"},
                 {"metadata", {{"name", kSweepServiceAccount}, {"namespace", where.namespace_name}, {"labels", sweep_labels(where)}}},
                 {"automountServiceAccountToken", false}});
  if (suite.network_none)
    out.push_back({{"apiVersion", "networking.k8s.io/v1"},
                   {"kind", "NetworkPolicy"},
                   {"metadata", {{"name", dns_label("kubench-deny-" + where.run_id)}, {"namespace", where.namespace_name}, {"labels", sweep_labels(where)}}},
                   {"spec",
                    {{"podSelector", {{"matchLabels", {{kRunIdLabel, label_value(where.run_id)}}}}},
                     {"policyTypes", json::array({"Ingress", "Egress"})}}}});
  if (auto cm = render_inputs_config_map(suite, where); !cm.is_null()) out.push_back(std::move(cm));
  return out;
}

json render_inputs_config_map(const SweepSuite& suite, const SweepPlacement& where) {
  if (suite.inputs.files.empty()) return nullptr;
  json data = json::object(), binary = json::object();
  size_t total = 0;
  std::map<std::string, std::string> seen;
  for (const auto& path : suite.inputs.files) {
    const auto key = path.filename().string();
    const bool valid_key = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    });
    if (!valid_key) throw UsageError(suite.file + ": inputs.files: '" + key + "' cannot be a ConfigMap key (letters, digits, - _ . only)");
    if (auto [it, fresh] = seen.emplace(key, path.string()); !fresh)
      throw UsageError(suite.file + ": inputs.files: " + it->second + " and " + path.string() + " are both named " + key + " in the pod");
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) throw UsageError(suite.file + ": inputs.files: " + path.string() + ": no such file");
    const auto content = read_file(path);
    total += key.size() + content.size();
    if (is_valid_utf8(content)) data[key] = content;
    else binary[key] = base64_encode(content);
  }
  if (total > kConfigMapLimit)
    throw UsageError(suite.file + ": inputs.files: " + fixed(static_cast<double>(total) / 1048576.0, 2) + " MiB in " + std::to_string(suite.inputs.files.size()) +
                     (suite.inputs.files.size() == 1 ? " file" : " files") +
                     " is more than a ConfigMap holds (1 MiB); put them on a volume instead (inputs.volume: pvc:CLAIM, hostpath:/DIR or nfs:SERVER:/EXPORT)");
  json cm = {{"apiVersion", "v1"},
             {"kind", "ConfigMap"},
             {"metadata", {{"name", dns_label("kubench-inputs-" + where.run_id)}, {"namespace", where.namespace_name}, {"labels", sweep_labels(where)}}}};
  if (!data.empty()) cm["data"] = data;
  if (!binary.empty()) cm["binaryData"] = binary;
  return cm;
}

VariantJob render_variant_job(const SweepSuite& suite, const SweepVariant& variant, size_t index, int attempt, const SweepPlacement& where) {
  const auto& target = find_target(suite, variant.target);
  const auto settings = settings_for(suite, variant);
  VariantJob out;
  out.case_label = variant_case(index);
  json labels = sweep_labels(where);
  labels[kCaseLabel] = out.case_label;
  json annotations = {{kVariantAnnotation, variant.id}, {kAttemptAnnotation, std::to_string(attempt)}};
  const std::string name = dns_label(where.run_id, 40) + "-" + out.case_label + "-a" + std::to_string(attempt);

  json pod;
  if (suite.workload_kind == "container" || suite.workload_kind == "infer") {
    pod = suite.workload_kind == "container" ? container_job_pod(suite, variant, index, where) : infer_job_pod(suite, variant, index, where);
    apply_resources(pod["containers"][0], target);
    out.result_container = kWorkloadContainer;
  } else if (suite.workload_kind == "bench") {
    const auto spec = bench_spec(suite, variant, where);
    pod = render_job(spec)["spec"]["template"]["spec"];
    pod["serviceAccountName"] = kSweepServiceAccount;
    for (auto& c : pod["containers"]) {
      if (c["name"] != kBenchmarkContainer) continue;
      apply_resources(c, target);
      if (!suite.inputs.empty()) {
        if (!c.contains("volumeMounts")) c["volumeMounts"] = json::array();
        mount_inputs(pod, c, suite, where);
      }
    }
    out.result_container = kBenchmarkContainer;
    out.power = spec.power;
  }
  place_on_target(pod, target, settings);
  if (suite.workload_kind != "container" && !where.architectures.empty()) require_architectures(pod, where.architectures);

  out.job = {{"apiVersion", "batch/v1"},
             {"kind", "Job"},
             {"metadata", {{"name", name}, {"namespace", where.namespace_name}, {"labels", labels}, {"annotations", annotations}}},
             {"spec",
              {{"backoffLimit", 0},  // kubench retries itself, and only what a retry can fix
               {"completions", 1},
               {"parallelism", 1},
               {"activeDeadlineSeconds", static_cast<long>(settings.timeout_s + 0.5)},
               {"ttlSecondsAfterFinished", where.ttl_seconds},
               {"template", {{"metadata", {{"labels", labels}, {"annotations", annotations}}}, {"spec", pod}}}}}};
  return out;
}

}  // namespace kb::jobs
