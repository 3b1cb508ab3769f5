// PySceneDetect's three detectors, with its definitions and defaults (reference/
// research-distributed-video.md §C), run over the per-frame metrics of the whole video.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "scene/frame_metrics.h"

namespace kb::scene {

enum class DetectorKind { content, adaptive, threshold };
DetectorKind parse_detector(const std::string& name);  // UsageError for others
std::string to_string(DetectorKind kind);

struct DetectorSettings {
  DetectorKind kind = DetectorKind::content;
  double threshold = 27;          // content: score; threshold: mean brightness (12 by default there)
  int min_scene_len = 15;         // frames
  // adaptive
  double adaptive_threshold = 3.0;
  int window_width = 2;
  double min_content_val = 15;
  // threshold
  double fade_bias = 0;           // -1 … +1: where in the fade the cut goes (0: the middle)
  bool add_final_scene = false;   // a fade-out at the end is a cut too

  // The defaults of `kind` (threshold 12 for the threshold detector).
  static DetectorSettings defaults(DetectorKind kind);
  void validate() const;          // UsageError naming the setting
};
nlohmann::json to_json(const DetectorSettings& s);
DetectorSettings detector_settings_from_json(const nlohmann::json& j);

// The frame numbers where a new scene starts, ascending. `metrics` are in frame order (gaps from
// undecodable frames are allowed); `end_frame` is one past the last frame (for the final fade).
std::vector<std::int64_t> detect_cuts(const std::vector<FrameMetric>& metrics, const DetectorSettings& settings,
                                      std::int64_t end_frame);

// AdaptiveDetector's adaptive_ratio of each frame (NaN where the window does not fit: the first
// and last `window_width` frames).
std::vector<double> adaptive_ratios(const std::vector<FrameMetric>& metrics, const DetectorSettings& settings);

// The score the detector thresholds for one frame (content_val; the adaptive ratio needs its
// neighbours and is not per frame; brightness for threshold) — for the statistics CSV.
double frame_score(const FrameMetric& m, DetectorKind kind);

}  // namespace kb::scene
