// `kubench bench`: choose the backend, prepare clips, run the matrix (and optionally the
// concurrency search), measuring power around each encode, saving results as it goes.
#pragma once
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/output.h"
#include "media/clips.h"
#include "media/results.h"

namespace kb::media {

struct BenchOptions {
  std::string accel = "auto";      // auto | qsv | vaapi | nvenc | amf | cpu
  std::string device;              // render node, or NVIDIA index
  std::string profile = "quick";   // clip length for generated clips
  std::string clips = "generated"; // generated | official | a directory
  std::string clips_url = kOfficialClipsUrl;
  std::filesystem::path cache_dir; // empty: default_cache_dir()
  std::filesystem::path results_root = "kubench-results";
  std::string run_id;              // empty: generated
  std::string ffmpeg;              // --ffmpeg
  std::vector<std::string> tests;  // only these test ids (empty: all that apply)
  bool concurrency = false;
  bool concurrency_only = false;
  int max_streams = 16;
  double test_timeout_seconds = 0;  // 0: 300 s + 1 s per frame
  std::string node_name;            // recorded in the result (Kubernetes runs)
  std::string kubench_version;
};

struct BenchEvents {
  std::function<void(const std::string& line)> note;  // status lines for people
  // Progress of long work: label, done, total, and a rate (fps) when known (0 otherwise).
  std::function<void(const std::string& label, double done, double total, double rate)> progress;
  std::function<void(const TestRun& run)> test_done;
};

struct BenchOutcome {
  BenchResult result;
  std::filesystem::path dir;  // where result.json and the logs are
};

// Throws UsageError/EnvironmentError before any work for bad flags, a missing ffmpeg, an
// unwritable results directory or a backend that does not work here. After that it never throws
// for a failing test: the test is recorded as failed with its reason. On Ctrl-C it stops, saves
// what it has with complete=false and interrupted=true, and returns.
BenchOutcome run_bench(const BenchOptions& options, const BenchEvents& events = {});

// The files written beside result.json (also used by `kubench bench -o`).
std::string results_table(const BenchResult& r);  // results_rows, rendered, then power_notes(r)
Table results_rows(const BenchResult& r);
// One line per reason why tests that ran have no power figure ("power: no reading (rapl: ...)"), so an
// empty WATTS column is never left unexplained; empty when every test that ran has a reading.
std::string power_notes(const BenchResult& r);
std::string results_csv(const BenchResult& r);
std::string concurrency_table(const BenchResult& r);
Table concurrency_rows(const BenchResult& r);

// A new run id: UTC time plus 4 random hex digits, e.g. "20261123T101500Z-3fa2".
std::string new_run_id();

}  // namespace kb::media
