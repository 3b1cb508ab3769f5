// Decoding for scene detection (libavformat/libavcodec/swscale): one video stream, frames numbered
// from their timestamps (so a shard that seeks numbers them as a single pass does), downscaled to
// BGR about 256 px wide as PySceneDetect does. Decode errors do not stop it: they are collected as
// damaged frame ranges.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "scene/downscale.h"

namespace kb::scene {

// What makes two shard results "of the same video".
struct VideoIdentity {
  std::string name;  // file name only
  std::int64_t bytes = 0;
  int width = 0, height = 0;
  double frame_rate = 0;      // frames per second (average)
  int rate_num = 0, rate_den = 1;
  double duration_s = 0;
  std::int64_t frames = 0;    // from the container (or duration × rate): used to plan shards
  std::string codec;
  // sha256 of the size, the first and the last MiB: cheap on a 50 GB file, and a different or
  // re-encoded file differs in its header or tail.
  std::string sampled_sha256;
};
nlohmann::json to_json(const VideoIdentity& v);
VideoIdentity video_identity_from_json(const nlohmann::json& j);
bool same_video(const VideoIdentity& a, const VideoIdentity& b);

struct DecodeOptions {
  int threads = 0;            // 0: one per core this process may use (max 16)
  int target_width = 256;     // longer side downscaled to this, as PySceneDetect (downscaled_size)
  bool skip_loop_filter = false;  // H.264/HEVC deblocking skipped: faster, pixels differ slightly
};

struct Frame {
  std::int64_t index = 0;  // 0-based, from the timestamp
  BgrPlanes bgr;           // the downscaled picture, valid during the callback
};

struct DamagedRange {
  std::int64_t first = 0, last = 0;  // frame indices, inclusive
  std::string reason;
};

class VideoReader {
 public:
  // Throws ParseError (exit 2) for a missing file, not a video, or no video stream.
  VideoReader(const std::filesystem::path& path, const DecodeOptions& options);
  ~VideoReader();
  VideoReader(const VideoReader&) = delete;
  VideoReader& operator=(const VideoReader&) = delete;

  const VideoIdentity& identity() const { return identity_; }
  // Frame numbers of the keyframes the container's index lists (empty without an index, e.g.
  // MPEG-TS), ascending. Used only to place shard borders where no shard decodes twice.
  std::vector<std::int64_t> keyframes() const;
  // The container index's packets as (frame, bytes): with the frame size, what a shard's decode
  // costs (scene_shard's borders balance it). Empty without an index.
  struct IndexedPacket {
    std::int64_t frame = 0;
    std::int64_t bytes = 0;
  };
  std::vector<IndexedPacket> packet_sizes() const;

  // Decodes frames with index in [first, end) (end < 0: to the end) and calls `on_frame` for each,
  // in order. With first > 0 it seeks to the keyframe before `first - lookbehind` and also
  // delivers up to `lookbehind` frames before `first` (a detector's history). Returns the index
  // after the last frame delivered. `on_frame` returns false to stop.
  std::int64_t read(std::int64_t first, std::int64_t end, int lookbehind, const std::function<bool(const Frame&)>& on_frame);

  const std::vector<DamagedRange>& damaged() const { return damaged_; }
  std::int64_t decode_errors() const { return decode_errors_; }
  std::int64_t frames_decoded() const { return frames_decoded_; }  // by the last read(), skipped ones too

 private:
  struct State;
  std::unique_ptr<State> s_;
  VideoIdentity identity_;
  std::vector<DamagedRange> damaged_;
  std::int64_t decode_errors_ = 0;
  std::int64_t frames_decoded_ = 0;
};

}  // namespace kb::scene
