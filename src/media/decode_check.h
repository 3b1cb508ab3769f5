// The last check of a split encode: decode the whole output once and count what comes out —
// video frames, audio samples, decode errors, and the time the video spans — to compare with the
// source (Tdarr's "thorough" health check, done on every output).
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace kb::media {

struct DecodeCount {
  std::int64_t video_frames = 0;
  std::int64_t audio_samples = 0;  // per channel, of the first audio stream, from the video's start on
  std::int64_t decode_errors = 0;
  double video_duration_s = 0;     // from the first frame's start to the last frame's end
  double audio_start_s = 0;        // first audio sample's time minus the first video frame's
  bool has_audio = false;
  std::string first_error;
};

struct DecodeCheckOptions {
  bool video = true, audio = true;
  int threads = 0;  // video decoder threads (0: libavcodec's choice)
  // Skip the H.264/HEVC deblocking filter: every frame is still parsed, reconstructed and
  // counted, decode errors still found, ~15 % faster; the pictures are not the exact ones.
  bool skip_loop_filter = false;
  // Audio samples before this time (the file's clock, seconds) are not counted: the audio that
  // plays with the video. Unset: the video stream's start.
  std::optional<double> audio_from_s;
};

// ParseError for a file that cannot be opened or has no video stream (when video is asked for).
DecodeCount decode_count(const std::filesystem::path& path, const DecodeCheckOptions& options = {});

}  // namespace kb::media
