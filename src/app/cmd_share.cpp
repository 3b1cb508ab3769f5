// `kubench share show`: who holds which share of each GPU, computed from two list calls (docs/share.md).
#include <spdlog/spdlog.h>

#include <iostream>

#include "app/commands.h"
#include "app/kube_flags.h"
#include "app/share_listing.h"
#include "core/error.h"
#include "core/output.h"
#include "core/report.h"
#include "share/share_plan.h"
#include "share/share_view.h"
#include "share/vram_budget.h"
#include "share/vram_live.h"

namespace kb::app {

namespace {

// The view of the cluster from two list calls (Nodes, Pods).
std::vector<share::NodeShare> list_view(const KubeFlags& kube, const std::string& node) {
  auto client = connect(kube);
  return list_cluster_shares(*client, node).view;
}

// Where the VRAM estimates come from (--prometheus, --vram-estimates).
struct VramFlags {
  std::string prometheus, estimates;
};

void add_vram_flags(CLI::App* cmd, VramFlags& f) {
  cmd->add_option("--prometheus", f.prometheus, "Prometheus that scrapes DCGM exporter (http://host:9090): live VRAM use by pod");
  cmd->add_option("--vram-estimates", f.estimates, "YAML of workload (NS/NAME or NAME) → LO-HI VRAM, e.g. 'ai/ollama: 2Gi-4Gi'");
}

share::VramSources vram_sources(const VramFlags& f) {
  share::VramSources sources;
  if (!f.estimates.empty()) {
    sources.estimates = share::load_vram_estimates(f.estimates);
    sources.estimates_path = f.estimates;
  }
  if (!f.prometheus.empty()) share::query_live_vram(f.prometheus, sources);
  return sources;
}

void warn_all(const std::vector<std::string>& warnings) {
  for (const auto& w : warnings) spdlog::warn("{}", w);
}

}  // namespace

void add_share_command(CLI::App& app, GlobalOptions& global) {
  struct Flags {
    KubeFlags kube;
    VramFlags vram;
    std::string node, output = "table";
  };
  auto f = std::make_shared<Flags>();
  auto* share = app.add_subcommand("share", "Shared GPUs: who holds which share, per node and GPU");
  share->require_subcommand(1);
  auto* show = share->add_subcommand("show", "Each GPU node's GPUs, sharing mode, and the workloads holding its shares (also those that request none)");
  add_kube_flags(show, f->kube);
  show->add_option("--node", f->node, "Only this node");
  show->add_option("-o,--output", f->output, "table|json|yaml|csv");
  add_vram_flags(show, f->vram);
  show->footer(
      "Examples:\n  kubench share show\n  kubench share show --node homelabai -o json\n"
      "Reads Nodes and Pods (two list calls for the whole cluster); installs nothing. docs/share.md");
  show->callback([f, &global] {
    start_command(global);
    const auto format = parse_output_format(f->output, {OutputFormat::table, OutputFormat::json, OutputFormat::yaml, OutputFormat::csv});
    const auto sources = vram_sources(f->vram);  // a bad estimates file fails before any API call
    auto view = list_view(f->kube, f->node);
    std::vector<std::string> warnings;
    share::apply_vram_budget(view, sources, warnings);
    warn_all(warnings);
    switch (format) {
      case OutputFormat::json: std::cout << share::share_json(view).dump(2) << "\n"; break;
      case OutputFormat::yaml: std::cout << to_yaml(share::share_json(view)); break;
      case OutputFormat::csv: std::cout << share::share_csv(view); break;
      default: std::cout << render_text(share::share_report(view)); break;
    }
  });

  struct PlanFlags {
    KubeFlags kube;
    VramFlags vram;
    std::vector<std::string> add, remove, resize, manifests;
    std::string output = "table";
    bool strict = false;
  };
  auto p = std::make_shared<PlanFlags>();
  auto* plan = share->add_subcommand("plan", "What-if: the allocation tables before and after adding, removing or resizing workloads");
  add_kube_flags(plan, p->kube);
  plan->add_option("--add", p->add, "NS/NAME=SHARES[,vram=LO-HI][,node=N]: a workload to add (repeatable)");
  plan->add_option("--remove", p->remove, "NS/NAME: a workload to take away (repeatable)");
  plan->add_option("--resize", p->resize, "NS/NAME=SHARES: a workload's new share count (repeatable)");
  plan->add_option("--add-manifest", p->manifests, "A YAML file of workloads to add, read as the scheduler reads their requests (repeatable)");
  plan->add_flag("--strict", p->strict, "Also exit 1 when the VRAM budget after is at risk (not only over)");
  add_vram_flags(plan, p->vram);
  plan->add_option("-o,--output", p->output, "table|json");
  plan->footer("Example:\n  kubench share plan --add ai-dev/vllm=2,vram=8Gi-10Gi\n"
               "  kubench share plan --add-manifest vllm.yaml --vram-estimates vram.yaml --strict\n"
               "Exit 0 when every change fits, 1 when one does not or the VRAM budget after is over (with --strict: at risk),\n"
               "2 bad input. docs/share.md");
  plan->callback([p, &global] {
    start_command(global);
    const auto format = parse_output_format(p->output, {OutputFormat::table, OutputFormat::json});
    std::vector<share::PlanChange> changes;
    for (const auto& a : p->add) changes.push_back(share::parse_plan_change(share::PlanChange::Kind::add, a));
    for (const auto& r : p->remove) changes.push_back(share::parse_plan_change(share::PlanChange::Kind::remove, r));
    for (const auto& r : p->resize) changes.push_back(share::parse_plan_change(share::PlanChange::Kind::resize, r));
    for (const auto& m : p->manifests)
      for (auto& c : share::plan_changes_from_manifest(m)) changes.push_back(std::move(c));
    if (changes.empty()) throw UsageError("share plan: give --add, --add-manifest, --remove or --resize");
    const auto sources = vram_sources(p->vram);
    auto result = share::plan_shares(list_view(p->kube, ""), changes);
    std::vector<std::string> warnings;
    share::budget_plan(result, sources, warnings);
    warn_all(warnings);
    if (format == OutputFormat::json) {
      nlohmann::json placements = nlohmann::json::array();
      for (const auto& pl : result.placements)
        placements.push_back({{"workload", pl.workload}, {"node", pl.node}, {"fits", pl.fits}, {"reason", pl.reason}});
      std::cout << nlohmann::json{{"schema", "kubench/share-plan/v1"}, {"fits", result.fits}, {"vram_over", result.vram_over},
                                  {"vram_at_risk", result.vram_at_risk}, {"placements", placements},
                                  {"before", share::share_json(result.before)["nodes"]}, {"after", share::share_json(result.after)["nodes"]}}
                       .dump(2)
                << "\n";
    } else {
      std::cout << "Before\n" << render_text(share::share_report(result.before)) << "\nAfter\n" << render_text(share::share_report(result.after)) << "\n";
      for (const auto& pl : result.placements)
        std::cout << (pl.fits ? "fits     " : "NO FIT   ") << pl.workload << (pl.node.empty() ? "" : " on " + pl.node) << ": " << pl.reason << "\n";
      for (const auto& n : result.after)
        if (n.budget)
          std::cout << "VRAM     " << n.gpus.node << ": " << n.budget->verdict
                    << (n.budget->reasons.empty() ? "" : " (" + n.budget->reasons.front() + ")") << "\n";
    }
    if (!result.fits || result.vram_over || (p->strict && result.vram_at_risk)) global.exit_code = kExitFailed;
  });
  add_share_config_command(*share, global);
  add_share_check_command(*share, global);
}

}  // namespace kb::app
