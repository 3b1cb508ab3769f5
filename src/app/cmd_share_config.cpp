// `kubench share config`: the NVIDIA device plugin's sharing config, written or explained (docs/share.md).
#include <iostream>

#include "app/commands.h"
#include "core/error.h"
#include "core/files.h"
#include "core/output.h"
#include "share/share_config.h"

namespace kb::app {

namespace share_config_cmd {

struct Flags {
  std::string strategy = "time-slicing";
  int replicas = 0;
  std::vector<std::string> resources;
  bool rename = true, fail_requests = false;
  std::string namespace_name = "kube-system", name = "nvidia-device-plugin-config", key, output, explain;
  std::vector<std::string> nodes;
};

std::string comment(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l.empty() ? "#\n" : "# " + l + "\n";
  return out;
}

// How to put the ConfigMap to use: apply it, point the plugin at it, label the nodes.
std::vector<std::string> how_to_apply(const Flags& f, const std::string& key) {
  std::vector<std::string> lines = {
      "To use it:",
      "  kubectl apply -f FILE   (or pipe this output: kubench share config ... | kubectl apply -f -)",
      "  Point the device plugin at the ConfigMap; it must be in the plugin's namespace (here " + f.namespace_name + "):",
      "    helm: helm upgrade -i nvdp nvdp/nvidia-device-plugin -n " + f.namespace_name + " --reuse-values --set config.name=" + f.name,
      "    GPU operator: kubectl patch clusterpolicies.nvidia.com/cluster-policy --type merge -p '{\"spec\":{\"devicePlugin\":{\"config\":{\"name\":\"" +
          f.name + "\",\"default\":\"" + key + "\"}}}}'",
      "  Select the config per node (the plugin reloads when the label changes):"};
  for (const auto& node : f.nodes.empty() ? std::vector<std::string>{"NODE"} : f.nodes)
    lines.push_back("    kubectl label node " + node + " " + std::string(share::kConfigLabel) + "=" + key + " --overwrite");
  lines.push_back("  Nodes without the label get the plugin's default config (config.default, else a key named default, else the only key):");
  lines.push_back("  with this one key, every node of the plugin shares its GPUs this way, labelled or not.");
  return lines;
}

void generate(const Flags& f) {
  const auto format = parse_output_format(f.output.empty() ? "yaml" : f.output, {OutputFormat::yaml, OutputFormat::json});
  if (f.strategy != "time-slicing" && f.strategy != "mps") throw UsageError("--strategy " + f.strategy + ": use time-slicing or mps");
  share::SharingConfig c;
  c.strategy = f.strategy == "mps" ? share::SharingConfig::Strategy::mps : share::SharingConfig::Strategy::time_slicing;
  c.rename_by_default = f.rename;
  c.fail_requests_greater_than_one = f.fail_requests;
  for (const auto& r : f.resources.empty() ? std::vector<std::string>{"nvidia.com/gpu"} : f.resources)
    c.resources.push_back({share::shared_resource_name(r), f.replicas, "", "all"});
  const auto key = f.key.empty() ? f.strategy + "-" + std::to_string(f.replicas) : f.key;
  const auto yaml = share::render_config_map(f.name, f.namespace_name, {{key, c}});  // validates
  auto meaning = std::vector<std::string>{"What this means (kubench share config --explain FILE says it for any config):"};
  for (const auto& line : share::explain(c)) meaning.push_back("  - " + line);
  const auto notes = comment(meaning) + comment(how_to_apply(f, key));
  if (format == OutputFormat::json) {
    const nlohmann::json cm = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", f.name}, {"namespace", f.namespace_name}}},
                               {"data", {{key, share::render_config(c)}}}};
    std::cout << cm.dump(2) << "\n";
    std::cerr << notes;  // JSON has no comments
  } else {
    std::cout << yaml << notes;
  }
}

void explain(const Flags& f) {
  const auto format = parse_output_format(f.output.empty() ? "table" : f.output, {OutputFormat::table, OutputFormat::json});
  const auto configs = share::parse_sharing_configs(read_file(f.explain), f.explain);
  nlohmann::json docs = nlohmann::json::array();
  for (const auto& p : configs) {
    const auto meaning = share::explain(p.config, p.flags);
    const auto label = p.key.empty() ? "" : std::string(share::kConfigLabel) + "=" + p.key;
    if (format == OutputFormat::json) {
      nlohmann::json resources = nlohmann::json::array();
      for (const auto& r : p.config.resources)
        resources.push_back({{"name", r.name}, {"replicas", r.replicas}, {"rename", r.rename}, {"devices", r.devices}});
      docs.push_back({{"key", p.key}, {"label", label}, {"strategy", share::to_string(p.config.strategy)},
                      {"renameByDefault", p.config.rename_by_default}, {"failRequestsGreaterThanOne", nullptr}, {"resources", resources},
                      {"flags", p.flags}, {"meaning", meaning}, {"warnings", p.warnings}});
      if (p.config.fail_requests_greater_than_one) docs.back()["failRequestsGreaterThanOne"] = *p.config.fail_requests_greater_than_one;
      continue;
    }
    std::cout << f.explain << (p.key.empty() ? ": a bare config (the plugin's --config-file, or one data key of its ConfigMap)"
                                             : ": data key " + p.key + ", selected on a node by the label " + label)
              << "\nWhat this means:\n";
    for (const auto& line : meaning) std::cout << "  - " << line << "\n";
    if (!p.warnings.empty()) std::cout << "Ignored by the plugin without a word, or contradicting itself:\n";
    for (const auto& w : p.warnings) std::cout << "  ! " << w << "\n";
    std::cout << "\n";
  }
  if (format == OutputFormat::json) std::cout << nlohmann::json{{"schema", "kubench/share-config/v1"}, {"file", f.explain}, {"configs", docs}}.dump(2) << "\n";
}

}  // namespace share_config_cmd

