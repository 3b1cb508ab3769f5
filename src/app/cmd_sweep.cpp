// `kubench sweep`: many variants of one workload (a parameter matrix × GPU targets × repeats),
// run in parallel on Kubernetes (admitted by free capacity) or on this machine, recorded in a
// directory that resumes, and compared. docs/sweep.md
#include <spdlog/spdlog.h>

#include <iostream>

#include "app/commands.h"
#include "app/kube_flags.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "core/output.h"
#include "core/progress.h"
#include "core/text.h"
#include "jobs/benchmark_spec.h"
#include "jobs/sweep_local.h"
#include "jobs/sweep_record.h"
#include "jobs/sweep_run.h"
#include "media/bench_runner.h"

namespace kb::app {
namespace {

struct SweepRunFlags {
  std::string suite;
  std::string out;
  std::string resume;
  bool rerun_failed = false;
  bool kube_mode = false;
  KubeFlags kube;
  std::string run_id;
  int max_parallel = 0;
  int jobs = 1;
  bool keep = false;
  bool follow_logs = false;
  double schedule_timeout = 300;
  double cleanup_timeout = 120;
  std::string output = "table";
};

std::map<std::string, jobs::SweepCluster> connect_contexts(const jobs::SweepSuite& suite, const std::vector<size_t>& to_run,
                                                           const jobs::SweepPlan& plan, const KubeFlags& flags) {
  std::map<std::string, jobs::SweepCluster> out;
  for (size_t i : to_run) {
    std::string context;
    for (const auto& t : suite.targets)
      if (t.name == plan.variants[i].target) context = t.context;
    if (out.count(context)) continue;
    auto& c = out[context];
    c.context = context;
    auto f = flags;
    if (!context.empty()) f.context = context;
    try {
      c.client = connect(f);
    } catch (const Error& e) {
      c.error = e.what();
    }
  }
  return out;
}

// The variants as a table: what a sweep will run, or what it gave.
Table variant_table(const jobs::SweepPlan& plan, const std::map<size_t, jobs::VariantRecord>& results, const std::vector<size_t>& which) {
  Table t{{"#", "VARIANT", "TARGET", "STATUS", "NODE", "SECONDS", "RESULT"}, {}, {0, 5}};
  for (size_t i : which) {
    const auto& v = plan.variants[i];
    auto it = results.find(i);
    if (it == results.end()) {
      t.rows.push_back({std::to_string(i), v.id, v.target, "not run", "-", "-", "-"});
      continue;
    }
    const auto& r = it->second;
    std::string shown;
    for (const auto& [k, val] : r.metrics) {
      if (shown.size() > 60) {
        shown += " …";
        break;
      }
      shown += (shown.empty() ? "" : " ") + k + "=" + fixed(val, val == static_cast<long long>(val) ? 0 : 3);
    }
    if (r.status != "succeeded") shown = r.failure_class + ": " + r.message;
    t.rows.push_back({std::to_string(i), v.id, v.target, r.status, r.node.empty() ? "-" : r.node, fixed(r.duration_s, 1), shown.empty() ? "-" : shown});
  }
  return t;
}

void run_sweep(SweepRunFlags& f, GlobalOptions& global) {
  const auto format = parse_output_format(f.output, {OutputFormat::table, OutputFormat::json, OutputFormat::csv});
  if (f.suite.empty() == f.resume.empty()) throw UsageError("give a suite file, or --resume DIR (not both)");
  if (f.rerun_failed && f.resume.empty()) throw UsageError("--rerun-failed goes with --resume DIR");
  if (f.max_parallel < 0) throw UsageError("--max-parallel must be 0 (no cap) or more");
  if (f.jobs < 1) throw UsageError("--jobs must be at least 1");

  const std::string run_id = f.run_id.empty() ? jobs::dns_label("sw-" + media::new_run_id(), 40) : jobs::dns_label(f.run_id, 40);
  std::optional<jobs::SweepDirectory> dir;
  jobs::OpenedSweep sweep;
  if (!f.resume.empty()) {
    dir.emplace(f.resume);
    sweep = jobs::open_resumed_sweep(*dir, f.rerun_failed);
  } else {
    sweep = jobs::open_new_sweep(f.suite, run_id);
    dir.emplace(f.out.empty() ? "sweeps/" + jobs::dns_label(sweep.suite.name, 30) + "-" + run_id : f.out);
  }
  ProgressLine line;
  const auto variant_done = [&](const jobs::VariantRecord& r) {
    line.finish(r.id + ": " + r.status + (r.status == "succeeded" ? "" : " (" + r.failure_class + ": " + r.message + ")") +
                (r.node.empty() || !f.kube_mode ? "" : " on " + r.node) + (r.attempts > 1 ? ", " + std::to_string(r.attempts) + " attempts" : ""));
  };
  bool interrupted_run = false;
  if (sweep.to_run.empty()) {
    line.finish("Sweep " + sweep.plan.name + " in " + dir->path().string() + ": every variant has a result (--rerun-failed runs the failed ones again)");
  } else if (!f.kube_mode) {
    jobs::check_local_sweep(sweep.suite, sweep.plan, sweep.to_run);
    if (!sweep.resumed) dir->create(sweep.plan, sweep.suite_text);
    line.finish("Sweep " + sweep.plan.name + ": " + std::to_string(sweep.to_run.size()) + " of " + std::to_string(sweep.plan.variants.size()) +
                " variants on this machine, " + std::to_string(f.jobs) + " at a time → " + dir->path().string());
    jobs::SweepLocalOptions options;
    options.jobs = f.jobs;
    options.kubench = std::filesystem::read_symlink("/proc/self/exe");
    jobs::SweepLocalEvents events;
    events.note = [&](const std::string& s) { line.finish(s); };
    events.live = [&](const std::string& s) { line.update(s); };
    events.variant_done = variant_done;
    interrupted_run = jobs::run_sweep_locally(sweep.suite, sweep.plan, sweep.to_run, options, *dir, events).interrupted;
  } else {
    auto clusters = connect_contexts(sweep.suite, sweep.to_run, sweep.plan, f.kube);
    jobs::SweepRunOptions options;
    options.run_id = run_id;
    options.namespace_name = f.kube.namespace_name;
    options.max_parallel = f.max_parallel;
    options.keep = f.keep;
    options.follow_logs = f.follow_logs;
    options.schedule_timeout_seconds = f.schedule_timeout;
    options.cleanup_timeout_seconds = f.cleanup_timeout;
    const auto preflight = jobs::preflight_sweep(sweep.suite, sweep.to_run, sweep.plan, clusters, options);
    if (!sweep.resumed) dir->create(sweep.plan, sweep.suite_text);
    for (const auto& [context, server] : preflight.server)
      line.finish("Sweep " + sweep.plan.name + ": " + std::to_string(sweep.to_run.size()) + " of " + std::to_string(sweep.plan.variants.size()) +
                  " variants on " + server + (context.empty() ? "" : " (context " + context + ")") + " → " + dir->path().string());
    for (const auto& [context, cause] : preflight.unreachable)
      spdlog::error("context {} is unreachable, its variants fail: {}", context.empty() ? "(current)" : context, cause);

    jobs::SweepEvents events;
    events.note = [&](const std::string& s) { line.finish(s); };
    events.live = [&](const std::string& s) { line.update(s); };
    events.variant_done = variant_done;
    const auto outcome = jobs::run_sweep_on_kube(sweep.suite, sweep.plan, sweep.to_run, clusters, preflight, options, *dir, events);
    spdlog::info("{} API requests", outcome.api_requests);
    interrupted_run = outcome.interrupted;
  }
  line.clear();
  if (interrupted_run) {
    std::fprintf(stderr, "kubench: sweep interrupted; continue with: kubench sweep run%s --resume %s\n", f.kube_mode ? " --kube" : "",
                 dir->path().string().c_str());
    raise_interrupt();
    return;
  }
  const auto results = dir->read_variants();
  if (format == OutputFormat::json) std::cout << jobs::sweep_summary(sweep.plan, results).dump(2) << "\n";
  else if (format == OutputFormat::csv) std::cout << jobs::sweep_results_csv(sweep.plan, results);
  else std::cout << variant_table(sweep.plan, results, sweep.to_run).render();
  for (size_t i : sweep.to_run)
    if (!results.count(i) || results.at(i).status != "succeeded") global.exit_code = kExitFailed;
  std::fprintf(stderr, "Results: %s (kubench sweep report %s)\n", dir->path().string().c_str(), dir->path().string().c_str());
}

void print_plan(const std::string& suite_path, const std::string& output) {
  const auto format = parse_output_format(output, {OutputFormat::table, OutputFormat::json});
  auto sweep = jobs::open_new_sweep(suite_path, "plan");
  if (format == OutputFormat::json) {
    std::cout << to_json(sweep.plan).dump(2) << "\n";
    return;
  }
  Table t{{"#", "VARIANT", "TARGET", "PRIORITY", "RETRIES", "TIMEOUT"}, {}, {0, 3, 4, 5}};
  for (size_t i = 0; i < sweep.plan.variants.size(); ++i) {
    const auto& v = sweep.plan.variants[i];
    const auto s = jobs::settings_for(sweep.suite, v);
    t.rows.push_back({std::to_string(i), v.id, v.target, std::to_string(s.priority), std::to_string(s.retries), format_duration(s.timeout_s)});
  }
  std::cout << t.render();
}

}  // namespace

void add_sweep_command(CLI::App& app, GlobalOptions& global) {
  auto* sweep = app.add_subcommand("sweep", "Many variants of a workload across GPU targets, in parallel, recorded and compared");
  sweep->require_subcommand(1);
  sweep->footer("Docs: docs/sweep.md");

  auto f = std::make_shared<SweepRunFlags>();
  auto* run = sweep->add_subcommand("run", "Run a sweep suite (kubench/sweep/v1) on Kubernetes or on this machine, or continue one");
  run->add_option("suite", f->suite, "The suite file (YAML, schema kubench/sweep/v1)");
  run->add_flag("--kube", f->kube_mode, "Run the variants as Jobs on the cluster of the kubeconfig (each target's context); without it they run here");
  run->add_option("--out", f->out, "Sweep directory (default sweeps/<name>-<run-id>)");
  run->add_option("--resume", f->resume, "Continue the sweep in this directory: run only the variants without a result");
  run->add_flag("--rerun-failed", f->rerun_failed, "With --resume: run the failed variants again too");
  run->add_option("--jobs", f->jobs, "Without --kube: variants at once on this machine (default 1: they share its GPU)");
  run->add_option("--max-parallel", f->max_parallel, "At most this many variants at once in the whole sweep (default 0: free capacity decides)");
  run->add_option("--run-id", f->run_id, "Names this run's namespace and labels its objects (default sw-<time>)");
  run->add_flag("--keep", f->keep, "Keep the namespace, Jobs and pods afterwards (for inspection; Jobs still expire after 1 h)");
  run->add_flag("--follow-logs", f->follow_logs, "Stream each variant's log while it runs (-v shows it; one watch per variant)");
  run->add_option("--schedule-timeout", f->schedule_timeout, "Seconds an admitted pod may stay unschedulable (default 300)");
  run->add_option("--cleanup-timeout", f->cleanup_timeout, "Seconds to wait for the sweep's objects to go (default 120)");
  run->add_option("-o,--output", f->output, "table|json|csv (default table)");
  add_kube_flags(run, f->kube);
  run->footer("Examples:\n  kubench sweep run suite.yaml --jobs 2\n  kubench sweep run --kube suite.yaml\n  kubench sweep run --kube suite.yaml --max-parallel 8 --out sweeps/quant\n"
              "  kubench sweep run --kube --resume sweeps/quant --rerun-failed\n"
              "Exit codes: 0 every variant succeeded, 1 some failed (their class in the table and in DIR), 2 a bad suite, target or\n"
              "cluster (nothing created), 130 interrupted (everything the sweep created deleted; --resume continues). docs/sweep.md");
  run->callback([f, &global] {
    start_command(global);
    run_sweep(*f, global);
  });

  add_sweep_report_command(sweep, global);

  auto plan_suite = std::make_shared<std::string>();
  auto plan_output = std::make_shared<std::string>("table");
  auto* plan = sweep->add_subcommand("plan", "Show the variants a suite expands to (nothing runs)");
  plan->add_option("suite", *plan_suite, "The suite file")->required();
  plan->add_option("-o,--output", *plan_output, "table|json (default table)");
  plan->footer("Example:\n  kubench sweep plan suite.yaml");
  plan->callback([plan_suite, plan_output, &global] {
    start_command(global);
    print_plan(*plan_suite, *plan_output);
  });
}

}  // namespace kb::app
