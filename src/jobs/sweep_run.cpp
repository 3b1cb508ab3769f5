#include "jobs/sweep_run.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

#include "core/error.h"
#include "core/interrupt.h"
#include "core/text.h"
#include "core/utc_time.h"
#include "jobs/image_platforms.h"
#include "jobs/job_run.h"
#include "jobs/sweep_admission.h"
#include "jobs/sweep_render.h"
#include "kube/node_inventory.h"
#include "kube/rbac_preflight.h"

namespace kb::jobs {

using nlohmann::json;

namespace {

// The variants of `to_run` per context, in plan order.
std::map<std::string, std::vector<size_t>> by_context(const SweepSuite& suite, const SweepPlan& plan, const std::vector<size_t>& to_run) {
  std::map<std::string, std::vector<size_t>> out;
  for (size_t i : to_run) out[find_target(suite, plan.variants[i].target).context].push_back(i);
  return out;
}

std::string context_name(const std::string& context) { return context.empty() ? "the current context" : "context " + context; }

std::vector<json> list_items(kube::Client& client, const kube::Resource& r, const kube::ListOptions& o = {}) {
  auto list = client.list(r, "", o);
  return list["items"].get<std::vector<json>>();
}

// Nodes and the pods bound to them, kept current by watches: what admission decides on.
class ClusterState {
 public:
  ClusterState(kube::Client& client, bool pods_readable) : client_(client), pods_readable_(pods_readable) {}
  ~ClusterState() { stop(); }

  void start() {
    watch(kube::resources::nodes, nodes_, {});
    if (!pods_readable_) return;
    kube::ListOptions o;
    o.field_selector = "status.phase!=Succeeded,status.phase!=Failed";
    watch(kube::resources::pods, pods_, o);
  }
  void stop() {
    cancel_.store(true);
    for (auto& t : threads_)
      if (t.joinable()) t.join();
    threads_.clear();
  }
  bool pods_readable() const { return pods_readable_; }
  bool synced() {
    std::lock_guard lock(mutex_);
    return synced_ >= (pods_readable_ ? 2 : 1);
  }
  std::vector<json> nodes() { return values(nodes_); }
  std::vector<json> pods() { return values(pods_); }
  std::optional<json> node(const std::string& name) {
    std::lock_guard lock(mutex_);
    auto it = nodes_.find("/" + name);  // key(): nodes have no namespace
    if (it == nodes_.end()) return std::nullopt;
    return it->second;
  }
  std::string error() {
    std::lock_guard lock(mutex_);
    return error_;
  }
  // Changes with every event: admission that saw this generation need not look again.
  std::uint64_t generation() {
    std::lock_guard lock(mutex_);
    return generation_;
  }

 private:
  static std::string key(const json& o) {
    const auto& m = o["metadata"];
    return m.value("namespace", "") + "/" + m.value("name", "");
  }
  std::vector<json> values(const std::map<std::string, json>& from) {
    std::lock_guard lock(mutex_);
    std::vector<json> out;
    out.reserve(from.size());
    for (const auto& [k, v] : from) out.push_back(v);
    return out;
  }
  void watch(const kube::Resource& r, std::map<std::string, json>& into, kube::ListOptions o) {
    o.cancel = &cancel_;
    threads_.emplace_back([this, r, &into, o] {
      try {
        client_.list_watch(r, "", o, [&](const kube::WatchEvent& e) {
          std::lock_guard lock(mutex_);
          ++generation_;
          if (e.type == "SYNC") {
            into.clear();
            for (const auto& item : e.object) into[key(item)] = item;
            ++synced_;
          } else if (e.type == "DELETED") {
            into.erase(key(e.object));
          } else if (e.type != "BOOKMARK") {
            into[key(e.object)] = e.object;
          }
          return !cancel_.load();
        });
      } catch (const std::exception& e) {
        std::lock_guard lock(mutex_);
        if (!cancel_.load()) error_ = e.what();
      }
    });
  }

