// Where a split encode cuts its source: scenes packed into parts no longer than the maximum, with
// borders only on scene cuts (a part never starts mid-shot, where the encoder would spend a
// keyframe on a picture the previous one predicts well); a scene longer than the maximum split
// evenly; or fixed-length parts. Inner borders that are not cuts move to a source keyframe
// within a tenth of a part's length, where extracting the part decodes nothing twice. Pure.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "media/source_info.h"

namespace kb::encode {

struct SplitRule {
  bool fixed = false;      // fixed-length parts instead of scenes
  double fixed_s = 0;      // with fixed
  double max_part_s = 10;  // scenes: the longest part (Av1an's extra split, 10 s by default)
};
// "scenes" or "fixed:SECONDS"; UsageError otherwise.
SplitRule parse_split(const std::string& text, double max_part_s);

struct Part {
  int index = 0;
  std::int64_t first = 0, frames = 0;
  std::string border;  // how the part ends: "cut" (a scene cut), "split" (a long scene or fixed length), "end"
};

// `cuts`: the frames where scenes start (the first scene at 0 implied), ascending; ignored with
// a fixed split. Every frame of [0, frames) is in exactly one part, in order.
std::vector<Part> plan_parts(const std::vector<std::int64_t>& cuts, std::int64_t frames, media::Rational rate,
                             const SplitRule& rule, const std::vector<std::int64_t>& keyframes);

}  // namespace kb::encode
