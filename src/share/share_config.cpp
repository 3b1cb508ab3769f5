#include "share/share_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <regex>
#include <set>

#include "core/error.h"

namespace kb::share {

namespace {

// MPS serves at most 48 clients per GPU (16 below compute capability 7.5); the plugin's MPS daemon
// refuses to start with more replicas ("maximum allowed replicas exceeded").
constexpr int kMpsMaxReplicas = 48, kMpsMaxReplicasOldGpus = 16;

bool is_mig_resource(std::string_view name) { return name.starts_with("nvidia.com/mig-"); }

// A Kubernetes label value (the key must be one for nvidia.com/device-plugin.config=<key> to select it).
bool is_label_value(const std::string& s) {
  static const std::regex re("([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)");
  return s.size() <= 63 && std::regex_match(s, re);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::string shared_name(const SharedResource& r, bool rename_by_default) { return rename_by_default ? r.name + ".shared" : r.name; }

// Reads one config with the plugin's rules, locating each finding by its line. The plugin decodes
// YAML with Go's encoding/json: keys of plain structs (top level, sharing, flags) match ignoring
// case, the sharing strategies' and resources' own keys match exactly, and unknown keys vanish.
class ConfigReader {
 public:
  ConfigReader(std::string where, ParsedConfig& out) : where_(std::move(where)), out_(out) {}

  void read(const YAML::Node& doc) {
    if (!doc.IsMap()) fail(doc, "a device plugin config is a mapping (version: v1, sharing: …)");
    keys(doc, "", {"version", "flags", "resources", "sharing", "imex"}, true);
    if (auto v = find(doc, "version", true); v && v.as<std::string>() != "v1")
      fail(v, "unknown version " + v.as<std::string>() + ": the plugin reads only v1");
    if (auto r = find(doc, "resources", true); r && r.size() > 0)
      warn(r, "resources (custom resource names) is ignored: the plugin logs \"Customizing the 'resources' field is not yet supported\"");
    if (auto f = find(doc, "flags", true)) read_flags(f);
    if (auto i = find(doc, "imex", true); i && i.IsMap()) keys(i, "imex", {"channelIDs", "required"}, true);

    auto& c = out_.config;
    c.strategy = SharingConfig::Strategy::none;
    const auto sharing = find(doc, "sharing", true);
    if (!sharing || sharing.IsNull()) return;
    if (!sharing.IsMap()) fail(sharing, "sharing must be a mapping (timeSlicing: or mps:)");
    keys(sharing, "sharing", {"timeSlicing", "mps"}, true);
    const auto time_slicing = find(sharing, "timeSlicing", true), mps = find(sharing, "mps", true);
    // The plugin parses both but uses mps when it is there.
    if (time_slicing) read_strategy(time_slicing, "sharing.timeSlicing");
    if (mps) {
      if (time_slicing) warn(time_slicing, "sharing.timeSlicing is ignored: with sharing.mps also set, the plugin uses mps");
      c = SharingConfig{};
      read_strategy(mps, "sharing.mps");
      c.strategy = SharingConfig::Strategy::mps;
    } else if (time_slicing) {
      c.strategy = SharingConfig::Strategy::time_slicing;
    }
    // MIG resources exist only with the mixed strategy; the plugin shares nothing under another.
    for (const auto& f : out_.flags)
      if (f.starts_with("migStrategy=") && f != "migStrategy=mixed")
        for (const auto& r : c.resources)
          if (is_mig_resource(r.name))
            warn(find(find(doc, "flags", true), "migStrategy", true), r.name + " exists only with migStrategy mixed: with " + f + " nothing of it is shared");
    for (const auto& f : out_.flags)
      if (c.strategy == SharingConfig::Strategy::mps && f == "migStrategy=mixed")
        fail(mps, "MPS with migStrategy mixed: the plugin refuses to start (\"using --mig-strategy=mixed is not supported with MPS\")");
    try {
      validate(c);
    } catch (const UsageError& e) {
      fail(mps ? mps : time_slicing, e.what());
    }
    // In file order, whatever order they were found in.
    auto line = [&](const std::string& w) { return w.compare(0, where_.size() + 1, where_ + ":") == 0 ? std::atoi(w.c_str() + where_.size() + 1) : 0; };
    std::stable_sort(out_.warnings.begin(), out_.warnings.end(), [&](const auto& a, const auto& b) { return line(a) < line(b); });
  }

 private:
  [[noreturn]] void fail(const YAML::Node& n, const std::string& what) const { throw UsageError(at(n) + what); }
  void warn(const YAML::Node& n, const std::string& what) { out_.warnings.push_back(at(n) + what); }
  std::string at(const YAML::Node& n) const {
    return where_ + (n.IsDefined() && n.Mark().line >= 0 ? ":" + std::to_string(n.Mark().line + 1) : "") + ": ";
  }

  static YAML::Node find(const YAML::Node& map, const std::string& key, bool ignore_case) {
    if (!map.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    if (auto exact = map[key]) return exact;
    if (ignore_case)
      for (const auto& kv : map)
        if (lower(kv.first.as<std::string>()) == lower(key)) return kv.second;
    return YAML::Node(YAML::NodeType::Undefined);
  }

  // Warns about every key the plugin ignores, naming the one it probably meant.
  void keys(const YAML::Node& map, const std::string& path, const std::vector<std::string>& known, bool ignore_case) {
    for (const auto& kv : map) {
      const auto key = kv.first.as<std::string>();
      if (std::find(known.begin(), known.end(), key) != known.end()) continue;
      std::string near;
      for (const auto& k : known)
        if (lower(k) == lower(key) || edit_distance(lower(k), lower(key)) <= 2) near = k;
      const std::string in = path.empty() ? "at the top level" : "in " + path;
      if (ignore_case && lower(near) == lower(key))
        warn(kv.first, key + " " + in + " is read as " + near + " (the plugin matches these keys ignoring case); write " + near);
      else
        warn(kv.first, key + " " + in + " is no key of the plugin's: it is silently ignored" + (near.empty() ? "" : " (did you mean " + near + "?)"));
    }
  }

  bool boolean(const YAML::Node& n, const std::string& path) const {
    bool b = false;
    if (!n.IsScalar() || n.Tag() == "!" || !YAML::convert<bool>::decode(n, b)) fail(n, path + " must be true or false");
    return b;
  }

  // The flags section, as "migStrategy=mixed" and "plugin.deviceIDStrategy=index" (only keys the plugin reads).
  void read_flags(const YAML::Node& flags) {
    if (flags.IsNull()) return;
    if (!flags.IsMap()) fail(flags, "flags must be a mapping");
    const std::vector<std::string> top = {"migStrategy", "failOnInitError", "mpsRoot", "nvidiaDriverRoot", "nvidiaDevRoot", "gdrcopyEnabled", "gdsEnabled",
                                          "mofedEnabled", "useNodeFeatureAPI", "deviceDiscoveryStrategy", "plugin", "gfd"};
    const std::vector<std::string> plugin = {"passDeviceSpecs", "deviceListStrategy", "deviceIDStrategy", "cdiAnnotationPrefix", "nvidiaCTKPath",
                                             "containerDriverRoot", "sharedDevicesAllocationPolicy"};
    const std::vector<std::string> gfd = {"oneshot", "noTimestamp", "sleepInterval", "outputFile", "machineTypeFile"};
    keys(flags, "flags", top, true);
    auto record = [&](const YAML::Node& map, const std::string& prefix, const std::vector<std::string>& known) {
      for (const auto& k : known)
        if (auto v = find(map, k, true); v && !v.IsMap()) out_.flags.push_back(prefix + k + "=" + (v.IsScalar() ? v.as<std::string>() : "[…]"));
    };
    record(flags, "", top);
    for (const auto& [section, known] : {std::pair{std::string("plugin"), plugin}, std::pair{std::string("gfd"), gfd}})
      if (auto s = find(flags, section, true); s && s.IsMap()) {
        keys(s, "flags." + section, known, true);
        record(s, section + ".", known);
      }
    if (auto m = find(flags, "migStrategy", true); m && m.IsScalar()) {
      const auto v = m.as<std::string>();
      if (v != "none" && v != "single" && v != "mixed") fail(m, "unknown MIG strategy " + v + ": the plugin takes none, single or mixed");
    }
    if (auto p = find(find(flags, "plugin", true), "sharedDevicesAllocationPolicy", true); p && p.IsScalar()) {
      const auto v = p.as<std::string>();
      if (v != "distributed" && v != "packed") fail(p, "sharedDevicesAllocationPolicy " + v + ": the plugin takes distributed or packed");
    }
  }

  void read_strategy(const YAML::Node& s, const std::string& path) {
    auto& c = out_.config;
    if (!s.IsMap() || !s["resources"]) fail(s, path + ".resources is missing: the plugin rejects it (\"no resources specified\")");
    keys(s, path, {"renameByDefault", "failRequestsGreaterThanOne", "resources"}, false);
    if (s["renameByDefault"]) c.rename_by_default = boolean(s["renameByDefault"], path + ".renameByDefault");
    if (s["failRequestsGreaterThanOne"])
      c.fail_requests_greater_than_one = boolean(s["failRequestsGreaterThanOne"], path + ".failRequestsGreaterThanOne");
    const auto resources = s["resources"];
    if (!resources.IsSequence() || resources.size() == 0)
      fail(resources, path + ".resources must be a non-empty list: the plugin rejects it (\"no resources specified\")");
    for (size_t i = 0; i < resources.size(); ++i) c.resources.push_back(read_resource(resources[i], path + ".resources[" + std::to_string(i) + "]"));
  }

  SharedResource read_resource(const YAML::Node& n, const std::string& path) {
    if (!n.IsMap()) fail(n, path + " must be a mapping (name:, replicas:)");
    keys(n, path, {"name", "replicas", "rename", "devices"}, false);
    SharedResource r;
    if (!n["name"]) fail(n, path + ": no name (the plugin rejects it: \"no resource name specified\")");
    try {
      r.name = shared_resource_name(n["name"].as<std::string>());
    } catch (const UsageError& e) {
      fail(n["name"], e.what());
    }
    const auto replicas = n["replicas"];
    if (!replicas) {
      std::string typo;  // the usual cause: replica:, Replicas:
      for (const auto& kv : n)
        if (kv.first.as<std::string>() != "replicas" && edit_distance(lower(kv.first.as<std::string>()), "replicas") <= 2) typo = kv.first.as<std::string>();
      fail(n, path + ": no replicas" + (typo.empty() ? "" : " (" + typo + " is no key of the plugin's)") + ": the plugin rejects it (\"no replicas specified\")");
    }
    if (replicas.IsScalar() && replicas.Tag() == "!")
      fail(replicas, path + ".replicas is quoted: write replicas: " + replicas.as<std::string>() + " (the plugin rejects a string)");
    if (!replicas.IsScalar() || !YAML::convert<int>::decode(replicas, r.replicas)) fail(replicas, path + ".replicas must be a whole number");
    if (r.replicas < 2)
      fail(replicas, r.name + " with " + std::to_string(r.replicas) + " replica" + (r.replicas == 1 ? "" : "s") +
                         " shares nothing: give 2 or more (the plugin rejects it: \"number of replicas must be >= 2\")");
    if (const auto rename = n["rename"]) {
      r.rename = rename.as<std::string>();
      if (r.rename.find('/') == std::string::npos) r.rename = "nvidia.com/" + r.rename;  // as the plugin does
      // With renameByDefault the plugin's own choice is <name>.shared: only a different one is dropped.
      if (r.rename != shared_name(r, out_.config.rename_by_default))
        warn(rename, path + ".rename is ignored: the plugin logs \"Setting the 'rename' field … is not yet supported\" and advertises " +
                       (out_.config.rename_by_default ? r.name + ".shared (renameByDefault: true)" : r.name + " (renameByDefault: false)"));
    }
    if (const auto devices = n["devices"]) r.devices = read_devices(devices, path + ".devices");
    if (r.devices != "all")
      warn(n["devices"], path + ".devices is ignored: the plugin logs \"Customizing the 'devices' field … is not yet supported\" and shares every " +
                             std::string(is_mig_resource(r.name) ? "MIG device" : "GPU") + " of " + r.name + " on the node");
    return r;
  }

  // "all", a count > 0, or a list of GPU indexes, MIG indexes "i:j", GPU-/MIG- UUIDs: what the plugin parses.
  std::string read_devices(const YAML::Node& n, const std::string& path) const {
    static const std::regex index("[0-9]+(:[0-9]+)?"), uuid("(GPU|MIG)-[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}(/[0-9]+/[0-9]+)?");
    if (n.IsScalar()) {
      const auto v = n.as<std::string>();
      int count = 0;
      if (v == "all") return v;
      if (n.Tag() != "!" && YAML::convert<int>::decode(n, count) && count > 0) return v;
      fail(n, path + " " + v + ": the plugin takes all, a count above 0, or a list of GPU indexes or UUIDs");
    }
    if (!n.IsSequence()) fail(n, path + ": the plugin takes all, a count above 0, or a list of GPU indexes or UUIDs");
    std::string list;
    for (const auto& item : n) {
      const auto v = item.IsScalar() ? item.as<std::string>() : "";
      if (!std::regex_match(v, index) && !std::regex_match(v, uuid)) fail(item, path + ": " + v + " is no GPU index, MIG index (i:j) or GPU/MIG UUID");
      // Indexes as numbers, the rest quoted: the list reads back as YAML as it was meant.
      list += (list.empty() ? "" : ", ") + (v.find_first_not_of("0123456789") == std::string::npos ? v : "\"" + v + "\"");
    }
    return "[" + list + "]";
  }

  std::string where_;
  ParsedConfig& out_;
};

void parse_config_map(const YAML::Node& cm, const std::string& file, std::vector<ParsedConfig>& out) {
  const auto data = cm["data"];
  const auto name = cm["metadata"] && cm["metadata"]["name"] ? cm["metadata"]["name"].as<std::string>() : std::string("ConfigMap");
  if (!data || !data.IsMap() || data.size() == 0)
    throw UsageError(file + ":" + std::to_string(cm.Mark().line + 1) + ": ConfigMap " + name + " has no data: each data key holds one config");
  for (const auto& kv : data) {
    ParsedConfig p;
    p.key = kv.first.as<std::string>();
    if (!kv.second.IsScalar())
      throw UsageError(file + ":" + std::to_string(kv.second.Mark().line + 1) + ": data key " + p.key + " must hold the config as text (" + p.key + ": |)");
    if (!is_label_value(p.key))
      p.warnings.push_back(file + ":" + std::to_string(kv.first.Mark().line + 1) + ": no node can select data key " + p.key +
                           ": it is no valid label value for " + std::string(kConfigLabel) + " (only the plugin's default config can name it)");
    // Lines inside a data value count from its first line: FILE[KEY]:LINE.
    const std::string where = file + "[" + p.key + "]";
    YAML::Node config;
    try {
      config = YAML::Load(kv.second.as<std::string>());
    } catch (const YAML::Exception& e) {
      throw UsageError(where + ":" + std::to_string(e.mark.line + 1) + ": not valid YAML: " + e.msg);
    }
    ConfigReader(where, p).read(config);
    out.push_back(std::move(p));
  }
}

void parse_document(const YAML::Node& doc, const std::string& file, std::vector<ParsedConfig>& out) {
  if (doc.IsNull()) return;
  const auto kind = doc.IsMap() && doc["kind"] ? doc["kind"].as<std::string>() : "";
  if (kind == "ConfigMap") return parse_config_map(doc, file, out);
  if (kind == "List" && doc["items"].IsSequence()) {
    for (const auto& item : doc["items"]) parse_document(item, file, out);
    return;
  }
  if (!kind.empty())
    throw UsageError(file + ":" + std::to_string(doc.Mark().line + 1) + ": a " + kind + " is neither a device plugin config nor a ConfigMap holding one");
  ParsedConfig p;
  ConfigReader(file, p).read(doc);
  out.push_back(std::move(p));
}

void emit_config(YAML::Emitter& out, const SharingConfig& c) {
  out << YAML::BeginMap << YAML::Key << "version" << YAML::Value << "v1";
  if (c.strategy != SharingConfig::Strategy::none) {
    out << YAML::Key << "sharing" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << (c.strategy == SharingConfig::Strategy::mps ? "mps" : "timeSlicing") << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "renameByDefault" << YAML::Value << c.rename_by_default;
    if (c.fail_requests_greater_than_one) out << YAML::Key << "failRequestsGreaterThanOne" << YAML::Value << *c.fail_requests_greater_than_one;
    out << YAML::Key << "resources" << YAML::Value << YAML::BeginSeq;
    for (const auto& r : c.resources) {
      out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << r.name;
      if (!r.rename.empty()) out << YAML::Key << "rename" << YAML::Value << r.rename;
      if (r.devices != "all") out << YAML::Key << "devices" << YAML::Value << YAML::Load(r.devices);
      out << YAML::Key << "replicas" << YAML::Value << r.replicas << YAML::EndMap;
    }
    out << YAML::EndSeq << YAML::EndMap << YAML::EndMap;
  }
  out << YAML::EndMap;
}

}  // namespace

std::string_view to_string(SharingConfig::Strategy s) {
  switch (s) {
    case SharingConfig::Strategy::time_slicing: return "time-slicing";
    case SharingConfig::Strategy::mps: return "mps";
    default: return "none";
  }
}

std::string shared_resource_name(std::string_view text) {
  std::string name(text);
  if (name.find('/') == std::string::npos) name = "nvidia.com/" + name;  // as the plugin does
  // MIG resources are "mig-" and the profile, '+' made '.' (mig-1g.10gb, mig-1g.10gb.me).
  static const std::regex mig("nvidia\\.com/mig-[0-9]+g\\.[0-9]+gb[a-z0-9.-]*");
  if (name.size() <= 63 && (name == "nvidia.com/gpu" || std::regex_match(name, mig)) && !name.ends_with(".shared")) return name;
  if (name.ends_with(".shared"))
    throw UsageError("resource " + std::string(text) + ": name the resource before renaming (" + name.substr(0, name.size() - 7) +
                     "); renameByDefault adds .shared");
  throw UsageError("unknown resource " + std::string(text) +
                   ": the plugin shares only nvidia.com/gpu and MIG resources such as nvidia.com/mig-1g.5gb (it would accept this name and share nothing)");
}

void validate(const SharingConfig& c) {
  using S = SharingConfig::Strategy;
  if (c.strategy == S::none) {
    if (!c.resources.empty()) throw UsageError("resources are given but no sharing strategy");
    return;
  }
  if (c.resources.empty()) throw UsageError("no resources to share: the plugin rejects it (\"no resources specified\")");
  std::set<std::string> seen;
  for (const auto& r : c.resources) {
    if (shared_resource_name(r.name) != r.name) throw UsageError("resource " + r.name + ": write it as " + shared_resource_name(r.name));
    if (!seen.insert(r.name).second) throw UsageError(r.name + " is listed twice: the plugin does not merge the entries; keep one");
    if (r.replicas < 2)
      throw UsageError(r.name + " with " + std::to_string(r.replicas) + " replica" + (r.replicas == 1 ? "" : "s") +
                       " shares nothing: give 2 or more (the plugin rejects it: \"number of replicas must be >= 2\")");
    if (c.strategy == S::mps && is_mig_resource(r.name))
      throw UsageError("MPS on the MIG resource " + r.name + ": the plugin refuses it (\"sharing using MPS is not supported for MIG devices\"); use time-slicing");
    if (c.strategy == S::mps && r.replicas > kMpsMaxReplicas)
      throw UsageError("MPS with " + std::to_string(r.replicas) + " replicas of " + r.name + ": an MPS server takes at most " +
                       std::to_string(kMpsMaxReplicas) + " clients per GPU, and the plugin refuses more");
  }
}

std::string render_config(const SharingConfig& config) {
  validate(config);
  YAML::Emitter out;
  emit_config(out, config);
  return std::string(out.c_str()) + "\n";
}

std::string render_config_map(const std::string& name, const std::string& namespace_name, const std::vector<ConfigMapEntry>& entries) {
  // Checked here because they are written into the YAML as they are.
  static const std::regex dns_subdomain("[a-z0-9]([-a-z0-9.]*[a-z0-9])?"), dns_label("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  if (name.size() > 253 || !std::regex_match(name, dns_subdomain)) throw UsageError("ConfigMap name " + name + ": use lower-case letters, digits, - and .");
  if (namespace_name.size() > 63 || !std::regex_match(namespace_name, dns_label))
    throw UsageError("namespace " + namespace_name + ": use lower-case letters, digits and -");
  if (entries.empty()) throw UsageError("a ConfigMap needs at least one config");
  // Written by hand: each config as a literal block, exactly as render_config writes it.
  std::string out = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  namespace: " + namespace_name + "\ndata:\n";
  std::set<std::string> keys;
  for (const auto& e : entries) {
    if (!is_label_value(e.key))
      throw UsageError("config key " + e.key + ": it must be a label value (letters, digits, and - _ . inside; at most 63) for " +
                       std::string(kConfigLabel) + " to select it");
    if (!keys.insert(e.key).second) throw UsageError("config key " + e.key + " is given twice");
    out += "  " + e.key + ": |\n";
    const auto text = render_config(e.config);
    for (size_t begin = 0, end; begin < text.size(); begin = end + 1) {
      end = text.find('\n', begin);
      out += "    " + text.substr(begin, end - begin) + "\n";
    }
  }
  return out;
}

std::vector<ParsedConfig> parse_sharing_configs(std::string_view yaml_text, const std::string& file) {
  std::vector<ParsedConfig> out;
  try {
    for (const auto& doc : YAML::LoadAll(std::string(yaml_text))) parse_document(doc, file, out);
  } catch (const YAML::Exception& e) {
    throw UsageError(file + ":" + std::to_string(e.mark.line + 1) + ": not valid YAML: " + e.msg);
  }
  if (out.empty()) throw UsageError(file + ": empty: give a device plugin config or a ConfigMap holding one");
  return out;
}

std::vector<std::string> explain(const SharingConfig& c, const std::vector<std::string>& flags) {
  using S = SharingConfig::Strategy;
  std::vector<std::string> lines;
  if (c.strategy == S::none) {
    lines.push_back("No sharing (no sharing.timeSlicing or sharing.mps): every GPU is one whole nvidia.com/gpu, and a pod that requests 1 gets a GPU to itself.");
  } else if (c.strategy == S::time_slicing) {
    lines.push_back("Time-slicing (not MPS, MIG partitioning or vGPU): the processes of all shares take turns on the whole GPU, with no memory or fault isolation.");
  } else {
    lines.push_back("MPS (CUDA Multi-Process Service): the processes of all shares run at once on the GPU through an MPS control daemon on the node "
                    "(the chart's mps-control-daemon; the plugin needs --mps-root).");
  }
  for (const auto& r : c.resources) {
    const bool mig = is_mig_resource(r.name);
    const std::string unit = mig ? "MIG device of this profile" : "physical GPU";
    const auto n = std::to_string(r.replicas);
    lines.push_back(r.name + ": each " + unit + " on a node that uses this config becomes " + n + " shares (a node with one offers " + n + ", with two " +
                    std::to_string(2 * r.replicas) + "); every one of them is shared, none can be kept whole." +
                    (mig ? " MIG resources exist only with flags.migStrategy mixed (with single, MIG devices are nvidia.com/gpu)." : ""));
    const auto requested = shared_name(r, c.rename_by_default);
    if (c.rename_by_default)
      lines.push_back("Pods request " + requested + " (renameByDefault: true): " + r.name + " is no longer offered on those nodes (it shows 0), so a pod asking for " +
                      r.name + " stays Pending. The product label keeps its value.");
    else
      lines.push_back("Pods request " + r.name + " as before (renameByDefault: false): " + r.name + ": 1 is now one share, not a whole " +
                      (mig ? "MIG device" : "GPU") + "; the resource's name does not say so, the label " + r.name + ".product does, with -SHARED appended (e.g. Tesla-T4-SHARED).");
    lines.push_back("GPU feature discovery labels the node " + r.name + ".replicas=" + n + " (per " + (mig ? "device" : "GPU") + ") and " + r.name +
                    ".sharing-strategy=" + std::string(to_string(c.strategy)) + "; the node's capacity of " + requested + " is " + n + " × the " +
                    (mig ? "MIG devices" : "GPUs") + ".");
    if (c.strategy == S::mps) {
      lines.push_back("Each share of " + r.name + " is capped at 1/" + n + " of the GPU's memory (the daemon's pinned device memory limit) and " +
                      std::to_string(100 / r.replicas) + "% of its SMs (CUDA_MPS_ACTIVE_THREAD_PERCENTAGE): the split is enforced, not advisory.");
      if (r.replicas > kMpsMaxReplicasOldGpus)
        lines.push_back("Only GPUs of compute capability 7.5 or newer serve " + n + " MPS clients; on older ones (at most " +
                        std::to_string(kMpsMaxReplicasOldGpus) + ") the plugin fails to start.");
    }
  }
  if (c.strategy == S::time_slicing) {
    lines.push_back("VRAM is not divided: every share may allocate all of the GPU's memory, so what the pods use together must fit; nothing enforces a share's "
                    "portion, and the pod whose allocation no longer fits fails with out-of-memory.");
    if (c.fail_requests_greater_than_one.value_or(false))
      lines.push_back("A container that requests more than 1 share fails admission (failRequestsGreaterThanOne: true; UnexpectedAdmissionError \"maximum "
                      "request size for shared resources is 1\"): each container holds one share.");
    else
      lines.push_back(std::string("A request of 2 or more shares is accepted (failRequestsGreaterThanOne: ") +
                      (c.fail_requests_greater_than_one ? "false" : "not set, so false") +
                      ") but gives no more GPU time or memory than 1: time-slicing is not proportional. The extra shares only keep other pods off "
                      "(and on a node with several GPUs they may be shares of different GPUs).");
  } else if (c.strategy == S::mps) {
    lines.push_back("Memory is isolated (a share cannot take another's VRAM); faults are not: a fatal GPU error in one client can end the other clients on that GPU.");
    if (c.fail_requests_greater_than_one.value_or(true))
      lines.push_back(std::string("A container that requests more than 1 share fails admission (failRequestsGreaterThanOne: ") +
                      (c.fail_requests_greater_than_one ? "true" : "not set, which MPS takes as true") + ").");
    else
      lines.push_back("failRequestsGreaterThanOne: false: plugin v0.20.0 and later accept requests of more than 1 share (earlier versions reject them); "
                      "the memory and SM caps are per client process, so more shares do not give a process more.");
  }
  if (!flags.empty()) {
    std::string list;
    for (const auto& f : flags) list += (list.empty() ? "" : ", ") + f;
    lines.push_back("flags: " + list + " (the plugin's command-line flags and environment variables, which the chart sets for some, override these).");
  }
  return lines;
}

}  // namespace kb::share
