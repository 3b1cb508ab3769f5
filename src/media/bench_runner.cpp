#include "media/bench_runner.h"

#include <unistd.h>
#include <sys/resource.h>
#include <sys/utsname.h>

#include <algorithm>
#include <ctime>
#include <random>
#include <thread>

#include "core/error.h"
#include "core/files.h"
#include "core/interrupt.h"
#include "core/output.h"
#include "core/text.h"
#include "core/utc_time.h"
#include "media/concurrency_search.h"
#include "media/encode_runner.h"
#include "media/quicksync_format.h"
#include "media/test_matrix.h"
#include "power/power_monitor.h"
#include "probe/ffmpeg_caps.h"
#include "probe/gpu.h"
#include "probe/host.h"

namespace kb::media {
namespace fs = std::filesystem;
using probe::Backend;

std::string new_run_id() {
  std::random_device rd;
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "-%04x", rd() & 0xffff);
  return utc_format(std::time(nullptr), "%Y%m%dT%H%M%SZ") + suffix;
}

namespace {

constexpr Backend kAutoOrder[] = {Backend::qsv, Backend::nvenc, Backend::amf, Backend::vaapi};

std::string names(const std::vector<Backend>& backends) {
  std::string s;
  for (auto b : backends) s += (s.empty() ? "" : ", ") + std::string(probe::to_string(b));
  return s.empty() ? "none" : s;
}

std::vector<Backend> working(const std::vector<probe::CodecCheck>& checks) {
  std::vector<Backend> out;
  for (auto b : probe::kAllBackends)
    if (std::any_of(checks.begin(), checks.end(), [&](auto& c) { return c.kind == "encode" && c.works && c.backend == probe::to_string(b); }))
      out.push_back(b);
  return out;
}

bool encoder_works(const std::vector<probe::CodecCheck>& checks, Backend b, probe::Codec c) {
  return std::any_of(checks.begin(), checks.end(), [&](auto& k) {
    return k.kind == "encode" && k.works && k.backend == probe::to_string(b) && k.codec == probe::to_string(c);
  });
}

// Resolves --accel to a backend that works here, or explains why not.
Backend choose_backend(const std::string& accel, const std::vector<probe::CodecCheck>& checks) {
  auto ok = working(checks);
  auto works = [&](Backend b) { return std::find(ok.begin(), ok.end(), b) != ok.end(); };
  if (accel == "auto") {
    for (auto b : kAutoOrder)
      if (works(b)) return b;
    return Backend::cpu;
  }
  auto b = probe::parse_backend(accel);
  if (!b) throw UsageError("unknown --accel '" + accel + "': choose auto, qsv, vaapi, nvenc, amf or cpu (working here: " + names(ok) + ")");
  if (!works(*b)) {
    std::string why;
    for (auto& c : checks)
      if (c.kind == "encode" && c.backend == accel && c.codec == "h264") why = c.name + ": " + c.reason;
    throw EnvironmentError("--accel " + accel + " does not work here (" + why + "); working here: " + names(ok));
  }
  return *b;
}

HostInfo read_host() {
  HostInfo h;
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  h.hostname = name;
  auto cpu = probe::read_cpu();
  h.cpu_model = cpu.model;
  h.cpu_vendor = cpu.vendor;
  h.cpu_cores = cpu.cores;
  h.cpu_threads = cpu.threads;
  h.virtual_machine = cpu.hypervisor;
  h.memory_bytes = probe::read_memory_bytes();
  struct utsname u {};
  if (::uname(&u) == 0) h.kernel = std::string(u.sysname) + " " + u.release;
  return h;
}

double cpu_seconds(int who) {
  struct rusage u {};
  ::getrusage(who, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

void save(BenchResult& r, const fs::path& dir) {
  r.kubench_cpu_seconds = cpu_seconds(RUSAGE_SELF);
  r.children_cpu_seconds = cpu_seconds(RUSAGE_CHILDREN);
  write_file_atomic(dir / "result.json", to_json(r).dump(2) + "\n");
  write_file_atomic(dir / "results.csv", results_csv(r));
  std::string qs = quicksync_table(r);
  if (!r.concurrency.empty()) qs += "\n" + quicksync_concurrency_table(r);
  write_file_atomic(dir / "quicksync.txt", qs);
}

// Fills the measured figures of a finished encode.
void score(TestRun& run, const EncodeOutcome& out, const Clip& clip, const fs::path& log_path) {
  run.exit_code = out.process.exit_code;
  run.signal = out.process.signal;
  run.wall_seconds = out.process.wall_seconds;
  run.ffmpeg_cpu_seconds = out.process.user_seconds + out.process.system_seconds;
  run.frames = out.progress.frame;
  run.fps = run.wall_seconds > 0 ? static_cast<double>(run.frames) / run.wall_seconds : 0;
  run.speed = out.progress.speed.value_or(0);
  if (out.progress.total_size && clip.info.frame_rate > 0 && run.frames > 0) {
    run.output_bytes = *out.progress.total_size;
    double seconds = static_cast<double>(run.frames) / clip.info.frame_rate;
    run.output_bitrate_kbps = static_cast<double>(run.output_bytes) * 8 / 1000 / seconds;
  }
  if (out.process.interrupted) {
    run.status = "interrupted";
    run.reason = "interrupted by the user";
  } else if (!out.process.ok()) {
    run.status = "failed";
    std::string tail;
    try {
      tail = last_lines(read_file(log_path), 2);
    } catch (const Error&) {
    }
    run.reason = "ffmpeg " + out.process.describe() + (tail.empty() ? "" : ": " + tail);
  } else if (run.expected_frames > 0 && run.frames < run.expected_frames) {
    run.status = "failed";
    std::string tail;
    try {
      tail = last_lines(read_file(log_path), 1);
    } catch (const Error&) {
    }
    run.reason = "encoded " + std::to_string(run.frames) + " of " + std::to_string(run.expected_frames) + " frames" +
                 (tail.empty() ? "" : ": " + tail);
  } else {
    run.status = "ok";
  }
  auto& p = run.power;
  if (p.energy_joules && run.frames > 0) run.joules_per_frame = *p.energy_joules / static_cast<double>(run.frames);
  if (p.avg_watts && *p.avg_watts > 0 && run.status == "ok") run.fps_per_watt = run.fps / *p.avg_watts;
}

std::chrono::milliseconds timeout_for(const BenchOptions& o, long long frames) {
  double s = o.test_timeout_seconds > 0 ? o.test_timeout_seconds : 300.0 + static_cast<double>(frames);
  return std::chrono::milliseconds(static_cast<long long>(s * 1000));
}

ConcurrencyLevel run_level(const TestDef& test, Backend backend, const BenchOptions& o, const probe::FfmpegInfo& ffmpeg,
                           const Clip& clip, const fs::path& dir, int streams, const BenchEvents& ev) {
  ConcurrencyLevel level;
  level.streams = streams;
  auto cmd = build_encode_command(test, backend, o.device, ffmpeg.path, clip.path);
  fs::create_directories(dir / "logs" / "concurrency");
  // Start every stream before waiting on any, so they really run side by side.
  std::vector<std::unique_ptr<Encode>> encodes;
  std::vector<std::string> logs;
  for (int i = 0; i < streams; ++i) {
    auto log = "logs/concurrency/" + test.id + "-n" + std::to_string(streams) + "-s" + std::to_string(i + 1) + ".log";
    logs.push_back(log);
    encodes.push_back(std::make_unique<Encode>(cmd.argv, dir / log, timeout_for(o, clip.info.frames)));
  }
  std::vector<EncodeOutcome> outcomes(static_cast<size_t>(streams));
  std::vector<std::thread> waiters;
  for (int i = 0; i < streams; ++i)
    waiters.emplace_back([&, i] { outcomes[static_cast<size_t>(i)] = encodes[static_cast<size_t>(i)]->wait(); });
  for (auto& w : waiters) w.join();

  level.realtime = true;
  level.min_speed = 1e9;
  double speed_sum = 0;
  for (int i = 0; i < streams; ++i) {
    auto& out = outcomes[static_cast<size_t>(i)];
    StreamRun s;
    s.index = i + 1;
    s.log = logs[static_cast<size_t>(i)];
    s.frames = out.progress.frame;
    s.wall_seconds = out.process.wall_seconds;
    s.fps = s.wall_seconds > 0 ? static_cast<double>(s.frames) / s.wall_seconds : 0;
    s.speed = out.progress.speed.value_or(0);
    bool complete = clip.info.frames <= 0 || s.frames >= clip.info.frames;
    s.status = out.process.interrupted ? "interrupted" : out.process.ok() && complete ? "ok" : "failed";
    if (s.status == "failed") s.reason = out.process.ok() ? "incomplete: " + std::to_string(s.frames) + " frames" : "ffmpeg " + out.process.describe();
    level.aggregate_fps += s.fps;
    speed_sum += s.speed;
    level.min_speed = std::min(level.min_speed, s.speed);
    level.realtime = level.realtime && s.status == "ok" && s.speed >= 1.0;
    level.runs.push_back(s);
  }
  level.mean_speed = speed_sum / streams;
  if (ev.note)
    ev.note("  " + std::to_string(streams) + " stream(s): slowest " + fixed(level.min_speed, 2) + "x, total " +
            fixed(level.aggregate_fps, 1) + " fps" + (level.realtime ? "" : "  (below real time)"));
  return level;
}

}  // namespace

BenchOutcome run_bench(const BenchOptions& o, const BenchEvents& ev) {
  auto note = [&](const std::string& s) {
    if (ev.note) ev.note(s);
  };
  // Everything that can be wrong with the request is found before any encode.
  auto profile = parse_profile(o.profile);
  if (o.max_streams < 1) throw UsageError("--max-streams must be at least 1");
  for (auto& id : o.tests)
    if (!find_test(id)) {
      std::string ids;
      for (auto& t : test_matrix()) ids += (ids.empty() ? "" : ", ") + t.id;
      throw UsageError("unknown test '" + id + "': choose from " + ids);
    }
  BenchOutcome outcome;
  auto& r = outcome.result;
  r.run_id = o.run_id.empty() ? new_run_id() : o.run_id;
  outcome.dir = o.results_root / r.run_id;
  auto ffmpeg = probe::locate_ffmpeg(o.ffmpeg);
  ensure_writable_dir(o.results_root);
  if (!o.device.empty() && o.device.find('/') != std::string::npos && !fs::exists(o.device))
    throw EnvironmentError("--device " + o.device + ": no such device");

  r.kubench_version = o.kubench_version;
  r.started_at = utc_rfc3339();
  r.host = read_host();
  r.ffmpeg_path = ffmpeg.path.string();
  r.ffmpeg_version = ffmpeg.version;
  r.accel_requested = o.accel;
  r.profile = profile.name;
  r.node = o.node_name;

  note("Checking which encoders work here (ffmpeg " + ffmpeg.version + ")...");
  probe::CapabilityOptions caps;
  caps.device = o.device;
  caps.decoders = false;
  if (o.accel != "auto" && probe::parse_backend(o.accel)) {
    caps.backends = {*probe::parse_backend(o.accel)};
    if (caps.backends.front() != Backend::cpu) caps.backends.push_back(Backend::cpu);
  }
  auto checks = probe::check_capabilities(ffmpeg, caps);
  Backend backend = choose_backend(o.accel, checks);
  r.backend = std::string(probe::to_string(backend));

  // Which GPU does the work, for the record and for the power sensors.
  auto gpus = probe::list_drm_gpus();
  probe::add_nvidia_smi_gpus(gpus);
  r.device = o.device;
  if (backend != Backend::cpu) {
    const probe::GpuDevice* gpu = nullptr;
    for (auto& g : gpus) {
      bool match = o.device.empty() ? (backend == Backend::nvenc ? g.vendor == "nvidia" : backend == Backend::qsv ? g.vendor == "intel" : backend == Backend::amf ? g.vendor == "amd" : !g.render_node.empty())
                                    : (g.render_node == o.device || g.nvidia_index == o.device);
      if (match) {
        gpu = &g;
        break;
      }
    }
    if (gpu) {
      if (r.device.empty()) r.device = backend == Backend::nvenc ? gpu->nvidia_index : gpu->render_node;
      r.driver = gpu->driver;
      r.gpu = gpu->name.empty() ? gpu->vendor + " " + gpu->vendor_id + ":" + gpu->device_id : gpu->name;
    }
  }
  ensure_writable_dir(outcome.dir / "logs");
  note("Backend: " + r.backend + (r.device.empty() ? "" : " on " + r.device) + (r.gpu.empty() ? "" : " (" + r.gpu + ")"));

  // Clips.
  auto cache = o.cache_dir.empty() ? default_cache_dir() : o.cache_dir;
  auto clip_progress = [&](const std::string& what, double done, double total) {
    if (ev.progress) ev.progress(what, done, total, 0);
  };
  ClipSet clips;
  if (o.clips == "generated") {
    note("Preparing generated clips (" + profile.name + " profile, " + std::to_string(profile.seconds) + " s) in " + (cache / "clips").string());
    clips = prepare_generated_clips(ffmpeg, cache, profile, clip_progress);
  } else if (o.clips == "official") {
    note("Fetching the official clips (1.7 GiB on first use) into " + (cache / "clips/official").string());
    clips = prepare_official_clips(cache, o.clips_url, clip_progress);
    r.profile = "official";
  } else {
    clips = use_clip_dir(o.clips);
    r.profile = "user";
  }
  r.clip_set = clips.kind;
  r.clip_dir = clips.dir.string();

  // The matrix for this backend.
  std::vector<const TestDef*> plan;
  for (auto& t : test_matrix()) {
    if (!o.tests.empty() && std::find(o.tests.begin(), o.tests.end(), t.id) == o.tests.end()) continue;
    if (t.experimental && !encoder_works(checks, backend, t.output)) {
      note("Skipping " + t.id + ": no working " + std::string(probe::to_string(t.output)) + " encoder on " + r.backend);
      continue;
    }
    plan.push_back(&t);
  }

  save(r, outcome.dir);
  int index = 0;
  for (auto* t : o.concurrency_only ? std::vector<const TestDef*>{} : plan) {
    ++index;
    if (interrupted()) break;
    TestRun run;
    run.test_id = t->id;
    run.experimental = t->experimental;
    Backend b = t->cpu_baseline ? Backend::cpu : backend;
    run.backend = std::string(probe::to_string(b));
    run.device = b == Backend::cpu ? "" : r.device;
    auto found = clips.clips.find(t->clip);
    if (found == clips.clips.end()) {
      run.status = "failed";
      auto why = clips.missing.find(t->clip);
      run.reason = why != clips.missing.end() ? why->second : "clip not available";
      run.clip = clips.kind == "official" ? clip_spec(t->clip).official_file : generated_file_name(clip_spec(t->clip));
      run.clip = fs::path(run.clip).stem().string();
      r.tests.push_back(run);
      if (ev.test_done) ev.test_done(run);
      save(r, outcome.dir);
      continue;
    }
    const Clip& clip = found->second;
    auto cmd = build_encode_command(*t, backend, r.device, ffmpeg.path, clip.path);
    run.clip = clip.stem;
    run.encoder = cmd.encoder;
    run.decoder = cmd.decoder;
    run.command = cmd.argv;
    run.expected_frames = clip.info.frames;
    run.input_bitrate_kbps = clip.info.bitrate_kbps;
    run.log = "logs/" + t->id + ".log";
    std::string label = "[" + std::to_string(index) + "/" + std::to_string(plan.size()) + "] " + t->id + " (" + run.encoder + ")";

    auto monitor = power::make_power_monitor({run.backend, run.device, b == Backend::cpu ? "" : r.driver});
    monitor->start();
    auto out = run_encode(cmd.argv, outcome.dir / run.log, timeout_for(o, clip.info.frames), [&](const FfmpegProgress& p) {
      if (ev.progress) ev.progress(label, static_cast<double>(p.frame), static_cast<double>(clip.info.frames), p.fps);
    });
    run.power = monitor->stop();
    score(run, out, clip, outcome.dir / run.log);
    r.tests.push_back(run);
    if (ev.test_done) ev.test_done(run);
    save(r, outcome.dir);
    if (run.status == "interrupted") break;
  }

  if ((o.concurrency || o.concurrency_only) && !interrupted()) {
    // The seed's order: GPU tests first, the software baseline last.
    for (const char* id : {"h264_1080p", "h264_4k", "hevc_8bit", "hevc_4k_10bit", "h264_1080p_cpu"}) {
      auto* t = find_test(id);
      if (!o.tests.empty() && std::find(o.tests.begin(), o.tests.end(), id) == o.tests.end()) continue;
      auto found = clips.clips.find(t->clip);
      if (found == clips.clips.end() || interrupted()) continue;
      ConcurrencyResult c;
      c.test_id = t->id;
      c.clip = found->second.stem;
      auto cmd = build_encode_command(*t, backend, r.device, ffmpeg.path, found->second.path);
      c.backend = cmd.backend;
      c.encoder = cmd.encoder;
      note("Concurrency " + c.test_id + " (" + c.encoder + "), up to " + std::to_string(o.max_streams) + " streams:");
      search_max_streams(c, o.max_streams,
                         [&](int n) { return run_level(*t, backend, o, ffmpeg, found->second, outcome.dir, n, ev); },
                         [] { return interrupted(); });
      note("  => " + std::to_string(c.max_realtime_streams) + (c.capped ? "+ (cap reached)" : "") + " real-time streams");
      r.concurrency.push_back(c);
      save(r, outcome.dir);
    }
  }

  r.interrupted = interrupted();
  r.complete = !r.interrupted;
  r.finished_at = utc_rfc3339();
  save(r, outcome.dir);
  return outcome;
}

namespace {
std::string opt_fixed(const std::optional<double>& v, int decimals) { return v ? fixed(*v, decimals) : "-"; }
}  // namespace

std::string results_table(const BenchResult& r) { return results_rows(r).render() + power_notes(r); }

Table results_rows(const BenchResult& r) {
  Table t{{"TEST", "ENCODER", "FRAMES", "TIME s", "FPS", "SPEED", "OUT kb/s", "WATTS", "J/FRAME", "FPS/W", "STATUS"},
          {},
          {2, 3, 4, 5, 6, 7, 8, 9}};
  for (auto& run : r.tests) {
    std::string watts = run.power.avg_watts ? fixed(*run.power.avg_watts, 1) + (run.power.low_power() ? "!" : "") : "-";
    std::string status = run.status == "ok" ? "ok" : run.status + ": " + run.reason;
    t.rows.push_back({run.test_id, run.encoder, std::to_string(run.frames), fixed(run.wall_seconds, 2), fixed(run.fps, 1),
                      fixed(run.speed, 2) + "x", opt_fixed(run.output_bitrate_kbps, 0), watts,
                      opt_fixed(run.joules_per_frame, 3), opt_fixed(run.fps_per_watt, 1), status});
  }
  return t;
}

std::string power_notes(const BenchResult& r) {
  // reason -> the tests without a reading for it, in the order first seen
  std::vector<std::pair<std::string, std::vector<std::string>>> reasons;
  size_t ran = 0;
  for (auto& run : r.tests) {
    if (run.status != "ok") continue;
    ++ran;
    if (run.power.avg_watts) continue;
    std::string reason = run.power.null_reason.empty() ? "no reason recorded" : run.power.null_reason;
    auto it = std::find_if(reasons.begin(), reasons.end(), [&](auto& p) { return p.first == reason; });
    if (it == reasons.end()) it = reasons.insert(reasons.end(), {reason, {}});
    it->second.push_back(run.test_id);
  }
  std::string notes;
  for (auto& [reason, tests] : reasons) {
    notes += "power: no reading";
    if (tests.size() != ran) {  // not every test that ran: name them
      notes += " for ";
      for (size_t i = 0; i < tests.size(); ++i) notes += (i ? ", " : "") + tests[i];
    }
    notes += " (" + reason + ")\n";
  }
  return notes;
}

std::string concurrency_table(const BenchResult& r) { return concurrency_rows(r).render(); }

Table concurrency_rows(const BenchResult& r) {
  Table t{{"TEST", "ENCODER", "MAX STREAMS", "LEVELS (streams: slowest speed)"}, {}, {2}};
  for (auto& c : r.concurrency) {
    std::string levels;
    auto sorted = c.levels;
    std::sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.streams < b.streams; });
    for (auto& l : sorted) levels += (levels.empty() ? "" : "  ") + std::to_string(l.streams) + ": " + fixed(l.min_speed, 2) + "x";
    t.rows.push_back({c.test_id, c.encoder, std::to_string(c.max_realtime_streams) + (c.capped ? "+" : ""), levels});
  }
  return t;
}

