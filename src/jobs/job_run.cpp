#include "jobs/job_run.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "core/error.h"
#include "core/interrupt.h"
#include "core/text.h"
#include "core/utc_time.h"
#include "jobs/job_render.h"
#include "kube/credentials.h"
#include "kube/rbac_preflight.h"
#include "media/result_frame.h"

namespace kb::jobs {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

int RunReport::exit_code() const {
  if (interrupted) return kExitInterrupted;
  int worst = 0;
  for (auto& t : targets) {
    int code = jobs::exit_code(t.outcome);
    // Any failure class beats "some tests failed"; among classes the first target's wins.
    if (worst == 0 || (worst == 1 && code > 1)) worst = code;
  }
  return worst;
}

namespace {

constexpr auto kPowerGrace = std::chrono::seconds(15);  // sidecar's time to hand over after the benchmark
constexpr size_t kTailLines = 20;

// "2026-11-23T10:00:00.123456789Z" -> seconds since the epoch, sub-second part kept.
std::optional<double> log_timestamp(std::string_view ts) {
  auto secs = kube::parse_rfc3339(std::string(ts.substr(0, 19)) + "Z");
  if (!secs) return std::nullopt;
  double t = std::chrono::duration<double>(secs->time_since_epoch()).count();
  if (ts.size() > 20 && ts[19] == '.') {
    double scale = 0.1;
    for (size_t i = 20; i < ts.size() && std::isdigit(static_cast<unsigned char>(ts[i])); ++i, scale /= 10) t += (ts[i] - '0') * scale;
  }
  return t;
}

// The setup objects a run creates.
const kube::Resource& resource_for(const json& object) {
  auto kind = object.value("kind", "");
  if (kind == "Namespace") return kube::resources::namespaces;
  if (kind == "ServiceAccount") return kube::resources::service_accounts;
  if (kind == "ConfigMap") return kube::resources::config_maps;
  if (kind == "NetworkPolicy") return kube::resources::network_policies;
  throw UsageError("a run cannot create a " + kind);
}

bool all_tests_ok(const json& result) {
  for (auto& test : result.value("tests", json::array()))
    if (test.value("status", "") != "ok" && !test.value("experimental", false)) return false;
  return true;
}

}  // namespace

struct JobRun::Impl {
  struct Event {
    enum Kind { pod, pod_deleted, job, framed_result, thread_error } kind;
    json object;
    std::string error;
  };

  kube::Client& client;
  const RunOptions& options;
  const RunEvents& events;
  std::string ns, run_id;
  std::vector<json> jobs;         // options.jobs, then the Jobs of retries
  std::vector<bool> job_applied;  // per jobs

  struct Target {
    const RunTarget* spec = nullptr;
    std::string job_name;  // of the current attempt
    TargetResult result;
    bool applied = false, done = false;
    std::optional<Clock::time_point> unschedulable_since;
    std::optional<PodView> view;
    json job;
    std::set<std::string> following;
    bool result_collected = false;
    Clock::time_point power_wait_until{};
    std::string last_status;
  };
  std::vector<Target> targets;

  std::mutex mutex;  // guards queue, tails, printing
  std::condition_variable cv;
  std::deque<Event> queue;
  std::map<std::string, std::deque<std::string>> bench_tail;       // pod -> last lines
  std::map<std::string, double> bench_last_line_time;              // pod -> epoch seconds
  std::atomic<bool> cancel{false};
  std::vector<std::thread> threads;

  Impl(kube::Client& c, const RunOptions& o, const RunEvents& e) : client(c), options(o), events(e) {}

  void note(const std::string& s) {
    std::lock_guard lock(mutex);
    if (events.note) events.note(s);
  }

  // A line about one target: to target_note where the caller sorts them, else a note.
  void note(const Target& t, const std::string& s) {
    std::lock_guard lock(mutex);
    if (events.target_note) events.target_note(t.result.case_name, s);
    else if (events.note) events.note((targets.size() > 1 ? t.result.case_name + ": " : "") + s);
  }

  void push(Event e) {
    {
      std::lock_guard lock(mutex);
      queue.push_back(std::move(e));
    }
    cv.notify_one();
  }

