// `kubench sweep`: many variants of one workload (a parameter matrix × GPU targets × repeats),
// run in parallel on Kubernetes (admitted by free capacity) or on this machine, recorded in a
// directory that resumes, and compared. docs/sweep.md
#include <spdlog/spdlog.h>

#include <iostream>
#include <string>
#include <memory>
#include <mutex>

#include "app/commands.h"
#include "app/kube_flags.h"
#include "core/error.h"
#include "core/http_server.h"
#include "core/log.h"
#include "core/interrupt.h"
#include "core/output.h"
#include "core/progress.h"
#include "core/text.h"
#include "jobs/benchmark_spec.h"
#include "jobs/sweep_local.h"
#include "jobs/sweep_metrics.h"
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
  std::string metrics_listen;
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
    const std::string context = jobs::find_target(suite, plan.variants[i].target).context;
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

// Progress as lines for people, or as JSON log lines (--log-format json) with the variant's id.
jobs::SweepEvents progress_events(const jobs::SweepPlan& plan, ProgressLine& line, bool on_kube, jobs::SweepMetrics* metrics) {
  static std::mutex json_mutex;
  const bool as_json = log_format() == LogFormat::json;
  const auto emit = [as_json](const std::string& level, const std::string& msg, const nlohmann::json& fields) {
    if (!as_json) return;
    std::lock_guard lock(json_mutex);
    std::fprintf(stderr, "%s\n", json_log_line(level, msg, fields).c_str());
  };
  const auto variant = [&plan](size_t i) {
    return nlohmann::json{{"variant", plan.variants[i].id}, {"index", i}, {"target", plan.variants[i].target}};
  };
  jobs::SweepEvents e;
  e.metrics = metrics;
  e.note = [&line, as_json, emit](const std::string& s) {
    if (as_json) emit("info", s, nlohmann::json::object());
    else line.finish(s);
  };
  if (!as_json) e.live = [&line](const std::string& s) { line.update(s); };
  e.waiting = [&plan, as_json, emit, variant](size_t i, const std::string& why) {
    if (!as_json) spdlog::info("{} waits: {}", plan.variants[i].id, why);
    auto f = variant(i);
    f["reason"] = why;
    emit("info", "variant waits", f);
  };
  e.started = [&plan, as_json, emit, variant](size_t i, int attempt) {
    if (!as_json) spdlog::info("{}: attempt {} started", plan.variants[i].id, attempt);
    auto f = variant(i);
    f["attempt"] = attempt;
    emit("info", "variant started", f);
  };
  e.retrying = [&plan, &line, as_json, emit, variant](size_t i, int attempt, const std::string& failure_class, const std::string& message) {
    if (!as_json) line.finish(plan.variants[i].id + ": attempt " + std::to_string(attempt) + " failed (" + failure_class + ": " + message + "); retrying");
    auto f = variant(i);
    f.update({{"attempt", attempt}, {"failure_class", failure_class}, {"message", message}});
    emit("warning", "variant retrying", f);
  };
  e.variant_done = [&line, as_json, emit, variant, on_kube](const jobs::VariantRecord& r) {
    if (!as_json) {
      line.finish(r.id + ": " + r.status + (r.status == "succeeded" ? "" : " (" + r.failure_class + ": " + r.message + ")") +
                  (r.node.empty() || !on_kube ? "" : " on " + r.node) + (r.attempts > 1 ? ", " + std::to_string(r.attempts) + " attempts" : ""));
      return;
    }
    auto f = variant(r.index);
    f.update({{"status", r.status}, {"failure_class", r.failure_class}, {"message", r.message}, {"attempts", r.attempts},
              {"node", r.node}, {"duration_s", r.duration_s}});
    emit(r.status == "succeeded" ? "info" : "error", "variant finished", f);
  };
  return e;
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
  set_log_fields({{"sweep", sweep.plan.sweep_id}, {"run", run_id}});
  ProgressLine line;
  // --metrics-listen: the sweep's counters for Prometheus while it runs.
  jobs::SweepMetrics metrics(sweep.plan.sweep_id);
  std::unique_ptr<HttpServer> metrics_server;
  if (!f.metrics_listen.empty()) {
    const auto listen = parse_listen_address(f.metrics_listen, "--metrics-listen");
    HttpServerOptions o;
    o.address = listen.host;
    o.port = listen.port;
    metrics_server = std::make_unique<HttpServer>(o);
    metrics_server->route("GET", "/metrics", [&metrics](const HttpExchange& ex) {
      ex.respond(HttpReply{200, metrics.text(), "text/plain; version=0.0.4; charset=utf-8", {}});
    });
    metrics_server->listen();
    metrics_server->start();
  }
  const auto events = progress_events(sweep.plan, line, f.kube_mode, metrics_server ? &metrics : nullptr);
  if (metrics_server) events.note("Metrics on http://" + metrics_server->address() + "/metrics");
  bool interrupted_run = false;
  if (sweep.to_run.empty()) {
    events.note("Sweep " + sweep.plan.name + " in " + dir->path().string() + ": every variant has a result (--rerun-failed runs the failed ones again)");
  } else if (!f.kube_mode) {
    jobs::check_local_sweep(sweep.suite, sweep.plan, sweep.to_run);
    if (!sweep.resumed) dir->create(sweep.plan, sweep.suite_text);
    events.note("Sweep " + sweep.plan.name + ": " + std::to_string(sweep.to_run.size()) + " of " + std::to_string(sweep.plan.variants.size()) +
                " variants on this machine, " + std::to_string(f.jobs) + " at a time → " + dir->path().string());
    jobs::SweepLocalOptions options;
    options.jobs = f.jobs;
    options.kubench = std::filesystem::read_symlink("/proc/self/exe");
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
      events.note("Sweep " + sweep.plan.name + ": " + std::to_string(sweep.to_run.size()) + " of " + std::to_string(sweep.plan.variants.size()) +
                  " variants on " + server + (context.empty() ? "" : " (context " + context + ")") + " → " + dir->path().string());
    for (const auto& why : preflight.left_out) events.note("left out: " + why);
    for (const auto& [context, cause] : preflight.unreachable)
      spdlog::error("context {} is unreachable, its variants fail: {}", context.empty() ? "(current)" : context, cause);
    const auto outcome = jobs::run_sweep_on_kube(sweep.suite, sweep.plan, sweep.to_run, clusters, preflight, options, *dir, events);
    spdlog::info("{} API requests for {} variants", outcome.api_requests, sweep.to_run.size());
    interrupted_run = outcome.interrupted;
  }
  line.clear();
  if (interrupted_run) {
    events.note(std::string("Sweep interrupted; continue with: kubench sweep run") + (f.kube_mode ? " --kube" : "") + " --resume " +
                dir->path().string());
    raise_interrupt();
    return;
  }
  const auto results = dir->read_variants();
  if (format == OutputFormat::json) std::cout << jobs::sweep_summary(sweep.plan, results).dump(2) << "\n";
  else if (format == OutputFormat::csv) std::cout << jobs::sweep_results_csv(sweep.plan, results);
  else std::cout << variant_table(sweep.plan, results, sweep.to_run).render();
  for (size_t i : sweep.to_run)
    if (!results.count(i) || results.at(i).status != "succeeded") global.exit_code = kExitFailed;
  events.note("Results: " + dir->path().string() + " (kubench sweep report " + dir->path().string() + ")");
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
  run->add_option("--metrics-listen", f->metrics_listen, "Serve the sweep's Prometheus metrics at http://ADDR/metrics while it runs (HOST:PORT)");
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