void add_share_config_command(CLI::App& share, GlobalOptions& global) {
  auto f = std::make_shared<share_config_cmd::Flags>();
  auto* cmd = share.add_subcommand("config", "Write the NVIDIA device plugin's sharing config (time-slicing or MPS) as a ConfigMap, or explain one");
  std::vector<CLI::Option*> writing = {
      cmd->add_option("--replicas", f->replicas, "Shares per physical GPU (2 or more; required unless --explain)"),
      cmd->add_option("--strategy", f->strategy, "time-slicing (default: turns on the whole GPU) or mps (memory and SMs split evenly)"),
      cmd->add_option("--resource", f->resources, "The resource to share: nvidia.com/gpu (default) or a MIG one, nvidia.com/mig-1g.5gb (repeatable)"),
      cmd->add_flag("--rename,!--no-rename", f->rename, "renameByDefault: advertise the shares as <resource>.shared (default) or under the resource's own name"),
      cmd->add_flag("--fail-requests-greater-than-one,!--allow-requests-greater-than-one", f->fail_requests,
                    "failRequestsGreaterThanOne: reject a container that requests more than 1 share (default: allow with time-slicing, reject with MPS)"),
      cmd->add_option("-n,--namespace", f->namespace_name, "The ConfigMap's namespace: the device plugin's (default kube-system)"),
      cmd->add_option("--name", f->name, "The ConfigMap's name (default nvidia-device-plugin-config)"),
      cmd->add_option("--key", f->key, "The data key, which is also the value of the node label that selects it (default <strategy>-<replicas>)"),
      cmd->add_option("--node", f->nodes, "Print the label command for this node (repeatable)")};
  auto* fail_option = writing[4];
  cmd->add_option("--explain", f->explain, "Read this config (bare, or a ConfigMap: each data key) and say what it means and what the plugin ignores");
  cmd->add_option("-o,--output", f->output, "yaml|json when writing (default yaml), table|json with --explain (default table)");
  cmd->footer(
      "Examples:\n"
      "  kubench share config --replicas 8 --node homelabai | kubectl apply -f -\n"
      "  kubench share config --strategy mps --replicas 4 --no-rename -n gpu-operator\n"
      "  kubench share config --explain time-slicing.yaml\n"
      "Writes the ConfigMap on stdout, what it means and how to apply it as YAML comments after it. --explain names the keys\n"
      "the plugin silently ignores. Exit 0 ok, 2 a config the plugin would reject or that shares nothing. docs/share.md");
  cmd->callback([f, writing, fail_option, &global] {
    start_command(global);
    if (!f->explain.empty()) {
      for (auto* o : writing)
        if (o->count() > 0) throw UsageError("share config: --explain reads a config; drop " + o->get_name());
      return share_config_cmd::explain(*f);
    }
    if (writing[0]->count() == 0) throw UsageError("share config: give --replicas N (the shares per GPU), or --explain FILE");
    // MPS rejects requests above 1 unless told otherwise (the plugin's own default): written out, so the file says it.
    if (fail_option->count() == 0) f->fail_requests = f->strategy == "mps";
    share_config_cmd::generate(*f);
  });
}

}  // namespace kb::app
