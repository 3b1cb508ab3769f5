// Many videos over N shards: each video is cut into parts by its size, and the parts go, largest
// first, to the least loaded shard. The plan depends only on the videos' sizes and N, so every
// shard process (a pod on another node, reading the same volume) computes the same plan on its
// own and takes its share: nothing has to be handed out. A part is an ordinary shard "I/K" of its
// video, so `merge_shards` joins the parts of each video exactly as for one video.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "scene/scene_shard.h"

namespace kb::scene {

struct VideoPart {
  int video = 0;    // index into the list of videos
  ShardSpec part;   // part I of K of that video
};

struct ShardPlan {
  std::vector<int> parts_per_video;            // K of each video
  std::vector<std::vector<VideoPart>> shards;  // what each shard decodes, in list order
};

// A video of b bytes gets K = ⌈N·b / total⌉ parts (1 … N; one video gets exactly N), each
// weighing b / K; parts go largest first to the shard with the least weight (ties: the lower
// index), so one video's part I lands on shard I.
ShardPlan plan_shards(const std::vector<std::int64_t>& video_bytes, int shards);

// UsageError for two videos with the same file name: results and shard files are named after it.
void require_distinct_names(const std::vector<std::filesystem::path>& videos);
// The sizes of `videos` (ParseError naming a missing one), after require_distinct_names.
std::vector<std::int64_t> video_sizes(const std::vector<std::filesystem::path>& videos);

// Shard result file of a part: "<file name>.part-<I>-of-<K>.json".
std::string part_file_name(const std::string& video_name, const ShardSpec& part);

// Shard results of one or more videos (any order) → one SceneList per video, in order of first
// appearance; each video's parts are checked and merged by `merge_shards`, with its name in errors.
std::vector<SceneList> merge_videos(std::vector<ShardResult> results);
// The lists in the order of `videos` (matched by file name).
std::vector<SceneList> in_given_order(std::vector<SceneList> lists, const std::vector<std::filesystem::path>& videos);

// kubench/scene-shard-set/v1: the results of one shard of a plan (all its parts), as a pod prints
// it framed in its log for the collector.
nlohmann::json shard_set_json(const ShardSpec& shard, const std::vector<ShardResult>& parts);
std::vector<ShardResult> shard_set_from_json(const nlohmann::json& j, const std::string& origin);

}  // namespace kb::scene
