#include "encode/kube_run.h"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/error.h"
#include "core/interrupt.h"
#include "core/progress.h"
#include "core/text.h"
#include "encode/kube_objects.h"
#include "encode/part_producer.h"
#include "encode/pod_stages.h"
#include "encode/stage_clock.h"
#include "jobs/benchmark_spec.h"
#include "kube/node_inventory.h"
#include "kube/pod_resources.h"
#include "media/bench_runner.h"
#include "queue/ids.h"
#include "queue/kube_scale_target.h"

namespace kb::encode {

using nlohmann::json;

namespace {

kube::ListOptions with_labels(const std::string& selector) {
  kube::ListOptions o;
  o.label_selector = selector;
  return o;
}

std::string in_volume(const std::filesystem::path& relative) { return (std::filesystem::path(jobs::kSceneVolumeMount) / relative).string(); }

// The nodes as they are now: free CPU and GPU units (allocatable minus what bound pods request).
std::vector<route::NodeNow> nodes_now(kube::Client& client, const std::vector<kube::NodeInventory>& wanted) {
  const auto nodes = client.list(kube::resources::nodes, "");
  const auto pods = client.list(kube::resources::pods, "");
  std::vector<json> node_items(nodes["items"].begin(), nodes["items"].end()), pod_items(pods["items"].begin(), pods["items"].end());
  std::vector<route::NodeNow> out;
  for (auto& c : kube::node_capacity(node_items, pod_items)) {
    auto it = std::find_if(wanted.begin(), wanted.end(), [&](const kube::NodeInventory& n) { return n.name == c.name; });
    if (it == wanted.end()) continue;
    route::NodeNow n;
    n.name = c.name;
    n.ready = it->ready;
    n.schedulable = !it->unschedulable;
    for (auto& [resource, milli] : c.allocatable) {
      if (resource != "cpu" && !kube::is_gpu_resource(resource)) continue;
      const auto used = c.requested.count(resource) ? c.requested.at(resource) : 0;
      // CPU in millicores; GPU resources in whole units.
      n.free[resource] = resource == "cpu" ? milli - used : (milli - used) / 1000;
    }
    out.push_back(std::move(n));
  }
  return out;
}

// A stage pod's answer: its document, or the error it framed (rethrown with its exit code), or the
// run's own failure.
json stage_result(const jobs::RunReport& report, const std::string& stage) {
  if (report.interrupted) throw Interrupted();
  const auto& t = report.targets.at(0);
  if (t.result && t.result->value("kind", "") == "kubench/encode-error/v1")
    throw Error("the " + stage + " pod: " + t.result->value("message", "failed"), t.result->value("exit_code", 1));
  if (t.outcome != jobs::Outcome::succeeded || !t.result)
    throw Error("the " + stage + " Job" + (t.node.empty() ? "" : " on " + t.node) + ": " + jobs::to_string(t.outcome) + ": " + t.message,
                jobs::exit_code(t.outcome));
  return *t.result;
}

json run_stage(kube::Client& client, jobs::RunOptions options, const std::string& stage, const KubeEncodeRequest& r,
               const EncodeEvents& events) {
  options.keep = r.keep;
  options.schedule_timeout_seconds = r.probe.schedule_timeout;
  options.cleanup_timeout_seconds = r.cleanup_timeout;
  jobs::RunEvents run_events;
  run_events.note = events.note;
  run_events.status = [&](const std::string&, const std::string& status) {
    if (events.progress) events.progress(stage + ": " + status);
  };
  return stage_result(jobs::JobRun(client, std::move(options), run_events).run(), stage);
}

std::string worker_token() {
  char text[33];
  std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(queue::random_key()),
                static_cast<unsigned long long>(queue::random_key()));
  return text;
}

// The broker, its workers and their Secret: created, and deleted with their pods however the run ends.
class BrokerAndWorkers {
 public:
  BrokerAndWorkers(kube::Client& client, const KubeEncodeSpec& spec, const KubeEncodeRequest& r) : client_(client), spec_(spec), r_(r) {}
  ~BrokerAndWorkers() {
    try {
      remove();
    } catch (const std::exception&) {
      // The run's error matters more; the objects carry the run id for a manual cleanup.
    }
  }
  void create_broker() {
    for (auto& o : render_broker(spec_, worker_token())) apply(o);
  }
  // The workers, pointed at the broker's pod; applied again when a restarted broker has a new
  // address (the Deployments roll: whatever the old workers held, the new broker lost anyway).
  // False while no ready broker pod is listed yet.
  bool point_workers_at_broker(const EncodeEvents& events) {
    const auto address = broker_ip();
    if (address.empty()) return false;
    if (address == spec_.broker_address) return true;
    if (!spec_.broker_address.empty() && events.note) events.note("the queue broker restarted (now " + address + "): workers follow it");
    spec_.broker_address = address;
    auto workers = render_workers(spec_);
    for (size_t i = 0; i < workers.size(); ++i) {
      if (dropped_.count(spec_.workers[i].node)) workers[i]["spec"]["replicas"] = 0;
      apply(workers[i]);
    }
    return true;
  }
  void stop_node(const std::string& node) {
    dropped_.insert(node);
    for (size_t i = 0; i < spec_.workers.size(); ++i)
      if (spec_.workers[i].node == node) client_.scale(kube::resources::deployments, spec_.namespace_name, worker_name(spec_, i), 0);
  }
  // Deletes everything and waits for the pods to go (a worker still writing a part would hold the
  // work directory the join needs).
  void remove() {
    if (removed_ || r_.keep) return;
    removed_ = true;
    // After Ctrl-C the cleanup still runs (a second Ctrl-C stops it); main() then reports 130.
    const bool was_interrupted = interrupted();
    if (was_interrupted) clear_interrupt();
    try {
      delete_all();
    } catch (...) {
      if (was_interrupted) raise_interrupt();
      throw;
    }
    if (was_interrupted) raise_interrupt();
  }
  // The IP of the broker's ready pod, "" when none is.
  std::string broker_ip() {
    const auto pods = client_.list(kube::resources::pods, spec_.namespace_name,
                                   with_labels(run_selector(spec_) + "," + jobs::kComponentLabel + "=encode-broker"));
    for (auto& pod : pods["items"]) {
      if (pod["metadata"].contains("deletionTimestamp")) continue;
      const auto status = pod.value("status", json::object());
      for (auto& c : status.value("conditions", json::array()))
        if (c.value("type", "") == "Ready" && c.value("status", "") == "True") return status.value("podIP", "");
    }
    return "";
  }
  // Why the workers (or the broker) cannot run, when they cannot; "" while waiting may help.
  std::string hopeless() {
    const auto pods = client_.list(kube::resources::pods, spec_.namespace_name, with_labels(run_selector(spec_)));
    bool fatal = false;
    auto why = queue::pods_not_running_reason(pods["items"], &fatal);
    return fatal ? why : "";
  }
  std::string pending_reason() {
    const auto pods = client_.list(kube::resources::pods, spec_.namespace_name, with_labels(run_selector(spec_)));
    return queue::pods_not_running_reason(pods["items"]);
  }

