#include "jobs/sweep_local.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <unistd.h>

#include "core/error.h"
#include "core/files.h"
#include "core/interrupt.h"
#include "core/process.h"
#include "core/progress.h"
#include "core/text.h"
#include "core/utc_time.h"
#include "jobs/run_outcome.h"
#include "jobs/sweep_run.h"

namespace kb::jobs {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr size_t kLogLines = 20;

std::vector<std::string> tail_lines(const std::string& text) {
  std::vector<std::string> out;
  for (auto& l : split(text, '\n'))
    if (!trim(l).empty()) out.push_back(l);
  if (out.size() > kLogLines) out.erase(out.begin(), out.end() - static_cast<long>(kLogLines));
  return out;
}

// What the pods see at the inputs' mount path, here: the volume's directory, or a directory of
// links to the input files under their names.
// (check_local_sweep has made sure they exist.)
fs::path local_inputs(const SweepSuite& suite, const fs::path& scratch) {
  if (!suite.inputs.volume.empty()) return suite.inputs.volume.substr(9);
  const auto dir = scratch / "inputs";
  fs::create_directories(dir);
  for (const auto& f : suite.inputs.files) {
    std::error_code ec;
    fs::remove(dir / f.filename(), ec);
    fs::create_symlink(fs::absolute(f), dir / f.filename());
  }
  return dir;
}

struct Attempt {
  Outcome outcome = Outcome::no_results;
  std::string message;
  std::optional<json> result;
  std::vector<std::string> log;
  std::string started, finished;
  double seconds = 0;
  bool interrupted = false;
};

}  // namespace

std::vector<std::string> local_command(const SweepSuite& suite, const SweepVariant& v, const fs::path& kubench, const fs::path& results_dir,
                                       const fs::path& inputs_dir) {
  const auto& w = suite.workload;
  const std::map<std::string, std::string> builtins = {{"inputs", inputs_dir.string()}};
  const auto text = [&](const char* key, const std::string& fallback) { return workload_text(suite, v, key, fallback, builtins); };
  if (suite.workload_kind == "container") {
    if (!w.contains("local"))
      throw UsageError(suite.file + ": workload.container has no `local` command to run on this machine (run it with --kube, or add local: [...])");
    const auto argv = workload_list(suite, v, "local", builtins);
    if (argv.empty()) throw UsageError(suite.file + ": workload.container.local is empty");
    return argv;
  }
  if (suite.workload_kind == "bench") {
    std::vector<std::string> argv = {kubench.string(), "bench", "--accel", text("accel", "auto"), "--profile", text("profile", "quick"),
                                     "--results-dir", results_dir.string(), "-o", "json"};
    if (w.contains("device")) argv.insert(argv.end(), {"--device", text("device", "")});
    if (w.contains("clips")) argv.insert(argv.end(), {"--clips", text("clips", "")});
    if (w.contains("tests")) {
      std::string tests;
      for (const auto& t : workload_list(suite, v, "tests", builtins)) tests += (tests.empty() ? "" : ",") + t;
      argv.insert(argv.end(), {"--tests", tests});
    }
    if (text("concurrency", "false") == "true") argv.push_back("--concurrency");
    return argv;
  }
  auto argv = infer_arguments(suite, v, builtins);
  argv.insert(argv.begin(), kubench.string());
  return argv;
}

void check_local_sweep(const SweepSuite& suite, const SweepPlan& plan, const std::vector<size_t>& to_run) {
  if (!suite.inputs.volume.empty() && suite.inputs.volume.rfind("hostpath:", 0) != 0)
    throw UsageError(suite.file + ": inputs.volume " + suite.inputs.volume + " is a cluster volume; on this machine use hostpath:/DIR (or --kube)");
  for (const auto& f : suite.inputs.files) {
    std::error_code ec;
    if (!fs::is_regular_file(f, ec)) throw UsageError(suite.file + ": inputs.files: " + f.string() + ": no such file");
  }
  for (size_t i : to_run) local_command(suite, plan.variants[i], "kubench", "results", "inputs");
}

