#include "media/ffmpeg_progress.h"

#include "core/text.h"

namespace kb::media {

std::optional<double> parse_speed(std::string_view text) {
  text = trim(text);
  if (!text.empty() && text.back() == 'x') text.remove_suffix(1);
  auto v = parse_double(text);
  if (!v || *v < 0) return std::nullopt;
  return v;
}

bool ProgressParser::feed(std::string_view line) {
  auto eq = line.find('=');
  if (eq == std::string_view::npos) return false;
  auto key = trim(line.substr(0, eq));
  auto value = trim(line.substr(eq + 1));
  if (key == "frame") {
    if (auto v = parse_int(value)) pending_.frame = *v;
  } else if (key == "fps") {
    if (auto v = parse_double(value)) pending_.fps = *v;
  } else if (key == "speed") {
    pending_.speed = parse_speed(value);
  } else if (key == "total_size") {
    auto v = parse_int(value);
    pending_.total_size = v ? std::optional<long long>(*v) : std::nullopt;
  } else if (key == "out_time_us") {
    if (auto v = parse_int(value)) pending_.out_time_us = *v;
  } else if (key == "progress") {
    pending_.end = value == "end";
    pending_.blocks = latest_.blocks + 1;
    latest_ = pending_;
    return true;
  }
  return false;
}

}  // namespace kb::media
