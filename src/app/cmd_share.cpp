// `kubench share show`: who holds which share of each GPU, computed from two list calls (docs/share.md).
#include <iostream>

#include "app/commands.h"
#include "app/kube_flags.h"
#include "core/output.h"
#include "core/report.h"
#include "share/share_view.h"

namespace kb::app {

void add_share_command(CLI::App& app, GlobalOptions& global) {
  struct Flags {
    KubeFlags kube;
    std::string node, output = "table";
  };
  auto f = std::make_shared<Flags>();
  auto* share = app.add_subcommand("share", "Shared GPUs: who holds which share, per node and GPU");
  share->require_subcommand(1);
  auto* show = share->add_subcommand("show", "Each GPU node's GPUs, sharing mode, and the workloads holding its shares (also those that request none)");
  add_kube_flags(show, f->kube);
  show->add_option("--node", f->node, "Only this node");
  show->add_option("-o,--output", f->output, "table|json|yaml|csv");
  show->footer(
      "Examples:\n  kubench share show\n  kubench share show --node homelabai -o json\n"
      "Reads Nodes and Pods (two list calls for the whole cluster); installs nothing. docs/share.md");
  show->callback([f, &global] {
    start_command(global);
    const auto format = parse_output_format(f->output, {OutputFormat::table, OutputFormat::json, OutputFormat::yaml, OutputFormat::csv});
    auto client = connect(f->kube);
    // Kept alive while the view reads them (items() of a temporary would dangle).
    const auto nodes = client->list(kube::resources::nodes, "");
    const auto pods = client->list(kube::resources::pods, "");
    const auto view = share::share_view(nodes.value("items", nlohmann::json::array()).get<std::vector<nlohmann::json>>(),
                                        pods.value("items", nlohmann::json::array()).get<std::vector<nlohmann::json>>(), f->node);
    switch (format) {
      case OutputFormat::json: std::cout << share::share_json(view).dump(2) << "\n"; break;
      case OutputFormat::yaml: std::cout << to_yaml(share::share_json(view)); break;
      case OutputFormat::csv: std::cout << share::share_csv(view); break;
      default: std::cout << render_text(share::share_report(view)); break;
    }
  });
}

}  // namespace kb::app
