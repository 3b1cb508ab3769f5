// The ffmpeg command that encodes frames [first, first + frames) of a source as one joinable part:
// a coarse seek on the input to the keyframe at or before `first` (decoding starts there), a trim
// on the source's own timestamps at the middle of the frame before `first`, exactly `frames`
// frames, timestamps passed through, the family's stitchable options (probe::stitchable_args).
// Frame-exact for indexed containers and for MPEG-TS alike (docs/encode.md, "Extracting a part").
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "media/source_info.h"
#include "probe/backends.h"

namespace kb::media {

struct PartCommandSpec {
  std::string ffmpeg = "ffmpeg";
  SourceInfo source;
  std::int64_t first = 0, frames = 0;
  probe::Backend backend = probe::Backend::cpu;
  probe::Codec codec = probe::Codec::h264;
  std::string device;           // hardware device ("" : the backend's default)
  probe::PartQuality quality;
  std::string output;           // written as Matroska whatever its name
};

// Seconds printed with microseconds, the precision ffmpeg parses.
std::string seconds_text(double seconds);
// The keyframe at or before `frame` (0 when none is listed).
std::int64_t keyframe_before(const std::vector<std::int64_t>& keyframes, std::int64_t frame);

std::vector<std::string> build_part_command(const PartCommandSpec& spec);

}  // namespace kb::media
