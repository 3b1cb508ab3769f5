// What a split encode must know of its source before it plans parts: the video stream's exact
// frame rate and time base, where it starts against the file's start (for frame-exact seeking),
// its frame count and keyframes from one pass over the packets (I/O only, no decoding), and the
// audio stream that is encoded once for the whole file.
#pragma once
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

struct AVFormatContext;

namespace kb::media {

struct Rational {
  std::int64_t num = 0, den = 1;
  double value() const { return den ? static_cast<double>(num) / static_cast<double>(den) : 0; }
};
// "30000/1001", "25"
std::string to_string(const Rational& r);

struct SourceInfo {
  std::string path, format;        // "mov,mp4,m4a,3gp,3g2,mj2", "mpegts"
  std::string codec, pix_fmt;      // video
  int width = 0, height = 0, bit_depth = 8;
  Rational rate;                   // frames per second, exact
  double video_start_s = 0;        // the video's first timestamp minus the file's start (seek offsets)
  double format_start_s = 0;       // the file's start: the earliest timestamp of any stream
  std::int64_t frames = 0;         // packets of the video stream, each a frame at its own index
  std::vector<std::int64_t> keyframes;  // frame indices, ascending
  bool indexed = false;            // the container has a seek index (MP4, Matroska cues); MPEG-TS has none
  std::int64_t bytes = 0;
  // The first audio stream; empty codec when there is none.
  std::string audio_codec;
  int audio_rate = 0, audio_channels = 0;

  double duration_s() const { return rate.num ? static_cast<double>(frames) * static_cast<double>(rate.den) / static_cast<double>(rate.num) : 0; }
};
nlohmann::json to_json(const SourceInfo& s);
SourceInfo source_info_from_json(const nlohmann::json& j);

// ParseError (exit 2) for a missing file, what is not a video, no video stream, a stream without
// a constant frame rate (a missing or repeated frame slot, saying which) or without timestamps.
SourceInfo read_source_info(const std::filesystem::path& path);

// The first audio stream's index (what ffmpeg's 0:a:0 maps), or -1.
int first_audio_stream(const ::AVFormatContext* input);

// Frame index of timestamp `ts` (stream time base `tb`) in a stream starting at `start` with `rate`.
std::int64_t frame_index(std::int64_t ts, std::int64_t start, Rational tb, Rational rate);

}  // namespace kb::media
