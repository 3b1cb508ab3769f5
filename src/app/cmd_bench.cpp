// `kubench bench`: the local media benchmark (the main job).
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "app/commands.h"
#include "core/error.h"
#include "core/files.h"
#include "core/output.h"
#include "core/progress.h"
#include "core/text.h"
#include "media/bench_runner.h"
#include "media/quicksync_format.h"
#include "media/result_frame.h"

namespace kb::app {

namespace {
std::string progress_text(const std::string& label, double done, double total, double rate) {
  std::string text = label + "  ";
  if (total > 0 && label.find(".mp4") != std::string::npos && total > 1e6)
    return text + fixed(done / 1048576, 0) + "/" + fixed(total / 1048576, 0) + " MiB (" + fixed(100 * done / total, 0) + "%)";
  text += fixed(done, 0) + (total > 0 ? "/" + fixed(total, 0) : "") + " frames";
  if (rate > 0) {
    text += "  " + fixed(rate, 1) + " fps";
    if (total > done) text += "  ETA " + format_duration((total - done) / rate);
  }
  return text;
}

std::string done_text(const media::TestRun& run) {
  std::string head = "  " + run.test_id + " (" + run.encoder + "): ";
  if (run.status != "ok") return head + run.status + ": " + run.reason;
  std::string text = head + std::to_string(run.frames) + " frames, " + fixed(run.fps, 1) + " fps, " + fixed(run.speed, 2) + "x";
  if (run.power.avg_watts) text += ", " + fixed(*run.power.avg_watts, 1) + " W " + run.power.domain;
  if (run.power.low_power()) text += " (below 3 W: kept, flagged)";
  return text;
}
}  // namespace

void add_bench_command(CLI::App& app, GlobalOptions& global) {
  struct Flags {
    media::BenchOptions bench;
    std::string output = "table";
    std::string tests;
    bool in_pod = false;
    std::string termination_log = "/dev/termination-log";
    std::string start_file, stop_file;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("bench", "Benchmark video transcoding on this machine (QuickSync, VAAPI, NVENC, AMF, CPU)");
  cmd->add_option("--accel", f->bench.accel, "auto|qsv|vaapi|nvenc|amf|cpu (auto: the first hardware backend that works, else cpu)");
  cmd->add_option("--device", f->bench.device, "Render node (/dev/dri/renderD129) or NVIDIA index to use");
  cmd->add_option("--profile", f->bench.profile, "Generated clip length: quick (2 s), standard (20 s), full (116 s)");
  cmd->add_option("--clips", f->bench.clips, "generated (default), official (download the seed's ribblehead set), or a directory");
  cmd->add_option("--clips-url", f->bench.clips_url, "Base URL for --clips official (a mirror)");
  cmd->add_option("--cache-dir", f->bench.cache_dir, "Where clips are cached (default ~/.cache/kubench)");
  cmd->add_option("--results-dir", f->bench.results_root, "Where each run's directory is written (default ./kubench-results)");
  cmd->add_option("--run-id", f->bench.run_id, "Name of this run's directory (default: UTC time + random suffix)");
  cmd->add_option("--ffmpeg", f->bench.ffmpeg, "ffmpeg to use (default: $KUBENCH_FFMPEG, then PATH)");
  cmd->add_option("--tests", f->tests, "Comma-separated test ids (default: all that apply)");
  cmd->add_flag("--concurrency", f->bench.concurrency, "Also find how many simultaneous streams stay at real time");
  cmd->add_flag("--concurrency-only", f->bench.concurrency_only, "Only the concurrency search");
  cmd->add_option("--max-streams", f->bench.max_streams, "Cap for the concurrency search (default 16)");
  cmd->add_option("--test-timeout", f->bench.test_timeout_seconds, "Kill an encode after this many seconds (default 300 + 1 per frame)");
  cmd->add_option("-o,--output", f->output, "table|json|yaml|csv|quicksync (the seed's pipe table)");
  cmd->add_flag("--in-pod", f->in_pod,
                "Also hand the result to the collector: the termination message when it fits in 4 KiB, else framed in the log");
  cmd->add_option("--termination-log", f->termination_log, "Termination message file for --in-pod (default /dev/termination-log)");
  cmd->add_option("--start-file", f->start_file, "Create this file when benchmarking starts (for the power sidecar)");
  cmd->add_option("--stop-file", f->stop_file, "Create this file when the command ends, whatever the outcome (for the power sidecar)");
  cmd->footer("Examples:\n  kubench bench\n  kubench bench --accel qsv --device /dev/dri/renderD129 --concurrency\n"
              "  kubench bench --accel cpu --profile standard -o json\n"
              "Results (result.json, results.csv, quicksync.txt, logs/) are always saved under --results-dir.");
  cmd->callback([f, &global] {
    start_command(global);
    // The power sidecar samples between these two files; the stop file must appear on every exit.
    struct SignalFile {
      std::string path;
      ~SignalFile() {
        try {
          if (!path.empty()) write_file_atomic(path, "");
        } catch (const std::exception& e) {
          std::fprintf(stderr, "kubench: cannot write %s: %s\n", path.c_str(), e.what());
        }
      }
    } stop{f->stop_file};
    if (!f->start_file.empty()) write_file_atomic(f->start_file, "");
    auto format = parse_output_format(f->output, {OutputFormat::table, OutputFormat::json, OutputFormat::yaml,
                                                  OutputFormat::csv, OutputFormat::quicksync});
    for (auto& id : split(f->tests, ','))
      if (!trim(id).empty()) f->bench.tests.emplace_back(trim(id));
    if (const char* node = std::getenv("KUBENCH_NODE_NAME")) f->bench.node_name = node;
    f->bench.kubench_version = KUBENCH_VERSION;

    ProgressLine line;
    media::BenchEvents events;
    events.note = [&](const std::string& s) { line.finish(s); };
    events.progress = [&](const std::string& label, double done, double total, double rate) {
      line.update(progress_text(label, done, total, rate));
    };
    events.test_done = [&](const media::TestRun& run) { line.finish(done_text(run)); };
    auto outcome = media::run_bench(f->bench, events);
    auto& r = outcome.result;

    switch (format) {
      case OutputFormat::json: std::cout << media::to_json(r).dump(2) << "\n"; break;
      case OutputFormat::yaml: std::cout << to_yaml(media::to_json(r)); break;
      case OutputFormat::csv: std::cout << media::results_csv(r); break;
      case OutputFormat::quicksync:
        std::cout << media::quicksync_table(r);
        if (!r.concurrency.empty()) std::cout << "\n" << media::quicksync_concurrency_table(r);
        break;
      case OutputFormat::table:
        std::cout << "\n" << media::results_table(r);
        if (!r.concurrency.empty()) std::cout << "\n" << media::concurrency_table(r);
        break;
    }
    std::cout.flush();
    line.finish("Results saved in " + outcome.dir.string() + (r.complete ? "" : " (incomplete: interrupted)"));
    if (f->in_pod) {
      // The log frame is the fast path (the collector has it the moment it is printed); the
      // termination message, when the result fits, is the durable copy in the pod's status.
      auto doc = media::to_json(r);
      auto channel = media::publish_result(doc, f->termination_log);
      if (channel == media::ResultChannel::termination_message) std::cout << media::frame_result(doc);
      std::cout.flush();
    }
    if (r.interrupted) throw Interrupted();
    for (auto& run : r.tests)
      if (run.status != "ok" && !run.experimental) global.exit_code = kExitFailed;
  });
}

}  // namespace kb::app