SweepLocalOutcome run_sweep_locally(const SweepSuite& suite, const SweepPlan& plan, const std::vector<size_t>& to_run,
                                    const SweepLocalOptions& options, SweepDirectory& dir, const SweepEvents& events) {
  if (options.jobs < 1) throw UsageError("--jobs must be at least 1");
  const auto scratch = dir.path() / "local";
  check_local_sweep(suite, plan, to_run);
  const auto inputs_dir = suite.inputs.empty() ? fs::path() : local_inputs(suite, scratch);
  bool placed = false;
  for (const auto& t : suite.targets)
    placed = placed || !t.node_selector.empty() || !t.requests.empty() || !t.limits.empty() || !t.context.empty();
  if (placed && events.note) events.note("On this machine the targets are labels only: their nodes, resources and contexts apply with --kube");

  std::vector<size_t> queue = to_run;
  std::stable_sort(queue.begin(), queue.end(), [&](size_t a, size_t b) {
    return settings_for(suite, plan.variants[a]).priority > settings_for(suite, plan.variants[b]).priority;
  });
  std::mutex mutex;
  size_t next = 0;
  int running = 0;
  SweepLocalOutcome outcome;
  std::atomic<bool> stop{false};
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  const double start = epoch_seconds();

  const auto live = [&] {  // under mutex
    if (events.metrics) {
      events.metrics->set_in_flight(running);
      events.metrics->set_waiting(static_cast<int>(queue.size() - next));
    }
    if (events.live)
      events.live("sweep " + plan.name + ": " + std::to_string(outcome.succeeded + outcome.failed) + "/" + std::to_string(to_run.size()) + " done (" +
                  std::to_string(outcome.failed) + " failed), " + std::to_string(running) + " running, " +
                  std::to_string(queue.size() - next) + " waiting (--jobs " + std::to_string(options.jobs) + ")");
  };

  const auto attempt = [&](size_t i, int number) {
    const auto& v = plan.variants[i];
    const auto settings = settings_for(suite, v);
    ProcessSpec spec;
    spec.argv = local_command(suite, v, options.kubench, scratch / ("v" + std::to_string(i) + "-a" + std::to_string(number)), inputs_dir);
    spec.env = variant_environment(v, i);
    if (suite.workload_kind == "container")
      for (auto& kv : workload_env(suite, v, {{"inputs", inputs_dir.string()}})) spec.env.push_back(std::move(kv));
    spec.cwd = fs::absolute(suite.file).parent_path();
    spec.timeout = std::chrono::milliseconds(static_cast<long long>(settings.timeout_s * 1000));
    Attempt a;
    a.started = utc_rfc3339();
    const auto r = run_process(spec);
    a.finished = utc_rfc3339();
    a.seconds = r.wall_seconds;
    const bool bench = suite.workload_kind == "bench";
    const bool json_on_stdout = bench || suite.workload_kind == "infer";  // kubench's own, with -o json
    a.log = tail_lines(json_on_stdout ? r.stderr_text : r.stdout_text + r.stderr_text);
    if (r.interrupted) {
      a.interrupted = true;
      return a;
    }
    if (json_on_stdout) {
      auto doc = json::parse(r.stdout_text, nullptr, false);
      if (!doc.is_discarded() && doc.is_object()) a.result = doc;
    } else {
      try {
        a.result = result_in_log(r.stdout_text, true);
      } catch (const std::exception& e) {
        a.message = std::string("the result could not be read: ") + e.what();
      }
    }
    if (r.timed_out) {
      a.outcome = Outcome::deadline_exceeded;
      a.message = "ran past its timeout (" + format_duration(settings.timeout_s) + ")";
    } else if (bench && a.result) {
      bool ok = true;
      for (const auto& t : a.result->value("tests", json::array()))
        ok = ok && (t.value("status", "") == "ok" || t.value("experimental", false));
      a.outcome = ok ? Outcome::succeeded : Outcome::tests_failed;
      if (!ok) a.message = "some tests failed";
    } else if (r.signal != 0 || r.exit_code != 0) {
      a.outcome = Outcome::container_failed;
      const auto why = last_error_line(r.stderr_text.empty() ? r.stdout_text : r.stderr_text);
      a.message = spec.argv.front() + " " + r.describe() + (why.empty() ? "" : ": " + why);
    } else if (!a.result) {
      a.outcome = Outcome::no_results;
      if (a.message.empty()) a.message = "finished without results (no line of its output is a JSON object)";
    } else {
      a.outcome = Outcome::succeeded;
    }
    return a;
  };

  const auto work = [&] {
    for (;;) {
      size_t i = 0;
      {
        std::lock_guard lock(mutex);
        if (stop.load() || next >= queue.size()) return;
        i = queue[next++];
        ++running;
        live();
      }
      const auto& v = plan.variants[i];
      const auto settings = settings_for(suite, v);
      const double admitted = epoch_seconds();
      Attempt a;
      int number = 1;
      try {
        for (;; ++number) {
          {
            std::lock_guard lock(mutex);
            if (events.metrics) events.metrics->created(v.target);
            if (events.started) events.started(i, number);
          }
          a = attempt(i, number);
          if (a.interrupted || a.outcome == Outcome::succeeded || !retry_can_fix(to_string(a.outcome)) || number > settings.retries) break;
          std::lock_guard lock(mutex);
          if (events.metrics) events.metrics->retried(v.target, to_string(a.outcome));
          if (events.retrying) events.retrying(i, number, to_string(a.outcome), a.message);
        }
      } catch (const std::exception& e) {  // the program could not be started
        a = Attempt();
        a.outcome = Outcome::container_failed;
        a.message = e.what();
      }
      std::lock_guard lock(mutex);
      --running;
      if (a.interrupted || interrupted()) {
        stop.store(true);
        continue;
      }
      VariantRecord r;
      r.index = i, r.id = v.id, r.target = v.target, r.params = v.params, r.repeat = v.repeat;
      r.context = "local";
      r.node = host;
      r.status = a.outcome == Outcome::succeeded ? "succeeded" : "failed";
      r.failure_class = a.outcome == Outcome::succeeded ? "" : to_string(a.outcome);
      r.message = a.message;
      r.attempts = number;
      r.started = a.started;
      r.finished = a.finished;
      r.duration_s = a.seconds;
      r.queued_s = admitted - start;
      if (r.queued_s > 0.5) r.wait_reason = "--jobs " + std::to_string(options.jobs) + ": the others were running";
      if (a.result) {
        r.result = *a.result;
        r.metrics = sweep_metrics(*a.result);
      }
      r.log = a.log;
      dir.write_variant(r);
      if (events.metrics) events.metrics->finished(r.target, r.failure_class, r.duration_s);
      (r.status == "succeeded" ? outcome.succeeded : outcome.failed)++;
      if (events.variant_done) events.variant_done(r);
      live();
    }
  };
  std::exception_ptr failure;  // the first error of a worker (e.g. the directory became unwritable)
  const auto worker = [&] {
    try {
      work();
    } catch (...) {
      std::lock_guard lock(mutex);
      if (!failure) failure = std::current_exception();
      stop.store(true);
    }
  };
  std::vector<std::thread> workers;
  for (int k = 0; k < std::min<int>(options.jobs, static_cast<int>(queue.size())); ++k) workers.emplace_back(worker);
  for (auto& t : workers) t.join();
  if (failure) std::rethrow_exception(failure);
  outcome.interrupted = stop.load() || interrupted();
  dir.write_summary(plan, dir.read_variants());
  return outcome;
}

}  // namespace kb::jobs
