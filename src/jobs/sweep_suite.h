// A sweep suite (`kubench/sweep/v1`, YAML; docs/sweep.md): named GPU targets, a parameter matrix
// (cartesian product with include / exclude, as CI matrices do, and repeats) and one workload; and
// its expansion into variants. Parsing and expansion are pure: no cluster, no files but the suite.
// Errors name the file, the line and the key (ParseError, exit 2), before anything is created.
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace kb::jobs {

// A named class of GPU nodes: how a variant's pod finds one and what it asks of it.
struct SweepTarget {
  std::string name;
  std::map<std::string, std::string> node_selector;
  nlohmann::json affinity;        // a Kubernetes nodeAffinity object, as written (null: none)
  nlohmann::json tolerations;     // a list of Kubernetes tolerations, as written (null: none)
  std::string runtime_class;
  std::map<std::string, std::string> requests, limits;  // resource name → quantity
  std::string context;            // a kubeconfig context ("": the current one)
};

// What each variant gets unless a group says otherwise.
struct SweepSettings {
  int retries = 0;                // attempts after the first, for failures retrying can fix
  double timeout_s = 3600;        // the Job's activeDeadlineSeconds
  int priority = 0;               // higher is admitted first
  std::string priority_class;     // an existing PriorityClass for the pods ("": none)
};

// Settings for the variants a `match` selects (parameters, and `target`); later groups win.
struct SweepGroup {
  std::map<std::string, std::string> match;
  std::optional<int> retries, priority;
  std::optional<double> timeout_s;
  std::optional<std::string> priority_class;
};

// Files every variant sees under `mount_path`: small ones from a ConfigMap the sweep creates, or a
// volume the user names (hostpath:/DIR, pvc:CLAIM, nfs:SERVER:/EXPORT, as `scenes run --volume`).
struct SweepInputs {
  std::vector<std::filesystem::path> files;  // resolved against the suite's directory
  std::string volume;
  std::string mount_path = "/inputs";
  bool empty() const { return files.empty() && volume.empty(); }
};

struct SweepSuite {
  std::string file;               // where it was read from (for messages)
  std::string name;
  SweepSettings defaults;
  std::vector<SweepGroup> groups;
  bool network_none = false;      // network: none → a NetworkPolicy denies the pods all traffic
  SweepInputs inputs;
  std::vector<SweepTarget> targets;
  // matrix: parameter → values, in the suite's order; include / exclude entries as written.
  std::vector<std::pair<std::string, std::vector<std::string>>> matrix;
  std::vector<std::map<std::string, std::string>> include, exclude;
  int repeat = 1;
  std::string workload_kind;      // bench | container | infer
  nlohmann::json workload;        // the workload's own settings, as written
};

// Reads and checks a suite; ParseError "FILE:LINE: KEY: what is wrong" for anything it cannot use.
SweepSuite parse_sweep_suite(const std::string& yaml_text, const std::string& file);
SweepSuite load_sweep_suite(const std::filesystem::path& path);

struct SweepVariant {
  std::string id;                 // stable and readable: "bits=4,model=bert@a100#2"
  std::map<std::string, std::string> params;
  std::string target;
  int repeat = 0;                 // 0 … repeat-1
};

// The variants, in a stable order: the matrix's combinations in the suite's order (the first
// parameter varies slowest), minus those an `exclude` entry matches, plus `include` entries (an
// entry that agrees with combinations on all their shared parameters extends them; one that agrees
// with none is a variant of its own); each on every target unless the parameter `target` names
// one; each `repeat` times.
std::vector<SweepVariant> expand_sweep(const SweepSuite& suite);

// What every variant finds in its environment: KUBENCH_VARIANT, KUBENCH_VARIANT_INDEX,
// KUBENCH_TARGET, KUBENCH_REPEAT and KUBENCH_PARAM_<NAME> (upper case, other characters '_').
std::vector<std::pair<std::string, std::string>> variant_environment(const SweepVariant& variant, size_t index);

// The workload's setting `key` for a variant, {{ … }} substituted (with `builtins`); `fallback`
// when the suite does not set it.
std::string workload_text(const SweepSuite& suite, const SweepVariant& variant, const std::string& key, const std::string& fallback,
                          const std::map<std::string, std::string>& builtins = {});
// The workload's list `key` (command, args, local, tests), each item substituted; empty when unset.
std::vector<std::string> workload_list(const SweepSuite& suite, const SweepVariant& variant, const std::string& key,
                                       const std::map<std::string, std::string>& builtins = {});
// The workload's `env`, values substituted.
std::vector<std::pair<std::string, std::string>> workload_env(const SweepSuite& suite, const SweepVariant& variant,
                                                              const std::map<std::string, std::string>& builtins = {});

// `kubench infer` and its flags for a variant of an `infer` workload ({"infer", MODEL, "--batch", "8", …,
// "-o", "json"}), settings substituted (with `builtins`: {{ inputs }} is where the inputs are).
std::vector<std::string> infer_arguments(const SweepSuite& suite, const SweepVariant& variant, const std::map<std::string, std::string>& builtins);

// The target of that name; UsageError when the suite has none (a variant of another suite).
const SweepTarget& find_target(const SweepSuite& suite, const std::string& name);

// The defaults with every matching group applied, in the suite's order.
SweepSettings settings_for(const SweepSuite& suite, const SweepVariant& variant);

// "{{ name }}" → the variant's value (also {{ target }}, {{ repeat }}, and `builtins` such as
// {{ inputs }}: where the inputs are); an unknown name is a ParseError naming it and the variant.
std::string substitute_params(const std::string& text, const SweepVariant& variant,
                              const std::map<std::string, std::string>& builtins = {});

}  // namespace kb::jobs
