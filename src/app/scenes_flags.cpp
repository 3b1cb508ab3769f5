#include "app/scenes_flags.h"

#include <spdlog/spdlog.h>

#include <iostream>
#include <map>

#include "core/error.h"
#include "core/files.h"
#include "core/text.h"
#include "scene/scene_list_format.h"

namespace kb::app {

void add_detector_flags(CLI::App* cmd, ScenesFlags& f) {
  cmd->add_option("--detector", f.detector, "content (hard cuts, default), adaptive (cuts against the rolling average) or threshold (fades)");
  cmd->add_option("--threshold", f.threshold, "content: score that makes a cut (default 27); threshold: mean brightness of a fade (default 12)");
  cmd->add_option("--min-scene-len", f.min_scene_len, "Shortest scene in frames; closer cuts are merged (default 15)");
  cmd->add_option("--adaptive-threshold", f.adaptive_threshold, "adaptive: ratio to the neighbours' average (default 3.0)");
  cmd->add_option("--window-width", f.window_width, "adaptive: frames on each side of the average (default 2)");
  cmd->add_option("--min-content-val", f.min_content_val, "adaptive: least content score for a cut (default 15)");
  cmd->add_option("--fade-bias", f.fade_bias, "threshold: where in the fade the cut goes, -1 (start) … 1 (end) (default 0: middle)");
  cmd->add_flag("--add-last-scene", f.add_last_scene, "threshold: a fade-out at the end is a cut too");
  cmd->add_option("--threads", f.threads, "Decoder threads (default 0: one per core)");
  cmd->add_option("--width", f.width, "Analyse frames with the longer side downscaled to this (default 256, as PySceneDetect)");
  cmd->add_flag("--fast-decode", f.fast_decode, "Skip the H.264/HEVC loop filter while decoding (faster; scores change slightly)");
}

void add_scene_output_flags(CLI::App* cmd, ScenesFlags& f) {
  cmd->add_option("-o,--output", f.output, "table|csv|json|edl");
  cmd->add_option("--out-dir", f.out_dir, "Write <video>.scenes.<txt|csv|json|edl> per video here instead of printing");
  cmd->add_option("--stats", f.stats, "Also write the per-frame statistics CSV here (a directory with several videos)");
  cmd->add_flag("--skip-cuts", f.skip_cuts, "CSV without the 'Timecode List:' first row (plain RFC 4180)");
}

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

void check_output(const ScenesFlags& f, size_t videos) {
  if (f.output != "table" && f.output != "csv" && f.output != "json" && f.output != "edl")
    throw UsageError("-o must be table, csv, json or edl, got '" + f.output + "'");
  if (videos > 1 && f.out_dir.empty() && (f.output == "csv" || f.output == "edl"))
    throw UsageError("-o " + f.output + " with several videos needs --out-dir DIR (one file per video)");
}

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

bool names_directory(const std::string& path, size_t videos) { return videos > 1 || (!path.empty() && path.back() == '/'); }

namespace {

// One line per damaged range, or per reason once there are many (a variable-frame-rate AVI has a
// timestamp gap every few frames): the JSON lists them all.
void warn_damage(const scene::SceneList& l) {
  std::map<std::string, std::vector<scene::DamagedRange>> by_reason;
  for (auto& d : l.damaged) by_reason[d.reason].push_back(d);
  for (auto& [reason, ranges] : by_reason) {
    if (ranges.size() <= 3) {
      for (auto& d : ranges)
        spdlog::warn("{}: frames {}-{} missing or damaged ({}); detection went on around them", l.video.name, d.first, d.last, reason);
      continue;
    }
    std::int64_t frames = 0;
    for (auto& d : ranges) frames += d.last - d.first + 1;
    spdlog::warn("{}: {} frames in {} ranges missing or damaged ({}), the first {}-{}; detection went on around them (-o json lists them)",
                 l.video.name, frames, ranges.size(), reason, ranges.front().first, ranges.front().last);
  }
}

std::string render(const scene::SceneList& list, const ScenesFlags& f) {
  if (f.output == "json") return scene::scenes_json(list).dump(2) + "\n";
  if (f.output == "csv") return scene::scenes_csv(list, f.skip_cuts);
  if (f.output == "edl") return scene::scenes_edl(list, std::filesystem::path(list.video.name).stem().string());
  return scene::scenes_table(list);
}

}  // namespace

void print_scene_lists(const std::vector<scene::SceneList>& lists, const ScenesFlags& f) {
  const bool several = lists.size() > 1;
  check_output(f, lists.size());
  if (!f.out_dir.empty()) {
    ensure_writable_dir(f.out_dir);
    for (auto& l : lists) {
      auto path = std::filesystem::path(f.out_dir) / (l.video.name + ".scenes." + (f.output == "table" ? "txt" : f.output));
      write_file_atomic(path, render(l, f));
      std::cerr << l.video.name << ": " << scene::scenes_of(l).size() << " scenes → " << path.string() << "\n";
    }
  } else if (several && f.output == "json") {
    nlohmann::json all = nlohmann::json::array();
    for (auto& l : lists) all.push_back(scene::scenes_json(l));
    std::cout << all.dump(2) << "\n";
  } else {
    for (auto& l : lists) std::cout << (several ? "\n" + l.video.name + "\n" : "") << render(l, f);
  }
  if (!f.stats.empty()) {
    const bool dir = names_directory(f.stats, lists.size());
    if (dir) ensure_writable_dir(f.stats);
    for (auto& l : lists)
      write_file_atomic(dir ? std::filesystem::path(f.stats) / (l.video.name + ".stats.csv") : std::filesystem::path(f.stats),
                        scene::stats_csv(l));
  }
  for (auto& l : lists) warn_damage(l);
}

}  // namespace kb::app
