#include "share/gpu_users.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "core/text.h"
#include "kube/pod_resources.h"
#include "share/gpu_inventory.h"

namespace kb::share {

using nlohmann::json;

namespace {

// The webhook annotation of the seed's cluster (gpu-directory-injector) and similar injectors.
const std::vector<std::string> kInjectorAnnotations = {"gpu-directories"};

bool all_digits(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }); }

bool gpu_device_path(const std::string& path) {
  return starts_with(path, "/dev/nvidia") || starts_with(path, "/dev/dri") || path == "/dev/kfd";
}

}  // namespace

Owner owner_of(const json& pod) {
  const auto meta = pod.value("metadata", json::object());
  json controller;
  for (const auto& ref : meta.value("ownerReferences", json::array()))
    if (ref.value("controller", false) || controller.is_null()) controller = ref;
  if (controller.is_null()) return {"Pod", meta.value("name", "")};
  Owner o{controller.value("kind", ""), controller.value("name", "")};
  if (o.kind == "ReplicaSet") {
    const auto hash = meta.value("labels", json::object()).value("pod-template-hash", "");
    if (!hash.empty() && o.name.size() > hash.size() + 1 && o.name.compare(o.name.size() - hash.size() - 1, std::string::npos, "-" + hash) == 0)
      return {"Deployment", o.name.substr(0, o.name.size() - hash.size() - 1)};
  } else if (o.kind == "Job") {
    // The CronJob controller names its Jobs <cronjob>-<minutes since the epoch>.
    const auto dash = o.name.rfind('-');
    if (dash != std::string::npos && dash > 0 && o.name.size() - dash - 1 >= 8 && all_digits(std::string_view(o.name).substr(dash + 1)))
      return {"CronJob", o.name.substr(0, dash)};
  }
  return o;
}

std::vector<std::string> unrequested_gpu_evidence(const json& pod) {
  std::vector<std::string> out;
  const auto spec = pod.value("spec", json::object());
  const auto meta = pod.value("metadata", json::object());
  std::map<std::string, std::string> device_volumes;  // volume name → host path
  for (const auto& v : spec.value("volumes", json::array())) {
    const auto path = v.value("hostPath", json::object()).value("path", "");
    if (gpu_device_path(path)) device_volumes[v.value("name", "")] = path;
  }
  std::vector<json> containers;
  for (const char* list : {"initContainers", "containers"})
    for (const auto& c : spec.value(list, json::array())) containers.push_back(c);
  for (const auto& c : containers) {
    const auto name = c.value("name", "");
    const bool privileged = c.value("securityContext", json::object()).value("privileged", false);
    for (const auto& m : c.value("volumeMounts", json::array())) {
      auto it = device_volumes.find(m.value("name", ""));
      if (it != device_volumes.end())
        out.push_back(std::string(privileged ? "privileged + " : "") + "hostPath " + it->second + " in container " + name);
    }
    for (const auto& e : c.value("env", json::array())) {
      const auto key = e.value("name", "");
      const auto value = e.value("value", "");
      if ((key == "NVIDIA_VISIBLE_DEVICES" || key == "CUDA_VISIBLE_DEVICES") && !value.empty() && value != "void" && value != "none" &&
          value != "-1")
        out.push_back(key + "=" + value + " in container " + name);
    }
  }
  const auto runtime = spec.value("runtimeClassName", "");
  if (to_lower(runtime).find("nvidia") != std::string::npos) out.push_back("runtimeClassName " + runtime);
  const auto annotations = meta.value("annotations", json::object());
  for (const auto& key : kInjectorAnnotations)
    if (annotations.contains(key)) out.push_back("annotation " + key + "=" + annotations[key].get<std::string>());
  return out;
}

std::vector<Workload> gpu_workloads(const std::vector<json>& pods) {
  std::vector<Workload> out;
  std::map<std::tuple<std::string, std::string, std::string, std::string>, size_t> at;
  for (const auto& pod : pods) {
    if (!kube::holds_node_resources(pod)) continue;
    const auto spec = pod.value("spec", json::object());
    ResourceList gpu;
    for (const auto& [name, milli] : kube::pod_requests(spec))
      if (is_gpu_resource(name) && milli > 0) gpu[name] = milli;
    auto evidence = gpu.empty() ? unrequested_gpu_evidence(pod) : std::vector<std::string>{};
    if (gpu.empty() && evidence.empty()) continue;
    const auto meta = pod.value("metadata", json::object());
    const auto owner = owner_of(pod);
    const auto key = std::make_tuple(spec.value("nodeName", ""), meta.value("namespace", ""), owner.kind, owner.name);
    auto [it, fresh] = at.emplace(key, out.size());
    if (fresh) {
      Workload w;
      w.node = std::get<0>(key);
      w.namespace_name = std::get<1>(key);
      w.owner = owner;
      w.annotations = meta.value("annotations", json::object());
      w.containers = spec.value("containers", json::array()).get<std::vector<json>>();
      w.evidence = evidence;
      out.push_back(std::move(w));
    }
    auto& w = out[it->second];
    ++w.pods;
    w.pod_names.push_back(meta.value("name", ""));
    for (const auto& [name, milli] : gpu) w.requested[name] += milli;
  }
  std::stable_sort(out.begin(), out.end(), [](const Workload& a, const Workload& b) {
    return std::tie(a.node, a.namespace_name, a.owner.name) < std::tie(b.node, b.namespace_name, b.owner.name);
  });
  return out;
}

}  // namespace kb::share
