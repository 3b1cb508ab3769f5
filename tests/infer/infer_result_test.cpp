// Options, libtorch message parsing and the result's formats: no libtorch needed.
#include <gtest/gtest.h>

#include "core/error.h"
#include "infer/infer_result.h"
#include "infer/infer_runner.h"

namespace kb::infer {
namespace {

TEST(InferOptions, ShapesAndChecks) {
  EXPECT_EQ(parse_shape("1,3,224,224"), (std::vector<int64_t>{1, 3, 224, 224}));
  EXPECT_EQ(parse_shape(" 8 , 128 "), (std::vector<int64_t>{8, 128}));
  EXPECT_THROW(parse_shape("1,0"), UsageError);
  EXPECT_THROW(parse_shape("1,x"), UsageError);
  EXPECT_THROW(parse_shape(""), UsageError);
  EXPECT_EQ(shape_text({1, 3, 224, 224}), "1x3x224x224");
  EXPECT_EQ(parse_scenario("offline"), Scenario::offline);
  EXPECT_THROW(parse_scenario("server"), UsageError);
  EXPECT_NO_THROW(check_dtype("bfloat16"));
  EXPECT_THROW(check_dtype("float8"), UsageError);

  InferOptions o;
  o.model = "m.pt";
  EXPECT_NO_THROW(check_options(o));
  o.streams = 2;
  EXPECT_THROW(check_options(o), UsageError);  // single-stream is one at a time
  o.scenario = Scenario::offline;
  EXPECT_NO_THROW(check_options(o));
  o.device = "tpu";
  EXPECT_THROW(check_options(o), UsageError);
  o.device = "cuda:1";
  EXPECT_NO_THROW(check_options(o));
  o.input_file = "x.pt";
  o.input_shapes = {{1}};
  EXPECT_THROW(check_options(o), UsageError);
}

TEST(TorchErrorReason, KeepsTheLineThatSaysWhatWentWrong) {
  const std::string traceback =
      "The following operation failed in the TorchScript interpreter.\n"
      "Traceback of TorchScript, serialized code (most recent call last):\n"
      "  File \"code/__torch__.py\", line 8, in forward\n"
      "    return torch.matmul(x, torch.t(w))\n"
      "RuntimeError: mat1 and mat2 shapes cannot be multiplied (1x4 and 3x2)\n";
  EXPECT_EQ(torch_error_reason(traceback), "mat1 and mat2 shapes cannot be multiplied (1x4 and 3x2)");
  EXPECT_EQ(torch_error_reason("PytorchStreamReader failed reading zip archive: failed finding central directory\n"
                               "Exception raised from valid at ../caffe2/serialize/inline_container.cc:184 (most recent call first):\n"
                               "frame #0: c10::Error::Error"),
            "PytorchStreamReader failed reading zip archive: failed finding central directory");
  EXPECT_EQ(torch_error_reason("builtins.ValueError: expected 3 features"), "expected 3 features");
  EXPECT_EQ(torch_error_reason(""), "unknown libtorch error");
}

TEST(HostFacts, CpuCapabilityAndVectorExtensions) {
  EXPECT_EQ(cpu_capability_from_config("PyTorch built with:\n  - CPU capability usage: AVX512\n"), "AVX512");
  EXPECT_EQ(cpu_capability_from_config("nothing"), "unknown");
  const auto flags = vector_extensions("processor\t: 0\nflags\t\t: fpu sse4_2 avx avx2 fma avx512f avx512_vnni amx_tile\nprocessor\t: 1\n");
  EXPECT_EQ(flags, (std::vector<std::string>{"amx_tile", "avx", "avx2", "avx512_vnni", "avx512f", "fma", "sse4_2"}));
  EXPECT_EQ(vector_extensions("Features\t: fp asimd asimddp sve\n"), (std::vector<std::string>{"asimd", "asimddp", "sve"}));
}

InferResult sample_result() {
  InferResult r;
  r.model_path = "resnet.pt";
  r.model_sha256 = std::string(64, 'a');
  r.inputs = {{{1, 3, 224, 224}, "float32"}};
  r.outputs = {{{1, 1000}, "float32"}};
  r.output_sum = 1.5;
  r.input_source = "random";
  r.queries = 2048;
  r.samples = 2048;
  r.duration_s = 10.5;
  r.latency.count = 2048;
  r.latency.p50_ms = 4.25;
  r.latency.p99_ms = 9.5;
  r.early_stopping_ms = 5.0;
  r.verdict.valid = false;
  r.verdict.reasons = {"too short", "interrupted"};
  return r;
}

TEST(InferResult, JsonCarriesEveryFigure) {
  const auto doc = to_json(sample_result());
  EXPECT_EQ(doc["schema"], "kubench/infer/v1");
  EXPECT_EQ(doc["latency_ms"]["p50"], 4.25);
  EXPECT_EQ(doc["latency_ms"]["p99"], 9.5);
  EXPECT_EQ(doc["early_stopping"]["latency_ms"], 5.0);
  EXPECT_EQ(doc["inputs"][0]["shape"], nlohmann::json({1, 3, 224, 224}));
  EXPECT_EQ(doc["outputs"][0]["shape"], nlohmann::json({1, 1000}));
  EXPECT_EQ(doc["validity"]["reasons"].size(), 2u);
  EXPECT_TRUE(doc["node"].is_null());
}

TEST(InferResult, TableAndCsv) {
  const auto text = render_text(infer_report(sample_result()));
  EXPECT_NE(text.find("INVALID: too short; interrupted"), std::string::npos) << text;
  EXPECT_NE(text.find("1x3x224x224 float32 (random, seed 0)"), std::string::npos) << text;
  EXPECT_NE(text.find("4.250"), std::string::npos) << text;
  const auto csv = infer_csv(sample_result());
  EXPECT_NE(csv.substr(0, csv.find('\n')).find(",p50_ms,p90_ms,p95_ms,p99_ms,p99.9_ms,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("resnet.pt," + std::string(64, 'a') + ",1x3x224x224 float32,single-stream"), std::string::npos) << csv;
  EXPECT_NE(csv.find("too short; interrupted"), std::string::npos) << csv;
}

}  // namespace
}  // namespace kb::infer
