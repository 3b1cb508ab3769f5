// `kubench scenes detect | merge`: scene detection with PySceneDetect's detectors, one pass, one
// shard (--shard I/N), or N local shard processes merged (--jobs N) — all with the same answer
// (docs/scenes.md) — for one video or a list of them (one result per video). Flags →
// scene::plan_shards / detect_shard / merge_videos → the chosen format. `scenes run --kube` is
// in cmd_scenes_run.cpp.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <iostream>

#include "app/commands.h"
#include "app/scenes_flags.h"
#include "core/error.h"
#include "core/files.h"
#include "core/process.h"
#include "core/progress.h"
#include "core/text.h"
#include "media/result_frame.h"
#include "scene/scene_plan.h"

namespace kb::app {
namespace {

struct DetectFlags {
  ScenesFlags scenes;
  std::string shard;
  std::string shard_out;
  bool result_frame = false;
  int jobs = 1;
};

std::vector<std::filesystem::path> video_paths(const ScenesFlags& f) { return {f.inputs.begin(), f.inputs.end()}; }

// This shard's parts of the plan, decoded one after the other.
std::vector<scene::ShardResult> detect_planned_shard(const ScenesFlags& f, const scene::DetectorSettings& s, const scene::ShardSpec& shard,
                                                     ProgressLine& line) {
  const auto videos = video_paths(f);
  const auto plan = scene::plan_shards(scene::video_sizes(videos), shard.count);
  std::vector<scene::ShardResult> results;
  for (auto& part : plan.shards[static_cast<size_t>(shard.index)]) {
    const auto& video = videos[static_cast<size_t>(part.video)];
    const std::string who = videos.size() > 1 ? video.filename().string() + " part " + std::to_string(part.part.index) + "/" +
                                                    std::to_string(part.part.count) + ": "
                                              : "";
    results.push_back(scene::detect_shard(video, part.part, s, decode_of(f), [&](std::int64_t frame) {
      if (!f.quiet) line.update(who + "frame " + std::to_string(frame));
    }));
  }
  return results;
}

void write_shard_results(const DetectFlags& f, const std::vector<scene::ShardResult>& results) {
  if (!names_directory(f.shard_out, f.scenes.inputs.size())) {
    write_file_atomic(f.shard_out, to_json(results.front()).dump() + "\n");
    return;
  }
  ensure_writable_dir(f.shard_out);
  for (auto& r : results)
    write_file_atomic(std::filesystem::path(f.shard_out) / scene::part_file_name(r.video.name, r.shard), to_json(r).dump() + "\n");
}

// N shard processes, in parallel, then the merge of every video. Each is this process forked
// (what `scenes detect --shard I/N --shard-out DIR/` would do, without starting the program
// again): this process has no other thread yet.
std::vector<scene::SceneList> detect_local_parallel(const DetectFlags& f, const scene::DetectorSettings& s) {
  TempDirectory work("kubench-scenes");
  std::vector<std::unique_ptr<ChildProcess>> children;
  for (int i = 0; i < f.jobs; ++i) {
    ProcessSpec spec;
    spec.argv = {"kubench scenes detect --shard " + std::to_string(i) + "/" + std::to_string(f.jobs)};
    spec.function = [&f, &s, &work, i] {
      try {
        DetectFlags shard = f;
        shard.scenes.quiet = true;
        shard.shard_out = work.path().string() + "/";
        ProgressLine line;
        write_shard_results(shard, detect_planned_shard(shard.scenes, s, {i, f.jobs}, line));
        return 0;
      } catch (const std::exception& e) {
        return report_error(e);
      }
    };
    spec.stdout_mode = OutputMode::discard;
    children.push_back(std::make_unique<ChildProcess>(spec));
  }
  std::string failure;
  int failure_code = kExitUsage;
  for (int i = 0; i < f.jobs; ++i) {
    auto r = children[static_cast<size_t>(i)]->wait();
    if (r.interrupted) throw Interrupted();
    if (r.ok() || !failure.empty()) continue;
    // Every shard plans from the same files, so the first failure's own line ("not a video") is
    // the message, once, with its exit code.
    failure = last_lines(r.stderr_text, 1);
    if (starts_with(failure, "kubench: ")) failure = failure.substr(9);
    if (failure.empty()) failure = "shard " + std::to_string(i) + "/" + std::to_string(f.jobs) + " " + r.describe();
    failure_code = r.signal == 0 && r.exit_code > 0 ? r.exit_code : kExitUsage;
  }
  if (!failure.empty()) throw Error(failure, failure_code);
  std::vector<scene::ShardResult> shards;
  for (auto& entry : std::filesystem::directory_iterator(work.path()))
    if (entry.path().extension() == ".json")
      shards.push_back(scene::shard_result_from_json(nlohmann::json::parse(read_file(entry.path())), entry.path().string()));
  return scene::in_given_order(scene::merge_videos(std::move(shards)), video_paths(f.scenes));
}

void run_detect(const DetectFlags& f) {
  const auto& sf = f.scenes;
  check_output(sf, sf.inputs.size());
  const auto settings = settings_of(sf);
  decode_of(sf);
  if (f.jobs < 1 || f.jobs > 256) throw UsageError("--jobs must be 1 to 256");
  if (!f.shard.empty() && f.jobs > 1) throw UsageError("--shard and --jobs exclude each other");
  if (!f.shard.empty() && f.shard_out.empty() && !f.result_frame)
    throw UsageError("--shard needs --shard-out PATH (or --result-frame) for its result");
  if (f.shard.empty() && (!f.shard_out.empty() || f.result_frame)) throw UsageError("--shard-out and --result-frame go with --shard I/N");
  ProgressLine line;
  if (!f.shard.empty()) {
    const auto shard = scene::parse_shard(f.shard);
    auto results = detect_planned_shard(sf, settings, shard, line);
    if (!f.shard_out.empty()) write_shard_results(f, results);
    if (f.result_frame) {
      std::cout.flush();
      std::fputs(media::frame_result(scene::shard_set_json(shard, results)).c_str(), stdout);
      std::fflush(stdout);
    }
    if (!sf.quiet) line.finish("shard " + f.shard + ": " + std::to_string(results.size()) + " part(s)" +
                               (f.shard_out.empty() ? "" : " → " + f.shard_out));
    return;
  }
  if (f.jobs > 1) {
    if (!sf.quiet) line.update("detecting scenes with " + std::to_string(f.jobs) + " shard processes");
    auto lists = detect_local_parallel(f, settings);
    line.clear();
    print_scene_lists(lists, sf);
    return;
  }
  std::vector<scene::SceneList> lists;
  const auto videos = video_paths(sf);
  scene::video_sizes(videos);  // every file is there, and no two share a name, before any work
  for (auto& video : videos) {
    const std::string who = videos.size() > 1 ? video.filename().string() + ": " : "";
    auto result = scene::detect_shard(video, {}, settings, decode_of(sf), [&](std::int64_t frame) {
      if (!sf.quiet) line.update(who + "frame " + std::to_string(frame));
    });
    lists.push_back(scene::merge_shards({std::move(result)}));
  }
  line.clear();
  print_scene_lists(lists, sf);
}

}  // namespace

void add_scenes_command(CLI::App& app, GlobalOptions& global) {
  auto* scenes = app.add_subcommand("scenes", "Scene detection (PySceneDetect's detectors), split over shards with the same answer");
  scenes->require_subcommand(1);

  auto d = std::make_shared<DetectFlags>();
  auto* detect = scenes->add_subcommand("detect", "Detect the scenes of videos: one pass, one shard, or N local shards merged");
  detect->add_option("videos", d->scenes.inputs, "The video file(s); several give one result each")->required();
  add_detector_flags(detect, d->scenes);
  add_scene_output_flags(detect, d->scenes);
  detect->add_option("--shard", d->shard,
                     "Only shard I of N (0-based, e.g. 2/8) of the videos' plan: decodes only its parts; needs --shard-out");
  detect->add_option("--shard-out", d->shard_out,
                     "Where the shard's result goes (kubench/scene-shard/v1): a file for one video, a directory (one file per part) "
                     "for several or when it ends in '/'");
  detect->add_flag("--result-frame", d->result_frame, "Also print the shard's results framed on stdout (for a collector reading the log)");
  detect->add_option("-j,--jobs", d->jobs, "Run N shard processes on this machine and merge them (default 1)");
  detect->add_flag("-q,--quiet", d->scenes.quiet, "No progress");
  detect->footer("Examples:\n  kubench scenes detect film.mp4\n  kubench scenes detect film.mp4 --jobs 4 -o csv > film-Scenes.csv\n"
                 "  kubench scenes detect ep1.mkv ep2.mkv ep3.mkv --jobs 2 -o csv --out-dir scenes/\n"
                 "  kubench scenes detect film.mp4 --shard 0/3 --shard-out s0.json   (then: kubench scenes merge s*.json)\n"
                 "  kubench scenes detect film.mp4 --detector threshold --threshold 12 -o edl\n"
                 "Exit codes: 0 ok, 2 not a video / bad flags, 130 interrupted. docs/scenes.md");
  detect->callback([d, &global] {
    start_command(global);
    run_detect(*d);
  });

  auto m = std::make_shared<ScenesFlags>();
  auto* merge = scenes->add_subcommand("merge", "Join shard results into the scene list of each video");
  merge->add_option("shards", m->inputs, "Shard results (kubench/scene-shard/v1): every part of every video")->required();
  add_scene_output_flags(merge, *m);
  merge->footer("Examples:\n  kubench scenes merge shards/*.json -o csv\n  kubench scenes merge out/*.json --out-dir scenes/ -o csv\n"
                "Refuses a missing, doubled or foreign shard, naming it.");
  merge->callback([m, &global] {
    start_command(global);
    check_output(*m, 1);
    std::vector<scene::ShardResult> shards;
    for (auto& path : m->inputs) {
      nlohmann::json doc;
      try {
        doc = nlohmann::json::parse(read_file(path));
      } catch (const nlohmann::json::exception&) {
        throw ParseError(path + ": not JSON");
      }
      shards.push_back(scene::shard_result_from_json(doc, path));
    }
    print_scene_lists(scene::merge_videos(std::move(shards)), *m);
  });

  add_scenes_run_command(scenes, global);
}

}  // namespace kb::app
