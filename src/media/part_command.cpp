#include "media/part_command.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.h"

namespace kb::media {

std::string seconds_text(double seconds) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.6f", std::max(0.0, seconds));
  return buf;
}

std::int64_t keyframe_before(const std::vector<std::int64_t>& keyframes, std::int64_t frame) {
  auto it = std::upper_bound(keyframes.begin(), keyframes.end(), frame);
  return it == keyframes.begin() ? 0 : *std::prev(it);
}

std::vector<std::string> build_part_command(const PartCommandSpec& spec) {
  const auto encoder = probe::encoder_name(spec.backend, spec.codec);
  if (!encoder)
    throw UsageError(std::string(probe::to_string(spec.backend)) + " has no " + std::string(probe::to_string(spec.codec)) + " encoder");
  if (spec.frames <= 0) throw UsageError("a part needs at least one frame");
  const Rational& rate = spec.source.rate;
  const double frame_s = static_cast<double>(rate.den) / static_cast<double>(rate.num);
  std::vector<std::string> argv = {spec.ffmpeg, "-nostdin", "-hide_banner", "-nostats", "-y", "-progress", "pipe:3"};
  const auto dev = probe::device_args(spec.backend, spec.device);
  argv.insert(argv.end(), dev.begin(), dev.end());
  std::string trim;
  if (spec.first > 0) {
    // On the source's own clock (-copyts): the input seek only positions the demuxer
    // (-noaccurate_seek drops nothing), the trim filter then drops every frame before the middle of
    // the one before `first`. Input seeks count from the file's start. With an index the demuxer
    // lands on the keyframe at or before the time, so a quarter frame after the keyframe is safe
    // from rounding; without one it lands near, not at, a keyframe: half a second earlier still
    // reaches the keyframe before.
    const std::int64_t key = keyframe_before(spec.source.keyframes, spec.first);
    const double keyframe_s = spec.source.video_start_s + static_cast<double>(key) * frame_s;
    const double coarse = spec.source.indexed ? keyframe_s + frame_s / 4 : keyframe_s - frame_s / 2 - 0.5;
    argv.push_back("-copyts");
    if (key > 0 && coarse > 0) argv.insert(argv.end(), {"-noaccurate_seek", "-ss", seconds_text(coarse)});
    trim = "trim=start=" + seconds_text(spec.source.format_start_s + spec.source.video_start_s + (static_cast<double>(spec.first) - 0.5) * frame_s);
  }
  argv.insert(argv.end(), {"-i", spec.source.path});
  argv.insert(argv.end(), {"-map", "0:v:0", "-an", "-sn", "-dn", "-frames:v", std::to_string(spec.frames), "-fps_mode", "passthrough"});
  const auto upload = probe::upload_filter(spec.backend, false, spec.quality.ten_bit);
  const std::string filters = trim + (!trim.empty() && !upload.empty() ? "," : "") + upload;
  if (!filters.empty()) argv.insert(argv.end(), {"-vf", filters});
  argv.insert(argv.end(), {"-c:v", *encoder});
  const auto recipe = probe::stitchable_args(spec.backend, spec.codec, spec.quality);
  argv.insert(argv.end(), recipe.begin(), recipe.end());
  argv.insert(argv.end(), {"-f", "matroska", spec.output});
  return argv;
}

}  // namespace kb::media
