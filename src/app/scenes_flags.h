// What `scenes detect`, `scenes merge` and `scenes run --kube` share: the detector and decoder
// flags, the arguments that make a shard process (local or in a pod) compute the same metrics,
// and the printing of one scene list or several.
#pragma once
#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "scene/scene_shard.h"

namespace kb::app {

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
  std::string output = "table";
  std::string out_dir;
  std::string stats;
  bool skip_cuts = false;
  bool quiet = false;
};

void add_detector_flags(CLI::App* cmd, ScenesFlags& f);
// -o, --out-dir, --stats, --skip-cuts.
void add_scene_output_flags(CLI::App* cmd, ScenesFlags& f);

scene::DetectorSettings settings_of(const ScenesFlags& f);  // validated (UsageError)
scene::DecodeOptions decode_of(const ScenesFlags& f);
// -o's value, and that csv/edl for several videos go to --out-dir.
void check_output(const ScenesFlags& f, size_t videos);
// The detector and decoder flags of a shard process, so it computes what this process would.
std::vector<std::string> shard_flags(const ScenesFlags& f, const scene::DetectorSettings& s);

// With several videos a path flag (--stats, --shard-out) names a directory, one file per video;
// with one, a file unless it ends in '/'.
bool names_directory(const std::string& path, size_t videos);

// One list as before; several: a table each, a JSON array, or (csv/edl) files in --out-dir.
// --out-dir writes "<video>.scenes.<ext>" per video; --stats the per-frame CSV(s). Damaged
// ranges are warned about.
void print_scene_lists(const std::vector<scene::SceneList>& lists, const ScenesFlags& f);

}  // namespace kb::app