std::string results_csv(const BenchResult& r) {
  Table t{{"run_id", "node", "backend", "device", "test", "clip", "encoder", "status", "reason", "frames", "expected_frames",
           "wall_seconds", "fps", "speed", "output_bitrate_kbps", "input_bitrate_kbps", "avg_watts", "power_domain",
           "energy_joules", "joules_per_frame", "fps_per_watt", "power_flags"},
          {},
          {}};
  auto num = [](const std::optional<double>& v) { return v ? fixed(*v, 4) : std::string(); };
  for (auto& run : r.tests) {
    std::string flags;
    for (auto& f : run.power.flags) flags += (flags.empty() ? "" : ";") + f;
    t.rows.push_back({r.run_id, r.node, run.backend, run.device, run.test_id, run.clip, run.encoder, run.status, run.reason,
                      std::to_string(run.frames), std::to_string(run.expected_frames), fixed(run.wall_seconds, 4),
                      fixed(run.fps, 4), fixed(run.speed, 4), num(run.output_bitrate_kbps), num(run.input_bitrate_kbps),
                      num(run.power.avg_watts), run.power.domain, num(run.power.energy_joules), num(run.joules_per_frame),
                      num(run.fps_per_watt), flags});
  }
  return t.to_csv();
}

}  // namespace kb::media