  // A background thread whose errors end up in the main loop (Ctrl-C is seen there directly).
  void spawn(std::function<void()> body) {
    threads.emplace_back([this, body = std::move(body)] {
      try {
        body();
      } catch (const Interrupted&) {
      } catch (const std::exception& e) {
        if (!cancel.load()) push({Event::thread_error, json(), e.what()});
      }
    });
  }

  void watch(const kube::Resource& resource, Event::Kind kind) {
    kube::ListOptions o;
    o.label_selector = std::string(kRunIdLabel) + "=" + label_value(run_id);
    o.cancel = &cancel;
    spawn([this, resource, kind, o] {
      client.list_watch(resource, ns, o, [&](const kube::WatchEvent& e) {
        if (e.type == "SYNC") {
          for (auto& item : e.object) push({kind, item, ""});
        } else if (e.type == "DELETED") {
          if (kind == Event::pod) push({Event::pod_deleted, e.object, ""});
        } else if (e.type != "BOOKMARK") {
          push({kind, e.object, ""});
        }
        return !cancel.load();
      });
    });
  }

  void follow(Target& t, const ContainerView& c) {
    if (!t.following.insert(c.name).second) return;
    std::string pod = t.view->name;
    std::string prefix = (targets.size() > 1 ? t.result.case_name + "/" : "") + c.name;
    bool is_bench = c.name == t.spec->result_container;
    spawn([this, pod, prefix, is_bench, container = c.name] {
      kube::LogOptions o;
      o.container = container;
      o.timestamps = true;
      o.cancel = &cancel;
      bool in_frame = false;  // a framed result is data for the collector, not for the screen
      std::string frame;
      client.follow_log(ns, pod, o, [&](std::string_view line) {
        auto space = line.find(' ');
        std::string text(space == std::string_view::npos ? std::string_view() : line.substr(space + 1));
        std::lock_guard lock(mutex);
        if (is_bench) {
          auto& tail = bench_tail[pod];
          tail.push_back(text);
          if (tail.size() > kTailLines) tail.pop_front();
          if (auto ts = log_timestamp(line.substr(0, space))) bench_last_line_time[pod] = *ts;
        }
        bool frame_line = in_frame || text.rfind(media::kFrameBegin, 0) == 0;
        if (text.rfind(media::kFrameBegin, 0) == 0) {
          in_frame = true;
          frame.clear();
        }
        if (in_frame) frame += text + "\n";
        if (in_frame && text.rfind(media::kFrameEnd, 0) == 0) {
          in_frame = false;
          try {
            if (auto doc = media::find_framed_result(frame))
              queue.push_back({Event::framed_result, {{"pod", pod}, {"result", *doc}}, ""});
            cv.notify_one();
          } catch (const std::exception& e) {
            spdlog::warn("{}: damaged result frame in the log ({}); waiting for the termination message", pod, e.what());
          }
        }
        if (events.log && !frame_line) events.log(prefix, text);
        return !cancel.load();
      });
    });
  }

  static std::string case_label_of(const RunTarget& t) {
    return label_value(!t.case_label.empty() ? t.case_label : t.case_name.empty() ? "default" : t.case_name);
  }

  // The target a Pod belongs to: its case label, and for an Indexed Job its completion index.
  Target* target_of_pod(const json& pod) {
    auto meta = pod.value("metadata", json::object());
    auto case_label = meta.value("labels", json::object()).value(kCaseLabel, "");
    auto index = meta.value("annotations", json::object()).value(kCompletionIndexAnnotation, "");
    // A pod of an earlier attempt's Job belongs to no target any more.
    std::string owner;
    for (auto& ref : meta.value("ownerReferences", json::array()))
      if (ref.value("kind", "") == "Job") owner = ref.value("name", "");
    for (auto& t : targets)
      if (case_label_of(*t.spec) == case_label && (!t.spec->completion_index || std::to_string(*t.spec->completion_index) == index) &&
          (owner.empty() || owner == t.job_name))
        return &t;
    return nullptr;
  }

  void on_job(const json& job) {
    auto name = job.value("metadata", json::object()).value("name", "");
    for (auto& t : targets)
      if (t.job_name == name) t.job = job;
  }

