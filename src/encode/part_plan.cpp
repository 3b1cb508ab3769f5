#include "encode/part_plan.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/text.h"

namespace kb::encode {

SplitRule parse_split(const std::string& text, double max_part_s) {
  if (!(max_part_s > 0)) throw UsageError("--max-part must be more than 0 seconds");
  SplitRule rule;
  rule.max_part_s = max_part_s;
  if (text == "scenes") return rule;
  if (text.rfind("fixed:", 0) == 0) {
    try {
      size_t used = 0;
      rule.fixed_s = std::stod(text.substr(6), &used);
      if (used == text.size() - 6 && rule.fixed_s > 0) {
        rule.fixed = true;
        return rule;
      }
    } catch (const std::exception&) {
    }
  }
  throw UsageError("--split must be 'scenes' or 'fixed:SECONDS' (e.g. fixed:10), not '" + text + "'");
}

namespace {

// The keyframe nearest `frame` within `slack` frames, strictly between `low` and `high`; else `frame`.
std::int64_t snap(std::int64_t frame, std::int64_t slack, std::int64_t low, std::int64_t high, const std::vector<std::int64_t>& keyframes) {
  std::int64_t best = frame, best_distance = slack + 1;
  auto it = std::lower_bound(keyframes.begin(), keyframes.end(), frame - slack);
  for (; it != keyframes.end() && *it <= frame + slack; ++it) {
    if (*it <= low || *it >= high) continue;
    const std::int64_t d = std::llabs(*it - frame);
    if (d < best_distance) best = *it, best_distance = d;
  }
  return best;
}

// Borders inside [begin, end) cutting it into ⌈length / longest⌉ even pieces, snapped.
void split_evenly(std::int64_t begin, std::int64_t end, std::int64_t longest, const std::vector<std::int64_t>& keyframes,
                  std::vector<std::pair<std::int64_t, std::string>>& borders) {
  const std::int64_t length = end - begin;
  const std::int64_t pieces = (length + longest - 1) / longest;
  std::int64_t previous = begin;
  for (std::int64_t k = 1; k < pieces; ++k) {
    const std::int64_t nominal = begin + length * k / pieces;
    const std::int64_t slack = length / pieces / 10;
    const std::int64_t border = snap(nominal, slack, previous, end, keyframes);
    borders.emplace_back(border, "split");
    previous = border;
  }
}

}  // namespace

std::vector<Part> plan_parts(const std::vector<std::int64_t>& cuts, std::int64_t frames, media::Rational rate,
                             const SplitRule& rule, const std::vector<std::int64_t>& keyframes) {
  std::vector<Part> parts;
  if (frames <= 0) return parts;
  const double fps = rate.value();
  // Part ends (exclusive) with how each ends.
  std::vector<std::pair<std::int64_t, std::string>> borders;
  if (rule.fixed) {
    const auto length = std::max<std::int64_t>(1, std::llround(rule.fixed_s * fps));
    split_evenly(0, frames, length, keyframes, borders);
  } else {
    const auto longest = std::max<std::int64_t>(1, std::llround(rule.max_part_s * fps));
    std::vector<std::int64_t> starts = {0};
    for (auto c : cuts)
      if (c > starts.back() && c < frames) starts.push_back(c);
    starts.push_back(frames);
    std::int64_t part_start = 0;
    for (size_t s = 0; s + 1 < starts.size(); ++s) {
      const std::int64_t scene_begin = starts[s], scene_end = starts[s + 1];
      if (scene_end - part_start <= longest) continue;  // the scene still fits in the open part
      if (scene_begin > part_start) {
        borders.emplace_back(scene_begin, "cut");  // close the part before this scene
        part_start = scene_begin;
      }
      if (scene_end - scene_begin > longest) {
        split_evenly(scene_begin, scene_end, longest, keyframes, borders);
        borders.emplace_back(scene_end, scene_end == frames ? "end" : "cut");
        part_start = scene_end;
      }
    }
  }
  if (borders.empty() || borders.back().first != frames) borders.emplace_back(frames, "end");
  borders.back().second = "end";
  std::int64_t first = 0;
  for (auto& [end, how] : borders) {
    if (end <= first) continue;
    parts.push_back(Part{static_cast<int>(parts.size()), first, end - first, how});
    first = end;
  }
  return parts;
}

}  // namespace kb::encode
