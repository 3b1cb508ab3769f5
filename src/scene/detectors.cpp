#include "scene/detectors.h"

#include <cmath>
#include <deque>

#include "core/error.h"

namespace kb::scene {

using nlohmann::json;

DetectorKind parse_detector(const std::string& name) {
  if (name == "content") return DetectorKind::content;
  if (name == "adaptive") return DetectorKind::adaptive;
  if (name == "threshold") return DetectorKind::threshold;
  throw UsageError("unknown detector '" + name + "': content, adaptive or threshold");
}

std::string to_string(DetectorKind kind) {
  switch (kind) {
    case DetectorKind::content: return "content";
    case DetectorKind::adaptive: return "adaptive";
    case DetectorKind::threshold: return "threshold";
  }
  return "?";
}

DetectorSettings DetectorSettings::defaults(DetectorKind kind) {
  DetectorSettings s;
  s.kind = kind;
  if (kind == DetectorKind::threshold) s.threshold = 12;
  return s;
}

void DetectorSettings::validate() const {
  if (!(threshold >= 0) || !std::isfinite(threshold) || threshold > 255) throw UsageError("--threshold must be 0 to 255");
  if (min_scene_len < 0) throw UsageError("--min-scene-len must be 0 or more frames");
  if (!(adaptive_threshold > 0)) throw UsageError("--adaptive-threshold must be positive");
  if (window_width < 1) throw UsageError("--window-width must be at least 1");
  if (!(min_content_val >= 0)) throw UsageError("--min-content-val must be 0 or more");
  if (!(fade_bias >= -1 && fade_bias <= 1)) throw UsageError("--fade-bias must be -1 to 1");
}

json to_json(const DetectorSettings& s) {
  json j = {{"detector", to_string(s.kind)}, {"threshold", s.threshold}, {"min_scene_len", s.min_scene_len}};
  if (s.kind == DetectorKind::adaptive) {
    j["adaptive_threshold"] = s.adaptive_threshold;
    j["window_width"] = s.window_width;
    j["min_content_val"] = s.min_content_val;
  }
  if (s.kind == DetectorKind::threshold) {
    j["fade_bias"] = s.fade_bias;
    j["add_final_scene"] = s.add_final_scene;
  }
  return j;
}

DetectorSettings detector_settings_from_json(const json& j) {
  auto s = DetectorSettings::defaults(parse_detector(j.at("detector")));
  s.threshold = j.at("threshold");
  s.min_scene_len = j.at("min_scene_len");
  s.adaptive_threshold = j.value("adaptive_threshold", s.adaptive_threshold);
  s.window_width = j.value("window_width", s.window_width);
  s.min_content_val = j.value("min_content_val", s.min_content_val);
  s.fade_bias = j.value("fade_bias", s.fade_bias);
  s.add_final_scene = j.value("add_final_scene", s.add_final_scene);
  return s;
}

double frame_score(const FrameMetric& m, DetectorKind kind) {
  return kind == DetectorKind::threshold ? m.brightness : m.content();
}

std::vector<double> adaptive_ratios(const std::vector<FrameMetric>& metrics, const DetectorSettings& s) {
  std::vector<double> ratios(metrics.size(), std::nan(""));
  const size_t w = static_cast<size_t>(s.window_width), window = 2 * w + 1;
  for (size_t newest = window - 1; newest < metrics.size(); ++newest) {
    const size_t target = newest - w;
    double sum = 0;  // in window order, as Python's sum()
    for (size_t i = newest + 1 - window; i <= newest; ++i)
      if (i != target) sum += metrics[i].content();
    const double average = sum / (2.0 * static_cast<double>(w));
    const double score = metrics[target].content();
    double ratio = 0;
    if (std::fabs(average) >= 0.00001) ratio = std::min(score / average, 255.0);
    else if (score >= s.min_content_val) ratio = 255;
    ratios[target] = ratio;
  }
  return ratios;
}

namespace {

// PySceneDetect's FlashFilter, MERGE mode: cuts closer than the minimum length are merged into
// one, emitted once the run of close cuts is over; the first cut must itself be at least the
// minimum length after the start.
class FlashFilter {
 public:
  explicit FlashFilter(int length) : length_(length) {}
  void filter(std::int64_t frame, bool above, std::vector<std::int64_t>& cuts) {
    if (length_ <= 0) {
      if (above) cuts.push_back(frame);
      return;
    }
    if (!started_) {
      last_above_ = frame;
      started_ = true;
    }
    const bool length_met = frame - last_above_ >= length_;
    if (above) last_above_ = frame;
    if (merge_triggered_) {
      if (length_met && !above && last_above_ - merge_start_ >= length_) {
        merge_triggered_ = false;
        cuts.push_back(last_above_);
      }
      return;
    }
    if (!above) return;
    if (length_met) {
      merge_enabled_ = true;
      cuts.push_back(frame);
      return;
    }
    if (merge_enabled_) {
      merge_triggered_ = true;
      merge_start_ = frame;
    }
  }