  bool job_finished(const std::string& name) const {
    for (auto& t : targets)
      if (t.job_name == name && !t.done) return false;
    return true;
  }

  void apply_next_jobs() {
    int running = 0;
    std::vector<size_t> pending;
    for (size_t j = 0; j < jobs.size(); ++j) {
      if (!job_applied[j]) pending.push_back(j);
      else running += !job_finished(jobs[j]["metadata"]["name"].get<std::string>());
    }
    if (pending.empty()) return;
    std::vector<size_t> chosen;
    if (options.admit) {
      std::vector<const json*> pending_jobs;
      for (size_t j : pending) pending_jobs.push_back(&jobs[j]);
      for (size_t k : options.admit(pending_jobs, running)) chosen.push_back(pending.at(k));
    } else {
      for (size_t j : pending)
        if (running + static_cast<int>(chosen.size()) < options.max_parallel) chosen.push_back(j);
    }
    for (size_t j : chosen) {
      const auto name = jobs[j]["metadata"]["name"].get<std::string>();
      client.create(kube::resources::jobs, ns, jobs[j]);
      job_applied[j] = true;
      for (auto& t : targets)
        if (t.job_name == name) {
          t.applied = true;
          t.result.created_at = epoch_seconds();
          note(t, "Job " + name + " created" + (t.spec->node.empty() ? "" : " for node " + t.spec->node));
        }
    }
  }

  void finish(Target& t, Outcome outcome, const std::string& message) {
    if (t.done) return;
    t.done = true;
    t.result.outcome = outcome;
    t.result.message = message;
    t.result.finished_at = epoch_seconds();
    if (t.view) {
      t.result.pod = t.view->name;
      if (t.result.node.empty()) t.result.node = t.view->node;
      if (auto* c = t.view->find(t.spec->result_container)) t.result.started_at = c->started_at, t.result.ended_at = c->finished_at;
      std::lock_guard lock(mutex);
      auto& tail = bench_tail[t.view->name];
      t.result.last_log_lines.assign(tail.begin(), tail.end());
    }
    if (outcome != Outcome::succeeded && options.retry)
      if (auto next = options.retry(t.result)) {
        note(t, "failed: " + to_string(outcome) + " (attempt " + std::to_string(t.result.attempts) + "), retrying: " + message);
        restart(t, std::move(*next));
        return;
      }
    // A failure's cause is printed once, by the command, after cleanup.
    note(t, outcome == Outcome::succeeded ? "done" : "failed: " + to_string(outcome));
    if (events.finished) events.finished(t.result);
  }

  // The next attempt: a fresh Job, waiting for admission like any other. The failed attempt's
  // Job goes (a pod still pending could otherwise start beside the retry).
  void restart(Target& t, json job) {
    try {
      client.remove(kube::resources::jobs, ns, t.job_name, "Background");
    } catch (const std::exception& e) {
      spdlog::warn("cannot delete Job {} of the failed attempt: {}", t.job_name, e.what());
    }
    TargetResult fresh;
    fresh.case_name = t.result.case_name;
    fresh.node = t.spec->node;
    fresh.attempts = t.result.attempts + 1;
    t.job_name = job["metadata"]["name"].get<std::string>();
    fresh.job = t.job_name;
    t.result = std::move(fresh);
    t.applied = t.done = t.result_collected = false;
    t.unschedulable_since.reset();
    t.view.reset();
    t.job = json();
    t.last_status.clear();
    t.following.clear();
    jobs.push_back(std::move(job));
    job_applied.push_back(false);
  }

