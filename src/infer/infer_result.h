// The result of `kubench infer`: schema kubench/infer/v1 (docs/infer.md), and how it is shown.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/report.h"
#include "infer/infer_options.h"
#include "infer/latency_stats.h"

namespace kb::infer {

struct InputInfo {
  std::vector<int64_t> shape;
  std::string dtype;
};

struct InferResult {
  std::string started_at, finished_at;
  std::string host, node, kubench_version;
  // The model.
  std::string model_path;
  uint64_t model_bytes = 0;
  std::string model_sha256;
  int64_t parameters = 0;
  bool packed_parameters = false;  // quantized weights counted from their packed form
  std::vector<InputInfo> inputs;
  std::string input_source;        // "random", "model example_inputs", "--input FILE"
  // The first inference's output tensors, and the sum of all their elements: the same model,
  // inputs and seed give the same sum, so a changed answer (an int8 model) shows.
  std::vector<InputInfo> outputs;
  std::optional<double> output_sum;
  uint64_t seed = 0;
  // How it ran.
  Scenario scenario = Scenario::single_stream;
  std::string device;
  int64_t batch = 1;               // samples per query (the first dimension of the first input)
  int threads = 0, interop_threads = 0, streams = 1;
  std::string quantized_engine;
  std::string libtorch_version, cpu_model, cpu_capability;
  std::vector<std::string> cpu_flags;  // the vector extensions this CPU has (avx2, avx512f, ...)
  // Times.
  double load_ms = 0, cold_ms = 0, warmup_ms = 0;
  int warmup = 0;
  size_t queries = 0, samples = 0;
  double duration_s = 0, samples_per_s = 0, queries_per_s = 0;
  LatencySummary latency;
  std::optional<double> early_stopping_ms;  // the bound on the p(rules.early_stopping_percentile) latency
  ValidityRules rules;
  Verdict verdict;
  long long peak_rss_bytes = 0;
  bool complete = false, interrupted = false;
  std::string stopped_by;          // "queries and duration", "--iterations", "--max-duration", "interrupted"
};

// "1x3x224x224 float32, 1x10 int64"
std::string inputs_text(const std::vector<InputInfo>& inputs);

nlohmann::json to_json(const InferResult& r);
// The report `-o table` prints: facts, then the latency table.
Report infer_report(const InferResult& r);
// One header row and one value row, the same columns for every run (for spreadsheets and sweeps).
std::string infer_csv(const InferResult& r);

}  // namespace kb::infer
