// The NVIDIA device plugin's sharing config (`version: v1`, `sharing.timeSlicing` or
// `sharing.mps`): written as a ConfigMap whose data key a node selects with the label
// nvidia.com/device-plugin.config=<key>, and read back to say what it means — including what the
// plugin accepts but silently ignores (unknown keys, per-resource `rename`, `devices`). Facts are
// from the plugin's api/config/v1 and its resource manager (docs/share.md). Pure: text in, text out.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kb::share {

// The node label the plugin's config manager watches; its value is a data key of the ConfigMap.
inline constexpr std::string_view kConfigLabel = "nvidia.com/device-plugin.config";

struct SharedResource {
  std::string name = "nvidia.com/gpu";  // nvidia.com/gpu or a mixed-strategy MIG resource nvidia.com/mig-1g.5gb
  int replicas = 0;                     // shares per physical GPU (per MIG device); >= 2
  std::string rename;                   // parsed by the plugin, then ignored ("" when not set)
  std::string devices = "all";          // "all", a count or a list as written; anything but "all" is ignored
  bool operator==(const SharedResource&) const = default;
};

struct SharingConfig {
  enum class Strategy { none, time_slicing, mps } strategy = Strategy::time_slicing;
  bool rename_by_default = false;                       // the plugin's default
  std::optional<bool> fail_requests_greater_than_one;   // unset: false for time-slicing, true for MPS
  std::vector<SharedResource> resources;
  bool operator==(const SharingConfig&) const = default;
};

std::string_view to_string(SharingConfig::Strategy s);  // none | time-slicing | mps

// "nvidia.com/gpu", "gpu" (the plugin adds the nvidia.com/ prefix) or "nvidia.com/mig-<g>g.<mem>gb…".
// UsageError for any other: the plugin would accept it and silently share nothing.
std::string shared_resource_name(std::string_view text);

// What the plugin would reject, and what kubench rejects because it shares nothing (replicas < 2,
// an unknown resource, a resource listed twice, MPS on MIG, MPS above 48 replicas). UsageError.
void validate(const SharingConfig& config);

// The config file, in the plugin's key order (the seed's layout). Validates first.
std::string render_config(const SharingConfig& config);

struct ConfigMapEntry {
  std::string key;  // the data key, and the label value that selects it
  SharingConfig config;
};
// A ConfigMap with one data key per config. UsageError for a key that is no valid label value.
std::string render_config_map(const std::string& name, const std::string& namespace_name, const std::vector<ConfigMapEntry>& entries);

struct ParsedConfig {
  std::string key;                    // the ConfigMap's data key; "" for a bare config file
  SharingConfig config;               // what the plugin uses
  std::vector<std::string> flags;     // "migStrategy=mixed": the flags section, as written
  std::vector<std::string> warnings;  // accepted but ignored, or contradicting itself
};

// A bare config, a ConfigMap (every data key is a config) or a List of ConfigMaps, one or more
// YAML documents. UsageError "FILE:LINE: …" for bad YAML and for what the plugin would reject.
std::vector<ParsedConfig> parse_sharing_configs(std::string_view yaml_text, const std::string& file);

// What the config means, one sentence a line: shares per GPU, the resource pods request, what a
// share gives (time, memory, compute), what requests above 1 do, the labels GFD writes.
std::vector<std::string> explain(const SharingConfig& config, const std::vector<std::string>& flags = {});

}  // namespace kb::share
