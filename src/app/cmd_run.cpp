// `kubench run --kube`: the benchmark as a one-shot Job per node, watched, collected, cleaned up.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>

#include "app/benchmark_job_flags.h"
#include "app/commands.h"
#include "app/kube_flags.h"
#include "core/error.h"
#include "core/files.h"
#include "core/output.h"
#include "core/progress.h"
#include "core/text.h"
#include "jobs/job_run.h"
#include "jobs/run_report.h"
#include "kube/node_inventory.h"
#include "media/bench_runner.h"
#include "media/results.h"

namespace kb::app {

namespace {

using nlohmann::json;

std::string power_line(const jobs::TargetResult& t) {
  if (!t.power) return "";
  auto reading = t.power->value("reading", json::object());
  auto watts = reading.find("avg_watts");
  std::string who = t.node.empty() ? "" : " on " + t.node;
  if (watts != reading.end() && watts->is_number())
    return "Power sidecar" + who + ": " + fixed(watts->get<double>(), 1) + " W " + reading.value("domain", "") + " over " +
           fixed(reading.value("duration_seconds", 0.0), 1) + " s\n";
  return "Power sidecar" + who + ": no reading (" + reading.value("null_reason", "unknown") + ")\n";
}

}  // namespace

void add_run_command(CLI::App& app, GlobalOptions& global) {
  struct Flags {
    KubeFlags kube;
    BenchmarkJobFlags job;
    bool kube_mode = false;
    bool all_nodes = false;
    int max_parallel = 4;
    bool keep = false;
    bool quiet = false;
    std::string output = "table";
    std::string results_dir = "kubench-results";
    double schedule_timeout = 60;
    double cleanup_timeout = 120;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("run", "Run the benchmark as a one-shot Kubernetes Job (per node), collect results, clean up");
  cmd->add_flag("--kube", f->kube_mode, "Run on the cluster of the kubeconfig (required; the local benchmark is `kubench bench`)");
  add_kube_flags(cmd, f->kube);
  add_benchmark_job_flags(cmd, f->job, "auto");
  cmd->add_flag("--all-nodes", f->all_nodes, "One Job per matching Ready node, in parallel, then one comparison table");
  cmd->add_option("--max-parallel", f->max_parallel, "Jobs running at once with --all-nodes (default 4)");
  cmd->add_flag("--keep", f->keep, "Keep the namespace afterwards (for inspection)");
  cmd->add_flag("-q,--quiet", f->quiet, "Do not stream container logs");
  cmd->add_option("-o,--output", f->output, "table|json|yaml|csv");
  cmd->add_option("--results-dir", f->results_dir, "Where run.json is saved (in <dir>/<run-id>/; default ./kubench-results)");
  cmd->add_option("--schedule-timeout", f->schedule_timeout, "Seconds a pod may stay unschedulable (default 60)");
  cmd->add_option("--cleanup-timeout", f->cleanup_timeout, "Seconds to wait for the namespace to go (default 120)");
  cmd->footer("Examples:\n  kubench run --kube\n  kubench run --kube --accel qsv --node nuc-1\n"
              "  kubench run --kube --all-nodes --selector gpu=true -o json\n"
              "Exit codes: 0 ok, 1 tests failed, 2 usage/environment, 3 unschedulable, 4 image pull, 5 device check,\n"
              "6 OOMKilled, 7 deadline exceeded, 8 container failed, 9 no results, 130 interrupted (docs/kubernetes.md).");
  cmd->callback([f, &global] {
    start_command(global);
    auto format = parse_output_format(f->output, {OutputFormat::table, OutputFormat::json, OutputFormat::yaml, OutputFormat::csv});
    if (!f->kube_mode) throw UsageError("kubench run needs --kube (on this machine, the benchmark is `kubench bench`)");
    if (!f->kube.namespace_name.empty())
      throw UsageError("run creates its own namespace kubench-<run-id>; choose it with --run-id, not -n");
    if (f->max_parallel < 1) throw UsageError("--max-parallel must be at least 1");
    // run's own default run id: unique, so runs never collide.
    bool run_id_given = f->job.spec.run_id != jobs::BenchmarkJobSpec{}.run_id;
    if (!run_id_given) f->job.spec.run_id = jobs::dns_label(media::new_run_id());
    auto request = target_request(f->job);
    request.all_nodes = f->all_nodes;
    if (f->job.sidecar.empty()) request.base.sidecar = jobs::SidecarMode::files;  // decided below from the server

    auto client = connect(f->kube);
    const std::string server = client->config().cluster.server;
    auto version = client->server_version();  // also the reachability check: one line, exit 2
    // Native sidecars are on by default from 1.29; an older server drops the init container's
    // restartPolicy, and the sidecar would then block the pod forever.
    auto parts = split(version.substr(std::min(version.size(), version.find_first_of("0123456789"))), '.');
    long long minor = parts.size() > 1 ? parse_int(parts[1]).value_or(0) : 0;
    bool native_ok = parts.size() > 1 && parts[0] == "1" && minor >= 29;
    if (f->job.sidecar.empty() && native_ok) request.base.sidecar = jobs::SidecarMode::native;
    if (request.base.sidecar == jobs::SidecarMode::native && !native_ok && request.base.power)
      throw UsageError("--sidecar native needs Kubernetes 1.29 or later (the server is " + version + "): use --sidecar files");

    std::optional<std::vector<kube::NodeInventory>> nodes;
    jobs::NodeGpus gpus;
    if (client->can_i({"list", "", "nodes", "", ""})) {
      nodes.emplace();
      const auto listed = client->list(kube::resources::nodes, "");
      for (auto& n : listed["items"]) nodes->push_back(kube::node_inventory(n));
      for (auto& n : *nodes) gpus[n.name] = n.gpu_product();
    } else {
      spdlog::warn("you may not list nodes: node names and GPU resources are not checked before the run");
    }
    std::vector<std::string> notes;
    auto specs = jobs::plan_targets(request, nodes, notes);
    ProgressLine line;
    for (auto& n : notes) line.finish(n);
    for (auto& s : specs)
      if (s.gpu_access == jobs::GpuAccess::hostpath)
        spdlog::warn("--gpu-access hostpath: the pods run privileged with the host's /dev/dri{}", s.node.empty() ? "" : " on " + s.node);
    line.finish("Run " + specs.front().run_id + " on " + server + " (" + version + "), " + std::to_string(specs.size()) +
                (specs.size() == 1 ? " Job" : " Jobs") + ", sidecar " + jobs::to_string(specs.front().sidecar));

    auto options = jobs::benchmark_run_options(specs);
    options.max_parallel = f->max_parallel;
    options.keep = f->keep;
    options.schedule_timeout_seconds = f->schedule_timeout;
    options.cleanup_timeout_seconds = f->cleanup_timeout;
    jobs::RunEvents events;
    events.note = [&](const std::string& s) { line.finish(s); };
    events.status = [&](const std::string& case_name, const std::string& status) {
      line.finish((case_name.empty() ? "" : case_name + ": ") + status);
    };
    if (!f->quiet) events.log = [&](const std::string& prefix, const std::string& text) { line.finish("[" + prefix + "] " + text); };

    auto report = jobs::JobRun(*client, options, events).run();
    auto doc = jobs::run_document(report, server, gpus);
    auto dir = std::filesystem::path(f->results_dir) / report.run_id;
    try {
      std::filesystem::create_directories(dir);
      write_file_atomic(dir / "run.json", doc.dump(2) + "\n");
      line.finish("Results saved in " + (dir / "run.json").string());
    } catch (const std::exception& e) {
      spdlog::error("cannot save {}: {}", (dir / "run.json").string(), e.what());
    }

    switch (format) {
      case OutputFormat::json: std::cout << doc.dump(2) << "\n"; break;
      case OutputFormat::yaml: std::cout << to_yaml(doc); break;
      case OutputFormat::csv: std::cout << jobs::run_comparison(doc).to_csv(); break;
      default: {
        if (report.targets.size() == 1 && report.targets[0].result) {
          auto& t = report.targets[0];
          try {
            auto result = media::bench_result_from_json(*t.result);
            auto gpu = doc["targets"][0].value("gpu", "");
            std::cout << "\nNode " << (t.node.empty() ? "?" : t.node) << (gpu.empty() ? "" : " (" + gpu + ")") << "\n";
            std::cout << media::results_table(result);
            if (!result.concurrency.empty()) std::cout << "\n" << media::concurrency_table(result);
          } catch (const Error& e) {
            spdlog::error("the result does not parse: {}", e.what());
            std::cout << jobs::run_comparison(doc).render();
          }
        } else {
          std::cout << "\n" << jobs::run_comparison(doc).render();
        }
        for (auto& t : report.targets) std::cout << power_line(t);
      }
    }
    std::cout.flush();
    for (auto& t : report.targets)
      if (t.outcome != jobs::Outcome::succeeded && t.outcome != jobs::Outcome::interrupted) {
        std::string who = t.node.empty() ? "" : "node " + t.node + ": ";
        std::fprintf(stderr, "kubench: %s%s: %s\n", who.c_str(), jobs::to_string(t.outcome).c_str(), t.message.c_str());
        if (t.outcome == jobs::Outcome::no_results)
          for (auto& l : t.last_log_lines) std::fprintf(stderr, "  | %s\n", l.c_str());
      }
    if (report.interrupted) throw Interrupted();
    global.exit_code = report.exit_code();
  });
}

}  // namespace kb::app
