// Parser for ffmpeg's machine-readable `-progress` stream (key=value lines, blocks ended by
// "progress=continue|end"). Never parse the human log: its fields are padded and reformatted.
#pragma once
#include <optional>
#include <string_view>

namespace kb::media {

struct FfmpegProgress {
  long long frame = 0;
  double fps = 0;                          // ffmpeg's own running figure (informational)
  std::optional<double> speed;             // "speed=  12x" -> 12; "N/A" -> nullopt
  std::optional<long long> total_size;     // bytes muxed so far; "N/A" -> nullopt
  long long out_time_us = 0;
  bool end = false;                        // saw "progress=end"
  int blocks = 0;                          // complete blocks seen
};

class ProgressParser {
 public:
  // Feeds one line; returns true when it completed a block (latest() is then up to date).
  bool feed(std::string_view line);
  const FfmpegProgress& latest() const { return latest_; }

 private:
  FfmpegProgress pending_;
  FfmpegProgress latest_;
};

// "5.2x", "  12x", "0.68x", ".68x", "1e+02x" -> value; "N/A" or garbage -> nullopt.
std::optional<double> parse_speed(std::string_view text);

}  // namespace kb::media
