// How a benchmark Job ended, read from its Job and Pod objects: each failure class has its own
// exit code (docs/kubernetes.md#troubleshooting) and a one-line cause for the user.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace kb::jobs {

enum class Outcome {
  succeeded,          // 0: results collected, every test ok
  tests_failed,       // 1: results collected, some tests failed
  unschedulable,      // 3: the scheduler found no node (its message)
  image_pull,         // 4: ErrImagePull, ImagePullBackOff, InvalidImageName, ErrImageNeverPull
  device_check,       // 5: check-device failed ("node X: no working QSV encoder: ...")
  oom_killed,         // 6: a container hit its memory limit
  deadline_exceeded,  // 7: activeDeadlineSeconds ran out
  container_failed,   // 8: backoff limit exceeded: a container failed (fetch-clips, the benchmark...)
  no_results,         // 9: the benchmark finished without a result
  interrupted,        // 130: Ctrl-C
};

int exit_code(Outcome o);
std::string to_string(Outcome o);  // "device-check-failed"...

// One container as the runner shows it.
struct ContainerView {
  std::string name;
  bool init = false;
  std::string state;    // waiting | running | terminated | "" (no status yet)
  std::string reason;   // ContainerCreating, ErrImagePull, Completed, OOMKilled, Error...
  std::string message;  // waiting message or termination message
  int exit_code = 0;
  std::string started_at, finished_at;  // RFC 3339 (running and terminated states)
};

struct PodView {
  std::string name;
  std::string node;
  std::string phase;                 // Pending | Running | Succeeded | Failed
  std::string reason, message;       // pod-level (Evicted...)
  std::vector<ContainerView> containers;  // init containers first, in spec order
  std::optional<std::string> unschedulable;  // the scheduler's message while unschedulable
  const ContainerView* find(const std::string& container) const;
  // "check-device:running" style summary for the live view.
  std::string summary() const;
};

PodView pod_view(const nlohmann::json& pod);

// The CLI's one-line error ("kubench: ...", prefix dropped) from a container's log tail, where
// stdout and stderr interleave; else the last line.
std::string last_error_line(const std::string& text);

// The result in a container's log: kubench's framed block, else (when `last_json_line`) the last
// line that is a JSON object, as `print(json.dumps(results))` leaves it. nullopt: none. Throws
// ParseError for a damaged frame.
std::optional<nlohmann::json> result_in_log(const std::string& log, bool last_json_line);

struct Failure {
  Outcome outcome;
  std::string message;
};

// A failure the Job or Pod already shows, or nullopt while it may still succeed. Unschedulable is
// not decided here (it can clear up); callers time it out.
std::optional<Failure> classify_failure(const nlohmann::json* job, const PodView* pod);

}  // namespace kb::jobs
