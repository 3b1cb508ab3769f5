#include "jobs/scene_job.h"

#include "core/error.h"
#include "core/text.h"
#include "jobs/image_platforms.h"
#include "jobs/job_render.h"

namespace kb::jobs {

using nlohmann::json;

SceneVolume parse_scene_volume(const std::string& text) {
  auto colon = text.find(':');
  std::string kind = colon == std::string::npos ? "" : text.substr(0, colon);
  std::string rest = colon == std::string::npos ? "" : text.substr(colon + 1);
  SceneVolume v;
  if (kind == "hostpath" && starts_with(rest, "/")) {
    v.kind = SceneVolume::Kind::host_path;
    v.path = rest;
  } else if (kind == "pvc" && !rest.empty() && rest.find('/') == std::string::npos) {
    v.kind = SceneVolume::Kind::pvc;
    v.claim = rest;
  } else if (kind == "nfs" && rest.find(":/") != std::string::npos && rest.find(":/") > 0) {
    v.kind = SceneVolume::Kind::nfs;
    v.server = rest.substr(0, rest.find(":/"));
    v.path = rest.substr(rest.find(":/") + 1);
  } else {
    throw UsageError("--volume must be hostpath:/DIR, pvc:CLAIM or nfs:SERVER:/EXPORT, got '" + text + "'");
  }
  return v;
}

std::string describe(const SceneVolume& v) {
  switch (v.kind) {
    case SceneVolume::Kind::host_path: return "hostPath " + v.path;
    case SceneVolume::Kind::pvc: return "PVC " + v.claim;
    case SceneVolume::Kind::nfs: return "NFS " + v.server + ":" + v.path;
  }
  return "";
}

void check_volume_path(const std::string& path, const std::string& what) {
  if (path.empty() || path.front() == '/')
    throw UsageError(what + " '" + path + "' must be a path relative to the volume (it is mounted at " + kSceneVolumeMount + ")");
  for (auto& part : split(path, '/'))
    if (part == "..") throw UsageError(what + " '" + path + "' leaves the volume ('..')");
}

json volume_json(const SceneVolume& v) {
  json vol = {{"name", "data"}};
  switch (v.kind) {
    case SceneVolume::Kind::host_path: vol["hostPath"] = {{"path", v.path}, {"type", "Directory"}}; break;
    case SceneVolume::Kind::pvc: vol["persistentVolumeClaim"] = {{"claimName", v.claim}}; break;
    case SceneVolume::Kind::nfs: vol["nfs"] = {{"server", v.server}, {"path", v.path}}; break;
  }
  return vol;
}

namespace {

std::string in_volume(const std::string& relative) { return std::string(kSceneVolumeMount) + "/" + relative; }

std::string job_name(const SceneJobSpec& spec, int shard) {
  return dns_label("kubench-scenes-" + spec.run_id + (shard < 0 ? "" : "-" + std::to_string(shard)));
}

std::string case_of(int shard) { return "shard-" + std::to_string(shard); }

json scene_job(const SceneJobSpec& spec, int shard) {  // shard < 0: the Indexed Job
  const bool indexed = shard < 0;
  json labels = {{kNameLabel, "kubench"},
                 {kComponentLabel, "scenes"},
                 {kRunIdLabel, label_value(spec.run_id)},
                 {kCaseLabel, label_value(indexed ? "scenes" : case_of(shard))}};
  const std::string index_var = indexed ? "JOB_COMPLETION_INDEX" : "KUBENCH_SHARD_INDEX";
  json command = {"kubench", "scenes", "detect"};
  for (auto& v : spec.videos) command.push_back(in_volume(v));
  // $(VAR) is expanded by the kubelet from the container's environment.
  for (const std::string& a : {std::string("--shard"), "$(" + index_var + ")/" + std::to_string(spec.shards), std::string("--shard-out"),
                               in_volume(spec.shard_dir) + "/", std::string("--result-frame"), std::string("-q")})
    command.push_back(a);
  for (auto& a : spec.detect_flags) command.push_back(a);
  json env = json::array({{{"name", "KUBENCH_NODE_NAME"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "spec.nodeName"}}}}}}});
  if (!indexed) env.push_back({{"name", index_var}, {"value", std::to_string(shard)}});
  json container = {{"name", kScenesContainer},
                    {"image", spec.image},
                    {"imagePullPolicy", spec.image_pull_policy},
                    {"command", command},
                    {"env", env},
                    {"resources",
                     {{"requests", {{"cpu", spec.cpu_request}, {"memory", spec.memory_request}}}, {"limits", {{"memory", spec.memory_limit}}}}},
                    {"terminationMessagePolicy", "FallbackToLogsOnError"},
                    {"volumeMounts", json::array({{{"name", "data"}, {"mountPath", kSceneVolumeMount}}})}};
  json term = {{"labelSelector", {{"matchLabels", {{kRunIdLabel, label_value(spec.run_id)}, {kComponentLabel, "scenes"}}}}},
               {"topologyKey", "kubernetes.io/hostname"}};
  json anti = spec.one_per_node ? json{{"requiredDuringSchedulingIgnoredDuringExecution", json::array({term})}}
                                : json{{"preferredDuringSchedulingIgnoredDuringExecution",
                                        json::array({{{"weight", 100}, {"podAffinityTerm", term}}})}};
  json pod = {{"automountServiceAccountToken", false},
              {"enableServiceLinks", false},
              {"restartPolicy", "Never"},
              {"terminationGracePeriodSeconds", 10},
              {"containers", json::array({container})},
              {"volumes", json::array({volume_json(spec.volume)})},
              {"affinity", {{"podAntiAffinity", anti}}},
              {"tolerations", control_plane_tolerations()}};
  if (!spec.node_selector.empty()) pod["nodeSelector"] = spec.node_selector;
  if (!spec.architectures.empty()) require_architectures(pod, spec.architectures);
  json job_spec = {{"backoffLimit", 0},
                   {"completions", indexed ? spec.shards : 1},
                   {"parallelism", indexed ? spec.shards : 1},
                   {"activeDeadlineSeconds", spec.active_deadline_seconds},
                   {"ttlSecondsAfterFinished", 3600},
                   {"template", {{"metadata", {{"labels", labels}}}, {"spec", pod}}}};
  if (indexed) job_spec["completionMode"] = "Indexed";
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata", {{"name", job_name(spec, shard)}, {"namespace", spec.namespace_name}, {"labels", labels}}},
          {"spec", job_spec}};
}

}  // namespace