 private:
  void delete_all() {
    const auto& ns = spec_.namespace_name;
    for (size_t i = 0; i < spec_.workers.size(); ++i) client_.remove(kube::resources::deployments, ns, worker_name(spec_, i));
    client_.remove(kube::resources::deployments, ns, broker_name(spec_));
    client_.remove(kube::resources::services, ns, broker_name(spec_));
    client_.remove(kube::resources::secrets, ns, token_secret_name(spec_));
    const auto selector = run_selector(spec_) + "," + jobs::kComponentLabel + " in (encode-worker,encode-broker)";
    const auto deadline = StageClock::now() + std::chrono::milliseconds(static_cast<long>(r_.cleanup_timeout * 1000));
    for (;;) {
      const auto pods = client_.list(kube::resources::pods, ns, with_labels(selector));
      if (pods["items"].empty()) return;
      if (StageClock::now() > deadline)
        throw EnvironmentError(std::to_string(pods["items"].size()) + " pods of run " + spec_.run_id + " still there after " +
                               fixed(r_.cleanup_timeout, 0) + " s (kubectl get pods -l " + run_selector(spec_) + ")");
      sleep_unless_interrupted(std::chrono::milliseconds(500));
    }
  }
  void apply(const json& object) {
    const std::string kind = object["kind"];
    const auto& resource = kind == "Deployment" ? kube::resources::deployments : kind == "Service" ? kube::resources::services : kube::resources::secrets;
    client_.apply(resource, spec_.namespace_name, object);
  }
  kube::Client& client_;
  KubeEncodeSpec spec_;
  const KubeEncodeRequest& r_;
  bool removed_ = false;
  std::set<std::string> dropped_;
};

// One exchange per part through the API server's service proxy; answers collected for the main loop.
class BrokerLink {
 public:
  BrokerLink(kube::Client& client, const KubeEncodeSpec& spec)
      : client_(client),
        base_("/api/v1/namespaces/" + spec.namespace_name + "/services/" + broker_name(spec) + ":http/proxy") {}
  ~BrokerLink() { stop(); }

