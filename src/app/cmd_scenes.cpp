// `kubench scenes detect | merge`: scene detection with PySceneDetect's detectors, one pass, one
// shard (--shard I/N), or N local shard processes merged (--jobs N) — all with the same answer
// (docs/scenes.md). Flags → scene::detect_shard / scene::merge_shards → the chosen format.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <iostream>

#include "app/commands.h"
#include "core/error.h"
#include "core/files.h"
#include "core/output.h"
#include "core/process.h"
#include "core/progress.h"
#include "core/text.h"
#include "scene/scene_list_format.h"

namespace kb::app {
namespace {

struct ScenesFlags {
  std::vector<std::string> inputs;
  std::string detector = "content";
  std::optional<double> threshold;
  int min_scene_len = 15;
  double adaptive_threshold = 3.0;
  int window_width = 2;
  double min_content_val = 15;
  double fade_bias = 0;
  bool add_last_scene = false;
  int threads = 0;
  int width = 256;
  bool fast_decode = false;
  std::string shard;
  std::string shard_out;
  int jobs = 1;
  std::string output = "table";
  std::string stats;
  bool skip_cuts = false;
  bool quiet = false;
};

scene::DetectorSettings settings_of(const ScenesFlags& f) {
  auto s = scene::DetectorSettings::defaults(scene::parse_detector(f.detector));
  if (f.threshold) s.threshold = *f.threshold;
  s.min_scene_len = f.min_scene_len;
  s.adaptive_threshold = f.adaptive_threshold;
  s.window_width = f.window_width;
  s.min_content_val = f.min_content_val;
  s.fade_bias = f.fade_bias;
  s.add_final_scene = f.add_last_scene;
  s.validate();
  return s;
}

scene::DecodeOptions decode_of(const ScenesFlags& f) {
  if (f.threads < 0) throw UsageError("--threads must be 0 (automatic) or more");
  if (f.width < 16) throw UsageError("--width must be at least 16");
  return {f.threads, f.width, f.fast_decode};
}

// The flags a shard process needs to compute the same metrics and settings as this process.
std::vector<std::string> shard_flags(const ScenesFlags& f, const scene::DetectorSettings& s) {
  std::vector<std::string> a = {"--detector", f.detector, "--threshold", fixed(s.threshold, 6), "--min-scene-len",
                                std::to_string(s.min_scene_len), "--adaptive-threshold", fixed(s.adaptive_threshold, 6),
                                "--window-width", std::to_string(s.window_width), "--min-content-val", fixed(s.min_content_val, 6),
                                "--fade-bias", fixed(s.fade_bias, 6), "--threads", std::to_string(f.threads),
                                "--width", std::to_string(f.width)};
  if (s.add_final_scene) a.push_back("--add-last-scene");
  if (f.fast_decode) a.push_back("--fast-decode");
  return a;
}

std::filesystem::path self_executable() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw EnvironmentError("cannot find kubench's own executable (/proc/self/exe): " + ec.message());
  return p;
}

// N shard processes of this binary, in parallel, then the merge.
scene::SceneList detect_local_parallel(const ScenesFlags& f, const scene::DetectorSettings& s) {
  TempDirectory work("kubench-scenes");
  std::vector<std::unique_ptr<ChildProcess>> children;
  for (int i = 0; i < f.jobs; ++i) {
    ProcessSpec spec;
    spec.argv = {self_executable().string(), "scenes", "detect", f.inputs[0], "--shard", std::to_string(i) + "/" + std::to_string(f.jobs),
                 "--shard-out", (work.path() / ("shard-" + std::to_string(i) + ".json")).string(), "-q"};
    auto extra = shard_flags(f, s);
    spec.argv.insert(spec.argv.end(), extra.begin(), extra.end());
    spec.stdout_mode = OutputMode::discard;
    children.push_back(std::make_unique<ChildProcess>(spec));
  }
  std::vector<scene::ShardResult> shards;
  std::string failure;
  int failure_code = kExitUsage;
  for (int i = 0; i < f.jobs; ++i) {
    auto r = children[static_cast<size_t>(i)]->wait();
    if (r.interrupted) throw Interrupted();
    if (r.ok() || !failure.empty()) continue;
    // Every shard opens the same file, so the first failure's own line ("not a video") is the
    // message, once, with its exit code.
    failure = last_lines(r.stderr_text, 1);
    if (starts_with(failure, "kubench: ")) failure = failure.substr(9);
    if (failure.empty()) failure = "shard " + std::to_string(i) + "/" + std::to_string(f.jobs) + " " + r.describe();
    failure_code = r.signal == 0 && r.exit_code > 0 ? r.exit_code : kExitUsage;
  }
  if (!failure.empty()) throw Error(failure, failure_code);
  for (int i = 0; i < f.jobs; ++i) {
    auto path = work.path() / ("shard-" + std::to_string(i) + ".json");
    shards.push_back(scene::shard_result_from_json(nlohmann::json::parse(read_file(path)), path.string()));
  }
  return scene::merge_shards(std::move(shards));
}

void print(const scene::SceneList& list, const ScenesFlags& f) {
  auto format = f.output;
  if (format == "json") std::cout << scene::scenes_json(list).dump(2) << "\n";
  else if (format == "csv") std::cout << scene::scenes_csv(list, f.skip_cuts);
  else if (format == "edl") std::cout << scene::scenes_edl(list, std::filesystem::path(list.video.name).stem().string());
  else std::cout << scene::scenes_table(list);
  if (!f.stats.empty()) write_file_atomic(f.stats, scene::stats_csv(list));
  for (auto& d : list.damaged)
    spdlog::warn("{}: frames {}-{} damaged ({}); detection went on around them", list.video.name, d.first, d.last, d.reason);
}

void check_output(const std::string& output) {
  if (output != "table" && output != "csv" && output != "json" && output != "edl")
    throw UsageError("-o must be table, csv, json or edl, got '" + output + "'");
}

void add_detector_flags(CLI::App* cmd, ScenesFlags& f) {
  cmd->add_option("--detector", f.detector, "content (hard cuts, default), adaptive (cuts against the rolling average) or threshold (fades)");
  cmd->add_option("--threshold", f.threshold, "content: score that makes a cut (default 27); threshold: mean brightness of a fade (default 12)");
  cmd->add_option("--min-scene-len", f.min_scene_len, "Shortest scene in frames; closer cuts are merged (default 15)");
  cmd->add_option("--adaptive-threshold", f.adaptive_threshold, "adaptive: ratio to the neighbours' average (default 3.0)");
  cmd->add_option("--window-width", f.window_width, "adaptive: frames on each side of the average (default 2)");
  cmd->add_option("--min-content-val", f.min_content_val, "adaptive: least content score for a cut (default 15)");
  cmd->add_option("--fade-bias", f.fade_bias, "threshold: where in the fade the cut goes, -1 (start) … 1 (end) (default 0: middle)");
  cmd->add_flag("--add-last-scene", f.add_last_scene, "threshold: a fade-out at the end is a cut too");
  cmd->add_option("--threads", f.threads, "Decoder threads (default 0: automatic)");
  cmd->add_option("--width", f.width, "Analyse frames downscaled to about this width (default 256, as PySceneDetect)");
  cmd->add_flag("--fast-decode", f.fast_decode, "Skip the H.264/HEVC loop filter while decoding (faster; scores change slightly)");
}

}  // namespace

