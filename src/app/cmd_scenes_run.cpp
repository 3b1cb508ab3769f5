// `kubench scenes run --kube`: the shards of `scenes detect` as Jobs on the cluster, reading the
// videos from a volume the user names, collected from the pods' logs and merged here into the
// same scene lists as one local pass (jobs/scene_job.h).
#include <spdlog/spdlog.h>

#include <iostream>

#include "app/benchmark_job_flags.h"
#include "app/commands.h"
#include "app/kube_flags.h"
#include "app/scenes_flags.h"
#include "core/error.h"
#include "core/progress.h"
#include "core/text.h"
#include "jobs/run_targets.h"
#include "jobs/scene_job.h"
#include "kube/node_inventory.h"
#include "media/bench_runner.h"
#include "scene/scene_plan.h"

namespace kb::app {
namespace {

struct RunFlags {
  ScenesFlags scenes;
  KubeFlags kube;
  bool kube_mode = false;
  std::string volume;
  std::string shard_dir;
  int shards = 0;
  std::string job_mode = "auto";
  std::string image = default_image();
  std::string image_pull_policy = "IfNotPresent";
  std::string image_platforms;
  std::string run_id;
  std::string selector;
  bool one_per_node = false;
  std::string cpu = "1";
  std::string memory_limit = "2Gi";
  long deadline_seconds = 6 * 3600;
  bool keep = false;
  double schedule_timeout = 120;
  double cleanup_timeout = 120;
};

// Ready, schedulable nodes that match the selector and whose architecture the image has: the
// default number of shards. `left_out` gets why each other matching node cannot run the image.
int usable_nodes(kube::Client& client, const jobs::SceneJobSpec& spec, const jobs::ImagePlatforms& platforms,
                 std::vector<std::string>& left_out) {
  if (!client.can_i({"list", "", "nodes", "", ""})) return 0;
  int n = 0;
  const auto nodes = client.list(kube::resources::nodes, "");  // (not a temporary: the loop would dangle)
  for (auto& item : nodes["items"]) {
    auto node = kube::node_inventory(item);
    if (!node.ready || node.unschedulable || !jobs::matches(node, spec.node_selector)) continue;
    if (auto why = jobs::arch_exclusion(node, spec.image, platforms); !why.empty()) {
      left_out.push_back(why);
      continue;
    }
    ++n;
  }
  return n;
}

// Every shard's parts, merged per video, in the order the videos were given.
std::vector<scene::SceneList> merge_report(const jobs::RunReport& report, const RunFlags& f) {
  std::vector<scene::ShardResult> parts;
  for (auto& t : report.targets) {
    auto set = scene::shard_set_from_json(*t.result, t.case_name + " (pod " + t.pod + ")");
    for (auto& p : set) parts.push_back(std::move(p));
  }
  return scene::in_given_order(scene::merge_videos(std::move(parts)), {f.scenes.inputs.begin(), f.scenes.inputs.end()});
}

void run(RunFlags& f, GlobalOptions& global) {
  if (!f.kube_mode) throw UsageError("kubench scenes run needs --kube (on this machine: kubench scenes detect --jobs N)");
  check_output(f.scenes, f.scenes.inputs.size());
  const auto settings = settings_of(f.scenes);
  decode_of(f.scenes);
  if (f.volume.empty()) throw UsageError("--volume is required: where the videos are (hostpath:/DIR, pvc:CLAIM or nfs:SERVER:/EXPORT)");
  if (f.job_mode != "auto" && f.job_mode != "indexed" && f.job_mode != "per-shard")
    throw UsageError("--job-mode must be auto, indexed or per-shard, got '" + f.job_mode + "'");
  if (f.shards < 0) throw UsageError("--shards must be at least 1");
  scene::require_distinct_names({f.scenes.inputs.begin(), f.scenes.inputs.end()});

  jobs::SceneJobSpec spec;
  spec.run_id = f.run_id.empty() ? jobs::dns_label("scenes-" + media::new_run_id(), 40) : f.run_id;
  spec.image = f.image;
  spec.image_pull_policy = f.image_pull_policy;
  spec.volume = jobs::parse_scene_volume(f.volume);
  spec.videos = f.scenes.inputs;
  spec.shard_dir = f.shard_dir.empty() ? "kubench-scenes/" + spec.run_id : f.shard_dir;
  spec.detect_flags = shard_flags(f.scenes, settings);
  spec.one_per_node = f.one_per_node;
  spec.node_selector = jobs::parse_selector(f.selector);
  spec.cpu_request = f.cpu;
  spec.memory_limit = f.memory_limit;
  spec.active_deadline_seconds = f.deadline_seconds;
  const auto platforms = image_platforms(f.image, f.image_platforms);
  spec.architectures = platforms.architectures;
  jobs::validate(spec);

  auto client = connect(f.kube);
  const std::string server = client->config().cluster.server;
  const auto version = client->server_version();  // the reachability check: one line, exit 2
  spec.namespace_name = client->config().namespace_name.empty() ? "default" : client->config().namespace_name;
  std::vector<std::string> left_out;
  const int usable = usable_nodes(*client, spec, platforms, left_out);
  if (usable == 0 && !left_out.empty())
    throw UsageError("no Ready node can run " + spec.image + ": " + left_out.front() + " (--image-platforms, or build the image for them)");
  spec.shards = f.shards > 0 ? f.shards : std::max(1, usable);
  if (f.job_mode == "per-shard") {
    spec.mode = jobs::SceneJobMode::per_shard;
  } else {
    const bool served = jobs::indexed_jobs_served(*client, spec);
    if (!served && f.job_mode == "indexed")
      throw UsageError("the server (" + version + ") drops completionMode: Indexed (Indexed Jobs need Kubernetes 1.21+ with the feature on)"
                       "; use --job-mode per-shard or auto");
    spec.mode = served ? jobs::SceneJobMode::indexed : jobs::SceneJobMode::per_shard;
  }

  ProgressLine line;
  for (auto& why : left_out) line.finish("left out: " + why);
  line.finish("Run " + spec.run_id + " on " + server + " (" + version + "), namespace " + spec.namespace_name + ": " +
              std::to_string(spec.videos.size()) + (spec.videos.size() == 1 ? " video" : " videos") + " in " + std::to_string(spec.shards) +
              " shards, " + (spec.mode == jobs::SceneJobMode::indexed ? "one Indexed Job" : "one Job per shard") + ", volume " +
              jobs::describe(spec.volume) + "; shard results go to " + spec.shard_dir + "/ on it");
  auto options = jobs::scene_run_options(spec);
  options.keep = f.keep;
  options.schedule_timeout_seconds = f.schedule_timeout;
  options.cleanup_timeout_seconds = f.cleanup_timeout;
  jobs::RunEvents events;
  events.note = [&](const std::string& s) { line.finish(s); };
  events.status = [&](const std::string& case_name, const std::string& status) { line.finish(case_name + ": " + status); };
  if (!f.scenes.quiet) events.log = [&](const std::string& prefix, const std::string& text) { line.finish("[" + prefix + "] " + text); };

  auto report = jobs::JobRun(*client, options, events).run();
  if (report.interrupted) throw Interrupted();
  bool all = true;
  for (auto& t : report.targets)
    if (t.outcome != jobs::Outcome::succeeded) {
      all = false;
      std::fprintf(stderr, "kubench: %s%s: %s: %s\n", t.case_name.c_str(), t.node.empty() ? "" : (" on " + t.node).c_str(),
                   jobs::to_string(t.outcome).c_str(), t.message.c_str());
    }
  if (!all) {
    global.exit_code = report.exit_code();
    return;
  }
  line.clear();
  print_scene_lists(merge_report(report, f), f.scenes);
}

}  // namespace

void add_scenes_run_command(CLI::App* scenes, GlobalOptions& global) {
  auto f = std::make_shared<RunFlags>();
  auto* cmd = scenes->add_subcommand("run", "Detect scenes on the cluster: shards as Jobs on every node, merged here");
  cmd->add_flag("--kube", f->kube_mode, "Run on the cluster of the kubeconfig (required; locally: scenes detect --jobs N)");
  cmd->add_option("videos", f->scenes.inputs, "Video paths relative to the volume; several give one result each")->required();
  add_kube_flags(cmd, f->kube);
  cmd->add_option("--volume", f->volume, "Where the videos are, mounted at /data: hostpath:/DIR (same path on every node), pvc:CLAIM, nfs:SERVER:/EXPORT");
  cmd->add_option("--shards", f->shards, "Number of shards (pods) (default: the Ready nodes that match --selector)");
  cmd->add_option("--shard-dir", f->shard_dir, "Directory on the volume for the shard results (default kubench-scenes/<run-id>)");
  cmd->add_option("--job-mode", f->job_mode, "auto (one Indexed Job where the server has them, else a Job per shard), indexed, per-shard");
  cmd->add_option("--image", f->image, "Container image with kubench (default " + default_image() + ")");
  cmd->add_option("--image-pull-policy", f->image_pull_policy, "Always|IfNotPresent|Never (default IfNotPresent)");
  add_image_platforms_flag(cmd, f->image_platforms);
  cmd->add_option("--run-id", f->run_id, "Names the Jobs and labels everything (default scenes-<time>)");
  cmd->add_option("--selector", f->selector, "Only nodes with these labels: key=value[,key=value]");
  cmd->add_flag("--one-per-node", f->one_per_node, "At most one shard per node (required anti-affinity; default: preferred)");
  cmd->add_option("--cpu", f->cpu, "CPU request of each shard (default 1)");
  cmd->add_option("--memory-limit", f->memory_limit, "Memory limit of each shard (default 2Gi)");
  cmd->add_option("--deadline", f->deadline_seconds, "Seconds before a shard's Job is stopped (default 21600)");
  cmd->add_flag("--keep", f->keep, "Keep the Jobs and pods afterwards (for inspection)");
  cmd->add_option("--schedule-timeout", f->schedule_timeout, "Seconds a pod may stay unschedulable (default 120)");
  cmd->add_option("--cleanup-timeout", f->cleanup_timeout, "Seconds to wait for the pods to go (default 120)");
  cmd->add_flag("-q,--quiet", f->scenes.quiet, "Do not stream the pods' logs");
  add_detector_flags(cmd, f->scenes);
  add_scene_output_flags(cmd, f->scenes);
  cmd->footer("Examples:\n  kubench scenes run --kube --volume pvc:videos film.mkv\n"
              "  kubench scenes run --kube --volume hostpath:/srv/media --shards 6 season1/*.mkv -o csv --out-dir scenes/\n"
              "  kubench scenes run --kube --volume nfs:nas.local:/export/video -n media film.mp4 -o json\n"
              "Exit codes: 0 ok, 2 usage/environment, 3 unschedulable, 4 image pull, 6 OOMKilled, 7 deadline exceeded,\n"
              "8 container failed, 9 a shard gave no result (e.g. not a video), 130 interrupted. docs/scenes.md#kubernetes");
  cmd->callback([f, &global] {
    start_command(global);
    run(*f, global);
  });
}

}  // namespace kb::app
