// `kubench share show`: who holds which share of each GPU, computed from two list calls (docs/share.md).
#include <iostream>

#include "app/commands.h"
#include "app/kube_flags.h"
#include "core/error.h"
#include "core/output.h"
#include "core/report.h"
#include "share/share_plan.h"
#include "share/share_view.h"

namespace kb::app {

namespace {

// The view of the cluster from two list calls (Nodes, Pods).
std::vector<share::NodeShare> list_view(const KubeFlags& kube, const std::string& node) {
  auto client = connect(kube);
  // Kept alive while the view reads them (items() of a temporary would dangle).
  const auto nodes = client->list(kube::resources::nodes, "");
  const auto pods = client->list(kube::resources::pods, "");
  return share::share_view(nodes.value("items", nlohmann::json::array()).get<std::vector<nlohmann::json>>(),
                           pods.value("items", nlohmann::json::array()).get<std::vector<nlohmann::json>>(), node);
}

}  // namespace

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
    const auto view = list_view(f->kube, f->node);
    switch (format) {
      case OutputFormat::json: std::cout << share::share_json(view).dump(2) << "\n"; break;
      case OutputFormat::yaml: std::cout << to_yaml(share::share_json(view)); break;
      case OutputFormat::csv: std::cout << share::share_csv(view); break;
      default: std::cout << render_text(share::share_report(view)); break;
    }
  });

  struct PlanFlags {
    KubeFlags kube;
    std::vector<std::string> add, remove, resize;
    std::string output = "table";
  };
  auto p = std::make_shared<PlanFlags>();
  auto* plan = share->add_subcommand("plan", "What-if: the allocation tables before and after adding, removing or resizing workloads");
  add_kube_flags(plan, p->kube);
  plan->add_option("--add", p->add, "NS/NAME=SHARES[,vram=LO-HI][,node=N]: a workload to add (repeatable)");
  plan->add_option("--remove", p->remove, "NS/NAME: a workload to take away (repeatable)");
  plan->add_option("--resize", p->resize, "NS/NAME=SHARES: a workload's new share count (repeatable)");
  plan->add_option("-o,--output", p->output, "table|json");
  plan->footer("Example:\n  kubench share plan --add ai-dev/vllm=2,vram=8Gi-10Gi\n"
               "Exit 0 when every change fits, 1 when one does not (to gate a deploy), 2 bad input. docs/share.md");
  plan->callback([p, &global] {
    start_command(global);
    const auto format = parse_output_format(p->output, {OutputFormat::table, OutputFormat::json});
    std::vector<share::PlanChange> changes;
    for (const auto& a : p->add) changes.push_back(share::parse_plan_change(share::PlanChange::Kind::add, a));
    for (const auto& r : p->remove) changes.push_back(share::parse_plan_change(share::PlanChange::Kind::remove, r));
    for (const auto& r : p->resize) changes.push_back(share::parse_plan_change(share::PlanChange::Kind::resize, r));
    if (changes.empty()) throw UsageError("share plan: give --add, --remove or --resize");
    const auto result = share::plan_shares(list_view(p->kube, ""), changes);
    if (format == OutputFormat::json) {
      nlohmann::json placements = nlohmann::json::array();
      for (const auto& pl : result.placements)
        placements.push_back({{"workload", pl.workload}, {"node", pl.node}, {"fits", pl.fits}, {"reason", pl.reason}});
      std::cout << nlohmann::json{{"schema", "kubench/share-plan/v1"}, {"fits", result.fits}, {"placements", placements},
                                  {"before", share::share_json(result.before)["nodes"]}, {"after", share::share_json(result.after)["nodes"]}}
                       .dump(2)
                << "\n";
    } else {
      std::cout << "Before\n" << render_text(share::share_report(result.before)) << "\nAfter\n" << render_text(share::share_report(result.after)) << "\n";
      for (const auto& pl : result.placements)
        std::cout << (pl.fits ? "fits     " : "NO FIT   ") << pl.workload << (pl.node.empty() ? "" : " on " + pl.node) << ": " << pl.reason << "\n";
    }
    if (!result.fits) global.exit_code = kExitFailed;
  });
}

}  // namespace kb::app
