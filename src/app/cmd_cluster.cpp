// `kubench cluster info | can-i`: what the cluster offers for GPU work, and whether we may run.
#include <iostream>

#include "app/commands.h"
#include "app/kube_flags.h"
#include "core/output.h"
#include "kube/node_inventory.h"
#include "kube/rbac_preflight.h"

namespace kb::app {

void add_cluster_command(CLI::App& app, GlobalOptions& global) {
  struct Flags {
    KubeFlags kube;
    std::string output = "table";
  };
  auto f = std::make_shared<Flags>();
  auto* cluster = app.add_subcommand("cluster", "Inspect the Kubernetes cluster: version, identity, GPU nodes, permissions");
  cluster->require_subcommand(1);

  auto* info = cluster->add_subcommand("info", "Server version, who you are, and each node's GPU resources and labels");
  add_kube_flags(info, f->kube);
  info->add_option("-o,--output", f->output, "table|json|yaml");
  info->footer("Example:\n  kubench cluster info --context homelab\n  kubench cluster info -o json");
  info->callback([f, &global] {
    start_command(global);
    auto format = parse_output_format(f->output, {OutputFormat::table, OutputFormat::json, OutputFormat::yaml});
    auto client = connect(f->kube);
    auto version = client->server_version();
    auto who = client->who_am_i();
    std::vector<kube::NodeInventory> nodes;
    const auto listed = client->list(kube::resources::nodes, "");  // kept alive: the loop walks into it
    for (auto& n : listed["items"]) nodes.push_back(kube::node_inventory(n));
    nlohmann::json doc = {{"schema", "kubench/cluster-info/v1"}, {"server", client->config().cluster.server},
                          {"server_version", version}, {"user", who}, {"nodes", nlohmann::json::array()}};
    for (auto& n : nodes) doc["nodes"].push_back(kube::to_json(n));
    if (format == OutputFormat::json) {
      std::cout << doc.dump(2) << "\n";
      return;
    }
    if (format == OutputFormat::yaml) {
      std::cout << to_yaml(doc);
      return;
    }
    std::cout << "Server   " << client->config().cluster.server << " (" << version << ")\n";
    std::cout << "You      " << who << "\n\n";
    Table t{{"NODE", "READY", "ROLES", "VERSION", "ARCH", "CPU", "MEMORY", "GPU RESOURCES", "GPU LABELS"}, {}, {}};
    for (auto& n : nodes) {
      std::string res, labels;
      for (auto& [k, v] : n.gpu_resources) res += (res.empty() ? "" : " ") + k + "=" + v;
      for (auto& [k, v] : n.gpu_labels) labels += (labels.empty() ? "" : " ") + k + "=" + v;
      t.rows.push_back({n.name, std::string(n.ready ? "yes" : "no") + (n.unschedulable ? ",cordoned" : ""),
                        n.roles.empty() ? "-" : n.roles, n.kubelet_version, n.architecture.empty() ? "-" : n.architecture, n.cpu, n.memory, res.empty() ? "-" : res,
                        labels.empty() ? "-" : labels});
    }
    std::cout << t.render();
  });

  auto* can_i = cluster->add_subcommand("can-i", "Check (SelfSubjectAccessReview) every permission a kubench run needs");
  add_kube_flags(can_i, f->kube);
  can_i->add_option("-o,--output", f->output, "table|json");
  can_i->footer("Without -n the run creates its own namespace, so namespace create/delete is checked too.\n"
                "Example:\n  kubench cluster can-i -n media-bench");
  can_i->callback([f, &global] {
    start_command(global);
    auto format = parse_output_format(f->output, {OutputFormat::table, OutputFormat::json});
    auto client = connect(f->kube);
    auto results = kube::check_permissions(*client, kube::run_permissions(f->kube.namespace_name));
    std::string missing;
    nlohmann::json doc = nlohmann::json::array();
    Table t{{"VERB", "RESOURCE", "NAMESPACE", "ALLOWED"}, {}, {}};
    for (auto& r : results) {
      auto& c = r.check;
      std::string resource = c.resource + (c.subresource.empty() ? "" : "/" + c.subresource) + (c.group.empty() ? "" : "." + c.group);
      t.rows.push_back({c.verb, resource, c.namespace_name.empty() ? "(cluster)" : c.namespace_name, r.allowed ? "yes" : "no"});
      doc.push_back({{"verb", c.verb}, {"resource", resource}, {"namespace", c.namespace_name}, {"allowed", r.allowed}});
      if (!r.allowed) missing += (missing.empty() ? "" : "; ") + kube::describe(c);
    }
    if (format == OutputFormat::json) std::cout << doc.dump(2) << "\n";
    else std::cout << t.render();
    std::cout.flush();
    if (!missing.empty()) throw CheckFailed("not allowed to " + missing);
  });
}

}  // namespace kb::app
