// `kubench infer MODEL`: the built-in TorchScript model benchmark (docs/infer.md).
#include <cstdlib>
#include <iostream>

#include "app/commands.h"
#include "core/error.h"
#include "core/output.h"
#include "core/progress.h"
#include "core/report.h"
#include "core/text.h"
#include "infer/infer_runner.h"
#include "media/result_frame.h"

namespace kb::app {

namespace {

std::string progress_text(size_t queries, double elapsed, size_t target_queries, double target_s) {
  std::string text = "  " + std::to_string(queries) + " queries (of " + std::to_string(target_queries) + "), " + fixed(elapsed, 1) + " s";
  if (target_s > 0) text += " (of " + fixed(target_s, 0) + " s)";
  if (elapsed > 0) text += ", " + fixed(static_cast<double>(queries) / elapsed, 1) + " queries/s";
  return text;
}

}  // namespace

void add_infer_command(CLI::App& app, GlobalOptions& global) {
  struct Flags {
    infer::InferOptions options;
    std::string model, input_file, scenario = "single-stream", output = "table";
    std::vector<std::string> shapes;
    std::optional<int64_t> batch;
    std::optional<size_t> iterations;
    std::optional<double> min_duration, max_duration;
    bool in_pod = false, require_valid = false;
    std::string termination_log = "/dev/termination-log";
  };
  auto f = std::make_shared<Flags>();
  auto& o = f->options;
  auto* cmd = app.add_subcommand("infer", "Benchmark a TorchScript model on this machine: latency percentiles, throughput, validity");
  cmd->add_option("model", f->model, "TorchScript file (torch.jit.save)")->required();
  cmd->add_option("--input-shape", f->shapes,
                  "Shape of a random input, e.g. 1,3,224,224; repeat for a model with several inputs (default: the model's example_inputs)");
  cmd->add_option("--input", f->input_file, "Real inputs: a tensor, or a tuple/list of tensors, saved with torch.save");
  cmd->add_option("--dtype", o.dtype, "Type of the random inputs: float32 (default), float16, bfloat16, float64, int64, int32, int8, uint8, bool");
  cmd->add_option("--batch", f->batch, "Samples per query: replaces the first dimension of every random input");
  cmd->add_option("--seed", o.seed, "Seed of the random inputs (default 0: every run sees the same tensors)");
  cmd->add_option("--scenario", f->scenario, "single-stream (one query at a time: latency; default) or offline (queries back to back: throughput)");
  cmd->add_option("--streams", o.streams, "Offline: queries in flight at once, each on its own thread (default 1)");
  cmd->add_option("--warmup", o.warmup, "Untimed queries after the first one (default 10)");
  cmd->add_option("--iterations", f->iterations, "Run exactly this many timed queries (default: until --min-queries and --min-duration hold)");
  cmd->add_option("--min-queries", o.rules.min_queries, "Fewest queries for a valid result (default 1024, LoadGen's)");
  cmd->add_option("--min-duration", f->min_duration, "Fewest seconds for a valid result (default 10; MLPerf submissions use 600)");
  cmd->add_option("--max-duration", f->max_duration, "Stop after this many seconds even before the minimums (the result is then invalid)");
  cmd->add_option("--threads", o.threads, "Intra-op threads (default: libtorch's choice, recorded in the result)");
  cmd->add_option("--interop-threads", o.interop_threads, "Inter-op threads (default: libtorch's choice)");
  cmd->add_option("--device", o.device, "cpu (default), cuda or cuda:N (needs a CUDA build of libtorch)");
  cmd->add_option("--quantized-engine", o.quantized_engine, "For quantized models: fbgemm, qnnpack, onednn or x86 (those this libtorch has)");
  cmd->add_option("-o,--output", f->output, "table|json|yaml|csv");
  cmd->add_flag("--require-valid", f->require_valid, "Exit 1 when the result is INVALID (to gate CI on it)");
  cmd->add_flag("--in-pod", f->in_pod, "Also hand the result to the collector (termination message or a framed block in the log)");
  cmd->add_option("--termination-log", f->termination_log, "Termination message file for --in-pod (default /dev/termination-log)");
  cmd->footer(
      "Examples:\n"
      "  kubench infer resnet18.pt --input-shape 1,3,224,224\n"
      "  kubench infer model-int8.pt --input-shape 1,128 --dtype int64 --quantized-engine qnnpack --threads 4\n"
      "  kubench infer model.pt --scenario offline --batch 32 --streams 2 -o json\n"
      "The result is VALID when the run had at least --min-queries queries and --min-duration seconds and, in\n"
      "single-stream, enough queries to bound the p90 latency with 99% confidence. docs/infer.md");
  cmd->callback([f, &global] {
    start_command(global);
    auto& opts = f->options;
    const auto format = parse_output_format(f->output, {OutputFormat::table, OutputFormat::json, OutputFormat::yaml, OutputFormat::csv});
    opts.model = f->model;
    opts.input_file = f->input_file;
    opts.scenario = infer::parse_scenario(f->scenario);
    for (const auto& text : f->shapes)
      for (const auto& one : split(text, ';'))
        if (!trim(one).empty()) opts.input_shapes.push_back(infer::parse_shape(one));
    opts.batch = f->batch;
    opts.iterations = f->iterations;
    opts.run_duration_s = f->min_duration;
    if (f->min_duration) opts.rules.min_duration_s = *f->min_duration;
    opts.max_duration_s = f->max_duration;
    infer::check_options(opts);

    ProgressLine line;
    infer::InferEvents events;
    events.note = [&](const std::string& s) { line.finish(s); };
    events.progress = [&](size_t queries, double elapsed, size_t target_queries, double target_s) {
      line.update(progress_text(queries, elapsed, target_queries, target_s));
    };
    auto result = infer::run_inference(opts, events);
    if (const char* node = std::getenv("KUBENCH_NODE_NAME")) result.node = node;
    result.kubench_version = KUBENCH_VERSION;
    line.finish("");

    const auto doc = infer::to_json(result);
    switch (format) {
      case OutputFormat::json: std::cout << doc.dump(2) << "\n"; break;
      case OutputFormat::yaml: std::cout << to_yaml(doc); break;
      case OutputFormat::csv: std::cout << infer::infer_csv(result); break;
      default: std::cout << render_text(infer::infer_report(result)); break;
    }
    std::cout.flush();
    if (f->in_pod) {
      if (media::publish_result(doc, f->termination_log) == media::ResultChannel::termination_message) std::cout << media::frame_result(doc);
      std::cout.flush();
    }
    if (result.interrupted) throw Interrupted();
    if (f->require_valid && !result.verdict.valid) global.exit_code = kExitFailed;
  });
}

}  // namespace kb::app
