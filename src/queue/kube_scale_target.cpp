#include "queue/kube_scale_target.h"

#include <set>

#include "core/error.h"
#include "core/interrupt.h"
#include "core/text.h"

namespace kb::queue {

using nlohmann::json;

namespace {
inline const kube::Resource services{"", "v1", "services", true};

bool ready(const json& pod) {
  for (auto& c : pod.value("status", json::object()).value("conditions", json::array()))
    if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
  return false;
}
bool terminating(const json& pod) { return pod.value("metadata", json::object()).contains("deletionTimestamp"); }
}  // namespace

std::string label_selector_text(const json& selector) {
  std::string out;
  auto add = [&](const std::string& term) { out += (out.empty() ? "" : ",") + term; };
  const json labels = selector.value("matchLabels", json::object());  // items() must not outlive it
  for (auto& [k, v] : labels.items()) add(k + "=" + v.get<std::string>());
  for (auto& e : selector.value("matchExpressions", json::array())) {
    if (!e.is_object()) throw ParseError("a label selector expression is not an object: " + e.dump());
    const std::string key = e.value("key", ""), op = e.value("operator", "");
    std::string values;
    for (auto& v : e.value("values", json::array())) values += (values.empty() ? "" : ",") + v.get<std::string>();
    if (op == "In") add(key + " in (" + values + ")");
    else if (op == "NotIn") add(key + " notin (" + values + ")");
    else if (op == "Exists") add(key);
    else if (op == "DoesNotExist") add("!" + key);
    else throw ParseError("label selector operator '" + op + "' is not known");
  }
  return out;
}

std::string pods_not_running_reason(const json& pods, bool* fatal) {
  static const std::set<std::string> hopeless = {"ErrImagePull", "ImagePullBackOff", "InvalidImageName",
                                                 "CreateContainerConfigError", "CreateContainerError", "CrashLoopBackOff"};
  if (fatal) *fatal = false;
  std::string reason;
  for (auto& pod : pods) {
    const std::string name = pod.value("metadata", json::object()).value("name", "?");
    const json status = pod.value("status", json::object());
    for (auto& c : status.value("conditions", json::array()))
      if (c.value("type", "") == "PodScheduled" && c.value("status", "") == "False")
        return "pod " + name + " cannot be scheduled: " + c.value("message", c.value("reason", std::string("unschedulable")));
    for (const char* list : {"initContainerStatuses", "containerStatuses"})
      for (auto& cs : status.value(list, json::array())) {
        const json waiting = cs.value("state", json::object()).value("waiting", json::object());
        const std::string why = waiting.value("reason", "");
        if (why.empty() || why == "ContainerCreating" || why == "PodInitializing") continue;
        std::string text = "pod " + name + ", container " + cs.value("name", "?") + ": " + why;
        if (!waiting.value("message", "").empty()) text += ": " + waiting.value("message", "");
        if (hopeless.count(why)) {
          if (fatal) *fatal = true;
          return text;
        }
        if (reason.empty()) reason = text;
      }
  }
  return reason;
}

KubeScaleTarget::KubeScaleTarget(kube::Client& client, KubeScaleOptions options) : client_(client), o_(std::move(options)) {}

std::string KubeScaleTarget::describe() const {
  return "deployment " + o_.backend + " in " + o_.backend_namespace + ", load client service " + o_.client_service + " in " +
         o_.client_namespace;
}

json KubeScaleTarget::deployment() {
  auto d = client_.get_if_exists(kube::resources::deployments, o_.backend_namespace, o_.backend);
  if (!d) throw EnvironmentError("deployment " + o_.backend + " not found in namespace " + o_.backend_namespace);
  return *d;
}

void KubeScaleTarget::check() {
  deployment();
  auto service = client_.get_if_exists(services, o_.client_namespace, o_.client_service);
  if (!service)
    throw EnvironmentError("service " + o_.client_service + " (the load client) not found in namespace " + o_.client_namespace);
  // The service proxy matches the port by name, and "" only matches an unnamed port: name it.
  if (o_.client_port.empty()) {
    const json ports = service->value("spec", json::object()).value("ports", json::array());
    if (ports.size() != 1)
      throw UsageError("service " + o_.client_service + " has " + std::to_string(ports.size()) +
                       " ports: pick the load client's with --client-port");
    o_.client_port = ports[0].value("name", "");
    if (o_.client_port.empty()) o_.client_port = std::to_string(ports[0].value("port", 0));
  }
}

int KubeScaleTarget::backend_replicas() { return deployment().value("spec", json::object()).value("replicas", 1); }

void KubeScaleTarget::scale_backends(int n) {
  const json selector = deployment().value("spec", json::object()).value("selector", json::object());
  kube::ListOptions list;
  list.label_selector = label_selector_text(selector);
  if (list.label_selector.empty()) throw EnvironmentError("deployment " + o_.backend + " has an empty selector");
  client_.scale(kube::resources::deployments, o_.backend_namespace, o_.backend, n);
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    const json pods = client_.list(kube::resources::pods, o_.backend_namespace, list)["items"];
    int running = 0, going = 0;
    for (auto& p : pods) {
      if (terminating(p)) ++going;
      else if (ready(p)) ++running;
    }
    if (running == n && static_cast<int>(pods.size()) == n) return;
    bool fatal = false;
    std::string why = pods_not_running_reason(pods, &fatal);
    const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (fatal || waited > o_.ready_timeout_s)
      throw CheckFailed("deployment " + o_.backend + ": " + std::to_string(running) + " of " + std::to_string(n) +
                        " backends ready" + (going ? ", " + std::to_string(going) + " terminating" : "") + " after " +
                        fixed(waited, 0) + " s" + (why.empty() ? "" : " (" + why + ")"));
    sleep_unless_interrupted(std::chrono::milliseconds(500));
  }
}

std::string KubeScaleTarget::proxy_path(const std::string& path) const {
  return "/api/v1/namespaces/" + o_.client_namespace + "/services/" + o_.client_service +
         (o_.client_port.empty() ? "" : ":" + o_.client_port) + "/proxy" + path;
}

int KubeScaleTarget::parallelism() { return client_.request("GET", proxy_path("/parallelism")).value("parallelism", 0); }

void KubeScaleTarget::set_parallelism(int k) {
  const json body = {{"parallelism", k}};
  const json answer = client_.request("PUT", proxy_path("/parallelism"), &body);
  if (answer.value("parallelism", -1) != k)
    throw CheckFailed("the load client did not take parallelism " + std::to_string(k) + ": it answered " + answer.dump());
}

void KubeScaleTarget::reset_stats() {
  const json answer = client_.request("POST", proxy_path("/reset"));
  if (!answer.value("reset", false)) throw CheckFailed("the load client did not reset its statistics: " + answer.dump());
}

json KubeScaleTarget::stats() {
  json s = client_.request("GET", proxy_path("/stats"));
  if (s.value("schema", "") != "kubench/queue-load/v1")
    throw ParseError("service " + o_.client_service + " did not answer with kubench/queue-load/v1 statistics");
  return s;
}

void KubeScaleTarget::wait(std::chrono::milliseconds d) { sleep_unless_interrupted(d); }

}  // namespace kb::queue
