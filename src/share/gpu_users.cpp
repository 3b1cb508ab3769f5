#include "share/gpu_users.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "core/json_field.h"
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
  const auto& meta = field(pod, "metadata");
  const json* controller = nullptr;
  for (const auto& ref : field(meta, "ownerReferences"))
    if (ref.value("controller", false) || !controller) controller = &ref;
  if (!controller) return {"Pod", string_field(meta, "name")};
  Owner o{string_field(*controller, "kind"), string_field(*controller, "name")};
  if (o.kind == "ReplicaSet") {
    const auto& hash = string_field(field(meta, "labels"), "pod-template-hash");
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
  const auto& spec = field(pod, "spec");
  const auto& meta = field(pod, "metadata");
  std::map<std::string, std::string> device_volumes;  // volume name → host path
  for (const auto& v : field(spec, "volumes")) {
    const auto& path = string_field(field(v, "hostPath"), "path");
    if (gpu_device_path(path)) device_volumes[string_field(v, "name")] = path;
  }
  std::vector<const json*> containers;
  for (const char* list : {"initContainers", "containers"})
    for (const auto& c : field(spec, list)) containers.push_back(&c);
  for (const json* c : containers) {
    const auto& name = string_field(*c, "name");
    const bool privileged = field(*c, "securityContext").value("privileged", false);
    if (!device_volumes.empty())
      for (const auto& m : field(*c, "volumeMounts")) {
        auto it = device_volumes.find(string_field(m, "name"));
        if (it != device_volumes.end())
          out.push_back(std::string(privileged ? "privileged + " : "") + "hostPath " + it->second + " in container " + name);
      }
    for (const auto& e : field(*c, "env")) {
      const auto& key = string_field(e, "name");
      const auto& value = string_field(e, "value");
      if ((key == "NVIDIA_VISIBLE_DEVICES" || key == "CUDA_VISIBLE_DEVICES") && !value.empty() && value != "void" && value != "none" &&
          value != "-1")
        out.push_back(key + "=" + value + " in container " + name);
    }
  }
  const auto& runtime = string_field(spec, "runtimeClassName");
  if (to_lower(runtime).find("nvidia") != std::string::npos) out.push_back("runtimeClassName " + runtime);
  const auto& annotations = field(meta, "annotations");
  for (const auto& key : kInjectorAnnotations)
    if (annotations.contains(key)) out.push_back("annotation " + key + "=" + string_field(annotations, key));
  return out;
}

void GpuWorkloads::add(const json& pod) {
  if (kube::holds_node_resources(pod)) add(pod, kube::pod_requests(field(pod, "spec")));
}

void GpuWorkloads::add(const json& pod, const ResourceList& requests) {
  const auto& spec = field(pod, "spec");
  ResourceList gpu;
  for (const auto& [name, milli] : requests)
    if (is_gpu_resource(name) && milli > 0) gpu[name] = milli;
  auto evidence = gpu.empty() ? unrequested_gpu_evidence(pod) : std::vector<std::string>{};
  if (gpu.empty() && evidence.empty()) return;
  const auto& meta = field(pod, "metadata");
  const auto owner = owner_of(pod);
  auto key = std::make_tuple(string_field(spec, "nodeName"), string_field(meta, "namespace"), owner.kind, owner.name);
  auto [it, fresh] = at_.emplace(std::move(key), workloads_.size());
  if (fresh) {
    Workload w;
    w.node = std::get<0>(it->first);
    w.namespace_name = std::get<1>(it->first);
    w.owner = owner;
    w.annotations = field(meta, "annotations");
    w.containers = field(spec, "containers").is_array() ? field(spec, "containers").get<std::vector<json>>() : std::vector<json>{};
    w.evidence = std::move(evidence);
    workloads_.push_back(std::move(w));
  }
  auto& w = workloads_[it->second];
  ++w.pods;
  w.pod_names.push_back(string_field(meta, "name"));
  for (const auto& [name, milli] : gpu) w.requested[name] += milli;
}

std::vector<Workload> GpuWorkloads::take() {
  auto out = std::move(workloads_);
  at_.clear();
  std::stable_sort(out.begin(), out.end(), [](const Workload& a, const Workload& b) {
    return std::tie(a.node, a.namespace_name, a.owner.name) < std::tie(b.node, b.namespace_name, b.owner.name);
  });
  return out;
}

std::vector<Workload> gpu_workloads(const std::vector<json>& pods) {
  GpuWorkloads all;
  for (const auto& pod : pods) all.add(pod);
  return all.take();
}

}  // namespace kb::share
