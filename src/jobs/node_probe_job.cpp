#include "jobs/node_probe_job.h"

#include <cmath>

#include "core/error.h"
#include "core/text.h"
#include "jobs/image_platforms.h"
#include "jobs/job_render.h"

namespace kb::jobs {

using nlohmann::json;

namespace {

std::string job_name(const NodeProbeJobSpec& spec, size_t i) { return dns_label("kubench-probe-" + spec.run_id + "-" + std::to_string(i)); }

json probe_job(const NodeProbeJobSpec& spec, size_t i) {
  const auto& node = spec.nodes[i];
  json labels = {{kNameLabel, "kubench"}, {kComponentLabel, "nodes-probe"}, {kRunIdLabel, label_value(spec.run_id)}, {kCaseLabel, label_value(node.name)}};
  json command = {"kubench", "nodes", "probe", "--local", "--result-frame", "-q", "--probe-seconds", fixed(spec.probe_seconds, 3)};
  if (!spec.measure_4k) command.push_back("--no-4k");
  if (!spec.encoders.empty()) {
    std::string list;
    for (auto& e : spec.encoders) list += (list.empty() ? "" : ",") + e;
    command.push_back("--encoders");
    command.push_back(list);
  }
  json resources = {{"requests", {{"cpu", spec.cpu_request}, {"memory", "256Mi"}}}, {"limits", {{"memory", spec.memory_limit}}}};
  // One unit of each GPU resource the node offers: the device plugin mounts the device.
  for (auto& [resource, quantity] : node.gpu_resources) {
    if (quantity == "0" || quantity.empty()) continue;
    resources["requests"][resource] = "1";
    resources["limits"][resource] = "1";
  }
  json container = {{"name", kNodeProbeContainer},
                    {"image", spec.image},
                    {"imagePullPolicy", spec.image_pull_policy},
                    {"command", command},
                    {"env", json::array({{{"name", "KUBENCH_NODE_NAME"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "spec.nodeName"}}}}}}})},
                    {"resources", resources},
                    {"terminationMessagePolicy", "FallbackToLogsOnError"}};
  json pod = {{"automountServiceAccountToken", false},
              {"enableServiceLinks", false},
              {"restartPolicy", "Never"},
              {"terminationGracePeriodSeconds", 5},
              {"nodeSelector", {{"kubernetes.io/hostname", node.name}}},
              {"containers", json::array({container})},
              {"tolerations", control_plane_tolerations()}};
  if (!spec.architectures.empty()) require_architectures(pod, spec.architectures);
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata", {{"name", job_name(spec, i)}, {"namespace", spec.namespace_name}, {"labels", labels}}},
          {"spec",
           {{"backoffLimit", 0},
            {"activeDeadlineSeconds", spec.active_deadline_seconds},
            {"ttlSecondsAfterFinished", 3600},
            {"template", {{"metadata", {{"labels", labels}}}, {"spec", pod}}}}}};
}

}  // namespace

std::vector<json> render_node_probe_jobs(const NodeProbeJobSpec& spec) {
  if (spec.image.empty()) throw UsageError("no image given (--image)");
  if (spec.nodes.empty()) throw UsageError("no node to probe");
  std::vector<json> jobs;
  for (size_t i = 0; i < spec.nodes.size(); ++i) jobs.push_back(probe_job(spec, i));
  return jobs;
}

RunOptions node_probe_run_options(const NodeProbeJobSpec& spec) {
  RunOptions o;
  o.run_id = spec.run_id;
  o.namespace_name = spec.namespace_name;
  o.own_namespace = false;
  o.jobs = render_node_probe_jobs(spec);
  o.max_parallel = static_cast<int>(o.jobs.size());  // one per node: all at once
  for (size_t i = 0; i < spec.nodes.size(); ++i) {
    RunTarget t;
    t.case_name = spec.nodes[i].name;
    t.job_name = job_name(spec, i);
    t.node = spec.nodes[i].name;
    t.result_container = kNodeProbeContainer;
    o.targets.push_back(t);
  }
  o.result_ok = [](const json& result) {
    return result.value("schema", "") == "kubench/capabilities/v1" && result.contains("nodes") && result["nodes"].size() == 1;
  };
  o.follow_logs = false;
  return o;
}

}  // namespace kb::jobs
