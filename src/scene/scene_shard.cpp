#include "scene/scene_shard.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "core/error.h"
#include "core/interrupt.h"
#include "core/text.h"

namespace kb::scene {

using nlohmann::json;

ShardSpec parse_shard(const std::string& text) {
  auto parts = split(text, '/');
  std::optional<long long> i, n;
  if (parts.size() == 2) {
    i = parse_int(parts[0]);
    n = parse_int(parts[1]);
  }
  if (!i || !n) throw UsageError("--shard must be I/N (0-based index I of N shards), got '" + text + "'");
  if (*n < 1 || *n > 100000) throw UsageError("--shard count must be 1 to 100000, got " + std::to_string(*n));
  if (*i < 0 || *i >= *n) throw UsageError("--shard index " + std::to_string(*i) + " is outside 0…" + std::to_string(*n - 1));
  return {static_cast<int>(*i), static_cast<int>(*n)};
}

std::pair<std::int64_t, std::int64_t> shard_range(const ShardSpec& s, std::int64_t frames, const std::vector<std::int64_t>& keyframes,
                                                  const std::vector<double>& cost_before) {
  const bool costed = cost_before.size() == static_cast<size_t>(frames) + 1 && frames > 0 && cost_before.back() > 0;
  auto cost = [&](std::int64_t f) {
    f = std::clamp<std::int64_t>(f, 0, frames);
    return costed ? cost_before[static_cast<size_t>(f)] : static_cast<double>(f);
  };
  auto nominal = [&](std::int64_t i) -> std::int64_t {  // the frame where the cost reaches i/N of the total
    if (i <= 0) return 0;
    if (i >= s.count) return frames;
    if (!costed) return frames * i / s.count;
    const double target = cost_before.back() * static_cast<double>(i) / s.count;
    return std::lower_bound(cost_before.begin(), cost_before.end(), target) - cost_before.begin();
  };
  auto border = [&](std::int64_t i) -> std::int64_t {  // start of shard i
    if (i == 0) return 0;
    const std::int64_t at = nominal(i), before = nominal(i - 1), after = nominal(i + 1);
    const double target = cost(at);
    std::int64_t best = at;
    double best_gap = -1;
    for (auto k = std::upper_bound(keyframes.begin(), keyframes.end(), before); k != keyframes.end() && *k < after; ++k) {
      const double gap = std::abs(cost(*k) - target);
      if (best_gap < 0 || gap < best_gap) best = *k, best_gap = gap;
    }
    return best;
  };
  return {border(s.index), s.index + 1 == s.count ? -1 : border(s.index + 1)};
}

namespace {
constexpr double kCostPerByte = 150;  // in pixels' worth of decoding (see the header)
}  // namespace

std::vector<double> decode_cost_before(const std::vector<VideoReader::IndexedPacket>& packets, std::int64_t frames,
                                       std::int64_t pixels_per_frame) {
  if (packets.empty() || frames <= 0) return {};
  std::vector<double> per_frame(static_cast<size_t>(frames), static_cast<double>(pixels_per_frame));
  for (auto& p : packets)
    if (p.frame >= 0 && p.frame < frames) per_frame[static_cast<size_t>(p.frame)] += kCostPerByte * static_cast<double>(p.bytes);
  std::vector<double> before(static_cast<size_t>(frames) + 1, 0);
  for (size_t f = 0; f < per_frame.size(); ++f) before[f + 1] = before[f] + per_frame[f];
  return before;
}

json to_json(const ShardResult& r) {
  // Metrics as parallel arrays: a long video has hundreds of thousands of frames.
  json frames = json::array(), dh = json::array(), ds = json::array(), dv = json::array(), bright = json::array();
  for (auto& m : r.metrics) {
    frames.push_back(m.frame);
    dh.push_back(m.delta_hue);
    ds.push_back(m.delta_sat);
    dv.push_back(m.delta_lum);
    bright.push_back(m.brightness);
  }
  json damaged = json::array();
  for (auto& d : r.damaged) damaged.push_back({{"first", d.first}, {"last", d.last}, {"reason", d.reason}});
  return {{"schema", "kubench/scene-shard/v1"},
          {"video", to_json(r.video)},
          {"settings", to_json(r.settings)},
          {"shard", {{"index", r.shard.index}, {"count", r.shard.count}}},
          {"range", {{"first", r.first}, {"end", r.end}, {"to_end_of_stream", r.to_end_of_stream}}},
          {"damaged", damaged},
          {"decode_errors", r.decode_errors},
          {"frames_decoded", r.frames_decoded},
          {"decode_seconds", r.decode_seconds},
          {"metrics", {{"frame", frames}, {"delta_hue", dh}, {"delta_sat", ds}, {"delta_lum", dv}, {"brightness", bright}}}};
}

ShardResult shard_result_from_json(const json& j, const std::string& origin) {
  if (!j.is_object() || j.value("schema", "") != "kubench/scene-shard/v1")
    throw ParseError(origin + ": not a kubench scene shard result (schema kubench/scene-shard/v1)");
  try {
    ShardResult r;
    r.video = video_identity_from_json(j.at("video"));
    r.settings = detector_settings_from_json(j.at("settings"));
    r.shard = {j.at("shard").at("index"), j.at("shard").at("count")};
    r.first = j.at("range").at("first");
    r.end = j.at("range").at("end");
    r.to_end_of_stream = j.at("range").at("to_end_of_stream");
    for (auto& d : j.at("damaged")) r.damaged.push_back({d.at("first"), d.at("last"), d.at("reason")});
    r.decode_errors = j.at("decode_errors");
    r.frames_decoded = j.value("frames_decoded", std::int64_t{0});
    r.decode_seconds = j.value("decode_seconds", 0.0);
    const json& m = j.at("metrics");
    const auto& frames = m.at("frame");
    for (const char* key : {"delta_hue", "delta_sat", "delta_lum", "brightness"})
      if (m.at(key).size() != frames.size()) throw ParseError(origin + ": metrics arrays differ in length");
    r.metrics.reserve(frames.size());
    for (size_t i = 0; i < frames.size(); ++i)
      r.metrics.push_back({frames[i].get<std::int64_t>(), m["delta_hue"][i].get<double>(), m["delta_sat"][i].get<double>(),
                           m["delta_lum"][i].get<double>(), m["brightness"][i].get<double>()});
    return r;
  } catch (const json::exception& e) {
    throw ParseError(origin + ": malformed shard result: " + e.what());
  }
}

ShardResult detect_shard(const std::filesystem::path& video, const ShardSpec& shard, const DetectorSettings& settings,
                         const DecodeOptions& decode, const FrameProgress& progress) {
  settings.validate();
  const auto start = std::chrono::steady_clock::now();
  VideoReader reader(video, decode);
  ShardResult r;
  r.video = reader.identity();
  r.settings = settings;
  r.shard = shard;
  auto [first, end] = shard_range(shard, r.video.frames, reader.keyframes(),
                                 decode_cost_before(reader.packet_sizes(), r.video.frames,
                                                    static_cast<std::int64_t>(r.video.width) * r.video.height));
  r.first = first;
  r.to_end_of_stream = end < 0;
  // The next shard's first frame is decoded too: its difference needs its predecessor, which
  // only this shard has. (That shard's own value for it is replaced at merge.)
  MetricsCalculator calc;
  std::int64_t count = 0;
  std::int64_t next = reader.read(first, end < 0 ? -1 : end + 1, 0, [&](const Frame& f) {
    r.metrics.push_back(calc.add(f.index, f.bgr));
    if (progress && (++count & 63) == 0) progress(f.index);
    return !interrupted();
  });
  if (interrupted()) throw Interrupted();
  r.end = end < 0 ? std::max(next, first) : end;  // (the last shard's end is where the stream ended)
  r.damaged = reader.damaged();
  r.decode_errors = reader.decode_errors();
  r.frames_decoded = reader.frames_decoded();
  if (r.metrics.empty() && first == 0) throw ParseError(video.string() + ": no frame could be decoded");
  r.decode_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

SceneList merge_shards(std::vector<ShardResult> shards) {
  if (shards.empty()) throw UsageError("no shard results to merge");
  std::sort(shards.begin(), shards.end(), [](const ShardResult& a, const ShardResult& b) { return a.shard.index < b.shard.index; });
  const auto& head = shards.front();
  const int count = head.shard.count;
  const json settings = to_json(head.settings);
  std::map<int, int> seen;
  for (auto& s : shards) {
    const std::string name = "shard " + std::to_string(s.shard.index) + "/" + std::to_string(s.shard.count);
    if (!same_video(s.video, head.video))
      throw UsageError(name + " is of another video (" + s.video.name + ", " + std::to_string(s.video.bytes) + " bytes) than shard " +
                        std::to_string(head.shard.index) + " (" + head.video.name + ")");
    if (to_json(s.settings) != settings) throw UsageError(name + " was detected with other settings: " + to_json(s.settings).dump());
    if (s.shard.count != count) throw UsageError(name + " belongs to a split into " + std::to_string(s.shard.count) + ", not " + std::to_string(count));
    if (++seen[s.shard.index] > 1) throw UsageError(name + " is given twice");
  }
  for (int i = 0; i < count; ++i)
    if (!seen.count(i)) throw UsageError("shard " + std::to_string(i) + "/" + std::to_string(count) + " is missing");

  SceneList list;
  list.video = head.video;
  list.settings = head.settings;
  list.shards = count;
  std::int64_t expected_first = 0;
  for (auto& s : shards) {
    if (s.first != expected_first)
      throw UsageError("shard " + std::to_string(s.shard.index) + "/" + std::to_string(count) + " starts at frame " +
                        std::to_string(s.first) + ", expected " + std::to_string(expected_first));
    if (s.to_end_of_stream != (s.shard.index + 1 == count))
      throw UsageError("shard " + std::to_string(s.shard.index) + "/" + std::to_string(count) + " has a wrong end");
    expected_first = s.end;
    auto from = s.metrics.begin();
    // This shard's first frame was also the previous shard's look-ahead, which had its predecessor.
    // (All its entries for that frame number: frames whose times round to one number come together.)
    while (!list.metrics.empty() && from != s.metrics.end() && from->frame == list.metrics.back().frame) ++from;
    list.metrics.insert(list.metrics.end(), from, s.metrics.end());
    list.damaged.insert(list.damaged.end(), s.damaged.begin(), s.damaged.end());
    list.decode_errors += s.decode_errors;
  }
  list.end_frame = expected_first;
  if (!list.metrics.empty()) list.start_frame = list.metrics.front().frame;
  list.cuts = detect_cuts(list.metrics, list.settings, list.end_frame);
  return list;
}

}  // namespace kb::scene
