#include "encode/kube_objects.h"

#include "core/error.h"
#include "core/text.h"
#include "jobs/benchmark_spec.h"
#include "jobs/image_platforms.h"
#include "jobs/job_render.h"

namespace kb::encode {

using nlohmann::json;

namespace {

constexpr const char* kTokenDir = "/etc/kubench";
constexpr const char* kTokenFile = "/etc/kubench/worker-token";

json labels(const KubeEncodeSpec& spec, const std::string& component) {
  return {{jobs::kNameLabel, "kubench"}, {jobs::kComponentLabel, component}, {jobs::kRunIdLabel, jobs::label_value(spec.run_id)}};
}

json metadata(const KubeEncodeSpec& spec, const std::string& name, const std::string& component) {
  return {{"name", name}, {"namespace", spec.namespace_name}, {"labels", labels(spec, component)}};
}

json node_name_env() {
  return {{"name", "KUBENCH_NODE_NAME"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "spec.nodeName"}}}}}};
}

json data_mount() { return {{"name", "data"}, {"mountPath", jobs::kSceneVolumeMount}}; }

json token_volume(const KubeEncodeSpec& spec) {
  return {{"name", "token"}, {"secret", {{"secretName", token_secret_name(spec)}, {"defaultMode", 0400}}}};
}

json token_mount() { return {{"name", "token"}, {"mountPath", kTokenDir}, {"readOnly", true}}; }

// A one-replica Deployment of `container` whose pods carry `pod_labels`.
json deployment(const KubeEncodeSpec& spec, const std::string& name, const std::string& component, const json& pod_labels,
                const json& container, const json& volumes, int grace_seconds) {
  json pod = {{"automountServiceAccountToken", false},
              {"enableServiceLinks", false},
              {"terminationGracePeriodSeconds", grace_seconds},
              {"containers", json::array({container})},
              {"volumes", volumes},
              {"tolerations", jobs::control_plane_tolerations()}};
  if (!spec.architectures.empty()) jobs::require_architectures(pod, spec.architectures);
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata", metadata(spec, name, component)},
          {"spec",
           {{"replicas", 1},
            {"selector", {{"matchLabels", pod_labels}}},
            {"template", {{"metadata", {{"labels", pod_labels}}}, {"spec", pod}}}}}};
}

std::string millicores(long long milli) { return std::to_string(milli) + "m"; }

// A Job of one pod running `kubench encode-pod STAGE …` with its answer framed in the log.
json stage_job(const KubeEncodeSpec& spec, const std::string& name, const std::string& stage, json args) {
  json command = {"kubench", "encode-pod", stage};
  for (auto& a : args) command.push_back(a);
  command.push_back("--result-frame");
  auto l = labels(spec, "encode-" + stage);
  l[jobs::kCaseLabel] = stage;
  json container = {{"name", kEncodeContainer},
                    {"image", spec.image},
                    {"imagePullPolicy", spec.image_pull_policy},
                    {"command", command},
                    {"env", json::array({node_name_env()})},
                    {"resources", {{"requests", {{"cpu", "1"}, {"memory", "256Mi"}}}, {"limits", {{"memory", spec.memory_limit}}}}},
                    {"volumeMounts", json::array({data_mount()})},
                    {"terminationMessagePolicy", "FallbackToLogsOnError"}};
  json pod = {{"automountServiceAccountToken", false},
              {"enableServiceLinks", false},
              {"restartPolicy", "Never"},
              {"terminationGracePeriodSeconds", 5},
              {"containers", json::array({container})},
              {"volumes", json::array({jobs::volume_json(spec.volume)})},
              {"tolerations", jobs::control_plane_tolerations()}};
  if (!spec.join_node.empty()) pod["nodeSelector"] = {{"kubernetes.io/hostname", spec.join_node}};
  if (!spec.architectures.empty()) jobs::require_architectures(pod, spec.architectures);
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata", {{"name", name}, {"namespace", spec.namespace_name}, {"labels", l}}},
          {"spec",
           {{"backoffLimit", 0},
            {"activeDeadlineSeconds", spec.deadline_seconds},
            {"template", {{"metadata", {{"labels", l}}}, {"spec", pod}}}}}};
}

jobs::RunOptions stage_run(const KubeEncodeSpec& spec, json job, const std::string& stage, const std::string& kind) {
  jobs::RunOptions o;
  o.run_id = spec.run_id;
  o.namespace_name = spec.namespace_name;
  o.own_namespace = false;
  jobs::RunTarget t;
  t.case_name = stage;
  t.job_name = job["metadata"]["name"];
  t.node = spec.join_node;
  t.result_container = kEncodeContainer;
  o.targets.push_back(t);
  o.jobs.push_back(std::move(job));
  o.max_parallel = 1;
  o.require_zero_exit = true;
  o.result_ok = [kind](const json& result) { return result.value("kind", "") == kind; };
  return o;
}

}  // namespace

std::string broker_name(const KubeEncodeSpec& spec) { return jobs::dns_label("kubench-" + spec.run_id + "-broker"); }
std::string token_secret_name(const KubeEncodeSpec& spec) { return jobs::dns_label("kubench-" + spec.run_id + "-token"); }
std::string worker_name(const KubeEncodeSpec& spec, size_t i) { return jobs::dns_label("kubench-" + spec.run_id + "-w" + std::to_string(i)); }
std::string prepare_job_name(const KubeEncodeSpec& spec) { return jobs::dns_label("kubench-" + spec.run_id + "-prepare"); }
std::string join_job_name(const KubeEncodeSpec& spec) { return jobs::dns_label("kubench-" + spec.run_id + "-join"); }