  // The benchmark container ended normally: its result is in the termination message or framed
  // in its log.
  void collect_result(Target& t, const ContainerView& bench) {
    t.result_collected = true;
    std::optional<json> doc;
    std::string problem;
    try {
      if (!trim(bench.message).empty() && trim(bench.message)[0] == '{') doc = json::parse(bench.message);
      if (!doc) {
        const auto log = client.read_log(ns, t.view->name, t.spec->result_container);
        if (!options.follow_logs) {  // the tail the follower would have kept
          std::lock_guard lock(mutex);
          auto& tail = bench_tail[t.view->name];
          tail.clear();
          for (auto& l : split(log, '\n'))
            if (!trim(l).empty()) tail.push_back(l);
          while (tail.size() > kTailLines) tail.pop_front();
        }
        doc = result_in_log(log, options.result_from_last_json_line);
      }
    } catch (const std::exception& e) {
      problem = e.what();
    }
    double got = epoch_seconds();
    {
      std::lock_guard lock(mutex);
      if (auto it = bench_last_line_time.find(t.view->name); it != bench_last_line_time.end())
        t.result.result_delay_seconds = got - it->second;
    }
    if (doc) {
      t.result.result = doc;
      std::string delay = t.result.result_delay_seconds
                              ? " " + fixed(*t.result.result_delay_seconds, 2) + " s after its last log line"
                              : "";
      note(t, "result collected from " +
           (trim(bench.message).empty() ? std::string("the log") : std::string("the termination message")) + delay);
    } else if (!problem.empty()) {
      t.result.message = "the result could not be read: " + problem;
    }
    t.power_wait_until = Clock::now() + kPowerGrace;
  }

  // The fast path: the frame arrived in the log stream, usually before the container has even exited.
  void on_framed_result(const std::string& pod, const json& doc) {
    for (auto& t : targets) {
      if (t.done || t.result_collected || !t.view || t.view->name != pod) continue;
      t.result_collected = true;
      t.result.result = doc;
      {
        std::lock_guard lock(mutex);
        if (auto it = bench_last_line_time.find(pod); it != bench_last_line_time.end())
          t.result.result_delay_seconds = epoch_seconds() - it->second;
      }
      note(t, "result collected from the log" +
           (t.result.result_delay_seconds ? " " + fixed(*t.result.result_delay_seconds, 2) + " s after it was printed" : ""));
      t.power_wait_until = Clock::now() + kPowerGrace;
    }
  }

  void read_power(Target& t) {
    if (!t.view) return;
    auto* p = t.view->find(kPowerContainer);
    if (!p || p->state != "terminated" || trim(p->message).empty()) return;
    try {
      t.result.power = json::parse(p->message);
    } catch (const std::exception&) {
      spdlog::warn("power sidecar's termination message is not JSON");
    }
  }

  static bool job_failed(const json& job) {
    for (auto& cond : job.value("status", json::object()).value("conditions", json::array()))
      if (cond.value("type", "") == "Failed" && cond.value("status", "") == "True") return true;
    return false;
  }

