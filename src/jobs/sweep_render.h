// A sweep's Kubernetes objects: the labelled Namespace, a ServiceAccount with no API rights, an
// optional deny-all NetworkPolicy, the inputs ConfigMap (its size checked before anything is
// created), and one Job per variant attempt (container or bench workload, on its target).
// Pure functions: no cluster needed.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "jobs/sweep_suite.h"

namespace kb::jobs {

inline constexpr const char* kSweepLabel = "kubench.io/sweep";
inline constexpr const char* kVariantAnnotation = "kubench.io/variant";
inline constexpr const char* kAttemptAnnotation = "kubench.io/attempt";
inline constexpr const char* kSweepServiceAccount = "kubench-sweep";
inline constexpr const char* kWorkloadContainer = "workload";
// The most a ConfigMap holds (keys and values together), as the API server checks it.
inline constexpr size_t kConfigMapLimit = 1024 * 1024;

// Where one invocation of a sweep puts its objects.
struct SweepPlacement {
  std::string sweep_id;         // the sweep (stays the same across --resume)
  std::string run_id;           // this invocation
  std::string namespace_name;
  bool own_namespace = true;    // created (and deleted) by the sweep
  long ttl_seconds = 3600;      // Jobs clean themselves up if kubench cannot
  std::vector<std::string> architectures;  // kubench's image's (bench, infer): kubernetes.io/arch In these
};

// The image of a variant's kubench workload (bench, infer); "" for a container workload.
std::string kubench_image(const SweepSuite& suite, const SweepVariant& variant);

struct VariantJob {
  nlohmann::json job;
  std::string case_label;       // kubench.io/case of its pods
  std::string result_container;
  bool power = false;           // a power sidecar reports too
};

std::vector<nlohmann::json> render_sweep_setup(const SweepSuite& suite, const SweepPlacement& where);

// The inputs ConfigMap (text files as data, others as binaryData), or null when the suite's inputs
// are not files. Throws UsageError before anything is created for a missing file, two files with
// one name, or more than a ConfigMap holds (naming the size and pointing to inputs.volume).
nlohmann::json render_inputs_config_map(const SweepSuite& suite, const SweepPlacement& where);

// The Job of one attempt (1, 2, …) of variant number `index` of the plan.
VariantJob render_variant_job(const SweepSuite& suite, const SweepVariant& variant, size_t index, int attempt,
                              const SweepPlacement& where);

// The name of the variant's pods' case label: "v12".
std::string variant_case(size_t index);

}  // namespace kb::jobs