  void submit(int index) {
    std::lock_guard guard(mu_);
    threads_.emplace_back([this, index] {
      kube::Request req;
      req.method = "POST";
      req.path = base_ + "/v1/queues/" + kEncodeQueue + "/items";
      req.body = json{{"payload", {{"args", {std::to_string(index)}}}}, {"timeout_ms", 3600000}}.dump();
      req.cancel = &stop_;
      std::string body;
      long status = 0;
      try {
        auto response = client_.transport().stream(req, [&](std::string_view data) {
          body.append(data);
          return true;
        });
        status = response.status;
        if (body.empty()) body = response.body;
      } catch (const std::exception& e) {
        body = e.what();
      }
      std::lock_guard lock(mu_);
      answers_.emplace_back(index, parse_part_answer(status, body, index));
      cv_.notify_all();
    });
  }
  // Answers that arrived, waiting up to `wait` for the first.
  std::vector<std::pair<int, PartAnswer>> collect(std::chrono::milliseconds wait) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, wait, [&] { return !answers_.empty(); });
    std::vector<std::pair<int, PartAnswer>> out;
    out.swap(answers_);
    return out;
  }
  bool ready() {
    kube::Request req;
    req.path = base_ + "/readyz";
    req.cancel = &stop_;
    try {
      return client_.transport().stream(req, [](std::string_view) { return true; }).status == 200;
    } catch (const std::exception&) {
      return false;
    }
  }
  void stop() {
    stop_ = true;
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mu_);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
  }

 private:
  kube::Client& client_;
  std::string base_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::thread> threads_;
  std::vector<std::pair<int, PartAnswer>> answers_;
};

