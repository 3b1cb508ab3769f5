#include "media/results.h"

#include "core/error.h"

namespace kb::media {
namespace {

using nlohmann::json;

json opt(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

std::optional<double> opt_double(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  return it->get<double>();
}

template <typename T>
T get_or(const json& j, const char* key, T fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  return it->get<T>();
}

json to_json(const StreamRun& s) {
  return {{"index", s.index}, {"status", s.status}, {"reason", s.reason}, {"frames", s.frames},
          {"wall_seconds", s.wall_seconds}, {"fps", s.fps}, {"speed", s.speed}, {"log", s.log}};
}

StreamRun stream_from_json(const json& j) {
  StreamRun s;
  s.index = get_or(j, "index", 0);
  s.status = get_or<std::string>(j, "status", "");
  s.reason = get_or<std::string>(j, "reason", "");
  s.frames = get_or(j, "frames", 0LL);
  s.wall_seconds = get_or(j, "wall_seconds", 0.0);
  s.fps = get_or(j, "fps", 0.0);
  s.speed = get_or(j, "speed", 0.0);
  s.log = get_or<std::string>(j, "log", "");
  return s;
}

json to_json(const ConcurrencyResult& c) {
  json levels = json::array();
  for (auto& l : c.levels) {
    json runs = json::array();
    for (auto& r : l.runs) runs.push_back(to_json(r));
    levels.push_back({{"streams", l.streams}, {"realtime", l.realtime}, {"aggregate_fps", l.aggregate_fps},
                      {"min_speed", l.min_speed}, {"mean_speed", l.mean_speed}, {"runs", runs}});
  }
  return {{"test_id", c.test_id}, {"clip", c.clip}, {"backend", c.backend}, {"encoder", c.encoder}, {"cap", c.cap},
          {"max_realtime_streams", c.max_realtime_streams}, {"capped", c.capped}, {"levels", levels}};
}

ConcurrencyResult concurrency_from_json(const json& j) {
  ConcurrencyResult c;
  c.test_id = get_or<std::string>(j, "test_id", "");
  c.clip = get_or<std::string>(j, "clip", "");
  c.backend = get_or<std::string>(j, "backend", "");
  c.encoder = get_or<std::string>(j, "encoder", "");
  c.cap = get_or(j, "cap", 0);
  c.max_realtime_streams = get_or(j, "max_realtime_streams", 0);
  c.capped = get_or(j, "capped", false);
  for (auto& l : j.value("levels", json::array())) {
    ConcurrencyLevel level;
    level.streams = get_or(l, "streams", 0);
    level.realtime = get_or(l, "realtime", false);
    level.aggregate_fps = get_or(l, "aggregate_fps", 0.0);
    level.min_speed = get_or(l, "min_speed", 0.0);
    level.mean_speed = get_or(l, "mean_speed", 0.0);
    for (auto& r : l.value("runs", json::array())) level.runs.push_back(stream_from_json(r));
    c.levels.push_back(std::move(level));
  }
  return c;
}

}  // namespace

json to_json(const TestRun& t) {
  return {{"test_id", t.test_id},
          {"clip", t.clip},
          {"backend", t.backend},
          {"encoder", t.encoder},
          {"decoder", t.decoder},
          {"device", t.device},
          {"experimental", t.experimental},
          {"command", t.command},
          {"status", t.status},
          {"reason", t.reason},
          {"frames", t.frames},
          {"expected_frames", t.expected_frames},
          {"wall_seconds", t.wall_seconds},
          {"fps", t.fps},
          {"speed", t.speed},
          {"output_bitrate_kbps", opt(t.output_bitrate_kbps)},
          {"output_bytes", t.output_bytes},
          {"input_bitrate_kbps", opt(t.input_bitrate_kbps)},
          {"ffmpeg_cpu_seconds", t.ffmpeg_cpu_seconds},
          {"exit_code", t.exit_code},
          {"signal", t.signal},
          {"log", t.log},
          {"power", power::to_json(t.power)},
          {"joules_per_frame", opt(t.joules_per_frame)},
          {"fps_per_watt", opt(t.fps_per_watt)}};
}

TestRun test_run_from_json(const json& j) {
  TestRun t;
  t.test_id = get_or<std::string>(j, "test_id", "");
  if (t.test_id.empty()) throw ParseError("a test entry has no test_id");
  t.clip = get_or<std::string>(j, "clip", "");
  t.backend = get_or<std::string>(j, "backend", "");
  t.encoder = get_or<std::string>(j, "encoder", "");
  t.decoder = get_or<std::string>(j, "decoder", "");
  t.device = get_or<std::string>(j, "device", "");
  t.experimental = get_or(j, "experimental", false);
  t.command = get_or(j, "command", std::vector<std::string>{});
  t.status = get_or<std::string>(j, "status", "");
  t.reason = get_or<std::string>(j, "reason", "");
  t.frames = get_or(j, "frames", 0LL);
  t.expected_frames = get_or(j, "expected_frames", 0LL);
  t.wall_seconds = get_or(j, "wall_seconds", 0.0);
  t.fps = get_or(j, "fps", 0.0);
  t.speed = get_or(j, "speed", 0.0);
  t.output_bitrate_kbps = opt_double(j, "output_bitrate_kbps");
  t.output_bytes = get_or(j, "output_bytes", 0LL);
  t.input_bitrate_kbps = opt_double(j, "input_bitrate_kbps");
  t.ffmpeg_cpu_seconds = get_or(j, "ffmpeg_cpu_seconds", 0.0);
  t.exit_code = get_or(j, "exit_code", -1);
  t.signal = get_or(j, "signal", 0);
  t.log = get_or<std::string>(j, "log", "");
  if (j.contains("power") && j["power"].is_object()) t.power = power::power_reading_from_json(j["power"]);
  t.joules_per_frame = opt_double(j, "joules_per_frame");
  t.fps_per_watt = opt_double(j, "fps_per_watt");
  return t;
}

json to_json(const BenchResult& r) {
  json tests = json::array();
  for (auto& t : r.tests) tests.push_back(to_json(t));
  json concurrency = json::array();
  for (auto& c : r.concurrency) concurrency.push_back(to_json(c));
  const auto& h = r.host;
  return {{"schema", r.schema},
          {"run_id", r.run_id},
          {"started_at", r.started_at},
          {"finished_at", r.finished_at},
          {"complete", r.complete},
          {"interrupted", r.interrupted},
          {"kubench_version", r.kubench_version},
          {"host",
           {{"hostname", h.hostname}, {"cpu_model", h.cpu_model}, {"cpu_vendor", h.cpu_vendor}, {"cpu_cores", h.cpu_cores},
            {"cpu_threads", h.cpu_threads}, {"memory_bytes", h.memory_bytes}, {"kernel", h.kernel},
            {"virtual_machine", h.virtual_machine}}},
          {"ffmpeg", {{"path", r.ffmpeg_path}, {"version", r.ffmpeg_version}}},
          {"accel_requested", r.accel_requested},
          {"backend", r.backend},
          {"device", r.device},
          {"driver", r.driver},
          {"gpu", r.gpu},
          {"node", r.node},
          {"profile", r.profile},
          {"clips", {{"set", r.clip_set}, {"dir", r.clip_dir}}},
          {"tests", tests},
          {"concurrency", concurrency},
          {"kubench_cpu_seconds", r.kubench_cpu_seconds},
          {"children_cpu_seconds", r.children_cpu_seconds}};
}

BenchResult bench_result_from_json(const json& j) {
  if (!j.is_object()) throw ParseError("results are not a JSON object");
  auto schema = get_or<std::string>(j, "schema", "");
  if (schema != kBenchSchema)
    throw ParseError("results have schema '" + schema + "', expected '" + kBenchSchema + "'");
  try {
    BenchResult r;
    r.run_id = get_or<std::string>(j, "run_id", "");
    r.started_at = get_or<std::string>(j, "started_at", "");
    r.finished_at = get_or<std::string>(j, "finished_at", "");
    r.complete = get_or(j, "complete", false);
    r.interrupted = get_or(j, "interrupted", false);
    r.kubench_version = get_or<std::string>(j, "kubench_version", "");
    auto host = j.value("host", json::object());
    r.host.hostname = get_or<std::string>(host, "hostname", "");
    r.host.cpu_model = get_or<std::string>(host, "cpu_model", "");
    r.host.cpu_vendor = get_or<std::string>(host, "cpu_vendor", "");
    r.host.cpu_cores = get_or(host, "cpu_cores", 0);
    r.host.cpu_threads = get_or(host, "cpu_threads", 0);
    r.host.memory_bytes = get_or(host, "memory_bytes", 0LL);
    r.host.kernel = get_or<std::string>(host, "kernel", "");
    r.host.virtual_machine = get_or(host, "virtual_machine", false);
    auto ffmpeg = j.value("ffmpeg", json::object());
    r.ffmpeg_path = get_or<std::string>(ffmpeg, "path", "");
    r.ffmpeg_version = get_or<std::string>(ffmpeg, "version", "");
    r.accel_requested = get_or<std::string>(j, "accel_requested", "");
    r.backend = get_or<std::string>(j, "backend", "");
    r.device = get_or<std::string>(j, "device", "");
    r.driver = get_or<std::string>(j, "driver", "");
    r.gpu = get_or<std::string>(j, "gpu", "");
    r.node = get_or<std::string>(j, "node", "");
    r.profile = get_or<std::string>(j, "profile", "");
    auto clips = j.value("clips", json::object());
    r.clip_set = get_or<std::string>(clips, "set", "");
    r.clip_dir = get_or<std::string>(clips, "dir", "");
    for (auto& t : j.value("tests", json::array())) r.tests.push_back(test_run_from_json(t));
    for (auto& c : j.value("concurrency", json::array())) r.concurrency.push_back(concurrency_from_json(c));
    r.kubench_cpu_seconds = get_or(j, "kubench_cpu_seconds", 0.0);
    r.children_cpu_seconds = get_or(j, "children_cpu_seconds", 0.0);
    return r;
  } catch (const json::exception& e) {
    throw ParseError(std::string("results do not match ") + kBenchSchema + ": " + e.what());
  }
}

}  // namespace kb::media