void add_scenes_command(CLI::App& app, GlobalOptions& global) {
  auto f = std::make_shared<ScenesFlags>();
  auto* scenes = app.add_subcommand("scenes", "Scene detection (PySceneDetect's detectors), split over shards with the same answer");
  scenes->require_subcommand(1);

  auto* detect = scenes->add_subcommand("detect", "Detect the scenes of a video: one pass, one shard, or N local shards merged");
  detect->add_option("video", f->inputs, "The video file")->required()->expected(1);
  add_detector_flags(detect, *f);
  detect->add_option("--shard", f->shard, "Only shard I of N (0-based, e.g. 2/8): decodes only its frame range; needs --shard-out");
  detect->add_option("--shard-out", f->shard_out, "Where the shard's result goes (kubench/scene-shard/v1 JSON) for `scenes merge`");
  detect->add_option("-j,--jobs", f->jobs, "Run N shard processes on this machine and merge them (default 1)");
  detect->add_option("-o,--output", f->output, "table|csv|json|edl");
  detect->add_option("--stats", f->stats, "Also write the per-frame statistics CSV here");
  detect->add_flag("--skip-cuts", f->skip_cuts, "CSV without the 'Timecode List:' first row (plain RFC 4180)");
  detect->add_flag("-q,--quiet", f->quiet, "No progress");
  detect->footer("Examples:\n  kubench scenes detect film.mp4\n  kubench scenes detect film.mp4 --jobs 4 -o csv > film-Scenes.csv\n"
                 "  kubench scenes detect film.mp4 --shard 0/3 --shard-out s0.json   (then: kubench scenes merge s*.json)\n"
                 "  kubench scenes detect film.mp4 --detector threshold --threshold 12 -o edl\n"
                 "Exit codes: 0 ok, 2 not a video / bad flags, 130 interrupted. docs/scenes.md");
  detect->callback([f, &global] {
    start_command(global);
    check_output(f->output);
    const auto settings = settings_of(*f);
    const auto decode = decode_of(*f);
    if (f->jobs < 1 || f->jobs > 256) throw UsageError("--jobs must be 1 to 256");
    if (!f->shard.empty() && f->jobs > 1) throw UsageError("--shard and --jobs exclude each other");
    if (!f->shard.empty() && f->shard_out.empty()) throw UsageError("--shard needs --shard-out FILE for its result");
    const bool quiet = f->quiet;
    ProgressLine line;
    if (f->jobs > 1) {
      if (!quiet) line.update("detecting scenes in " + f->inputs[0] + " with " + std::to_string(f->jobs) + " shard processes");
      print(detect_local_parallel(*f, settings), *f);
      return;
    }
    const auto shard = f->shard.empty() ? scene::ShardSpec{} : scene::parse_shard(f->shard);
    auto result = scene::detect_shard(f->inputs[0], shard, settings, decode, [&](std::int64_t frame) {
      if (!quiet) line.update("frame " + std::to_string(frame));
    });
    if (!f->shard_out.empty()) {
      write_file_atomic(f->shard_out, to_json(result).dump() + "\n");
      if (!quiet) line.finish("shard " + f->shard + ": frames " + std::to_string(result.first) + "-" + std::to_string(result.end - 1) + " → " + f->shard_out);
      return;
    }
    print(scene::merge_shards({std::move(result)}), *f);
  });

  auto* merge = scenes->add_subcommand("merge", "Join shard results into the scene list of the whole video");
  merge->add_option("shards", f->inputs, "Shard results (kubench/scene-shard/v1), all N of them")->required();
  merge->add_option("-o,--output", f->output, "table|csv|json|edl");
  merge->add_option("--stats", f->stats, "Also write the per-frame statistics CSV here");
  merge->add_flag("--skip-cuts", f->skip_cuts, "CSV without the 'Timecode List:' first row");
  merge->footer("Example:\n  kubench scenes merge shards/*.json -o csv\nRefuses a missing, doubled or foreign shard, naming it.");
  merge->callback([f, &global] {
    start_command(global);
    check_output(f->output);
    std::vector<scene::ShardResult> shards;
    for (auto& path : f->inputs) {
      nlohmann::json doc;
      try {
        doc = nlohmann::json::parse(read_file(path));
      } catch (const nlohmann::json::exception&) {
        throw ParseError(path + ": not JSON");
      }
      shards.push_back(scene::shard_result_from_json(doc, path));
    }
    print(scene::merge_shards(std::move(shards)), *f);
  });
}

}  // namespace kb::app
