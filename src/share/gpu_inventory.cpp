#include "share/gpu_inventory.h"

#include <algorithm>
#include <map>

#include "core/quantity.h"
#include "core/text.h"

namespace kb::share {

using nlohmann::json;

namespace {

constexpr int64_t kMiB = 1024 * 1024;

std::string label(const std::map<std::string, std::string>& labels, const std::string& key) {
  auto it = labels.find(key);
  return it == labels.end() ? "" : it->second;
}

std::optional<int> int_label(const std::map<std::string, std::string>& labels, const std::string& key, NodeGpus& g) {
  const auto text = label(labels, key);
  if (text.empty()) return std::nullopt;
  const auto n = parse_int(text);
  if (!n || *n < 0) {
    g.warnings.push_back("label " + key + "=" + text + " is not a count; ignored");
    return std::nullopt;
  }
  return static_cast<int>(*n);
}

// Whole units of a capacity quantity ("8" → 8).
int64_t units(const json& capacity, const std::string& resource) {
  if (!capacity.contains(resource)) return 0;
  const auto& v = capacity[resource];
  try {
    return parse_quantity_milli(v.is_string() ? v.get<std::string>() : v.dump()) / 1000;
  } catch (const std::exception&) {
    return 0;
  }
}

void read_nvidia(NodeGpus& g, const std::map<std::string, std::string>& labels, const json& capacity, const json& annotations) {
  g.vendor = "nvidia";
  g.product = label(labels, "nvidia.com/gpu.product");
  const bool shared_suffix = g.product.size() > 7 && g.product.compare(g.product.size() - 7, 7, "-SHARED") == 0;
  if (shared_suffix) g.product.resize(g.product.size() - 7);
  if (const auto mib = label(labels, "nvidia.com/gpu.memory"); !mib.empty()) {
    g.memory_bytes = parse_memory_label(mib, kMiB);
    if (!g.memory_bytes) g.warnings.push_back("label nvidia.com/gpu.memory=" + mib + " is not a size; ignored");
  }
  const auto count_label = int_label(labels, "nvidia.com/gpu.count", g);
  const auto replicas_label = int_label(labels, "nvidia.com/gpu.replicas", g);
  const auto strategy = label(labels, "nvidia.com/gpu.sharing-strategy");
  const auto mig = label(labels, "nvidia.com/mig.strategy");
  const int64_t plain = units(capacity, "nvidia.com/gpu"), renamed = units(capacity, "nvidia.com/gpu.shared");

  // HAMi registers its devices on the node: one entry per physical GPU.
  if (annotations.contains("hami.io/node-nvidia-register")) {
    const auto& a = annotations["hami.io/node-nvidia-register"];
    auto devices = json::parse(a.is_string() ? a.get<std::string>() : a.dump(), nullptr, false);
    if (devices.is_array() && !devices.empty()) {
      g.sharing = "hami";
      g.count = static_cast<int>(devices.size());
      const auto& d = devices[0];
      g.replicas = d.value("count", 10);
      if (d.contains("devmem") && d["devmem"].is_number()) g.memory_bytes = d["devmem"].get<int64_t>() * kMiB;
      if (g.product.empty()) g.product = d.value("type", "");
      g.share_resource = "nvidia.com/gpu";
      return;
    }
    g.warnings.push_back("annotation hami.io/node-nvidia-register is not a device list; ignored");
  }

  if (!mig.empty() && mig != "none") {
    g.sharing = "mig";
    g.share_resource = mig == "single" ? "nvidia.com/gpu" : "";
  } else if (strategy == "mps") {
    g.sharing = "mps";
  } else if (strategy == "time-slicing" || renamed > 0 || shared_suffix || (replicas_label && *replicas_label > 1)) {
    g.sharing = "time-slicing";
  } else if (!strategy.empty() && strategy != "none") {
    g.warnings.push_back("label nvidia.com/gpu.sharing-strategy=" + strategy + " is not one kubench knows; read as not shared");
  }
  if (g.sharing == "time-slicing" || g.sharing == "mps") g.share_resource = renamed > 0 ? "nvidia.com/gpu.shared" : "nvidia.com/gpu";
  else if (g.sharing == "none") g.share_resource = "nvidia.com/gpu";
  const int64_t shares = g.share_resource.empty() ? 0 : units(capacity, g.share_resource);

  if (count_label) g.count = *count_label;
  if (g.sharing == "none") {
    if (!count_label) g.count = static_cast<int>(plain);
    else if (plain > 0 && plain != *count_label)
      g.warnings.push_back("nvidia.com/gpu.count says " + std::to_string(*count_label) + " GPUs, the capacity " + std::to_string(plain));
    return;
  }
  if (g.sharing == "mig") return;
  if (renamed > 0 && plain > 0)
    g.warnings.push_back("both nvidia.com/gpu (" + std::to_string(plain) + ") and nvidia.com/gpu.shared (" + std::to_string(renamed) +
                         ") are advertised: a plugin config change not yet applied everywhere?");
  if (g.count == 0) g.count = 1;  // shared, and nothing says how many: one GPU is the common case
  // GFD's replicas label is per physical GPU (the plugin's config), the capacity the node's total.
  if (replicas_label && shares > 0 && *replicas_label * g.count != shares)
    g.warnings.push_back("label nvidia.com/gpu.replicas=" + std::to_string(*replicas_label) + " (per GPU, × " + std::to_string(g.count) +
                         (g.count == 1 ? " GPU" : " GPUs") + ") but the node advertises " + std::to_string(shares) + " " + g.share_resource +
                         "; the capacity is used");
  const int64_t total = shares > 0 ? shares : replicas_label.value_or(0) * g.count;
  g.replicas = static_cast<int>(std::max<int64_t>(1, total / g.count));
  if (total % g.count != 0)
    g.warnings.push_back(std::to_string(total) + " shares do not divide over " + std::to_string(g.count) + " GPUs");
}

void read_intel(NodeGpus& g, const std::map<std::string, std::string>& labels, const json& capacity) {
  g.vendor = "intel";
  g.product = label(labels, "gpu.intel.com/product");
  if (g.product.empty()) g.product = label(labels, "gpu.intel.com/family");
  g.share_resource = capacity.contains("gpu.intel.com/xe") ? "gpu.intel.com/xe" : "gpu.intel.com/i915";
  // "card0.card1" / "0.1": one entry per GPU.
  std::string cards = label(labels, "gpu.intel.com/cards");
  if (cards.empty()) cards = label(labels, "gpu.intel.com/gpu-numbers");
  if (!cards.empty()) g.count = static_cast<int>(split(cards, '.').size());
  if (const auto mem = label(labels, "gpu.intel.com/memory.max"); !mem.empty()) g.memory_bytes = parse_memory_label(mem, 1);
  const int64_t shares = units(capacity, g.share_resource);
  if (g.count == 0) g.count = shares > 0 ? 1 : 0;
  if (g.count > 0 && shares > g.count) {
    g.sharing = "shared-dev";  // the plugin's -shared-dev-num: N containers per GPU, not enforced
    g.replicas = static_cast<int>(shares / g.count);
  }
}

void read_amd(NodeGpus& g, const std::map<std::string, std::string>& labels, const json& capacity) {
  g.vendor = "amd";
  for (const char* prefix : {"amd.com/", "beta.amd.com/"}) {
    if (g.product.empty()) g.product = label(labels, std::string(prefix) + "gpu.product-name");
    if (g.product.empty()) g.product = label(labels, std::string(prefix) + "gpu.family");
    if (!g.memory_bytes) {
      const auto vram = label(labels, std::string(prefix) + "gpu.vram");
      if (!vram.empty()) g.memory_bytes = parse_memory_label(vram, kMiB);
    }
  }
  g.share_resource = "amd.com/gpu";
  g.count = static_cast<int>(units(capacity, "amd.com/gpu"));
}

}  // namespace

bool is_gpu_resource(std::string_view r) {
  return starts_with(r, "nvidia.com/") || starts_with(r, "gpu.intel.com/") || starts_with(r, "amd.com/");
}

std::optional<int64_t> parse_memory_label(std::string_view value, int64_t unit_when_bare) {
  const auto text = trim(value);
  if (const auto n = parse_int(text)) return *n >= 0 ? std::optional<int64_t>(*n * unit_when_bare) : std::nullopt;
  std::string q(text);
  if (!q.empty() && (q.back() == 'G' || q.back() == 'M' || q.back() == 'K')) q += "i";  // labellers write 16G for GiB
  try {
    return parse_quantity_milli(q) / 1000;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

NodeGpus read_node_gpus(const json& node) {
  NodeGpus g;
  const auto meta = node.value("metadata", json::object());
  g.node = meta.value("name", "");
  std::map<std::string, std::string> labels;
  const auto label_object = meta.value("labels", json::object());
  for (const auto& [k, v] : label_object.items()) labels[k] = v.is_string() ? v.get<std::string>() : v.dump();
  const auto annotations = meta.value("annotations", json::object());
  const auto capacity = node.value("status", json::object()).value("capacity", json::object());
  for (const auto& [name, value] : capacity.items())
    if (is_gpu_resource(name) && units(capacity, name) > 0) g.resources.push_back(name);

  const auto has_prefix = [&](const char* prefix) {
    for (const auto& r : g.resources)
      if (starts_with(r, prefix)) return true;
    for (const auto& [k, v] : labels)
      if (starts_with(k, prefix)) return true;
    return false;
  };
  std::vector<std::string> vendors;
  if (has_prefix("nvidia.com/") || annotations.contains("hami.io/node-nvidia-register")) vendors.push_back("nvidia");
  if (has_prefix("gpu.intel.com/")) vendors.push_back("intel");
  if (has_prefix("amd.com/") || has_prefix("beta.amd.com/")) vendors.push_back("amd");
  if (vendors.empty()) return g;
  if (vendors.size() > 1) {
    std::string all;
    for (const auto& v : vendors) all += (all.empty() ? "" : ", ") + v;
    g.warnings.push_back("GPUs of several vendors (" + all + "): the " + vendors[0] + " ones are shown");
  }
  if (vendors[0] == "nvidia") read_nvidia(g, labels, capacity, annotations);
  else if (vendors[0] == "intel") read_intel(g, labels, capacity);
  else read_amd(g, labels, capacity);
  return g;
}

}  // namespace kb::share
