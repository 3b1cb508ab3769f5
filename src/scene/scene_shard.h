// Sharded scene detection that gives the single pass's answer for any number of shards.
//
// A shard decodes only its frame range plus the first frame of the next one, and records every
// frame's metrics: the frame difference at a border is the earlier shard's, which decoded its
// predecessor, so the later shard starts at its own keyframe-aligned first frame; `merge_shards` checks the shards belong together
// (same video, same settings, ranges contiguous from 0 to the end) and runs the detector over the
// joined metrics — so the minimum scene length, the adaptive window and fades that cross a border
// are decided exactly as in one pass. A single pass is the one-shard case of the same code.
#pragma once
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "scene/detectors.h"
#include "scene/video_reader.h"

namespace kb::scene {

struct ShardSpec {
  int index = 0, count = 1;  // I/N, 0-based
};
// "2/8" (0-based index); UsageError for an index outside its count.
ShardSpec parse_shard(const std::string& text);
// Frame range [first, end) of a shard of a `frames`-frame video; the last shard's end is -1 (to
// the end of the stream, whatever the container's frame count said). The nominal borders cut the
// estimated decode cost into N equal parts (`cost_before[f]`: the cost of frames [0, f), size
// frames + 1; empty: every frame costs the same). Each border then moves to the keyframe nearest
// in cost among `keyframes` between its neighbours' nominal borders, so a shard starts decoding
// right at its first frame; without one it stays where it is.
std::pair<std::int64_t, std::int64_t> shard_range(const ShardSpec& shard, std::int64_t frames,
                                                  const std::vector<std::int64_t>& keyframes = {},
                                                  const std::vector<double>& cost_before = {});

// The estimated decode cost of frames [0, f) for f = 0 … frames: each frame costs its pixels
// plus 150 × its packet's bytes (a least-squares fit of per-packet decode times of libavcodec's
// H.264 decoder on the 1080p benchmark clip: ≈ 0.68 ns per pixel of fixed work, ≈ 105 ns per byte
// of bitstream; a busy scene decodes several times slower than a static one). Empty when the
// container has no index of packet sizes.
std::vector<double> decode_cost_before(const std::vector<VideoReader::IndexedPacket>& packets, std::int64_t frames,
                                       std::int64_t pixels_per_frame);

struct ShardResult {
  VideoIdentity video;
  DetectorSettings settings;
  ShardSpec shard;
  std::int64_t first = 0;
  std::int64_t end = 0;                 // one past the last frame of the range actually decoded
  bool to_end_of_stream = false;        // the last shard: its end is the video's end
  std::vector<FrameMetric> metrics;     // frames first…end that decoded (end: the next shard's first)
  std::vector<DamagedRange> damaged;
  std::int64_t decode_errors = 0;
  std::int64_t frames_decoded = 0;      // including those before the range since the keyframe
  double decode_seconds = 0;
};
nlohmann::json to_json(const ShardResult& r);  // kubench/scene-shard/v1
ShardResult shard_result_from_json(const nlohmann::json& j, const std::string& origin);

using FrameProgress = std::function<void(std::int64_t frame)>;

// Decodes one shard of `video`. Throws ParseError for what is not a video.
ShardResult detect_shard(const std::filesystem::path& video, const ShardSpec& shard, const DetectorSettings& settings,
                         const DecodeOptions& decode, const FrameProgress& progress = {});

struct SceneList {
  VideoIdentity video;
  DetectorSettings settings;
  std::vector<std::int64_t> cuts;       // frames where a new scene starts (not the first)
  std::int64_t start_frame = 0;         // the first decoded frame: where the first scene starts, as in PySceneDetect
  std::int64_t end_frame = 0;           // one past the last frame
  std::vector<FrameMetric> metrics;     // for the statistics CSV
  std::vector<DamagedRange> damaged;
  std::int64_t decode_errors = 0;
  int shards = 1;
};

// The shards in any order; errors (UsageError, exit 2, naming the shard) for a missing, duplicated or
// foreign shard, different settings, or ranges that do not join up.
SceneList merge_shards(std::vector<ShardResult> shards);

}  // namespace kb::scene
