// Finding ffmpeg and establishing, by real test encodes and decodes, what works on this machine.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "probe/backends.h"

namespace kb::probe {

struct FfmpegInfo {
  std::filesystem::path path;
  std::string version;  // "5.1.9-0+deb12u1"
};

// `explicit_path` (a --ffmpeg flag) wins, then $KUBENCH_FFMPEG, then ffmpeg on PATH.
// Throws EnvironmentError with an install hint when none is found.
FfmpegInfo locate_ffmpeg(const std::string& explicit_path = "");

// Names listed by `ffmpeg -encoders` / `-decoders`, e.g. {"libx264", "h264_qsv", ...}.
std::vector<std::string> parse_codec_list(const std::string& listing);

// The one line of ffmpeg's stderr that says what went wrong.
std::string ffmpeg_error_reason(const std::string& stderr_text);

struct CodecCheck {
  std::string backend;  // qsv | vaapi | nvenc | amf | cpu
  std::string codec;    // h264 | hevc | av1 | vp9
  std::string kind;     // "encode" | "decode"
  std::string name;     // encoder name, or decoder description ("hevc_qsv", "hevc via vaapi")
  bool works = false;
  std::string reason;   // why not (first useful ffmpeg error line, or "not compiled into this ffmpeg")
};

struct CapabilityOptions {
  std::string device;  // render node or NVIDIA index for hardware backends; "" = default
  std::vector<Backend> backends{std::begin(kAllBackends), std::end(kAllBackends)};
  bool decoders = true;
};

// Runs a tiny real encode (640x480, 10 frames) for every backend x codec whose encoder is compiled
// in, and hardware decodes of H.264/HEVC samples.
std::vector<CodecCheck> check_capabilities(const FfmpegInfo& ffmpeg, const CapabilityOptions& options);

}  // namespace kb::probe
