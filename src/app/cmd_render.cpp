// `kubench render`: the manifests of a benchmark run as YAML, for review or `kubectl apply -f`.
#include <iostream>

#include "app/benchmark_job_flags.h"
#include "app/commands.h"
#include "core/error.h"
#include "core/output.h"
#include "jobs/job_render.h"

namespace kb::app {

void add_render_command(CLI::App& app, GlobalOptions& global) {
  struct Flags {
    BenchmarkJobFlags job;
    std::string output = "yaml";
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("render", "Print the Kubernetes manifests of a benchmark run (Namespace, ServiceAccount, Job)");
  add_benchmark_job_flags(cmd, f->job, "qsv");
  f->job.sidecar = "files";
  cmd->add_option("-o,--output", f->output, "yaml|json (default yaml)");
  cmd->footer("Needs no cluster. The defaults are the QuickSync Job of deploy/quicksync/ (run id 'quicksync').\n"
              "Examples:\n  kubench render | kubectl apply -f -\n"
              "  kubench render --accel nvenc --node gpu-1 --sidecar native\n"
              "  kubench render --accel cpu --image registry.local/kubench:0.1.0 --run-id cpu-check");
  cmd->callback([f, &global] {
    start_command(global);
    auto format = parse_output_format(f->output, {OutputFormat::yaml, OutputFormat::json});
    auto request = target_request(f->job);
    if (request.all_nodes) throw UsageError("render cannot see the nodes: use run --kube --all-nodes");
    std::vector<std::string> notes;
    auto specs = jobs::plan_targets(request, std::nullopt, notes);
    auto objects = jobs::render_run(specs);
    if (format == OutputFormat::json) {
      std::cout << nlohmann::json{{"apiVersion", "v1"}, {"kind", "List"}, {"items", objects}}.dump(2) << "\n";
    } else {
      std::cout << jobs::to_manifest_yaml(objects);
    }
  });
}

}  // namespace kb::app
