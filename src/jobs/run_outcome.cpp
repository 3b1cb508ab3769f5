#include "jobs/run_outcome.h"

#include "core/text.h"
#include "jobs/benchmark_spec.h"
#include "media/result_frame.h"

namespace kb::jobs {

using nlohmann::json;

int exit_code(Outcome o) {
  switch (o) {
    case Outcome::succeeded: return 0;
    case Outcome::tests_failed: return 1;
    case Outcome::unschedulable: return 3;
    case Outcome::image_pull: return 4;
    case Outcome::device_check: return 5;
    case Outcome::oom_killed: return 6;
    case Outcome::deadline_exceeded: return 7;
    case Outcome::container_failed: return 8;
    case Outcome::no_results: return 9;
    case Outcome::interrupted: return 130;
  }
  return 1;
}

std::string to_string(Outcome o) {
  switch (o) {
    case Outcome::succeeded: return "succeeded";
    case Outcome::tests_failed: return "tests-failed";
    case Outcome::unschedulable: return "unschedulable";
    case Outcome::image_pull: return "image-pull-error";
    case Outcome::device_check: return "device-check-failed";
    case Outcome::oom_killed: return "oom-killed";
    case Outcome::deadline_exceeded: return "deadline-exceeded";
    case Outcome::container_failed: return "container-failed";
    case Outcome::no_results: return "no-results";
    case Outcome::interrupted: return "interrupted";
  }
  return "unknown";
}

const ContainerView* PodView::find(const std::string& container) const {
  for (auto& c : containers)
    if (c.name == container) return &c;
  return nullptr;
}

std::string PodView::summary() const {
  if (unschedulable) return "Pending (unschedulable)";
  std::string out = phase.empty() ? "Pending" : phase;
  for (auto& c : containers) {
    if (c.state.empty()) continue;
    out += "  " + c.name + ":" + (c.reason.empty() ? c.state : c.reason);
  }
  return out;
}

namespace {

ContainerView container_view(const json& status, bool init) {
  ContainerView c;
  c.name = status.value("name", "");
  c.init = init;
  auto state = status.value("state", json::object());
  for (const char* s : {"waiting", "running", "terminated"}) {
    if (!state.contains(s)) continue;
    const auto& detail = state[s];
    c.state = s;
    c.reason = detail.value("reason", "");
    c.message = detail.value("message", "");
    c.exit_code = detail.value("exitCode", 0);
    c.finished_at = detail.value("finishedAt", "");
    c.started_at = detail.value("startedAt", "");
  }
  return c;
}

// Spec order, so the view reads in the order things run.
void add_containers(const json& pod, const char* spec_key, const char* status_key, bool init, PodView& view) {
  auto statuses = pod.value("status", json::object()).value(status_key, json::array());
  for (auto& c : pod.value("spec", json::object()).value(spec_key, json::array())) {
    ContainerView v;
    v.name = c.value("name", "");
    v.init = init;
    for (auto& s : statuses)
      if (s.value("name", "") == v.name) v = container_view(s, init);
    view.containers.push_back(v);
  }
}

}  // namespace

std::string last_error_line(const std::string& text) {
  auto lines = split(text, '\n');
  for (auto it = lines.rbegin(); it != lines.rend(); ++it)
    if (trim(*it).rfind("kubench: ", 0) == 0) return std::string(trim(*it).substr(9));
  for (auto it = lines.rbegin(); it != lines.rend(); ++it)
    if (!trim(*it).empty()) return std::string(trim(*it));
  return "";
}

namespace {

bool job_deadline_exceeded(const json& job, std::string& message) {
  for (auto& cond : job.value("status", json::object()).value("conditions", json::array()))
    if (cond.value("type", "") == "Failed" && cond.value("status", "") == "True" && cond.value("reason", "") == "DeadlineExceeded") {
      message = cond.value("message", "");
      return true;
    }
  return false;
}

}  // namespace

PodView pod_view(const json& pod) {
  PodView v;
  auto meta = pod.value("metadata", json::object());
  auto status = pod.value("status", json::object());
  v.name = meta.value("name", "");
  v.node = pod.value("spec", json::object()).value("nodeName", "");
  v.phase = status.value("phase", "");
  v.reason = status.value("reason", "");
  v.message = status.value("message", "");
  add_containers(pod, "initContainers", "initContainerStatuses", true, v);
  add_containers(pod, "containers", "containerStatuses", false, v);
  for (auto& cond : status.value("conditions", json::array()))
    if (cond.value("type", "") == "PodScheduled" && cond.value("status", "") == "False" &&
        cond.value("reason", "") == "Unschedulable")
      v.unschedulable = cond.value("message", "no node fits");
  return v;
}

std::optional<Failure> classify_failure(const json* job, const PodView* pod) {
  // First: the deadline kills the pod, and what it killed must not be reported as the cause.
  std::string deadline_message;
  if (job && job_deadline_exceeded(*job, deadline_message))
    return Failure{Outcome::deadline_exceeded, "the Job ran past its deadline (--deadline): " + deadline_message};
  if (pod) {
    for (auto& c : pod->containers) {
      if (c.state == "waiting" && (c.reason == "ErrImagePull" || c.reason == "ImagePullBackOff" ||
                                   c.reason == "InvalidImageName" || c.reason == "ErrImageNeverPull"))
        return Failure{Outcome::image_pull, "container " + c.name + ": " + c.reason + (c.message.empty() ? "" : ": " + c.message)};
      if (c.state == "waiting" && (c.reason == "CreateContainerConfigError" || c.reason == "CreateContainerError" ||
                                   c.reason == "RunContainerError"))
        return Failure{Outcome::container_failed, "container " + c.name + ": " + c.reason + ": " + c.message};
      if (c.state == "terminated" && c.reason == "OOMKilled")
        return Failure{Outcome::oom_killed, "container " + c.name + " was OOMKilled on node " + pod->node +
                                                " (raise its memory limit: --memory-limit, or the target's resources.limits.memory in a sweep)"};
    }
    for (auto& c : pod->containers) {
      if (!c.init || c.state != "terminated" || c.exit_code == 0) continue;
      auto line = last_error_line(c.message);
      if (c.name == kCheckDeviceContainer)
        return Failure{Outcome::device_check, line.empty() ? "check-device failed on node " + pod->node + " (exit " +
                                                                 std::to_string(c.exit_code) + ")"
                                                           : line};
      if (c.name == kPowerContainer) continue;  // a native sidecar's trouble shows in its power document
      return Failure{Outcome::container_failed, c.name + " failed on node " + pod->node + " (exit " + std::to_string(c.exit_code) +
                                                    ")" + (line.empty() ? "" : ": " + line)};
    }
    if (pod->phase == "Failed" && !pod->reason.empty() && pod->reason != "DeadlineExceeded")
      return Failure{Outcome::container_failed, "pod " + pod->name + " failed: " + pod->reason + ": " + pod->message};
  }
  if (job) {
    for (auto& cond : job->value("status", json::object()).value("conditions", json::array())) {
      if (cond.value("type", "") != "Failed" || cond.value("status", "") != "True") continue;
      auto reason = cond.value("reason", "");
      auto message = cond.value("message", "");
      if (reason == "DeadlineExceeded")
        return Failure{Outcome::deadline_exceeded, "the Job ran past its deadline (--deadline): " + message};
      return Failure{Outcome::container_failed, "the Job failed: " + reason + (message.empty() ? "" : ": " + message)};
    }
  }
  return std::nullopt;
}

std::optional<json> result_in_log(const std::string& log, bool last_json_line) {
  if (auto framed = media::find_framed_result(log)) return framed;
  if (!last_json_line) return std::nullopt;
  const auto lines = split(log, '\n');
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    const auto line = trim(*it);
    if (line.empty() || line.front() != '{') continue;
    auto doc = json::parse(line, nullptr, false);
    if (!doc.is_discarded() && doc.is_object()) return doc;
  }
  return std::nullopt;
}

}  // namespace kb::jobs
