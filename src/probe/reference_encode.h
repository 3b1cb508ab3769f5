// How fast an encoder is on this machine: a few seconds of encoding a generated picture (30
// frames of testsrc2 made once and looped from memory, so the source does not bound a fast
// hardware encoder) with the very options a joinable part uses (stitchable_args). Two runs — a
// short one, then one sized to the time budget — and the difference between them, so encoder and
// device start-up do not count. Used by `kubench nodes probe` for the capability matrix.
#pragma once
#include <chrono>
#include <string>
#include <vector>

#include "probe/backends.h"
#include "probe/ffmpeg_caps.h"

namespace kb::probe {

struct ReferenceEncode {
  Backend backend = Backend::cpu;
  Codec codec = Codec::h264;
  int width = 1920, height = 1080;
  int threads = 0;  // CPU encoders: -threads (0: the encoder's choice)
  std::string device;
  std::chrono::milliseconds budget{3000};
};

struct ReferenceResult {
  bool ok = false;
  double fps = 0;
  std::string reason;  // why not, when not ok
};

// The ffmpeg command that encodes `frames` frames for the measurement.
std::vector<std::string> reference_command(const FfmpegInfo& ffmpeg, const ReferenceEncode& r, long frames);

ReferenceResult reference_encode(const FfmpegInfo& ffmpeg, const ReferenceEncode& r);

// The private options of encoder `name` as `ffmpeg -h encoder=NAME` lists them.
std::vector<std::string> encoder_options(const FfmpegInfo& ffmpeg, const std::string& name);
// The private options a joinable part needs from this family's encoder ("x264-params", "forced-idr").
std::vector<std::string> stitchable_option_names(Backend b, Codec c);

}  // namespace kb::probe