 private:
  int length_;
  bool started_ = false, merge_enabled_ = false, merge_triggered_ = false;
  std::int64_t last_above_ = 0, merge_start_ = 0;
};

std::vector<std::int64_t> content_cuts(const std::vector<FrameMetric>& metrics, const DetectorSettings& s) {
  std::vector<std::int64_t> cuts;
  FlashFilter filter(s.min_scene_len);
  for (auto& m : metrics) filter.filter(m.frame, m.content() >= s.threshold, cuts);
  return cuts;
}

std::vector<std::int64_t> adaptive_cuts(const std::vector<FrameMetric>& metrics, const DetectorSettings& s) {
  std::vector<std::int64_t> cuts;
  const std::vector<double> ratios = adaptive_ratios(metrics, s);
  if (metrics.empty()) return cuts;
  const size_t w = static_cast<size_t>(s.window_width), window = 2 * w + 1;
  std::int64_t last_cut = metrics.front().frame;
  for (size_t newest = window - 1; newest < metrics.size(); ++newest) {
    const size_t target = newest - w;
    const double score = metrics[target].content(), ratio = ratios[target];
    const bool threshold_met = ratio >= s.adaptive_threshold && score >= s.min_content_val;
    if (threshold_met && metrics[newest].frame - last_cut >= s.min_scene_len) {
      last_cut = metrics[target].frame;
      cuts.push_back(last_cut);
    }
  }
  return cuts;
}

std::vector<std::int64_t> threshold_cuts(const std::vector<FrameMetric>& metrics, const DetectorSettings& s,
                                         std::int64_t end_frame) {
  std::vector<std::int64_t> cuts;
  if (metrics.empty()) return cuts;
  bool faded_out = metrics.front().brightness < s.threshold;
  std::int64_t fade_frame = 0, last_cut = metrics.front().frame;
  for (size_t i = 1; i < metrics.size(); ++i) {
    const auto& m = metrics[i];
    const bool dark = m.brightness < s.threshold;
    if (!faded_out && dark) {
      faded_out = true;
      fade_frame = m.frame;
    } else if (faded_out && !dark) {
      if (m.frame - last_cut >= s.min_scene_len) {
        const std::int64_t f_out = fade_frame;
        const auto bias = static_cast<std::int64_t>(s.fade_bias * static_cast<double>(m.frame - f_out));
        cuts.push_back((m.frame + f_out + bias) / 2);
        last_cut = m.frame;
      }
      faded_out = false;
      fade_frame = m.frame;
    }
  }
  if (s.add_final_scene && faded_out && end_frame - last_cut >= s.min_scene_len && fade_frame > 0) cuts.push_back(fade_frame);
  return cuts;
}

}  // namespace

std::vector<std::int64_t> detect_cuts(const std::vector<FrameMetric>& metrics, const DetectorSettings& s, std::int64_t end_frame) {
  switch (s.kind) {
    case DetectorKind::content: return content_cuts(metrics, s);
    case DetectorKind::adaptive: return adaptive_cuts(metrics, s);
    case DetectorKind::threshold: return threshold_cuts(metrics, s, end_frame);
  }
  return {};
}

}  // namespace kb::scene
