// `kubench scale validate`: double the backend replicas and the load client's parallelism each
// round and check the throughput gain (docs/scaling.md). Flags → queue::KubeScaleTarget +
// queue::validate_scaling; the report as a table or JSON, saved with its chart.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <ctime>
#include <iostream>

#include "app/commands.h"
#include "app/kube_flags.h"
#include "core/error.h"
#include "core/files.h"
#include "core/output.h"
#include "core/process.h"
#include "core/progress.h"
#include "core/utc_time.h"
#include "queue/kube_scale_target.h"

namespace kb::app {
namespace {

struct ScaleFlags {
  KubeFlags kube;
  queue::KubeScaleOptions target;
  queue::ScaleSettings settings;
  bool keep_scaled = false;
  std::string output = "table";
  std::string results_dir = "kubench-results";
};

// Saves report.json and throughput.svg (and .png where rsvg-convert is installed); returns the dir.
std::filesystem::path save(const queue::ScaleReport& report, const nlohmann::json& doc, const std::string& results_dir) {
  auto dir = std::filesystem::path(results_dir) / ("scale-" + utc_format(std::time(nullptr), "%Y%m%d-%H%M%S"));
  std::filesystem::create_directories(dir);
  write_file_atomic(dir / "report.json", doc.dump(2) + "\n");
  if (report.rounds.empty()) return dir;
  write_file_atomic(dir / "throughput.svg", queue::throughput_chart_svg(report));
  if (auto rsvg = find_executable("rsvg-convert")) {
    ProcessSpec spec;
    spec.argv = {rsvg->string(), "-o", (dir / "throughput.png").string(), (dir / "throughput.svg").string()};
    spec.timeout = std::chrono::seconds(30);
    auto r = run_process(spec);
    if (!r.ok()) spdlog::warn("no PNG chart: rsvg-convert {}", r.describe());
  }
  return dir;
}

void validate(ScaleFlags& f, GlobalOptions& global) {
  auto format = parse_output_format(f.output, {OutputFormat::table, OutputFormat::json});
  auto client = connect(f.kube);
  if (f.target.backend_namespace.empty()) f.target.backend_namespace = client->config().namespace_name;
  if (f.target.client_namespace.empty()) f.target.client_namespace = f.target.backend_namespace;
  f.settings.restore = !f.keep_scaled;
  queue::doubling_steps(f.settings.max_replicas);  // bad --max is a usage error before anything changes
  queue::KubeScaleTarget target(*client, f.target);
  target.check();

  ProgressLine line;
  auto report = queue::validate_scaling(target, f.settings, [&](const std::string& s) { line.finish(s); });
  const auto doc = queue::to_json(report);
  try {
    auto dir = save(report, doc, f.results_dir);
    line.finish("Report saved in " + dir.string());
  } catch (const std::exception& e) {
    spdlog::error("cannot save the report in {}: {}", f.results_dir, e.what());
  }
  if (format == OutputFormat::json) std::cout << doc.dump(2) << "\n";
  else std::cout << queue::to_table(report);
  std::cout.flush();
  if (report.interrupted) throw Interrupted();
  if (!report.passed) global.exit_code = kExitFailed;
}

}  // namespace

void add_scale_command(CLI::App& app, GlobalOptions& global) {
  auto f = std::make_shared<ScaleFlags>();
  auto* scale = app.add_subcommand("scale", "Scalability checks of a queue workload on Kubernetes");
  scale->require_subcommand(1);
  auto* cmd = scale->add_subcommand("validate", "Double backend replicas and client parallelism each round; fail below the minimum gain");
  add_kube_flags(cmd, f->kube);
  cmd->add_option("--backend", f->target.backend, "The backend (worker) Deployment")->required();
  cmd->add_option("--backend-namespace", f->target.backend_namespace, "Its namespace (default: -n, else the context's)");
  cmd->add_option("--client-service", f->target.client_service, "The Service of the load client's API (kubench queue load)")->required();
  cmd->add_option("--client-namespace", f->target.client_namespace, "Its namespace (default: the backend's)");
  cmd->add_option("--client-port", f->target.client_port, "The Service port (number or name) when it has more than one");
  cmd->add_option("--request-seconds", f->settings.request_seconds, "The time of one request (the workload's sleep; default 2)");
  cmd->add_option("--max", f->settings.max_replicas, "Most backend replicas; rounds are 1, 2, 4 ... up to it (default 8)");
  cmd->add_option("--min-gain", f->settings.min_gain, "Throughput ratio each doubling must reach (default 1.8)");
  cmd->add_option("--window", f->settings.window_seconds, "Seconds measured per round (default 20 x --request-seconds, at least 10)");
  cmd->add_option("--parallelism-per-replica", f->settings.parallelism_per_replica,
                  "Requests in flight per backend replica (default 1; the worker's --slots)");
  cmd->add_option("--ready-timeout", f->target.ready_timeout_s, "Seconds the backends may take to run after a scale (default 120)");
  cmd->add_flag("--keep-scaled", f->keep_scaled, "Leave the backends at the last round's replicas (default: put everything back)");
  cmd->add_option("-o,--output", f->output, "table|json");
  cmd->add_option("--results-dir", f->results_dir, "Where report.json and the chart go (in <dir>/scale-<time>/; default ./kubench-results)");
  cmd->footer("Examples:\n"
              "  kubench scale validate -n kubench-scale --backend sleep-worker --client-service sleep-load --request-seconds 2 --max 16\n"
              "  kubench scale validate -n kubench-scale --backend media-worker --client-service media-load --request-seconds 15 --max 8 --min-gain 1.8 -o json\n"
              "Exit codes: 0 PASS, 1 FAIL (a gain below the minimum, failed requests, backends that cannot run), 2 usage/environment, 130 interrupted.\n"
              "The deployment for it: deploy/scalability/ (docs/scaling.md).");
  cmd->callback([f, &global] {
    start_command(global);
    validate(*f, global);
  });
}

}  // namespace kb::app
