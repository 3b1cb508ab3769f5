// `kubench share check --node N`: is a real-time stream still real-time on the shared GPU while the
// others run? One Job that holds a share of the node's GPU and runs kubench's concurrency search
// there (the `run --kube` machinery), reported beside the node's allocation table.
#include <spdlog/spdlog.h>

#include <iostream>

#include "app/benchmark_job_flags.h"
#include "app/commands.h"
#include "app/kube_flags.h"
#include "app/share_listing.h"
#include "core/error.h"
#include "core/output.h"
#include "core/progress.h"
#include "core/report.h"
#include "jobs/job_run.h"
#include "jobs/run_report.h"
#include "kube/node_inventory.h"
#include "media/bench_runner.h"
#include "media/results.h"
#include "share/share_view.h"

namespace kb::app {

namespace {

using nlohmann::json;

// The line the check is for, per test: streams at real time next to whom.
std::string verdict_lines(const share::NodeShare& n, const std::string& resource, const media::BenchResult& result) {
  std::string others, out;
  for (const auto& w : n.workloads) others += (others.empty() ? "" : ", ") + w.owner.name;
  for (const auto& c : result.concurrency) {
    const int streams = c.max_realtime_streams;
    out += c.test_id + " on " + n.gpus.node + ", holding 1 " + resource + (others.empty() ? " alone" : " beside " + others) + ": " +
           std::to_string(streams) + (streams == 1 ? " stream stays" : " streams stay") + " at real time" +
           (streams == 0 ? " (not even one: the GPU is too busy, or too slow for this test)" : c.capped ? " (the cap; --max-streams)" : "") + "\n";
  }
  return out.empty() ? "no concurrency result (no test applied)\n" : out;
}

}  // namespace

void add_share_check_command(CLI::App& share, GlobalOptions& global) {
  struct Flags {
    KubeFlags kube;
    BenchmarkJobFlags job;
    std::string output = "table";
    bool keep = false;
    double schedule_timeout = 120;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = share.add_subcommand("check", "Is a real-time stream still real-time on the shared GPU? A Job holding one share runs the concurrency search");
  add_kube_flags(cmd, f->kube);
  add_benchmark_job_flags(cmd, f->job, "auto");
  cmd->get_option("--node")->required();
  cmd->add_option("-o,--output", f->output, "table|json");
  cmd->add_flag("--keep", f->keep, "Keep the namespace afterwards (for inspection)");
  cmd->add_option("--schedule-timeout", f->schedule_timeout, "Seconds the Job may wait for a free share (default 120)");
  cmd->footer(
      "Examples:\n  kubench share check --node homelabai\n  kubench share check --node homelabai --accel nvenc --tests h264_1080p\n"
      "The Job requests one share of the node's share resource (--gpu-resource overrides it), also with --accel cpu.\n"
      "Exit codes as kubench run --kube (docs/share.md, docs/kubernetes.md).");
  cmd->callback([f, &global] {
    start_command(global);
    const auto format = parse_output_format(f->output, {OutputFormat::table, OutputFormat::json});
    if (f->job.spec.run_id == jobs::BenchmarkJobSpec{}.run_id) f->job.spec.run_id = jobs::dns_label("share-check-" + media::new_run_id());
    f->job.spec.concurrency = true;
    f->job.no_power = true;  // the question is real time beside the others, not watts
    auto client = connect(f->kube);
    const std::string server = client->config().cluster.server;
    const auto cluster = list_cluster_shares(*client, f->job.node);
    const auto& view = cluster.view;
    if (view.empty() || view[0].gpus.share_resource.empty())
      throw UsageError("node " + f->job.node + " has no shared GPU resource to hold a share of (kubench share show)");
    const auto& node = view[0];
    if (f->job.gpu_resource.empty()) f->job.gpu_resource = node.gpus.share_resource;

    auto request = target_request(f->job);
    std::vector<kube::NodeInventory> nodes;
    for (const auto& n : cluster.nodes["items"]) nodes.push_back(kube::node_inventory(n));
    std::vector<std::string> notes;
    auto specs = jobs::plan_targets(request, nodes, notes);
    for (auto& s : specs) {  // a CPU check still holds its share: it measures beside the others
      s.hold_gpu_resource = true;
      s.gpu_resource = f->job.gpu_resource;
      s.gpu_count = 1;
    }
    ProgressLine line;
    for (const auto& n : notes) line.finish(n);
    line.finish("Check " + specs.front().run_id + ": one " + f->job.gpu_resource + " on " + node.gpus.node + ", " + specs.front().accel +
                ", concurrency search");
    auto options = jobs::benchmark_run_options(specs);
    options.keep = f->keep;
    options.schedule_timeout_seconds = f->schedule_timeout;
    jobs::RunEvents events;
    events.note = [&](const std::string& s) { line.finish(s); };
    events.status = [&](const std::string&, const std::string& status) { line.finish(status); };
    auto report = jobs::JobRun(*client, options, events).run();
    const auto doc = jobs::run_document(report, server, {});
    const auto& target = report.targets.front();
    std::optional<media::BenchResult> result;
    if (target.result) {
      try {
        result = media::bench_result_from_json(*target.result);
      } catch (const Error& e) {
        spdlog::error("the result does not parse: {}", e.what());
      }
    }
    if (format == OutputFormat::json) {
      const json shared = share::share_json(view);
      json out = {{"schema", "kubench/share-check/v1"}, {"node", node.gpus.node}, {"share", shared["nodes"][0]}, {"run", doc}};
      if (result) out["verdict"] = verdict_lines(node, f->job.gpu_resource, *result);
      std::cout << out.dump(2) << "\n";
    } else {
      std::cout << render_text(share::share_report(view));
      if (result) {
        if (!result->concurrency.empty()) std::cout << "\n" << media::concurrency_table(*result);
        std::cout << "\n" << verdict_lines(node, f->job.gpu_resource, *result);
      }
    }
    std::cout.flush();
    if (target.outcome != jobs::Outcome::succeeded && target.outcome != jobs::Outcome::interrupted)
      std::fprintf(stderr, "kubench: node %s: %s: %s\n", node.gpus.node.c_str(), jobs::to_string(target.outcome).c_str(), target.message.c_str());
    if (report.interrupted) throw Interrupted();
    global.exit_code = report.exit_code();
  });
}

}  // namespace kb::app