  void evaluate(Target& t) {
    if (t.done || !t.applied) return;
    // The Job's watch can report the failure before the Pod's watch shows why: read the pod now.
    if (!t.job.is_null() && job_failed(t.job) && t.view && t.view->phase != "Failed" && t.view->phase != "Succeeded") {
      if (auto pod = client.get_if_exists(kube::resources::pods, ns, t.view->name)) t.view = pod_view(*pod);
    }
    const PodView* view = t.view ? &*t.view : nullptr;
    const ContainerView* bench = view ? view->find(t.spec->result_container) : nullptr;
    bool bench_ended = bench && bench->state == "terminated" && bench->reason != "OOMKilled";
    if (bench_ended && !t.result_collected) collect_result(t, *bench);
    if (t.result_collected) {
      const ContainerView* power = view->find(kPowerContainer);
      bool power_done = !t.spec->power || !power || power->state == "terminated";
      if (!power_done && Clock::now() < t.power_wait_until) return;
      read_power(t);
      if (!power_done) spdlog::warn("the power sidecar did not finish within {} s of the benchmark", kPowerGrace.count());
      if (!t.result.result) {
        // The log is the place to look for why (the follower may not have caught a short life).
        try {
          auto log = client.read_log(ns, view->name, t.spec->result_container, kTailLines);
          std::lock_guard lock(mutex);
          auto& tail = bench_tail[view->name];
          tail.clear();
          for (auto& l : split(log, '\n'))
            if (!trim(l).empty()) tail.push_back(l);
        } catch (const std::exception& e) {
          spdlog::debug("cannot read the benchmark's log: {}", e.what());
        }
        std::string why;
        if (bench->exit_code != 0) {
          std::lock_guard lock(mutex);
          auto& tail = bench_tail[view->name];
          std::string text;
          for (auto& l : tail) text += l + "\n";
          why = last_error_line(text.empty() ? bench->message : text);
        }
        if (options.require_zero_exit && bench->exit_code != 0 && t.result.message.empty()) {
          finish(t, Outcome::container_failed,
                 "the " + t.spec->result_container + " container exited " + std::to_string(bench->exit_code) + (why.empty() ? "" : ": " + why));
          return;
        }
        finish(t, Outcome::no_results,
               t.result.message.empty() ? "the " + t.spec->result_container + " container finished without results (exit " +
                                              std::to_string(bench->exit_code) + ")" + (why.empty() ? "" : ": " + why)
                                        : t.result.message);
        return;
      }
      if (options.require_zero_exit && bench->exit_code != 0) {
        finish(t, Outcome::container_failed, "the " + t.spec->result_container + " container exited " + std::to_string(bench->exit_code) +
                                                  " (its result is kept)");
        return;
      }
      bool ok = options.result_ok ? options.result_ok(*t.result.result) : all_tests_ok(*t.result.result);
      finish(t, ok ? Outcome::succeeded : Outcome::tests_failed, ok ? "" : "some tests failed");
      return;
    }
    if (auto failure = classify_failure(t.job.is_null() ? nullptr : &t.job, view)) {
      finish(t, failure->outcome, failure->message);
      return;
    }
    if (view && view->unschedulable) {
      if (!t.unschedulable_since) t.unschedulable_since = Clock::now();
      if (Clock::now() - *t.unschedulable_since > std::chrono::duration<double>(options.schedule_timeout_seconds))
        finish(t, Outcome::unschedulable, "no node can run the pod: " + *view->unschedulable);
    } else {
      t.unschedulable_since.reset();
    }
  }

  void on_pod(const json& pod) {
    auto* t = target_of_pod(pod);
    if (!t || t->done) return;
    t->view = pod_view(pod);
    if (!t->view->node.empty()) t->result.node = t->view->node;
    t->result.pod = t->view->name;
    auto summary = t->view->summary();
    if (summary != t->last_status) {
      t->last_status = summary;
      std::lock_guard lock(mutex);
      if (events.status) events.status(t->result.case_name, t->view->name + " " + summary);
    }
    for (auto& c : t->view->containers)
      if (options.follow_logs && (c.state == "running" || (c.state == "terminated" && c.reason != "ContainerCannotRun"))) follow(*t, c);
  }

  void stop_threads() {
    cancel.store(true);
    cv.notify_all();
    for (auto& th : threads)
      if (th.joinable()) th.join();
    threads.clear();
  }

  bool stopped() const { return options.stop && options.stop->load(); }

  bool all_done() const {
    for (auto& t : targets)
      if (!t.done) return false;
    return true;
  }

