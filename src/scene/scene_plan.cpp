#include "scene/scene_plan.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <set>

#include "core/error.h"

namespace kb::scene {

using nlohmann::json;

ShardPlan plan_shards(const std::vector<std::int64_t>& video_bytes, int shards) {
  if (shards < 1) throw UsageError("the number of shards must be at least 1");
  if (video_bytes.empty()) throw UsageError("no video to plan");
  ShardPlan plan;
  plan.shards.resize(static_cast<size_t>(shards));
  // +1 byte each: empty files still count as something to hand out.
  long double total = 0;
  for (auto b : video_bytes) total += static_cast<long double>(b) + 1;
  struct Piece {
    long double weight;
    VideoPart part;
  };
  std::vector<Piece> pieces;
  for (size_t v = 0; v < video_bytes.size(); ++v) {
    const long double bytes = static_cast<long double>(video_bytes[v]) + 1;
    long double exact = shards * bytes / total;
    int k = static_cast<int>(std::clamp<long double>(std::ceil(exact - 1e-9L), 1, shards));
    plan.parts_per_video.push_back(k);
    for (int i = 0; i < k; ++i) pieces.push_back({bytes / k, {static_cast<int>(v), {i, k}}});
  }
  // Largest first; equal weights keep list order, so one video's part I goes to shard I.
  std::stable_sort(pieces.begin(), pieces.end(), [](const Piece& a, const Piece& b) { return a.weight > b.weight; });
  std::vector<long double> load(static_cast<size_t>(shards), 0);
  for (auto& p : pieces) {
    auto least = std::min_element(load.begin(), load.end()) - load.begin();
    load[static_cast<size_t>(least)] += p.weight;
    plan.shards[static_cast<size_t>(least)].push_back(p.part);
  }
  for (auto& s : plan.shards)
    std::sort(s.begin(), s.end(), [](const VideoPart& a, const VideoPart& b) {
      return a.video != b.video ? a.video < b.video : a.part.index < b.part.index;
    });
  return plan;
}

void require_distinct_names(const std::vector<std::filesystem::path>& videos) {
  std::map<std::string, std::string> names;
  for (auto& v : videos) {
    auto [it, fresh] = names.emplace(v.filename().string(), v.string());
    if (!fresh)
      throw UsageError("two videos are named " + v.filename().string() + " (" + it->second + ", " + v.string() +
                       "): results are named after the file, so the names must differ");
  }
}

std::vector<std::int64_t> video_sizes(const std::vector<std::filesystem::path>& videos) {
  require_distinct_names(videos);
  std::vector<std::int64_t> sizes;
  for (auto& v : videos) {
    std::error_code ec;
    auto size = std::filesystem::file_size(v, ec);
    if (ec) throw ParseError(v.string() + ": " + (ec == std::errc::no_such_file_or_directory ? "no such file" : ec.message()));
    sizes.push_back(static_cast<std::int64_t>(size));
  }
  return sizes;
}

std::string part_file_name(const std::string& video_name, const ShardSpec& part) {
  return video_name + ".part-" + std::to_string(part.index) + "-of-" + std::to_string(part.count) + ".json";
}

std::vector<SceneList> merge_videos(std::vector<ShardResult> results) {
  if (results.empty()) throw UsageError("no shard results to merge");
  std::vector<std::string> order;
  std::map<std::string, std::vector<ShardResult>> by_video;
  for (auto& r : results) {
    if (!by_video.count(r.video.name)) order.push_back(r.video.name);
    by_video[r.video.name].push_back(std::move(r));
  }
  // A part missing from one video and found under another, itself incomplete, is a foreign
  // shard given by mistake: say so instead of "missing" twice.
  auto holds = [&](const std::string& name, int index, int count) {
    for (auto& r : by_video[name])
      if (r.shard.index == index && r.shard.count == count) return &r;
    return static_cast<ShardResult*>(nullptr);
  };
  auto complete = [&](const std::string& name) {
    auto& parts = by_video[name];
    for (int i = 0; i < parts.front().shard.count; ++i)
      if (!holds(name, i, parts.front().shard.count)) return false;
    return true;
  };
  for (auto& name : order) {
    const auto& head = by_video[name].front();
    for (int i = 0; i < head.shard.count; ++i) {
      if (holds(name, i, head.shard.count)) continue;
      for (auto& other : order)
        if (other != name && !complete(other))
          if (auto* r = holds(other, i, head.shard.count))
            throw UsageError("shard " + std::to_string(i) + "/" + std::to_string(head.shard.count) + " is of another video (" +
                             r->video.name + ", " + std::to_string(r->video.bytes) + " bytes) than shard " +
                             std::to_string(head.shard.index) + " (" + name + ")");
    }
  }
  std::vector<SceneList> lists;
  for (auto& name : order) {
    auto& parts = by_video[name];
    try {
      lists.push_back(merge_shards(std::move(parts)));
    } catch (const UsageError& e) {
      throw UsageError((order.size() > 1 ? name + ": " : "") + e.what());
    }
  }
  return lists;
}

std::vector<SceneList> in_given_order(std::vector<SceneList> lists, const std::vector<std::filesystem::path>& videos) {
  std::vector<SceneList> ordered;
  for (auto& v : videos)
    for (auto& l : lists)
      if (l.video.name == v.filename().string()) ordered.push_back(std::move(l));
  return ordered;
}

json shard_set_json(const ShardSpec& shard, const std::vector<ShardResult>& parts) {
  json list = json::array();
  for (auto& p : parts) list.push_back(to_json(p));
  return {{"schema", "kubench/scene-shard-set/v1"}, {"shard", {{"index", shard.index}, {"count", shard.count}}}, {"parts", list}};
}

std::vector<ShardResult> shard_set_from_json(const json& j, const std::string& origin) {
  if (!j.is_object() || j.value("schema", "") != "kubench/scene-shard-set/v1" || !j.contains("parts") || !j["parts"].is_array())
    throw ParseError(origin + ": not a kubench scene shard set (schema kubench/scene-shard-set/v1)");
  std::vector<ShardResult> out;
  for (auto& p : j["parts"]) out.push_back(shard_result_from_json(p, origin));
  return out;
}

}  // namespace kb::scene