void validate(const SceneJobSpec& spec) {
  if (spec.image.empty()) throw UsageError("no image given (--image)");
  if (spec.videos.empty()) throw UsageError("no video given");
  if (spec.shards < 1 || spec.shards > 1000) throw UsageError("--shards must be 1 to 1000");
  for (auto& v : spec.videos) check_volume_path(v, "video");
  check_volume_path(spec.shard_dir, "--shard-dir");
}

std::vector<json> render_scene_jobs(const SceneJobSpec& spec) {
  validate(spec);
  if (spec.mode == SceneJobMode::indexed) return {scene_job(spec, -1)};
  std::vector<json> jobs;
  for (int i = 0; i < spec.shards; ++i) jobs.push_back(scene_job(spec, i));
  return jobs;
}

RunOptions scene_run_options(const SceneJobSpec& spec) {
  RunOptions o;
  o.run_id = spec.run_id;
  o.namespace_name = spec.namespace_name;
  o.own_namespace = false;
  o.jobs = render_scene_jobs(spec);
  o.max_parallel = static_cast<int>(o.jobs.size());  // the scheduler spreads them; all at once
  for (int i = 0; i < spec.shards; ++i) {
    RunTarget t;
    t.case_name = case_of(i);
    t.result_container = kScenesContainer;
    if (spec.mode == SceneJobMode::indexed) {
      t.job_name = job_name(spec, -1);
      t.case_label = "scenes";
      t.completion_index = i;
    } else {
      t.job_name = job_name(spec, i);
    }
    o.targets.push_back(t);
  }
  o.result_ok = [](const json& result) { return result.value("schema", "") == "kubench/scene-shard-set/v1"; };
  return o;
}

bool indexed_jobs_served(kube::Client& client, const SceneJobSpec& spec) {
  auto indexed = spec;
  indexed.mode = SceneJobMode::indexed;
  auto answer = client.create(kube::resources::jobs, spec.namespace_name, scene_job(indexed, -1), /*dry_run=*/true);
  return answer.value("spec", json::object()).value("completionMode", "") == "Indexed";
}

}  // namespace kb::jobs
