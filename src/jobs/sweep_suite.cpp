#include "jobs/sweep_suite.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "core/error.h"
#include "core/files.h"
#include "core/yaml_json.h"

namespace kb::jobs {

using nlohmann::json;

namespace {

// Errors point at the node: "suite.yaml:12: matrix.exclude[0]: …".
struct Where {
  const std::string& file;
  [[noreturn]] void fail(const YAML::Node& node, const std::string& key, const std::string& what) const {
    const int line = node.IsDefined() ? node.Mark().line + 1 : 0;
    throw ParseError(file + (line > 0 ? ":" + std::to_string(line) : "") + ": " + key + ": " + what);
  }
};

void only_keys(const YAML::Node& map, const std::string& where, const std::set<std::string>& allowed, const Where& w) {
  for (const auto& kv : map) {
    const auto key = kv.first.as<std::string>();
    if (!allowed.count(key)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      w.fail(kv.first, where.empty() ? key : where + "." + key, "unknown key (known: " + list + ")");
    }
  }
}

std::map<std::string, std::string> string_map(const YAML::Node& n, const std::string& key, const Where& w) {
  if (!n.IsMap()) w.fail(n, key, "must be a mapping");
  std::map<std::string, std::string> out;
  for (const auto& kv : n) {
    if (!kv.second.IsScalar()) w.fail(kv.second, key + "." + kv.first.as<std::string>(), "must be a single value");
    out[kv.first.as<std::string>()] = kv.second.as<std::string>();
  }
  return out;
}

int whole_number(const YAML::Node& n, const std::string& key, int min, const Where& w) {
  try {
    const int v = n.as<int>();
    if (v < min) w.fail(n, key, "must be at least " + std::to_string(min));
    return v;
  } catch (const YAML::Exception&) {
    w.fail(n, key, "must be a whole number");
  }
}

// "90s", "30m", "2h" or plain seconds.
double seconds(const YAML::Node& n, const std::string& key, const Where& w) {
  const auto text = n.as<std::string>();
  double factor = 1;
  std::string number = text;
  if (!text.empty() && std::string("smh").find(text.back()) != std::string::npos) {
    factor = text.back() == 's' ? 1 : text.back() == 'm' ? 60 : 3600;
    number.pop_back();
  }
  try {
    size_t used = 0;
    const double v = std::stod(number, &used);
    if (used == number.size() && v > 0) return v * factor;
  } catch (const std::exception&) {
  }
  w.fail(n, key, "'" + text + "' is not a duration (e.g. 90s, 30m, 2h)");
}

SweepTarget parse_target(const std::string& name, const YAML::Node& n, const Where& w) {
  const std::string key = "targets." + name;
  if (!n.IsMap()) w.fail(n, key, "must be a mapping");
  only_keys(n, key, {"nodeSelector", "affinity", "tolerations", "runtimeClassName", "resources", "context"}, w);
  SweepTarget t;
  t.name = name;
  if (n["nodeSelector"]) t.node_selector = string_map(n["nodeSelector"], key + ".nodeSelector", w);
  if (n["affinity"]) t.affinity = yaml_to_json(n["affinity"]);
  if (n["tolerations"]) {
    if (!n["tolerations"].IsSequence()) w.fail(n["tolerations"], key + ".tolerations", "must be a list");
    t.tolerations = yaml_to_json(n["tolerations"]);
  }
  if (n["runtimeClassName"]) t.runtime_class = n["runtimeClassName"].as<std::string>();
  if (n["context"]) t.context = n["context"].as<std::string>();
  if (const auto r = n["resources"]) {
    if (!r.IsMap()) w.fail(r, key + ".resources", "must be a mapping");
    only_keys(r, key + ".resources", {"requests", "limits"}, w);
    if (r["requests"]) t.requests = string_map(r["requests"], key + ".resources.requests", w);
    if (r["limits"]) t.limits = string_map(r["limits"], key + ".resources.limits", w);
  }
  return t;
}

std::map<std::string, std::string> matrix_entry(const YAML::Node& n, const std::string& key, const std::set<std::string>& params,
                                                bool must_be_known, const Where& w) {
  auto entry = string_map(n, key, w);
  if (entry.empty()) w.fail(n, key, "an empty entry matches everything");
  if (must_be_known)
    for (const auto& kv : n)
      if (!params.count(kv.first.as<std::string>())) w.fail(kv.first, key + "." + kv.first.as<std::string>(), "not a matrix parameter");
  return entry;
}

bool agrees(const std::map<std::string, std::string>& entry, const std::map<std::string, std::string>& combination) {
  for (const auto& [k, v] : entry) {
    auto it = combination.find(k);
    if (it != combination.end() && it->second != v) return false;
  }
  return true;
}

bool matches(const std::map<std::string, std::string>& entry, const std::map<std::string, std::string>& combination) {
  for (const auto& [k, v] : entry) {
    auto it = combination.find(k);
    if (it == combination.end() || it->second != v) return false;
  }
  return true;
}

SweepGroup parse_settings(const YAML::Node& n, const std::string& key, const Where& w) {
  SweepGroup g;
  if (n["retries"]) g.retries = whole_number(n["retries"], key + ".retries", 0, w);
  if (n["timeout"]) g.timeout_s = seconds(n["timeout"], key + ".timeout", w);
  if (n["priority"]) g.priority = whole_number(n["priority"], key + ".priority", -1000000, w);
  if (n["priorityClassName"]) g.priority_class = n["priorityClassName"].as<std::string>();
  return g;
}

std::vector<std::string> string_list(const YAML::Node& n, const std::string& key, const Where& w) {
  if (!n.IsSequence()) w.fail(n, key, "must be a list");
  std::vector<std::string> out;
  for (const auto& item : n) {
    if (!item.IsScalar()) w.fail(item, key, "items must be single values");
    out.push_back(item.as<std::string>());
  }
  return out;
}

SweepInputs parse_inputs(const YAML::Node& n, const std::string& file, const Where& w) {
  if (!n.IsMap()) w.fail(n, "inputs", "must be a mapping (files, volume, mountPath)");
  only_keys(n, "inputs", {"files", "volume", "mountPath"}, w);
  SweepInputs in;
  const auto dir = std::filesystem::path(file).parent_path();
  if (n["files"])
    for (const auto& f : string_list(n["files"], "inputs.files", w)) in.files.push_back(std::filesystem::path(f).is_absolute() ? std::filesystem::path(f) : dir / f);
  if (n["volume"]) in.volume = n["volume"].as<std::string>();
  if (!in.files.empty() && !in.volume.empty()) w.fail(n["volume"], "inputs.volume", "give files or a volume, not both");
  if (n["mountPath"]) in.mount_path = n["mountPath"].as<std::string>();
  if (in.mount_path.empty() || in.mount_path.front() != '/') w.fail(n["mountPath"], "inputs.mountPath", "must be an absolute path");
  return in;
}

// workload.infer's settings and the `kubench infer` flag each becomes (model is the argument).
const std::vector<std::pair<const char*, const char*>>& infer_flags() {
  static const std::vector<std::pair<const char*, const char*>> flags = {
      {"input", "--input"},       {"dtype", "--dtype"},         {"batch", "--batch"},
      {"seed", "--seed"},         {"scenario", "--scenario"},   {"streams", "--streams"},
      {"warmup", "--warmup"},     {"iterations", "--iterations"}, {"min_queries", "--min-queries"},
      {"min_duration", "--min-duration"}, {"max_duration", "--max-duration"}, {"threads", "--threads"},
      {"interop_threads", "--interop-threads"}, {"device", "--device"}, {"quantized_engine", "--quantized-engine"}};
  return flags;
}

// The settings each workload reads; a typo is an error here, not a silent default later.
void check_workload(const std::string& kind, const YAML::Node& n, const Where& w) {
  const std::string key = "workload." + kind;
  if (!n.IsMap()) w.fail(n, key, "must be a mapping");
  if (kind == "container") {
    only_keys(n, key, {"image", "imagePullPolicy", "command", "args", "env", "workingDir", "local"}, w);
    if (!n["image"] && !n["local"]) w.fail(n, key, "give an image (for --kube) and/or a local command");
    for (const char* list : {"command", "args", "local"})
      if (n[list]) string_list(n[list], key + "." + list, w);
    if (n["env"]) string_map(n["env"], key + ".env", w);
  } else if (kind == "bench") {
    only_keys(n, key, {"image", "imagePullPolicy", "tests", "accel", "device", "profile", "clips", "concurrency"}, w);
    if (n["tests"]) string_list(n["tests"], key + ".tests", w);
    if (n["concurrency"]) {
      const auto v = n["concurrency"].as<std::string>();
      if (v != "true" && v != "false" && v.find("{{") == std::string::npos) w.fail(n["concurrency"], key + ".concurrency", "must be true or false");
    }
  } else if (kind == "infer") {
    std::set<std::string> keys = {"image", "imagePullPolicy", "model", "input_shape"};
    for (const auto& [setting, flag] : infer_flags()) keys.insert(setting);
    only_keys(n, key, keys, w);
    if (!n["model"]) w.fail(n, key + ".model", "the TorchScript file to run is needed (e.g. \"{{ inputs }}/model.pt\")");
    if (n["input_shape"] && n["input_shape"].IsSequence()) string_list(n["input_shape"], key + ".input_shape", w);
  }
}

}  // namespace

namespace {
SweepSuite parse_document(const YAML::Node& doc, const std::string& file);
}  // namespace

SweepSuite parse_sweep_suite(const std::string& yaml_text, const std::string& file) {
  // yaml-cpp's own errors (bad syntax, a mapping where a single value belongs) carry their line.
  try {
    return parse_document(YAML::Load(yaml_text), file);
  } catch (const YAML::Exception& e) {
    throw ParseError(file + ":" + std::to_string(e.mark.line + 1) + ": not valid here: " + e.msg);
  }
}

namespace {
SweepSuite parse_document(const YAML::Node& doc, const std::string& file) {
  const Where w{file};
  if (!doc.IsMap()) throw ParseError(file + ": a sweep suite is a mapping (schema: kubench/sweep/v1, targets, matrix, workload)");
  only_keys(doc, "", {"schema", "name", "defaults", "groups", "network", "inputs", "targets", "matrix", "repeat", "workload"}, w);
  if (!doc["schema"] || doc["schema"].as<std::string>() != "kubench/sweep/v1")
    w.fail(doc["schema"], "schema", "must be kubench/sweep/v1");

  SweepSuite s;
  s.file = file;
  s.name = doc["name"] ? doc["name"].as<std::string>() : std::filesystem::path(file).stem().string();

  if (const auto d = doc["defaults"]) {
    if (!d.IsMap()) w.fail(d, "defaults", "must be a mapping");
    only_keys(d, "defaults", {"retries", "timeout", "priority", "priorityClassName"}, w);
    const auto g = parse_settings(d, "defaults", w);
    s.defaults.retries = g.retries.value_or(s.defaults.retries);
    s.defaults.timeout_s = g.timeout_s.value_or(s.defaults.timeout_s);
    s.defaults.priority = g.priority.value_or(s.defaults.priority);
    s.defaults.priority_class = g.priority_class.value_or("");
  }
  if (const auto n = doc["network"]) {
    const auto v = n.as<std::string>();
    if (v != "none" && v != "cluster") w.fail(n, "network", "must be none (no traffic in or out) or cluster (the default)");
    s.network_none = v == "none";
  }
  if (const auto in = doc["inputs"]) s.inputs = parse_inputs(in, file, w);

  const auto targets = doc["targets"];
  if (!targets || !targets.IsMap() || targets.size() == 0) w.fail(targets ? targets : doc, "targets", "name at least one target");
  for (const auto& kv : targets) s.targets.push_back(parse_target(kv.first.as<std::string>(), kv.second, w));

  std::set<std::string> params, include_params;
  if (const auto m = doc["matrix"]) {
    if (!m.IsMap()) w.fail(m, "matrix", "must be a mapping of parameter lists");
    for (const auto& kv : m) {
      const auto name = kv.first.as<std::string>();
      if (name == "include" || name == "exclude") continue;
      if (!kv.second.IsSequence() || kv.second.size() == 0) w.fail(kv.second, "matrix." + name, "must be a non-empty list");
      std::vector<std::string> values;
      for (const auto& v : kv.second) {
        if (!v.IsScalar()) w.fail(v, "matrix." + name, "values must be single values");
        values.push_back(v.as<std::string>());
      }
      s.matrix.emplace_back(name, values);
      params.insert(name);
    }
    for (const char* which : {"include", "exclude"}) {
      const auto list = m[which];
      if (!list) continue;
      if (!list.IsSequence()) w.fail(list, std::string("matrix.") + which, "must be a list of mappings");
      for (size_t i = 0; i < list.size(); ++i) {
        const std::string key = std::string("matrix.") + which + "[" + std::to_string(i) + "]";
        // An exclude entry must name matrix parameters (a typo would exclude nothing, silently);
        // an include entry may add parameters of its own.
        auto entry = matrix_entry(list[i], key, params, std::string(which) == "exclude", w);
        (std::string(which) == "include" ? s.include : s.exclude).push_back(entry);
        if (std::string(which) == "include")
          for (const auto& kv : entry) include_params.insert(kv.first);
      }
    }
  }
  params.insert(include_params.begin(), include_params.end());
  // Target names given as the `target` parameter must exist.
  std::set<std::string> target_names;
  for (const auto& t : s.targets) target_names.insert(t.name);
  if (const auto m = doc["matrix"]; m && m["target"])
    for (const auto& v : m["target"])
      if (!target_names.count(v.as<std::string>())) w.fail(v, "matrix.target", "'" + v.as<std::string>() + "' is not one of the targets");

  if (doc["repeat"]) s.repeat = whole_number(doc["repeat"], "repeat", 1, w);

  if (const auto groups = doc["groups"]) {
    if (!groups.IsSequence()) w.fail(groups, "groups", "must be a list of {match, priority, retries, timeout, priorityClassName}");
    for (size_t i = 0; i < groups.size(); ++i) {
      const std::string key = "groups[" + std::to_string(i) + "]";
      const auto g = groups[i];
      if (!g.IsMap()) w.fail(g, key, "must be a mapping");
      only_keys(g, key, {"match", "retries", "timeout", "priority", "priorityClassName"}, w);
      if (!g["match"]) w.fail(g, key + ".match", "name the parameters (or target) of the variants it sets");
      auto group = parse_settings(g, key, w);
      auto known = params;
      known.insert("target");
      group.match = matrix_entry(g["match"], key + ".match", known, true, w);
      if (auto t = group.match.find("target"); t != group.match.end() && !target_names.count(t->second))
        w.fail(g["match"]["target"], key + ".match.target", "'" + t->second + "' is not one of the targets");
      s.groups.push_back(std::move(group));
    }
  }

  const auto workload = doc["workload"];
  if (!workload || !workload.IsMap() || workload.size() != 1)
    w.fail(workload ? workload : doc, "workload", "name exactly one of bench, container, infer");
  s.workload_kind = workload.begin()->first.as<std::string>();
  if (s.workload_kind != "bench" && s.workload_kind != "container" && s.workload_kind != "infer")
    w.fail(workload.begin()->first, "workload." + s.workload_kind, "unknown workload (bench, container or infer)");
  s.workload = yaml_to_json(workload.begin()->second);
  check_workload(s.workload_kind, workload.begin()->second, w);
  return s;
}
}  // namespace

SweepSuite load_sweep_suite(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw ParseError(path.string() + ": no such file");
  return parse_sweep_suite(read_file(path), path.string());
}

std::vector<SweepVariant> expand_sweep(const SweepSuite& suite) {
  // The cartesian product, the first parameter varying slowest.
  // No matrix and no include: the one variant of the workload as written.
  std::vector<std::map<std::string, std::string>> combinations;
  if (!suite.matrix.empty() || suite.include.empty()) combinations = {{}};
  for (const auto& [name, values] : suite.matrix) {
    std::vector<std::map<std::string, std::string>> next;
    for (const auto& c : combinations)
      for (const auto& v : values) {
        auto extended = c;
        extended[name] = v;
        next.push_back(std::move(extended));
      }
    combinations = std::move(next);
  }
  std::erase_if(combinations, [&](const auto& c) {
    return std::any_of(suite.exclude.begin(), suite.exclude.end(), [&](const auto& e) { return matches(e, c); });
  });
  const size_t original = combinations.size();
  for (const auto& entry : suite.include) {
    bool extended = false;
    for (size_t i = 0; i < original; ++i)
      if (agrees(entry, combinations[i])) {
        for (const auto& [k, v] : entry) combinations[i][k] = v;
        extended = true;
      }
    if (!extended) combinations.push_back(entry);
  }

  std::vector<SweepVariant> out;
  for (const auto& c : combinations) {
    std::vector<std::string> targets;
    if (auto named = c.find("target"); named != c.end()) targets = {named->second};
    else
      for (const auto& t : suite.targets) targets.push_back(t.name);
    for (const auto& target : targets)
      for (int r = 0; r < suite.repeat; ++r) {
        SweepVariant v;
        v.params = c;
        v.params.erase("target");
        v.target = target;
        v.repeat = r;
        std::string id;
        for (const auto& [k, val] : v.params) id += (id.empty() ? "" : ",") + k + "=" + val;
        v.id = (id.empty() ? "default" : id) + "@" + target + (suite.repeat > 1 ? "#" + std::to_string(r) : "");
        out.push_back(std::move(v));
      }
  }
  return out;
}

std::string workload_text(const SweepSuite& suite, const SweepVariant& v, const std::string& key, const std::string& fallback,
                          const std::map<std::string, std::string>& builtins) {
  const auto& w = suite.workload;
  return w.contains(key) ? substitute_params(w[key].get<std::string>(), v, builtins) : fallback;
}

std::vector<std::string> workload_list(const SweepSuite& suite, const SweepVariant& v, const std::string& key,
                                       const std::map<std::string, std::string>& builtins) {
  std::vector<std::string> out;
  if (suite.workload.contains(key))
    for (const auto& item : suite.workload[key]) out.push_back(substitute_params(item.get<std::string>(), v, builtins));
  return out;
}

std::vector<std::pair<std::string, std::string>> workload_env(const SweepSuite& suite, const SweepVariant& v,
                                                              const std::map<std::string, std::string>& builtins) {
  std::vector<std::pair<std::string, std::string>> out;
  if (suite.workload.contains("env"))
    for (const auto& [k, val] : suite.workload["env"].items()) out.emplace_back(k, substitute_params(val.get<std::string>(), v, builtins));
  return out;
}

std::vector<std::string> infer_arguments(const SweepSuite& suite, const SweepVariant& v, const std::map<std::string, std::string>& builtins) {
  std::vector<std::string> args = {"infer", workload_text(suite, v, "model", "", builtins)};
  const auto& w = suite.workload;
  if (w.contains("input_shape")) {
    const auto shapes = w["input_shape"].is_array() ? workload_list(suite, v, "input_shape", builtins)
                                                    : std::vector<std::string>{workload_text(suite, v, "input_shape", "", builtins)};
    for (const auto& shape : shapes) args.insert(args.end(), {"--input-shape", shape});
  }
  for (const auto& [setting, flag] : infer_flags())
    if (w.contains(setting)) args.insert(args.end(), {flag, workload_text(suite, v, setting, "", builtins)});
  args.insert(args.end(), {"-o", "json"});
  return args;
}

const SweepTarget& find_target(const SweepSuite& suite, const std::string& name) {
  for (const auto& t : suite.targets)
    if (t.name == name) return t;
  throw UsageError("variant names target '" + name + "', which the suite does not have");
}

std::vector<std::pair<std::string, std::string>> variant_environment(const SweepVariant& v, size_t index) {
  std::vector<std::pair<std::string, std::string>> env = {
      {"KUBENCH_VARIANT", v.id}, {"KUBENCH_VARIANT_INDEX", std::to_string(index)}, {"KUBENCH_TARGET", v.target}, {"KUBENCH_REPEAT", std::to_string(v.repeat)}};
  for (const auto& [k, val] : v.params) {
    std::string name = "KUBENCH_PARAM_";
    for (char c : k) name += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : '_';
    env.emplace_back(name, val);
  }
  return env;
}

SweepSettings settings_for(const SweepSuite& suite, const SweepVariant& variant) {
  auto s = suite.defaults;
  auto values = variant.params;
  values["target"] = variant.target;
  for (const auto& g : suite.groups) {
    if (!matches(g.match, values)) continue;
    s.retries = g.retries.value_or(s.retries);
    s.timeout_s = g.timeout_s.value_or(s.timeout_s);
    s.priority = g.priority.value_or(s.priority);
    s.priority_class = g.priority_class.value_or(s.priority_class);
  }
  return s;
}

std::string substitute_params(const std::string& text, const SweepVariant& variant, const std::map<std::string, std::string>& builtins) {
  std::string out;
  size_t at = 0;
  for (;;) {
    const size_t open = text.find("{{", at);
    if (open == std::string::npos) break;
    const size_t close = text.find("}}", open + 2);
    if (close == std::string::npos) throw ParseError("variant " + variant.id + ": '{{' without '}}' in \"" + text + "\"");
    std::string name = text.substr(open + 2, close - open - 2);
    name.erase(0, name.find_first_not_of(" \t"));
    name.erase(name.find_last_not_of(" \t") + 1);
    out += text.substr(at, open - at);
    if (name == "target") out += variant.target;
    else if (name == "repeat") out += std::to_string(variant.repeat);
    else if (auto it = variant.params.find(name); it != variant.params.end()) out += it->second;
    else if (auto b = builtins.find(name); b != builtins.end()) out += b->second;
    else throw ParseError("variant " + variant.id + ": no parameter '" + name + "' for {{ " + name + " }}");
    at = close + 2;
  }
  return out + text.substr(at);
}

}  // namespace kb::jobs
