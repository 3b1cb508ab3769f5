// A SceneList as people and editors read it: table, PySceneDetect's CSV (1-based start frame),
// kubench/scenes/v1 JSON, CMX 3600 EDL, and the per-frame statistics CSV.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "scene/scene_shard.h"

namespace kb::scene {

struct Scene {
  std::int64_t start = 0, end = 0;  // [start, end) in frames
};
// Scenes between the cuts; a video without cuts is one scene.
std::vector<Scene> scenes_of(const SceneList& list);

// "HH:MM:SS.nnn" of a frame at `fps`.
std::string timecode(std::int64_t frame, double fps);

std::string scenes_table(const SceneList& list);
// PySceneDetect's list-scenes CSV: the "Timecode List:" row (unless skip_cuts), then the header
// "Scene Number,Start Frame,Start Timecode,…,Length (seconds)" with 1-based start frames.
std::string scenes_csv(const SceneList& list, bool skip_cuts = false);
nlohmann::json scenes_json(const SceneList& list);  // kubench/scenes/v1
std::string scenes_edl(const SceneList& list, const std::string& title);
// Frame Number (1-based),Timecode,content_val,delta_hue,delta_sat,delta_lum,brightness (and for the
// adaptive detector its adaptive_ratio), every value at full precision as PySceneDetect writes them.
std::string stats_csv(const SceneList& list);

}  // namespace kb::scene
