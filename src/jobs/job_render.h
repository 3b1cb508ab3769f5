// BenchmarkJobSpec -> the Kubernetes objects of a run: a labelled Namespace, a ServiceAccount with
// no API rights, and one Job per spec (init containers check-device and fetch-clips, the benchmark
// container and the power sidecar). Pure functions: no cluster needed.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "jobs/benchmark_spec.h"

namespace kb::jobs {

// Paths inside the pod.
inline constexpr const char* kClipsDir = "/work/clips";
inline constexpr const char* kResultsDir = "/work/results";
inline constexpr const char* kStartFile = "/signals/started";
inline constexpr const char* kStopFile = "/signals/done";
inline constexpr const char* kServiceAccount = "kubench-benchmark";

// Tolerations of the control-plane taints: a homelab's GPU often sits in its only (control-plane) node.
nlohmann::json control_plane_tolerations();
nlohmann::json render_namespace(const BenchmarkJobSpec& spec);
nlohmann::json render_service_account(const BenchmarkJobSpec& spec);
nlohmann::json render_job(const BenchmarkJobSpec& spec);

// Namespace and ServiceAccount (from the first spec; all share them), then one Job per spec.
std::vector<nlohmann::json> render_run(const std::vector<BenchmarkJobSpec>& specs);

// Multi-document YAML ("---" between objects), as `kubectl apply -f` reads it.
std::string to_manifest_yaml(const std::vector<nlohmann::json>& objects);

}  // namespace kb::jobs