// Waits for the broker to answer /readyz, then points the workers at it; EnvironmentError when
// its pods cannot run or it stays down past the timeout.
void wait_for_broker(BrokerLink& link, BrokerAndWorkers& objects, double timeout_s, const EncodeEvents& events) {
  const auto deadline = StageClock::now() + std::chrono::milliseconds(static_cast<long>(timeout_s * 1000));
  for (;;) {
    if (link.ready() && objects.point_workers_at_broker(events)) return;
    if (interrupted()) throw Interrupted();
    if (auto why = objects.hopeless(); !why.empty()) throw EnvironmentError("the encode's pods cannot run: " + why);
    if (StageClock::now() > deadline) {
      auto why = objects.pending_reason();
      throw EnvironmentError("the queue broker did not get ready within " + fixed(timeout_s, 0) + " s" + (why.empty() ? "" : ": " + why));
    }
    if (events.progress) events.progress("waiting for the queue broker");
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

std::string progress_text(const PartProducer& producer, size_t total, std::int64_t frames_done, std::int64_t frames_total, double elapsed,
                          const std::map<std::string, int>& per_node) {
  const double fps = elapsed > 0 ? static_cast<double>(frames_done) / elapsed : 0;
  std::string text = "parts " + std::to_string(producer.done_count()) + "/" + std::to_string(total) + " · " + fixed(fps, 1) + " fps";
  if (fps > 0 && frames_done < frames_total) text += " · ETA " + format_duration(static_cast<double>(frames_total - frames_done) / fps);
  for (auto& [node, n] : per_node) text += " · " + node + " " + std::to_string(n);
  return text;
}

}  // namespace

json run_encode_on_kube(kube::Client& client, const KubeEncodeRequest& r, const EncodeEvents& events) {
  const auto started = StageClock::now();
  jobs::check_volume_path(r.encode.input.string(), "the input");
  jobs::check_volume_path(r.encode.output.string(), "the output");
  const auto work_relative = r.encode.work_dir.empty() ? std::filesystem::path(r.encode.output.string() + ".kubench-work") : r.encode.work_dir;
  jobs::check_volume_path(work_relative.string(), "--work-dir");
  if (r.cpu_per_part < 0) throw UsageError("--cpu-per-part must be positive");
  EncodeRequest pod = r.encode;
  pod.input = in_volume(r.encode.input);
  pod.output = in_volume(r.encode.output);
  pod.work_dir = in_volume(work_relative);
  pod.auto_backend = false;
  pod.capabilities.clear();

  KubeEncodeSpec spec;
  spec.run_id = r.run_id.empty() ? jobs::dns_label("encode-" + media::new_run_id(), 40) : r.run_id;
  spec.namespace_name = client.config().namespace_name.empty() ? "default" : client.config().namespace_name;
  spec.image = r.probe.image;
  spec.image_pull_policy = r.probe.image_pull_policy;
  spec.architectures = r.probe.platforms.architectures;
  spec.volume = r.volume;
  spec.work_dir = pod.work_dir.string();
  spec.lease_seconds = r.lease_seconds;
  spec.cpu_milli_per_part = static_cast<int>((r.cpu_per_part > 0 ? r.cpu_per_part : std::max(1, r.encode.quality.threads)) * 1000);

  // 1. What each node can do, and the family: routed at 1080p before the source is read (the
  // prepare Job needs the family: every part's settings hash it), then again at the source's size.
  ClusterProbeEvents probe_events;
  probe_events.note = events.note;
  auto caps = cluster_capabilities(client, spec.namespace_name, r.probe, probe_events);
  route::EncodeTask task;
  task.codec = r.encode.codec;
  task.threads_per_part = std::max(1, r.encode.quality.threads);
  task.cpu_milli_per_part = spec.cpu_milli_per_part;
  auto policy = r.policy;
  if (!r.auto_backend) policy.pin_encoders = {probe::encoder_name(r.encode.backend, r.encode.codec).value_or("")};
  auto first = route::route_encode(caps.matrix, nodes_now(client, caps.nodes), task, policy);
  // Mixed: the plan names the fastest class's family; every worker class encodes with its own.
  pod.backend = first.workers.at(0).backend;
  pod.allow_mixed = policy.allow_mixed;
  const auto encoder = probe::encoder_name(pod.backend, pod.codec).value_or("");
  if (!policy.allow_mixed) policy.pin_encoders = {encoder};

  // 2. The plan, made on the cluster.
  spec.request = request_to_json(pod);
  if (events.note) events.note("run " + spec.run_id + " in namespace " + spec.namespace_name + ": planning " + r.encode.input.string() + " with " + encoder);
  const json plan = run_stage(client, prepare_run_options(spec), "prepare", r, events);
  const auto& source = plan.at("source");
  task.width = source.at("width").get<int>();
  task.height = source.at("height").get<int>();
  auto routed = route::route_encode(caps.matrix, nodes_now(client, caps.nodes), task, policy);
  spec.workers = routed.workers;
  // The join decodes the whole output: the routed node with the most CPU free.
  spec.join_node = routed.workers.at(0).node;
  if (r.encode.dry_run) return {{"kind", "kubench/encode-plan/v1"}, {"plan", plan}, {"route", route::explain(routed)}, {"run_id", spec.run_id}};

  // 3. Broker and workers; every part submitted until done.
  std::vector<int> order;
  std::map<int, std::int64_t> frames_of;
  std::int64_t frames_total = 0;
  for (auto& p : plan.at("parts")) {
    order.push_back(p.at("index").get<int>());
    frames_of[order.back()] = p.at("frames").get<std::int64_t>();
    frames_total += frames_of[order.back()];
  }
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return frames_of[a] > frames_of[b]; });
  std::vector<std::string> nodes;
  int slots = 0;
  for (auto& w : spec.workers) {
    nodes.push_back(w.node);
    slots += w.slots;
  }
  if (events.note) events.note(route::explain(routed));
  BrokerAndWorkers objects(client, spec, r);
  objects.create_broker();
  PartProducer producer(order, r.encode.attempts, nodes);
  std::map<int, bool> reused;
  std::map<std::string, int> per_node;
  std::int64_t frames_done = 0;
  const auto encode_started = StageClock::now();
  {
    BrokerLink link(client, spec);
    wait_for_broker(link, objects, r.probe.schedule_timeout, events);
    // One more in flight than there are slots: a worker that finishes finds the next part waiting.
    const size_t in_flight = static_cast<size_t>(slots) + 1;
    auto last_check = StageClock::now();
    while (!producer.finished()) {
      if (interrupted()) throw Interrupted();
      while (producer.in_flight() < in_flight)
        if (auto next = producer.take()) link.submit(*next);
        else break;
      bool lost = false;
      for (auto& [index, answer] : link.collect(std::chrono::milliseconds(500))) {
        if (answer.kind == PartAnswer::Kind::done) {
          frames_done += frames_of[index];
          reused[index] = answer.reused;
          ++per_node[answer.record->node];
        }
        lost |= answer.kind == PartAnswer::Kind::lost;
        auto decision = producer.answer(index, answer);
        if (!decision.note.empty() && events.note) events.note(decision.note);
        if (!decision.drop_node.empty()) objects.stop_node(decision.drop_node);
        if (!decision.failure.empty()) throw CheckFailed(decision.failure + " (work directory kept: " + spec.work_dir + " on the volume)");
      }
      if (lost) wait_for_broker(link, objects, r.probe.schedule_timeout, events);
      if (StageClock::now() - last_check > std::chrono::seconds(3)) {
        last_check = StageClock::now();
        if (auto why = objects.hopeless(); !why.empty()) throw EnvironmentError("the encode's pods cannot run: " + why);
      }
      if (events.progress)
        events.progress(progress_text(producer, order.size(), frames_done, frames_total, seconds_since(encode_started), per_node));
    }
  }
  const double encode_s = seconds_since(encode_started);
  if (events.progress) events.progress("all " + std::to_string(order.size()) + " parts done: stopping the workers");
  objects.remove();

  // 4. Join and verify on the cluster.
  auto report = run_stage(client, join_run_options(spec), "join", r, events);
  int reused_count = 0;
  for (auto& p : report["parts"]) {
    const bool was = reused[p.at("index").get<int>()];
    p["reused"] = was;
    reused_count += was;
  }
  report["reused_parts"] = reused_count;
  report["timings"]["encode_s"] = encode_s;
  report["timings"]["total_s"] = seconds_since(started);
  report["fps"] = static_cast<double>(report["source"]["frames"].get<std::int64_t>()) / std::max(1e-9, seconds_since(started));
  report["run_id"] = spec.run_id;
  report["route"] = route::explain(routed);
  report["workers"] = json::array();
  for (auto& w : spec.workers) report["workers"].push_back({{"node", w.node}, {"encoder", w.encoder}, {"slots", w.slots}, {"parts", per_node[w.node]}});
  return report;
}

}  // namespace kb::encode
