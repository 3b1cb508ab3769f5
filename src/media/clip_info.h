// Reading a video's vital statistics with libavformat (no ffprobe child, no log parsing).
#pragma once
#include <filesystem>
#include <string>

namespace kb::media {

struct ClipInfo {
  std::string codec;       // "h264", "hevc"
  int width = 0;
  int height = 0;
  int bit_depth = 8;
  double frame_rate = 0;   // average frames per second
  long long frames = 0;    // from the container when it records it, else duration x rate
  double duration_seconds = 0;
  double bitrate_kbps = 0; // container bitrate (what the seed reports as BITRATE)
  long long bytes = 0;
};

// Throws ParseError("<file>: ...") when the file cannot be opened or has no video stream.
ClipInfo read_clip_info(const std::filesystem::path& path);

}  // namespace kb::media
