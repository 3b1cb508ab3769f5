// What the detectors need of each frame, computed once while decoding: the mean absolute HSV
// differences to the previous decoded frame (content and adaptive detectors) and the mean of all
// B, G, R values (threshold detector). A shard stores these for its frames; the detectors then run
// on the whole sequence at merge time, which is why any split gives the single pass's answer.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "scene/downscale.h"

namespace kb::scene {

// Doubles computed as PySceneDetect computes them (an exact integer sum over the pixel count),
// so a score compares with a threshold exactly as there.
struct FrameMetric {
  std::int64_t frame = 0;
  double delta_hue = 0, delta_sat = 0, delta_lum = 0;  // 0 for the first frame of the video
  double brightness = 0;                               // mean of B, G, R (0…255)
  // ContentDetector's content_val with its default weights: Σ component × 1.0 / 3, summed in order.
  double content() const { return (delta_hue + delta_sat + delta_lum) / 3.0; }
};

// OpenCV's 8-bit BGR → HSV (H 0…179, S and V 0…255), with its rounding, as PySceneDetect sees it;
// planes in and out, so the differences are simple byte loops the compiler vectorises. With AVX2
// (unless `portable`) 8 pixels at a time, with the same result.
void bgr_to_hsv(const BgrPlanes& bgr, std::uint8_t* h, std::uint8_t* s, std::uint8_t* v, bool portable = false);

// Turns consecutive downscaled BGR frames into metrics.
class MetricsCalculator {
 public:
  // The first frame added scores 0: it has no predecessor.
  FrameMetric add(std::int64_t frame, const BgrPlanes& bgr);

 private:
  std::vector<std::uint8_t> previous_, current_;  // H, S, V planes one after the other
  bool has_previous_ = false;
};

}  // namespace kb::scene
