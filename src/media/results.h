// The results of a benchmark run: the versioned document `kubench/bench/v1` (docs/results.md).
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "power/power_reading.h"

namespace kb::media {

inline constexpr const char* kBenchSchema = "kubench/bench/v1";

// One ffmpeg encode of one test.
struct TestRun {
  std::string test_id;     // "h264_1080p"
  std::string clip;        // clip file stem, e.g. "kubench_1080p_h264" or "ribblehead_1080p_h264"
  std::string backend;     // qsv | vaapi | nvenc | amf | cpu
  std::string encoder;     // "h264_qsv"
  std::string decoder;     // "h264", "hevc_qsv", "hevc (cuda)"...
  std::string device;      // "/dev/dri/renderD128", NVIDIA index, or ""
  bool experimental = false;  // vp9/av1 rows
  std::vector<std::string> command;  // the full ffmpeg argv
  std::string status;      // "ok" | "failed" | "interrupted"
  std::string reason;      // why it failed
  long long frames = 0;           // frames encoded (from -progress)
  long long expected_frames = 0;  // frames in the clip
  double wall_seconds = 0;        // ffmpeg process wall time (spawn to exit)
  double fps = 0;                 // frames / wall_seconds
  double speed = 0;               // ffmpeg's final speed (x real time)
  std::optional<double> output_bitrate_kbps;
  long long output_bytes = 0;
  std::optional<double> input_bitrate_kbps;  // the clip's container bitrate (the seed's BITRATE)
  double ffmpeg_cpu_seconds = 0;  // user + system of ffmpeg
  int exit_code = -1;
  int signal = 0;
  std::string log;  // path of the stderr log, relative to the results directory
  power::PowerReading power;
  std::optional<double> joules_per_frame;
  std::optional<double> fps_per_watt;
};

// One stream of a concurrency level.
struct StreamRun {
  int index = 0;
  std::string status;  // ok | failed | interrupted
  std::string reason;
  long long frames = 0;
  double wall_seconds = 0;
  double fps = 0;
  double speed = 0;
  std::string log;
};

struct ConcurrencyLevel {
  int streams = 0;
  bool realtime = false;  // every stream finished ok at speed >= 1.0
  double aggregate_fps = 0;
  double min_speed = 0;
  double mean_speed = 0;  // what the QuickSync seed reported
  std::vector<StreamRun> runs;
};

struct ConcurrencyResult {
  std::string test_id;
  std::string clip;
  std::string backend;
  std::string encoder;
  int cap = 0;                // --max-streams
  int max_realtime_streams = 0;
  bool capped = false;        // the cap itself still ran in real time
  std::vector<ConcurrencyLevel> levels;  // in the order they ran (doubling, then bisection)
};

struct HostInfo {
  std::string hostname;
  std::string cpu_model;  // /proc/cpuinfo "model name" as written
  std::string cpu_vendor;
  int cpu_cores = 0;
  int cpu_threads = 0;
  long long memory_bytes = 0;
  std::string kernel;
  bool virtual_machine = false;
};

struct BenchResult {
  std::string schema = kBenchSchema;
  std::string run_id;
  std::string started_at;   // ISO 8601 UTC
  std::string finished_at;
  bool complete = false;     // false when interrupted or cut short
  bool interrupted = false;
  std::string kubench_version;
  HostInfo host;
  std::string ffmpeg_path;
  std::string ffmpeg_version;
  std::string accel_requested;  // auto|qsv|...
  std::string backend;          // what ran
  std::string device;
  std::string driver;
  std::string gpu;              // GPU name when known
  std::string node;             // Kubernetes node name (kube runs)
  std::string profile;          // quick | standard | full | custom
  std::string clip_set;         // "generated" | "official" | "user"
  std::string clip_dir;
  std::vector<TestRun> tests;
  std::vector<ConcurrencyResult> concurrency;
  // CPU time of kubench itself and of all its children (ffmpeg, sensors), for the overhead check.
  double kubench_cpu_seconds = 0;
  double children_cpu_seconds = 0;
};

nlohmann::json to_json(const BenchResult& r);
// Throws ParseError naming what is wrong (schema, missing fields).
BenchResult bench_result_from_json(const nlohmann::json& j);

nlohmann::json to_json(const TestRun& t);
TestRun test_run_from_json(const nlohmann::json& j);

}  // namespace kb::media