  void loop() {
    watch(kube::resources::pods, Event::pod);
    watch(kube::resources::jobs, Event::job);
    apply_next_jobs();
    while (!all_done()) {
      if (interrupted() || stopped()) return;
      std::deque<Event> batch;
      {
        std::unique_lock lock(mutex);
        cv.wait_for(lock, std::chrono::milliseconds(200), [&] { return !queue.empty(); });
        batch.swap(queue);
      }
      for (auto& e : batch) {
        if (e.kind == Event::thread_error) throw EnvironmentError(e.error);
        if (e.kind == Event::pod) on_pod(e.object);
        if (e.kind == Event::job) on_job(e.object);
        if (e.kind == Event::framed_result) on_framed_result(e.object["pod"].get<std::string>(), e.object["result"]);
        if (e.kind == Event::pod_deleted)
          if (auto* t = target_of_pod(e.object); t && !t->done && !t->result_collected)
            finish(*t, Outcome::container_failed, "pod " + e.object["metadata"].value("name", "") + " was deleted");
      }
      for (auto& t : targets) evaluate(t);
      apply_next_jobs();
    }
  }
};

JobRun::JobRun(kube::Client& client, RunOptions options, RunEvents events)
    : client_(client), options_(std::move(options)), events_(std::move(events)) {}

RunReport JobRun::run() {
  if (options_.targets.empty() || options_.jobs.empty()) throw UsageError("no target to run on");
  Impl impl(client_, options_, events_);
  impl.ns = options_.namespace_name;
  impl.run_id = options_.run_id;
  impl.jobs = options_.jobs;
  impl.job_applied.assign(options_.jobs.size(), false);
  for (auto& s : options_.targets) {
    Impl::Target t;
    t.spec = &s;
    t.job_name = s.job_name;
    t.result.case_name = s.case_name;
    t.result.job = s.job_name;
    t.result.node = s.node;
    impl.targets.push_back(std::move(t));
  }
  RunReport report;
  report.run_id = impl.run_id;
  report.namespace_name = impl.ns;
  const bool own = options_.own_namespace;

  try {
    kube::require_permissions(client_, kube::run_permissions(own ? "" : impl.ns));
  } catch (const CheckFailed& e) {
    throw EnvironmentError(e.what());  // exit 2: 1 means "tests failed" for a run
  }
  if (interrupted()) throw Interrupted();

  bool created = false;  // anything to clean up
  std::string failure;
  try {
    for (auto& object : options_.setup) {
      const bool is_namespace = object.value("kind", "") == "Namespace";
      client_.create(resource_for(object), is_namespace ? "" : impl.ns, object);
      created = created || is_namespace;
      if (is_namespace) impl.note("Namespace " + impl.ns + " created");
    }
    created = created || !own;
    impl.loop();
  } catch (const Interrupted&) {
  } catch (const kube::ApiError& e) {
    if (own && !created && e.conflict())
      failure = "namespace " + impl.ns + " already exists (a run with this --run-id?); pick another --run-id or delete it";
    else if (!own && e.conflict())
      failure = "a Job of run " + impl.run_id + " already exists in namespace " + impl.ns + "; pick another --run-id";
    else failure = e.what();
  } catch (const std::exception& e) {
    failure = e.what();
  }
  impl.stop_threads();
  report.interrupted = interrupted() || impl.stopped();
  for (auto& t : impl.targets) {
    if (!t.done) {
      if (report.interrupted) t.result.outcome = Outcome::interrupted, t.result.message = "interrupted";
      else if (!failure.empty()) t.result.outcome = Outcome::container_failed, t.result.message = failure;
    }
    report.targets.push_back(t.result);
  }
  std::vector<std::string> applied;
  for (size_t j = 0; j < impl.jobs.size(); ++j)
    if (impl.job_applied[j]) applied.push_back(impl.jobs[j]["metadata"]["name"].get<std::string>());
  const std::string what = own ? "namespace " + impl.ns : "the run's Jobs in namespace " + impl.ns;
  const std::string by_hand = own ? "kubectl delete namespace " + impl.ns
                                  : "kubectl delete jobs -n " + impl.ns + " -l " + kRunIdLabel + "=" + label_value(impl.run_id);

  if (created && !options_.keep && (own || !applied.empty())) {
    // The user's Ctrl-C has been handled by stopping the run; a second one stops the cleanup.
    // Several runs at once (a sweep's contexts) share one Ctrl-C: their owner clears it once all
    // have stopped, so that none of them swallows or re-raises it for the others.
    if (options_.stop)
      for (int i = 0; i < 100 && interrupted(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    else clear_interrupt();
    impl.note("Deleting " + what + (report.interrupted ? " (interrupted; Ctrl-C again to leave it)" : ""));
    try {
      if (own) delete_namespace_and_wait(client_, impl.ns, options_.cleanup_timeout_seconds, events_.note);
      else delete_jobs_and_wait(client_, impl.ns, applied, impl.run_id, options_.cleanup_timeout_seconds, events_.note);
      report.cleaned_up = true;
    } catch (const Interrupted&) {
      spdlog::warn("cleanup interrupted: {} left; delete with: {}", what, by_hand);
      report.interrupted = true;
    } catch (const Error& e) {
      spdlog::error("{}", e.what());
    }
    if (report.interrupted && !options_.stop) raise_interrupt();  // main() still reports 130
  } else if (created && options_.keep) {
    impl.note("Kept " + what + " (--keep); delete with: " + by_hand);
  } else if (!own) {
    report.cleaned_up = true;  // nothing was created
  }
  if (!failure.empty() && !created) throw EnvironmentError(failure);
  return report;
}

RunOptions benchmark_run_options(const std::vector<BenchmarkJobSpec>& specs) {
  if (specs.empty()) throw UsageError("no target to run on");
  RunOptions o;
  o.run_id = specs.front().run_id;
  o.namespace_name = specs.front().namespace_or_default();
  o.setup = {render_namespace(specs.front()), render_service_account(specs.front())};
  for (auto& s : specs) {
    o.jobs.push_back(render_job(s));
    RunTarget t;
    t.case_name = s.case_name;
    t.job_name = s.job_name();
    t.node = s.node;
    t.power = s.power;
    o.targets.push_back(t);
  }
  return o;
}

void delete_namespace_and_wait(kube::Client& client, const std::string& ns, double timeout_seconds,
                               const std::function<void(const std::string&)>& note) {
  auto start = Clock::now();
  try {
    if (!client.remove(kube::resources::namespaces, "", ns, "Background")) return;
  } catch (const kube::ApiError& e) {
    if (!e.conflict()) throw;  // 409: already terminating ("the system is ensuring all content is removed"): wait for it
  }
  std::optional<json> last;
  while (true) {
    last = client.get_if_exists(kube::resources::namespaces, "", ns);
    if (!last) break;
    if (Clock::now() - start > std::chrono::duration<double>(timeout_seconds)) {
      // The namespace controller's conditions name the content and finalizers left; without
      // them, the namespace's own finalizers are all there is to tell.
      std::string blocking;
      for (auto& cond : last->value("status", json::object()).value("conditions", json::array()))
        if (cond.value("status", "") == "True" && (cond.value("type", "") == "NamespaceFinalizersRemaining" ||
                                                   cond.value("type", "") == "NamespaceContentRemaining" ||
                                                   cond.value("type", "") == "NamespaceDeletionContentFailure"))
          blocking += (blocking.empty() ? "" : "; ") + cond.value("message", "");
      if (blocking.empty())
        for (auto& f : last->value("spec", json::object()).value("finalizers", json::array()))
          blocking += (blocking.empty() ? "finalizers " : ", ") + f.get<std::string>();
      throw EnvironmentError("namespace " + ns + " is still terminating after " + fixed(timeout_seconds, 0) + " s" +
                             (blocking.empty() ? "" : ", blocked by: " + blocking) +
                             " (see docs/kubernetes.md#stuck-namespace)");
    }
    sleep_unless_interrupted(std::chrono::milliseconds(250));
  }
  if (note) note("Namespace " + ns + " deleted (" + fixed(std::chrono::duration<double>(Clock::now() - start).count(), 1) + " s)");
}


void delete_jobs_and_wait(kube::Client& client, const std::string& ns, const std::vector<std::string>& jobs, const std::string& run_id,
                          double timeout_seconds, const std::function<void(const std::string&)>& note) {
  auto start = Clock::now();
  for (auto& name : jobs) client.remove(kube::resources::jobs, ns, name, "Background");
  kube::ListOptions o;
  o.label_selector = std::string(kRunIdLabel) + "=" + label_value(run_id);
  while (true) {
    auto left = client.list(kube::resources::pods, ns, o)["items"];
    if (left.empty()) break;
    if (Clock::now() - start > std::chrono::duration<double>(timeout_seconds)) {
      std::string names;
      for (auto& p : left) names += (names.empty() ? "" : ", ") + p["metadata"].value("name", "");
      throw EnvironmentError("pods of run " + run_id + " are still there after " + fixed(timeout_seconds, 0) + " s in namespace " + ns + ": " +
                             names);
    }
    sleep_unless_interrupted(std::chrono::milliseconds(250));
  }
  if (note)
    note("Jobs deleted with their pods (" + fixed(std::chrono::duration<double>(Clock::now() - start).count(), 1) + " s)");
}

}  // namespace kb::jobs
