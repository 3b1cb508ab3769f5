#include "infer/infer_result.h"

#include "core/output.h"
#include "core/text.h"

namespace kb::infer {

using nlohmann::json;

namespace {

json optional_number(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

std::string bytes_text(double bytes) {
  if (bytes >= 1 << 30) return fixed(bytes / (1 << 30), 2) + " GiB";
  if (bytes >= 1 << 20) return fixed(bytes / (1 << 20), 1) + " MiB";
  return fixed(bytes / 1024, 1) + " KiB";
}

std::string ms(double v) { return fixed(v, v < 10 ? 3 : 2); }

}  // namespace

std::string inputs_text(const std::vector<InputInfo>& inputs) {
  std::string out;
  for (const auto& in : inputs) out += (out.empty() ? "" : ", ") + shape_text(in.shape) + " " + in.dtype;
  return out;
}

json to_json(const InferResult& r) {
  json inputs = json::array();
  for (const auto& in : r.inputs) inputs.push_back({{"shape", in.shape}, {"dtype", in.dtype}});
  const auto& l = r.latency;
  return {
      {"schema", "kubench/infer/v1"},
      {"started_at", r.started_at},
      {"finished_at", r.finished_at},
      {"host", r.host},
      {"node", r.node.empty() ? json(nullptr) : json(r.node)},
      {"kubench_version", r.kubench_version},
      {"complete", r.complete},
      {"interrupted", r.interrupted},
      {"stopped_by", r.stopped_by},
      {"model",
       {{"path", r.model_path},
        {"bytes", r.model_bytes},
        {"sha256", r.model_sha256},
        {"parameters", r.parameters},
        {"packed_parameters", r.packed_parameters}}},
      {"inputs", inputs},
      {"input_source", r.input_source},
      {"outputs", [&] {
         json out = json::array();
         for (const auto& o : r.outputs) out.push_back({{"shape", o.shape}, {"dtype", o.dtype}});
         return out;
       }()},
      {"output_sum", optional_number(r.output_sum)},
      {"seed", r.seed},
      {"settings",
       {{"scenario", std::string(to_string(r.scenario))},
        {"device", r.device},
        {"batch", r.batch},
        {"threads", r.threads},
        {"interop_threads", r.interop_threads},
        {"streams", r.streams},
        {"quantized_engine", r.quantized_engine.empty() ? json(nullptr) : json(r.quantized_engine)},
        {"warmup", r.warmup}}},
      {"environment",
       {{"libtorch_version", r.libtorch_version},
        {"cpu_model", r.cpu_model},
        {"cpu_capability", r.cpu_capability},
        {"cpu_flags", r.cpu_flags}}},
      {"load_ms", r.load_ms},
      {"cold_ms", r.cold_ms},
      {"warmup_ms", r.warmup_ms},
      {"queries", r.queries},
      {"samples", r.samples},
      {"duration_s", r.duration_s},
      {"samples_per_s", r.samples_per_s},
      {"queries_per_s", r.queries_per_s},
      {"latency_ms",
       {{"mean", l.mean_ms},
        {"min", l.min_ms},
        {"max", l.max_ms},
        {"p50", l.p50_ms},
        {"p90", l.p90_ms},
        {"p95", l.p95_ms},
        {"p99", l.p99_ms},
        {"p99.9", l.p999_ms}}},
      {"early_stopping",
       {{"percentile", r.rules.early_stopping_percentile},
        {"confidence", r.rules.early_stopping_confidence},
        {"latency_ms", optional_number(r.early_stopping_ms)}}},
      {"validity",
       {{"valid", r.verdict.valid},
        {"reasons", r.verdict.reasons},
        {"satisfied", r.verdict.satisfied},
        {"min_queries", r.rules.min_queries},
        {"min_duration_s", r.rules.min_duration_s}}},
      {"peak_rss_bytes", r.peak_rss_bytes},
  };
}

Report infer_report(const InferResult& r) {
  Report report;
  report.title = "kubench infer " + r.model_path;
  auto& f = report.facts;
  f.emplace_back("result", r.verdict.valid ? "VALID" : "INVALID: " + [&] {
    std::string reasons;
    for (const auto& reason : r.verdict.reasons) reasons += (reasons.empty() ? "" : "; ") + reason;
    return reasons;
  }());
  f.emplace_back("model", r.model_path + " (" + bytes_text(static_cast<double>(r.model_bytes)) + ", " + std::to_string(r.parameters) +
                               " parameters, sha256 " + r.model_sha256.substr(0, 12) + ")");
  f.emplace_back("inputs", inputs_text(r.inputs) + " (" + r.input_source + (r.input_source == "random" ? ", seed " + std::to_string(r.seed) : "") + ")");
  if (!r.outputs.empty())
    f.emplace_back("outputs", inputs_text(r.outputs) + (r.output_sum ? " (sum " + fixed(*r.output_sum, 6) + ")" : ""));
  f.emplace_back("scenario", std::string(to_string(r.scenario)) + ", batch " + std::to_string(r.batch) +
                                 (r.streams > 1 ? ", " + std::to_string(r.streams) + " streams" : ""));
  f.emplace_back("device", r.device + ", " + std::to_string(r.threads) + " intra-op / " + std::to_string(r.interop_threads) + " inter-op threads" +
                               (r.quantized_engine.empty() ? "" : ", quantized engine " + r.quantized_engine));
  std::string flags;
  for (const auto& flag : r.cpu_flags) flags += (flags.empty() ? "" : " ") + flag;
  f.emplace_back("cpu", r.cpu_model + " (" + (flags.empty() ? "" : flags + "; ") + "libtorch " + r.libtorch_version + " uses " + r.cpu_capability + ")");
  f.emplace_back("load", ms(r.load_ms) + " ms, first inference " + ms(r.cold_ms) + " ms, " + std::to_string(r.warmup) + " warm-up in " + ms(r.warmup_ms) + " ms");
  f.emplace_back("run", std::to_string(r.queries) + " queries, " + std::to_string(r.samples) + " samples in " + fixed(r.duration_s, 2) + " s (" +
                            r.stopped_by + ")");
  f.emplace_back("throughput", fixed(r.samples_per_s, 2) + " samples/s, " + fixed(r.queries_per_s, 2) + " queries/s");
  f.emplace_back("peak memory", bytes_text(static_cast<double>(r.peak_rss_bytes)) + " RSS");

  ReportSection s;
  s.title = "Latency per query (ms)";
  s.note = "lower is better";
  const auto& l = r.latency;
  s.table.headers = {"mean", "p50", "p90", "p95", "p99", "p99.9", "min", "max",
                     "p" + fixed(r.rules.early_stopping_percentile * 100, 0) + " bound"};
  s.table.rows.push_back({ms(l.mean_ms), ms(l.p50_ms), ms(l.p90_ms), ms(l.p95_ms), ms(l.p99_ms), ms(l.p999_ms), ms(l.min_ms), ms(l.max_ms),
                          r.early_stopping_ms ? ms(*r.early_stopping_ms) : "-"});
  for (size_t i = 0; i < s.table.headers.size(); ++i) s.table.right_aligned.push_back(i);
  report.sections.push_back(std::move(s));
  return report;
}

std::string infer_csv(const InferResult& r) {
  const auto& l = r.latency;
  Table t;
  t.headers = {"model", "sha256", "inputs", "scenario", "device", "batch", "threads", "interop_threads", "streams", "quantized_engine",
               "queries", "samples", "duration_s", "samples_per_s", "cold_ms", "mean_ms", "p50_ms", "p90_ms", "p95_ms", "p99_ms",
               "p99.9_ms", "min_ms", "max_ms", "early_stopping_ms", "valid", "reasons", "peak_rss_bytes", "complete"};
  std::string reasons;
  for (const auto& reason : r.verdict.reasons) reasons += (reasons.empty() ? "" : "; ") + reason;
  const auto num = [](double v) { return fixed(v, 4); };
  t.rows.push_back({r.model_path, r.model_sha256, inputs_text(r.inputs), std::string(to_string(r.scenario)), r.device, std::to_string(r.batch),
                    std::to_string(r.threads), std::to_string(r.interop_threads), std::to_string(r.streams), r.quantized_engine,
                    std::to_string(r.queries), std::to_string(r.samples), num(r.duration_s), num(r.samples_per_s), num(r.cold_ms),
                    num(l.mean_ms), num(l.p50_ms), num(l.p90_ms), num(l.p95_ms), num(l.p99_ms), num(l.p999_ms), num(l.min_ms), num(l.max_ms),
                    r.early_stopping_ms ? num(*r.early_stopping_ms) : "", r.verdict.valid ? "true" : "false", reasons,
                    std::to_string(r.peak_rss_bytes), r.complete ? "true" : "false"});
  return t.to_csv();
}

}  // namespace kb::infer
