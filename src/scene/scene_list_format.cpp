#include "scene/scene_list_format.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "core/output.h"
#include "core/text.h"

namespace kb::scene {

using nlohmann::json;

std::vector<Scene> scenes_of(const SceneList& list) {
  std::vector<Scene> out;
  std::int64_t start = list.start_frame;
  for (auto cut : list.cuts) {
    if (cut <= start || cut >= list.end_frame) continue;
    out.push_back({start, cut});
    start = cut;
  }
  if (list.end_frame > start) out.push_back({start, list.end_frame});
  return out;
}

std::string timecode(std::int64_t frame, double fps) {
  const double seconds = fps > 0 ? static_cast<double>(frame) / fps : 0;
  auto ms = static_cast<long long>(std::llround(seconds * 1000));
  char buf[96];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld.%03lld", ms / 3600000, ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
  return buf;
}

namespace {
std::string secs(std::int64_t frame, double fps) { return fixed(fps > 0 ? static_cast<double>(frame) / fps : 0, 3); }

// CMX 3600 timecode HH:MM:SS:FF at the rounded frame rate (non-drop frame).
std::string smpte(std::int64_t frame, double fps) {
  const long long rate = std::max(1LL, std::llround(fps));
  char buf[96];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld:%02lld", frame / (rate * 3600), frame / (rate * 60) % 60, frame / rate % 60,
                frame % rate);
  return buf;
}
}  // namespace

std::string scenes_table(const SceneList& list) {
  const double fps = list.video.frame_rate;
  Table t{{"SCENE", "START", "END", "FRAMES", "START TIME", "END TIME", "SECONDS"}, {}, {0, 1, 2, 3, 6}};
  int n = 0;
  for (auto& s : scenes_of(list))
    t.rows.push_back({std::to_string(++n), std::to_string(s.start), std::to_string(s.end), std::to_string(s.end - s.start),
                      timecode(s.start, fps), timecode(s.end, fps), secs(s.end - s.start, fps)});
  std::string out = t.render();
  for (auto& d : list.damaged)
    out += "damaged: frames " + std::to_string(d.first) + "-" + std::to_string(d.last) + " (" + d.reason + ")\n";
  return out;
}

std::string scenes_csv(const SceneList& list, bool skip_cuts) {
  const double fps = list.video.frame_rate;
  std::string out;
  if (!skip_cuts) {
    out += "Timecode List:";
    const auto scenes = scenes_of(list);
    for (size_t i = 1; i < scenes.size(); ++i) out += "," + timecode(scenes[i].start, fps);
    out += "\n";
  }
  out += "Scene Number,Start Frame,Start Timecode,Start Time (seconds),End Frame,End Timecode,End Time (seconds),"
         "Length (frames),Length (timecode),Length (seconds)\n";
  int n = 0;
  for (auto& s : scenes_of(list)) {
    const auto len = s.end - s.start;
    out += std::to_string(++n) + "," + std::to_string(s.start + 1) + "," + timecode(s.start, fps) + "," + secs(s.start, fps) + "," +
           std::to_string(s.end) + "," + timecode(s.end, fps) + "," + secs(s.end, fps) + "," + std::to_string(len) + "," +
           timecode(len, fps) + "," + secs(len, fps) + "\n";
  }
  return out;
}

json scenes_json(const SceneList& list) {
  const double fps = list.video.frame_rate;
  json scenes = json::array();
  for (auto& s : scenes_of(list))
    scenes.push_back({{"start_frame", s.start}, {"end_frame", s.end}, {"start_s", static_cast<double>(s.start) / fps},
                      {"end_s", static_cast<double>(s.end) / fps}, {"start_timecode", timecode(s.start, fps)},
                      {"end_timecode", timecode(s.end, fps)}});
  json damaged = json::array();
  for (auto& d : list.damaged) damaged.push_back({{"first", d.first}, {"last", d.last}, {"reason", d.reason}});
  return {{"schema", "kubench/scenes/v1"}, {"video", to_json(list.video)}, {"settings", to_json(list.settings)},
          {"first_frame", list.start_frame}, {"frames", list.end_frame}, {"cuts", list.cuts},             {"scenes", scenes},
          {"damaged", damaged},            {"decode_errors", list.decode_errors}, {"shards", list.shards}};
}

std::string scenes_edl(const SceneList& list, const std::string& title) {
  const double fps = list.video.frame_rate;
  std::string out = "TITLE: " + title + "\nFCM: NON-DROP FRAME\n\n";
  int n = 0;
  for (auto& s : scenes_of(list)) {
    char event[16];
    std::snprintf(event, sizeof event, "%03d", ++n);
    out += std::string(event) + "  AX       V     C        " + smpte(s.start, fps) + " " + smpte(s.end, fps) + " " + smpte(s.start, fps) +
           " " + smpte(s.end, fps) + "\n";
  }
  return out;
}

namespace {
// The shortest text that reads back as the same double, as Python's str(float) writes it.
std::string exact(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}
}  // namespace

std::string stats_csv(const SceneList& list) {
  const bool adaptive = list.settings.kind == DetectorKind::adaptive;
  std::string out = "Frame Number,Timecode,content_val,delta_hue,delta_sat,delta_lum,brightness";
  if (adaptive) out += ",adaptive_ratio (w=" + std::to_string(list.settings.window_width) + ")";
  out += "\n";
  const std::vector<double> ratios = adaptive ? adaptive_ratios(list.metrics, list.settings) : std::vector<double>{};
  for (size_t i = 0; i < list.metrics.size(); ++i) {
    const auto& m = list.metrics[i];
    // One row per frame number, the last frame's, as PySceneDetect's statistics keep it.
    if (i + 1 < list.metrics.size() && list.metrics[i + 1].frame == m.frame) continue;
    out += std::to_string(m.frame + 1) + "," + timecode(m.frame, list.video.frame_rate) + "," + exact(m.content()) + "," +
           exact(m.delta_hue) + "," + exact(m.delta_sat) + "," + exact(m.delta_lum) + "," + exact(m.brightness);
    if (adaptive) out += "," + (std::isnan(ratios[i]) ? std::string() : exact(ratios[i]));
    out += "\n";
  }
  return out;
}

}  // namespace kb::scene
