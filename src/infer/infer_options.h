// What `kubench infer` is asked to do. Plain data: the CLI fills it, the runner reads it.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "infer/latency_stats.h"

namespace kb::infer {

// LoadGen's names: one query at a time (latency), or as many as possible (throughput).
enum class Scenario { single_stream, offline };
Scenario parse_scenario(std::string_view text);  // "single-stream" | "offline"; UsageError otherwise
std::string_view to_string(Scenario s);

struct InferOptions {
  std::filesystem::path model;
  std::vector<std::vector<int64_t>> input_shapes;  // one per forward() argument; empty: the model's example
  std::filesystem::path input_file;                // torch.save'd tensor or tuple/list of tensors
  std::string dtype = "float32";
  std::optional<int64_t> batch;                    // replaces every input's first dimension
  int warmup = 10;
  std::optional<size_t> iterations;                // a fixed number of timed queries
  std::optional<double> run_duration_s;            // --min-duration given: run at least this long
  std::optional<double> max_duration_s;            // stop then, even before the minimums
  ValidityRules rules;                             // run until these minimums hold (unless --iterations)
  int threads = 0;                                 // intra-op; 0: libtorch's default
  int interop_threads = 0;                         // 0: libtorch's default
  std::string device = "cpu";                      // cpu | cuda | cuda:N
  std::string quantized_engine;                    // fbgemm | qnnpack | onednn | x86; empty: libtorch's default
  Scenario scenario = Scenario::single_stream;
  int streams = 1;                                 // offline: queries in flight at once
  uint64_t seed = 0;
};

// "1,3,224,224" → {1, 3, 224, 224}; every dimension a positive integer (UsageError otherwise).
std::vector<int64_t> parse_shape(std::string_view text);
std::string shape_text(const std::vector<int64_t>& shape);  // "1x3x224x224"

// The dtypes random inputs can have; UsageError names them for anything else.
void check_dtype(std::string_view dtype);

// Checks that do not need libtorch (counts, scenario/streams, device spelling).
void check_options(const InferOptions& options);

}  // namespace kb::infer