  kube::Client& client_;
  bool pods_readable_;
  std::mutex mutex_;
  std::map<std::string, json> nodes_, pods_;
  int synced_ = 0;
  std::uint64_t generation_ = 0;
  std::string error_;
  std::atomic<bool> cancel_{false};
  std::vector<std::thread> threads_;
};

// What a node says about its GPUs, for the variant's record.
void describe_node(const json& node, VariantRecord& r) {
  const auto inv = kube::node_inventory(node);
  r.gpu_product = inv.gpu_product();
  const auto label = [&](const char* k) { return inv.labels.count(k) ? inv.labels.at(k) : std::string(); };
  r.gpu_driver = label("nvidia.com/cuda.driver-version.full");
  if (r.gpu_driver.empty() && !label("nvidia.com/cuda.driver.major").empty())
    r.gpu_driver = label("nvidia.com/cuda.driver.major") + "." + label("nvidia.com/cuda.driver.minor") + "." + label("nvidia.com/cuda.driver.rev");
  r.sharing = label("nvidia.com/gpu.sharing-strategy");
}

// What an earlier run of this sweep left (kubench was killed): its namespace, or its Jobs in the
// user's namespace. Their pods would hold capacity the sweep needs; their results are lost anyway.
void remove_leftovers(kube::Client& client, const SweepPlacement& where, const std::function<void(const std::string&)>& note) {
  kube::ListOptions o;
  o.label_selector = std::string(kSweepLabel) + "=" + label_value(where.sweep_id);
  if (where.own_namespace) {
    const auto namespaces = client.list(kube::resources::namespaces, "", o);  // (not a temporary: the loop would dangle)
    for (const auto& ns : namespaces["items"]) {
      const auto name = ns["metadata"].value("name", "");
      if (name == where.namespace_name || !ns["metadata"].value("deletionTimestamp", "").empty()) continue;
      client.remove(kube::resources::namespaces, "", name, "Background");
      note("Deleting namespace " + name + ", left by an earlier run of this sweep");
    }
    return;
  }
  const auto jobs = client.list(kube::resources::jobs, where.namespace_name, o);
  for (const auto& job : jobs["items"]) {
    const auto labels = job["metadata"].value("labels", json::object());
    if (labels.value(kRunIdLabel, "") == label_value(where.run_id)) continue;
    client.remove(kube::resources::jobs, where.namespace_name, job["metadata"].value("name", ""), "Background");
    note("Deleting Job " + job["metadata"].value("name", "") + ", left by an earlier run of this sweep");
  }
}

int variant_index_of_case(const std::string& case_name) {
  // "v12" (variant_case)
  return static_cast<int>(parse_int(std::string_view(case_name).substr(1)).value_or(-1));
}

}  // namespace

bool retry_can_fix(const std::string& failure_class) {
  return failure_class == to_string(Outcome::container_failed) || failure_class == to_string(Outcome::deadline_exceeded) ||
         failure_class == to_string(Outcome::unschedulable);
}

namespace {

// The architectures every kubench image of the variants has (their intersection: a pod may only go
// where its own image runs); empty for a container workload, whose image kubench knows nothing of.
ImagePlatforms sweep_platforms(const SweepSuite& suite, const SweepPlan& plan, const std::vector<size_t>& to_run) {
  std::set<std::string> images;
  for (size_t i : to_run)
    if (auto image = kubench_image(suite, plan.variants[i]); !image.empty()) images.insert(image);
  ImagePlatforms out;
  bool first = true;
  for (const auto& image : images) {
    const auto platforms = image_platforms(image, "", platform_record_dir());
    if (first) out.architectures = platforms.architectures;
    else std::erase_if(out.architectures, [&](const std::string& a) { return !platforms.allows(a); });
    first = false;
  }
  return out;
}

}  // namespace

SweepPreflight preflight_sweep(const SweepSuite& suite, const std::vector<size_t>& to_run, const SweepPlan& plan,
                               std::map<std::string, SweepCluster>& clusters, const SweepRunOptions& options) {
  SweepPreflight out;
  out.platforms = sweep_platforms(suite, plan, to_run);
  // The inputs' size and every variant's Job ({{ param }}, images) are checked before anything is
  // created anywhere.
  SweepPlacement where;
  where.sweep_id = where.run_id = options.run_id;
  where.namespace_name = "preflight";
  where.architectures = out.platforms.architectures;
  render_sweep_setup(suite, where);
  for (size_t i : to_run) render_variant_job(suite, plan.variants[i], i, 1, where);
  const auto groups = by_context(suite, plan, to_run);
  for (const auto& [context, indices] : groups) {
    auto& cluster = clusters[context];
    if (!cluster.client) {
      out.unreachable[context] = cluster.error.empty() ? "no client" : cluster.error;
      continue;
    }
    try {
      out.server[context] = cluster.client->config().cluster.server + " (" + cluster.client->server_version() + ")";
    } catch (const Interrupted&) {
      throw;
    } catch (const std::exception& e) {
      out.unreachable[context] = e.what();
      continue;
    }
    // Rights: everything JobRun needs, and what a sweep adds.
    const std::string ns = options.namespace_name.empty() ? "kubench-preflight" : options.namespace_name;
    auto checks = kube::run_permissions(options.namespace_name);
    if (!suite.inputs.files.empty()) checks.push_back({"create", "", "configmaps", "", ns});
    if (suite.network_none) checks.push_back({"create", "networking.k8s.io", "networkpolicies", "", ns});
    checks.push_back({"list", "", "nodes", "", ""});
    checks.push_back({"watch", "", "nodes", "", ""});
    try {
      kube::require_permissions(*cluster.client, checks);
    } catch (const CheckFailed& e) {
      throw EnvironmentError(context_name(context) + ": " + e.what());
    }
    // A PriorityClass the suite names must exist (the API server would refuse every pod).
    std::set<std::string> classes;
    for (size_t i : indices)
      if (auto c = settings_for(suite, plan.variants[i]).priority_class; !c.empty()) classes.insert(c);
    for (const auto& c : classes)
      if (!cluster.client->get_if_exists(kube::resources::priority_classes, "", c))
        throw UsageError("priorityClassName " + c + ": the cluster has no such PriorityClass (" + context_name(context) +
                         "; kubectl get priorityclasses lists them)");
    // Every target of this context: a Ready node that matches it and has what it requests.
    const auto nodes = list_items(*cluster.client, kube::resources::nodes);
    std::set<std::string> targets;
    for (size_t i : indices) targets.insert(plan.variants[i].target);
    for (const auto& name : targets) {
      const auto& target = find_target(suite, name);
      const auto wanted = target_requests(target);
      std::string why;
      bool any = false;
      for (const auto& node : nodes) {
        const auto node_name = node["metadata"].value("name", "");
        auto mismatch = node_mismatch(node, target);
        if (mismatch.empty()) {
          mismatch = arch_mismatch(node, out.platforms);
          // A node that fits but for its architecture is named even when another node serves the target.
          if (!mismatch.empty()) out.left_out.push_back("target " + name + ": node " + node_name + " " + mismatch);
        }
        if (mismatch.empty()) {
          const auto cap = node_capacity({node}, {}).front().allocatable;
          for (const auto& [res, milli] : wanted)
            if (milli > 0 && (!cap.count(res) || cap.at(res) < milli)) {
              mismatch = "has " + (cap.count(res) ? format_quantity_milli(cap.at(res)) : std::string("no")) + " " + res + ", needs " +
                         format_quantity_milli(milli);
              break;
            }
        }
        if (mismatch.empty()) {
          any = true;
          continue;
        }
        why += (why.empty() ? "" : "; ") + node_name + ": " + mismatch;
      }
      if (!any)
        throw UsageError("target " + name + " (" + context_name(context) + "): no node can run it" +
                         (nodes.empty() ? std::string(": the cluster has no nodes") : " (" + why + ")"));
    }
  }
  if (out.unreachable.size() == groups.size() && !groups.empty()) {
    const auto& [context, cause] = *out.unreachable.begin();
    throw EnvironmentError(context_name(context) + " is unreachable: " + cause);
  }
  return out;
}

SweepOutcome run_sweep_on_kube(const SweepSuite& suite, const SweepPlan& plan, const std::vector<size_t>& to_run,
                               std::map<std::string, SweepCluster>& clusters, const SweepPreflight& preflight,
                               const SweepRunOptions& options, SweepDirectory& dir, const SweepEvents& events) {
  SweepOutcome outcome;
  std::mutex mutex;  // guards the records, counts, waiting reasons and events across contexts
  auto results = dir.read_variants();
  std::map<size_t, std::string> waiting;       // variant → why it waits now
  std::map<size_t, std::string> first_reason;  // variant → why it waited first
  std::map<size_t, double> admitted_at;       // variant → when its first attempt was admitted
  std::atomic<int> in_flight{0};
  std::mutex admission_mutex;
  std::atomic<bool> stop{false};
  const double start = epoch_seconds();
  const size_t total = to_run.size();
  size_t finished = 0;

  const auto record = [&](VariantRecord r) {
    std::lock_guard lock(mutex);
    dir.write_variant(r);
    if (events.metrics) events.metrics->finished(r.target, r.failure_class, r.duration_s);
    (r.status == "succeeded" ? outcome.succeeded : outcome.failed)++;
    ++finished;
    results[r.index] = r;
    if (events.variant_done) events.variant_done(r);
  };
  const auto live = [&] {  // under mutex
    if (events.metrics) {
      events.metrics->set_in_flight(in_flight.load());
      events.metrics->set_waiting(static_cast<int>(waiting.size()));
    }
    if (!events.live) return;
    std::map<std::string, int> reasons;
    for (const auto& [i, why] : waiting) reasons[why]++;
    std::string text = "sweep " + plan.name + ": " + std::to_string(finished) + "/" + std::to_string(total) + " done (" +
                       std::to_string(outcome.failed) + " failed), " + std::to_string(in_flight.load()) + " in flight, " +
                       std::to_string(waiting.size()) + " waiting";
    // Why, for every waiting variant: the reasons are per target, so there are few.
    std::string why;
    for (const auto& [reason, n] : reasons) why += (why.empty() ? "" : "; ") + reason + (reasons.size() > 1 ? " ×" + std::to_string(n) : "");
    if (!why.empty()) text += " (" + why + ")";
    events.live(text);
  };

  // Variants of an unreachable context fail with the cause; the rest run.
  const auto groups = by_context(suite, plan, to_run);
  for (const auto& [context, cause] : preflight.unreachable)
    for (size_t i : groups.at(context)) {
      const auto& v = plan.variants[i];
      VariantRecord r;
      r.index = i, r.id = v.id, r.target = v.target, r.params = v.params, r.repeat = v.repeat, r.context = context;
      r.status = "failed";
      r.failure_class = "unreachable";
      r.message = context_name(context) + " is unreachable: " + cause;
      r.attempts = 0;
      record(std::move(r));
    }

  struct ContextRun {
    std::string context;
    std::vector<size_t> variants;
    std::unique_ptr<ClusterState> state;
    RunReport report;
    std::string error;
    std::map<std::string, size_t> job_variant;  // Job name → variant
    std::set<size_t> admitted;                  // created and not finished
    bool done = false;
  };
  std::vector<std::unique_ptr<ContextRun>> runs;
  for (const auto& [context, indices] : groups) {
    if (preflight.unreachable.count(context)) continue;
    auto run = std::make_unique<ContextRun>();
    run->context = context;
    run->variants = indices;
    runs.push_back(std::move(run));
  }

  const auto ev_note = [&](const ContextRun& cr) {
    return [&, prefix = runs.size() > 1 ? context_name(cr.context) + ": " : std::string()](const std::string& s) {
      if (events.note) events.note(prefix + s);
    };
  };
  const auto run_context = [&](ContextRun& cr) {
    auto& client = *clusters.at(cr.context).client;
    SweepPlacement where;
    where.sweep_id = plan.sweep_id;
    where.run_id = options.run_id;
    where.own_namespace = options.namespace_name.empty();
    where.namespace_name = where.own_namespace ? dns_label("kubench-sweep-" + options.run_id) : options.namespace_name;
    where.ttl_seconds = options.ttl_seconds;
    where.architectures = preflight.platforms.architectures;

    try {
      remove_leftovers(client, where, ev_note(cr));
    } catch (const kube::ApiError& e) {
      spdlog::debug("cannot look for an earlier run's objects: {}", e.what());
    }
    const bool pods_readable = client.can_i({"list", "", "pods", "", ""}) && client.can_i({"watch", "", "pods", "", ""});
    if (!pods_readable)
      spdlog::warn("{}: cannot list pods in every namespace: admission counts only --max-parallel, not free capacity", context_name(cr.context));
    cr.state = std::make_unique<ClusterState>(client, pods_readable);
    cr.state->start();
    while (!cr.state->synced() && cr.state->error().empty() && !interrupted() && !stop.load())
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (!cr.state->error().empty()) throw EnvironmentError(context_name(cr.context) + ": " + cr.state->error());

    RunOptions o;
    o.run_id = options.run_id;
    o.namespace_name = where.namespace_name;
    o.own_namespace = where.own_namespace;
    o.setup = render_sweep_setup(suite, where);
    o.keep = options.keep;
    o.schedule_timeout_seconds = options.schedule_timeout_seconds;
    o.cleanup_timeout_seconds = options.cleanup_timeout_seconds;
    o.follow_logs = options.follow_logs;
    o.stop = &stop;
    o.max_parallel = options.max_parallel > 0 ? options.max_parallel : 1 << 30;
    if (suite.workload_kind == "container") {
      o.result_from_last_json_line = true;
      o.require_zero_exit = true;
      o.result_ok = [](const json&) { return true; };
    }
    std::map<size_t, ResourceList> requests;
    for (size_t i : cr.variants) {
      auto vj = render_variant_job(suite, plan.variants[i], i, 1, where);
      cr.job_variant[vj.job["metadata"]["name"].get<std::string>()] = i;
      requests[i] = pod_requests(vj.job["spec"]["template"]["spec"]);
      RunTarget t;
      t.case_name = vj.case_label;
      t.job_name = vj.job["metadata"]["name"].get<std::string>();
      t.result_container = vj.result_container;
      t.power = vj.power;
      o.targets.push_back(t);
      o.jobs.push_back(std::move(vj.job));
    }

    // The plan only changes when the cluster, the sweep's own count or the queue does.
    std::tuple<std::uint64_t, int, size_t> last_seen{~std::uint64_t{0}, -1, 0};
    o.admit = [&, requests, last_seen](const std::vector<const json*>& pending, int) mutable -> std::vector<size_t> {
      // A watch that died leaves a frozen picture of the cluster: variants would wait forever.
      if (auto dead = cr.state->error(); !dead.empty()) throw EnvironmentError(context_name(cr.context) + ": watching the cluster failed: " + dead);
      // One context at a time, from reading the in-flight count to raising it: --max-parallel
      // holds across contexts.
      std::lock_guard admitting(admission_mutex);
      const std::tuple<std::uint64_t, int, size_t> now_seen{cr.state->generation(), in_flight.load(), pending.size()};
      if (now_seen == last_seen) return {};
      last_seen = now_seen;
      AdmissionInput in;
      const auto nodes = cr.state->nodes();
      const auto pods = cr.state->pods();
      in.capacity_known = cr.state->pods_readable();
      in.nodes = node_capacity(nodes, pods);
      std::set<std::string> targets;
      for (size_t i : cr.variants) targets.insert(plan.variants[i].target);
      for (const auto& name : targets) {
        auto& eligible = in.target_nodes[name];
        for (const auto& n : nodes)
          if (node_mismatch(n, find_target(suite, name)).empty() && arch_mismatch(n, preflight.platforms).empty())
            eligible.push_back(n["metadata"].value("name", ""));
      }
      // The sweep's own pods that hold no node yet.
      std::set<std::string> bound;
      for (const auto& p : pods) {
        const auto labels = p["metadata"].value("labels", json::object());
        if (labels.value(kRunIdLabel, "") == label_value(options.run_id) && !p["spec"].value("nodeName", "").empty())
          bound.insert(labels.value(kCaseLabel, ""));
      }
      {
        std::lock_guard lock(mutex);
        for (size_t i : cr.admitted)
          if (!bound.count(variant_case(i))) in.unbound.emplace_back(plan.variants[i].target, requests.at(i));
      }
      in.in_flight = in_flight.load();
      in.max_parallel = options.max_parallel;
      std::vector<PendingVariant> asked;
      for (size_t k = 0; k < pending.size(); ++k) {
        const size_t i = cr.job_variant.at((*pending[k])["metadata"]["name"].get<std::string>());
        asked.push_back({k, plan.variants[i].target, settings_for(suite, plan.variants[i]).priority, requests.at(i)});
      }
      auto decided = plan_admission(in, asked);
      std::lock_guard lock(mutex);
      const double now = epoch_seconds();
      for (size_t k : decided.admit) {
        const auto& job = *pending[k];
        const size_t i = cr.job_variant.at(job["metadata"]["name"].get<std::string>());
        cr.admitted.insert(i);
        waiting.erase(i);
        admitted_at.emplace(i, now);
        ++in_flight;
        if (events.metrics) events.metrics->created(plan.variants[i].target);
        const auto attempt = parse_int(job["metadata"]["annotations"].value(kAttemptAnnotation, "1")).value_or(1);
        if (events.started) events.started(i, static_cast<int>(attempt));
      }
      for (const auto& [k, why] : decided.waiting) {
        const size_t i = cr.job_variant.at((*pending[k])["metadata"]["name"].get<std::string>());
        if ((!waiting.count(i) || waiting[i] != why) && events.waiting) events.waiting(i, why);
        waiting[i] = why;
        first_reason.emplace(i, why);
      }
      live();
      return decided.admit;
    };
    o.retry = [&](const TargetResult& failed) -> std::optional<json> {
      const size_t i = static_cast<size_t>(variant_index_of_case(failed.case_name));
      const auto settings = settings_for(suite, plan.variants[i]);
      // A final failure leaves the count to `finished`; a retry waits for admission again.
      if (!retry_can_fix(to_string(failed.outcome)) || failed.attempts > settings.retries) return std::nullopt;
      {
        std::lock_guard lock(mutex);
        cr.admitted.erase(i);
        --in_flight;
      }
      auto vj = render_variant_job(suite, plan.variants[i], i, failed.attempts + 1, where);
      if (events.metrics) events.metrics->retried(plan.variants[i].target, to_string(failed.outcome));
      if (events.retrying) events.retrying(i, failed.attempts, to_string(failed.outcome), failed.message);
      std::lock_guard lock(mutex);
      cr.job_variant[vj.job["metadata"]["name"].get<std::string>()] = i;
      return vj.job;
    };
    RunEvents ev;
    ev.note = ev_note(cr);
    ev.target_note = [&](const std::string& case_name, const std::string& s) {
      const int i = variant_index_of_case(case_name);
      spdlog::info("{}: {}", i >= 0 ? plan.variants[static_cast<size_t>(i)].id : case_name, s);
    };
    ev.finished = [&](const TargetResult& t) {
      const size_t i = static_cast<size_t>(variant_index_of_case(t.case_name));
      const auto& v = plan.variants[i];
      VariantRecord r;
      r.index = i, r.id = v.id, r.target = v.target, r.params = v.params, r.repeat = v.repeat, r.context = cr.context;
      r.node = t.node;
      if (!t.node.empty())
        if (auto node = cr.state->node(t.node)) describe_node(*node, r);
      r.status = t.outcome == Outcome::succeeded ? "succeeded" : "failed";
      r.failure_class = t.outcome == Outcome::succeeded ? "" : to_string(t.outcome);
      r.message = t.message;
      r.attempts = t.attempts;
      r.started = t.started_at;
      r.finished = t.ended_at;
      r.duration_s = t.finished_at > t.created_at && t.created_at > 0 ? t.finished_at - t.created_at : 0;
      if (t.result) {
        r.result = *t.result;
        r.metrics = sweep_metrics(*t.result);
      }
      r.log = t.last_log_lines;
      {
        std::lock_guard lock(mutex);
        cr.admitted.erase(i);
        --in_flight;
        if (auto it = first_reason.find(i); it != first_reason.end()) r.wait_reason = it->second;
        if (auto it = admitted_at.find(i); it != admitted_at.end()) r.queued_s = it->second - start;
      }
      record(std::move(r));
    };
    cr.report = JobRun(client, o, ev).run();
    // A run that failed after it started (a Job refused by a quota or webhook, a watch that died)
    // says why in the targets it could not finish; they stay without a record (--resume runs them).
    if (!cr.report.interrupted) {
      std::string cause;
      int unfinished = 0;
      for (const auto& t : cr.report.targets) {
        const int i = variant_index_of_case(t.case_name);
        std::lock_guard lock(mutex);
        if (i >= 0 && !results.count(static_cast<size_t>(i))) ++unfinished, cause = t.message;
      }
      if (unfinished > 0) cr.error = std::to_string(unfinished) + " variants did not finish: " + cause;
    }
  };

  std::vector<std::thread> threads;
  for (auto& cr : runs)
    threads.emplace_back([&, run = cr.get()] {
      try {
        run_context(*run);
      } catch (const Interrupted&) {
      } catch (const std::exception& e) {
        run->error = e.what();
      }
      if (run->state) run->state->stop();
      std::lock_guard lock(mutex);
      run->done = true;
      if (run->report.interrupted) stop.store(true);
    });
  // One Ctrl-C stops every context's run (each one cleans up after itself).
  bool user_interrupted = false;
  for (;;) {
    bool all = true;
    {
      std::lock_guard lock(mutex);
      for (auto& cr : runs) all = all && cr->done;
    }
    if (all) break;
    // The first Ctrl-C stops every run; cleared so that they can clean up, and a second one
    // (left set) abandons the cleanup.
    if (!stop.load() && interrupted()) {
      stop.store(true);
      user_interrupted = true;
      clear_interrupt();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (auto& t : threads) t.join();

  outcome.interrupted = user_interrupted || stop.load() || interrupted();
  for (auto& cr : runs) {
    outcome.api_requests += clusters.at(cr->context).client->transport().stats().requests;
    if (!cr->error.empty()) {
      if (runs.size() == 1 && cr->report.targets.empty()) throw EnvironmentError(cr->error);
      spdlog::error("{}: {}", context_name(cr->context), cr->error);
    }
  }
  {
    std::lock_guard lock(mutex);
    dir.write_summary(plan, results);
  }
  return outcome;
}

}  // namespace kb::jobs