std::string run_selector(const KubeEncodeSpec& spec) { return std::string(jobs::kRunIdLabel) + "=" + jobs::label_value(spec.run_id); }

std::vector<json> render_broker(const KubeEncodeSpec& spec, const std::string& worker_token) {
  if (spec.image.empty()) throw UsageError("no image given (--image)");
  const auto name = broker_name(spec);
  json secret = {{"apiVersion", "v1"},
                 {"kind", "Secret"},
                 {"metadata", metadata(spec, token_secret_name(spec), "encode-broker")},
                 {"type", "Opaque"},
                 {"stringData", {{"worker-token", worker_token}}}};
  auto pod_labels = labels(spec, "encode-broker");
  // Clients (kubench, through the API server's service proxy) need no token: a submit only names
  // a part of this run's plan. Workers do: only they may take and complete parts.
  json container = {{"name", "broker"},
                    {"image", spec.image},
                    {"imagePullPolicy", spec.image_pull_policy},
                    {"command", {"kubench", "queue", "serve", "--listen", "0.0.0.0:" + std::to_string(kBrokerPort), "--queue", kEncodeQueue,
                                 "--lease-seconds", std::to_string(spec.lease_seconds), "--max-attempts", "3", "--worker-token-file", kTokenFile}},
                    {"ports", json::array({{{"name", "http"}, {"containerPort", kBrokerPort}, {"protocol", "TCP"}}})},
                    {"readinessProbe", {{"httpGet", {{"path", "/readyz"}, {"port", kBrokerPort}}}, {"periodSeconds", 1}}},
                    {"resources", {{"requests", {{"cpu", "50m"}, {"memory", "32Mi"}}}, {"limits", {{"memory", "256Mi"}}}}},
                    {"volumeMounts", json::array({token_mount()})}};
  auto broker = deployment(spec, name, "encode-broker", pod_labels, container, json::array({token_volume(spec)}), 2);
  json service = {{"apiVersion", "v1"},
                  {"kind", "Service"},
                  {"metadata", metadata(spec, name, "encode-broker")},
                  {"spec", {{"selector", pod_labels}, {"ports", json::array({{{"name", "http"}, {"port", kBrokerPort}, {"targetPort", kBrokerPort}, {"protocol", "TCP"}}})}}}};
  return {secret, broker, service};
}

std::vector<json> render_workers(const KubeEncodeSpec& spec) {
  if (spec.workers.empty()) throw UsageError("the route has no worker");
  std::vector<json> out;
  for (size_t i = 0; i < spec.workers.size(); ++i) {
    const auto& w = spec.workers[i];
    auto pod_labels = labels(spec, "encode-worker");
    pod_labels[jobs::kCaseLabel] = jobs::label_value(w.node + "-" + w.encoder);
    const auto broker = spec.broker_address.empty() ? broker_name(spec) : spec.broker_address;
    json command = {"kubench", "queue", "work", "--broker", "http://" + broker + ":" + std::to_string(kBrokerPort),
                    "--queue", kEncodeQueue, "--workload", "exec", "--slots", std::to_string(w.slots), "--allow-request-args",
                    "--arg-pattern", "[0-9]{1,9}", "--lease-seconds", std::to_string(spec.lease_seconds), "--token-file", kTokenFile,
                    "--backoff", "0.2", "--backoff-max", "2"};
    const bool render_node = w.backend == probe::Backend::vaapi || w.backend == probe::Backend::qsv;
    if (render_node) command.insert(command.end(), {"--device-glob", "/dev/dri/renderD*"});
    // The class's own family (with mixed encoders the plan's may be another's) and, on render
    // nodes, the slot's device.
    command.insert(command.end(), {"--", "kubench", "encode-pod", "part", "--work-dir", spec.work_dir, "--backend", probe::to_string(w.backend)});
    if (render_node) command.insert(command.end(), {"--device", "{device}"});
    const long long cpu = static_cast<long long>(w.slots) * spec.cpu_milli_per_part;
    json resources = {{"requests", {{"cpu", millicores(w.backend == probe::Backend::cpu ? cpu : 500)}, {"memory", "256Mi"}}},
                      {"limits", {{"memory", spec.memory_limit}}}};
    if (!w.gpu_resource.empty()) {
      resources["requests"][w.gpu_resource] = "1";
      resources["limits"][w.gpu_resource] = "1";
    }
    json container = {{"name", "worker"},
                      {"image", spec.image},
                      {"imagePullPolicy", spec.image_pull_policy},
                      {"command", command},
                      {"env", json::array({node_name_env()})},
                      {"resources", resources},
                      {"volumeMounts", json::array({data_mount(), token_mount()})}};
    auto worker = deployment(spec, worker_name(spec, i), "encode-worker", pod_labels, container,
                             json::array({jobs::volume_json(spec.volume), token_volume(spec)}), 5);
    worker["spec"]["template"]["spec"]["nodeSelector"] = {{"kubernetes.io/hostname", w.node}};
    out.push_back(std::move(worker));
  }
  return out;
}

jobs::RunOptions prepare_run_options(const KubeEncodeSpec& spec) {
  // Before the route exists the prepare pod may run anywhere.
  auto anywhere = spec;
  anywhere.join_node.clear();
  return stage_run(anywhere, stage_job(anywhere, prepare_job_name(spec), "prepare", {"--request", spec.request.dump()}), "prepare",
                   "kubench/encode-plan/v1");
}

jobs::RunOptions join_run_options(const KubeEncodeSpec& spec) {
  return stage_run(spec, stage_job(spec, join_job_name(spec), "join", {"--work-dir", spec.work_dir}), "join", "kubench/encode/v1");
}

}  // namespace kb::encode
