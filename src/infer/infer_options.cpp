#include "infer/infer_options.h"

#include <algorithm>
#include <array>

#include "core/error.h"
#include "core/text.h"

namespace kb::infer {

namespace {
constexpr std::array<std::string_view, 9> kDtypes = {"float32", "float16", "bfloat16", "float64", "int64", "int32", "int8", "uint8", "bool"};
}

Scenario parse_scenario(std::string_view text) {
  if (text == "single-stream") return Scenario::single_stream;
  if (text == "offline") return Scenario::offline;
  throw UsageError("--scenario " + std::string(text) + ": use single-stream (latency) or offline (throughput)");
}

std::string_view to_string(Scenario s) { return s == Scenario::single_stream ? "single-stream" : "offline"; }

std::vector<int64_t> parse_shape(std::string_view text) {
  std::vector<int64_t> shape;
  for (const auto& part : split(text, ',')) {
    const auto n = parse_int(trim(part));
    if (!n || *n < 1) throw UsageError("--input-shape " + std::string(text) + ": dimensions are positive integers separated by commas (1,3,224,224)");
    shape.push_back(*n);
  }
  if (shape.empty()) throw UsageError("--input-shape is empty: give the dimensions, e.g. 1,3,224,224");
  return shape;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string out;
  for (auto d : shape) out += (out.empty() ? "" : "x") + std::to_string(d);
  return out.empty() ? "scalar" : out;
}

void check_dtype(std::string_view dtype) {
  if (std::find(kDtypes.begin(), kDtypes.end(), dtype) != kDtypes.end()) return;
  std::string names;
  for (auto d : kDtypes) names += (names.empty() ? "" : ", ") + std::string(d);
  throw UsageError("--dtype " + std::string(dtype) + ": use one of " + names);
}

void check_options(const InferOptions& o) {
  check_dtype(o.dtype);
  if (o.warmup < 0) throw UsageError("--warmup cannot be negative");
  if (o.iterations && *o.iterations < 1) throw UsageError("--iterations must be at least 1");
  if (o.batch && *o.batch < 1) throw UsageError("--batch must be at least 1");
  if (o.threads < 0 || o.interop_threads < 0) throw UsageError("--threads and --interop-threads cannot be negative");
  if (o.rules.min_duration_s < 0) throw UsageError("--min-duration cannot be negative");
  if (o.max_duration_s && *o.max_duration_s <= 0) throw UsageError("--max-duration must be positive");
  if (o.streams < 1) throw UsageError("--streams must be at least 1");
  if (o.streams > 1 && o.scenario == Scenario::single_stream)
    throw UsageError("--streams " + std::to_string(o.streams) + " needs --scenario offline (single-stream runs one query at a time)");
  if (o.device != "cpu" && o.device != "cuda" && !starts_with(o.device, "cuda:"))
    throw UsageError("--device " + o.device + ": use cpu, cuda or cuda:N");
  if (!o.input_file.empty() && !o.input_shapes.empty()) throw UsageError("--input and --input-shape both give the inputs: use one");
  if (!o.input_file.empty() && o.batch) throw UsageError("--batch changes random inputs only: the tensors in --input keep their shape");
}

}  // namespace kb::infer
