// kubench infer on real TorchScript models the test makes (tests/infer/torch_models.h): the
// library's run_inference, then the command end to end.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "infer/infer_runner.h"
#include "infer/torch_models.h"
#include <torch/cuda.h>
#include "support/kubench_process.h"
#include "support/test_support.h"

namespace kb::infer {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class InferTorch : public ::testing::Test {
 protected:
  test::TempDir dir;

  InferOptions quick(const fs::path& model) {
    InferOptions o;
    o.model = model;
    o.iterations = 20;
    o.warmup = 2;
    return o;
  }

  // The error message run_inference throws for `o` (empty when it does not throw).
  static std::string error_of(const InferOptions& o) {
    try {
      run_inference(o);
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), kExitUsage) << e.what();
      return e.what();
    }
    return "";
  }
};

TEST_F(InferTorch, LinearModelComputesItsKnownOutputOnGivenInputs) {
  test::save_linear_model(dir / "linear.pt");
  test::save_tensors(dir / "ones.pt", torch::ones({1, 3}));
  auto o = quick(dir / "linear.pt");
  o.input_file = dir / "ones.pt";
  const auto r = run_inference(o);
  ASSERT_EQ(r.outputs.size(), 1u);
  EXPECT_EQ(r.outputs[0].shape, (std::vector<int64_t>{1, 2}));
  ASSERT_TRUE(r.output_sum);
  EXPECT_DOUBLE_EQ(*r.output_sum, 21.0);  // [6.5, 14.5]
  EXPECT_EQ(r.parameters, 8);
  EXPECT_EQ(r.queries, 20u);
  EXPECT_EQ(r.latency.count, 20u);
  EXPECT_EQ(r.stopped_by, "--iterations");
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.input_source, "--input " + (dir / "ones.pt").string());
  EXPECT_EQ(r.model_sha256.size(), 64u);
  EXPECT_EQ(r.model_bytes, fs::file_size(dir / "linear.pt"));
  EXPECT_LE(r.latency.min_ms, r.latency.p50_ms);
  EXPECT_LE(r.latency.p50_ms, r.latency.p99_ms);
  EXPECT_LE(r.latency.p99_ms, r.latency.max_ms);
  EXPECT_GT(r.peak_rss_bytes, 0);
  // 20 queries: too few for any minimum.
  EXPECT_FALSE(r.verdict.valid);
  EXPECT_EQ(r.verdict.reasons.size(), 3u);
}

TEST_F(InferTorch, RandomInputsAreReproducibleBySeed) {
  test::save_linear_model(dir / "linear.pt");
  auto o = quick(dir / "linear.pt");
  o.input_shapes = {{4, 3}};
  const auto a = run_inference(o), b = run_inference(o);
  o.seed = 7;
  const auto c = run_inference(o);
  ASSERT_TRUE(a.output_sum && b.output_sum && c.output_sum);
  EXPECT_EQ(*a.output_sum, *b.output_sum);
  EXPECT_NE(*a.output_sum, *c.output_sum);
  EXPECT_EQ(a.batch, 4);
  EXPECT_EQ(a.samples, 80u);
  EXPECT_EQ(a.input_source, "random");
}

TEST_F(InferTorch, SmallCnnOnAnImageWithBatchAndOfflineStreams) {
  test::save_cnn_model(dir / "cnn.pt");
  auto o = quick(dir / "cnn.pt");
  o.input_shapes = {{1, 3, 32, 32}};
  o.batch = 3;
  o.scenario = Scenario::offline;
  o.streams = 2;
  o.iterations = 10;
  const auto r = run_inference(o);
  EXPECT_EQ(r.inputs[0].shape, (std::vector<int64_t>{3, 3, 32, 32}));
  EXPECT_EQ(r.outputs[0].shape, (std::vector<int64_t>{3, 10}));
  EXPECT_EQ(r.queries, 10u);  // exactly, across both streams
  EXPECT_EQ(r.samples, 30u);
  EXPECT_NEAR(r.samples_per_s, 30 / r.duration_s, 1e-6);
  EXPECT_EQ(r.parameters, 8 * 27 + 8 + 10 * 2048 + 10);
  EXPECT_FALSE(r.rules.early_stopping);  // a single-stream rule
}

TEST_F(InferTorch, TwoInputModelTakesOneShapeEach) {
  test::save_two_input_model(dir / "two.pt");
  auto o = quick(dir / "two.pt");
  o.input_shapes = {{2, 3}, {2, 2}};
  const auto r = run_inference(o);
  ASSERT_EQ(r.inputs.size(), 2u);
  EXPECT_EQ(r.outputs[0].shape, (std::vector<int64_t>{2, 2}));
  o.input_shapes = {{2, 3}};
  const auto error = error_of(o);
  EXPECT_NE(error.find("two.pt: forward(x, y) takes 2 inputs, 1 given"), std::string::npos) << error;
}

TEST_F(InferTorch, WrongShapeIsOneLineNamingTheModelAndLibtorchsReason) {
  test::save_raising_model(dir / "picky.pt");
  auto o = quick(dir / "picky.pt");
  o.input_shapes = {{1, 4}};
  auto error = error_of(o);
  EXPECT_NE(error.find("picky.pt: forward failed on 1x4 float32: AssertionError: expected 3 features"), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;

  test::save_linear_model(dir / "linear.pt");
  o.model = dir / "linear.pt";
  error = error_of(o);
  EXPECT_NE(error.find("linear.pt: forward failed on 1x4 float32: mat1 and mat2 shapes cannot be multiplied"), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
}

TEST_F(InferTorch, BadModelFilesAreOneLineErrors) {
  auto o = quick(dir / "missing.pt");
  o.input_shapes = {{1, 3}};
  EXPECT_EQ(error_of(o), (dir / "missing.pt").string() + ": no such file");
  test::write_text(dir / "notes.pt", "not a zip archive");
  o.model = dir / "notes.pt";
  auto error = error_of(o);
  EXPECT_NE(error.find("notes.pt: not a TorchScript model libtorch"), std::string::npos) << error;
  EXPECT_NE(error.find("zip archive"), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  // A model with no example input and no --input-shape.
  test::save_linear_model(dir / "linear.pt");
  o.model = dir / "linear.pt";
  o.input_shapes.clear();
  error = error_of(o);
  EXPECT_NE(error.find("carries no example input"), std::string::npos) << error;
  // --input that is no tensor file.
  o.input_file = dir / "notes.pt";
  error = error_of(o);
  EXPECT_NE(error.find("notes.pt: not a tensor file saved with torch.save"), std::string::npos) << error;
}

TEST_F(InferTorch, ModelsExampleInputIsTheDefault) {
  test::save_model_with_example(dir / "example.pt");
  const auto r = run_inference(quick(dir / "example.pt"));
  EXPECT_EQ(r.input_source, "model example_inputs");
  ASSERT_TRUE(r.output_sum);
  EXPECT_DOUBLE_EQ(*r.output_sum, 6 + 15);  // the example's ones, not random values
}

TEST_F(InferTorch, CudaWithoutCudaIsRefusedWithTheReason) {
  test::save_linear_model(dir / "linear.pt");
  auto o = quick(dir / "linear.pt");
  o.input_shapes = {{1, 3}};
  o.device = "cuda";
  if (::torch::cuda::is_available()) GTEST_SKIP() << "this libtorch has CUDA";
  try {
    run_inference(o);
    FAIL() << "cuda accepted";
  } catch (const EnvironmentError& e) {
    EXPECT_NE(std::string(e.what()).find("--device cuda: this libtorch"), std::string::npos) << e.what();
  }
}

TEST_F(InferTorch, DynamicQuantizedModelRunsOnItsEngineAndCountsPackedWeights) {
  const auto& engines = at::globalContext().supportedQEngines();
  ASSERT_NE(std::find(engines.begin(), engines.end(), c10::QEngine::QNNPACK), engines.end()) << "Debian's libtorch has QNNPACK";
  test::save_dynamic_quantized_model(dir / "int8.pt", c10::QEngine::QNNPACK);
  auto o = quick(dir / "int8.pt");
  o.input_shapes = {{2, 8}};
  o.quantized_engine = "qnnpack";
  const auto r = run_inference(o);
  EXPECT_EQ(r.quantized_engine, "qnnpack");
  EXPECT_TRUE(r.packed_parameters);
  EXPECT_EQ(r.parameters, 4 * 8 + 4);
  EXPECT_EQ(r.outputs[0].shape, (std::vector<int64_t>{2, 4}));
  o.quantized_engine = "no-such-engine";
  EXPECT_NE(error_of(o).find("--quantized-engine no-such-engine: this libtorch (1.13.0) has"), std::string::npos);
}

TEST_F(InferTorch, RunsUntilMinimumQueriesAndDurationThenIsValid) {
  test::save_linear_model(dir / "linear.pt");
  InferOptions o;
  o.model = dir / "linear.pt";
  o.input_shapes = {{1, 3}};
  o.rules.min_queries = 200;
  o.rules.min_duration_s = 0.2;
  const auto r = run_inference(o);
  EXPECT_GE(r.queries, 200u);
  EXPECT_GE(r.duration_s, 0.2);
  EXPECT_EQ(r.stopped_by, "queries and duration");
  EXPECT_TRUE(r.verdict.valid) << r.verdict.reasons.size();
  ASSERT_TRUE(r.early_stopping_ms);
  EXPECT_GE(*r.early_stopping_ms, r.latency.p90_ms);
  // --max-duration ends it before the minimums: incomplete and invalid.
  o.rules.min_duration_s = 60;
  o.max_duration_s = 0.2;
  const auto cut = run_inference(o);
  EXPECT_EQ(cut.stopped_by, "--max-duration");
  EXPECT_FALSE(cut.complete);
  EXPECT_FALSE(cut.verdict.valid);
}

// The command end to end.

TEST_F(InferTorch, CommandPrintsEveryFormat) {
  test::save_linear_model(dir / "linear.pt");
  const auto model = (dir / "linear.pt").string();
  auto r = test::run_kubench({"infer", model, "--input-shape", "1,3", "--iterations", "50", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  const auto doc = json::parse(r.stdout_text);
  EXPECT_EQ(doc["schema"], "kubench/infer/v1");
  EXPECT_EQ(doc["queries"], 50);
  EXPECT_EQ(doc["validity"]["valid"], false);
  EXPECT_EQ(doc["settings"]["scenario"], "single-stream");
  EXPECT_EQ(doc["environment"]["libtorch_version"], "1.13.0");
  for (const char* key : {"p50", "p90", "p95", "p99", "p99.9", "mean", "min", "max"}) EXPECT_TRUE(doc["latency_ms"][key].is_number()) << key;

  r = test::run_kubench({"infer", model, "--input-shape", "1,3", "--iterations", "50", "-o", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(r.stdout_text.rfind("model,sha256,inputs,scenario,", 0), 0u) << r.stdout_text;
  EXPECT_EQ(std::count(r.stdout_text.begin(), r.stdout_text.end(), '\n'), 2);

  r = test::run_kubench({"infer", model, "--input-shape", "1,3", "--iterations", "50", "--require-valid"});
  EXPECT_EQ(r.exit_code, 1) << r.stderr_text;
  EXPECT_NE(r.stdout_text.find("INVALID: 50 queries, fewer than the minimum 1024"), std::string::npos) << r.stdout_text;

  r = test::run_kubench({"infer", model, "--input-shape", "1,3", "--iterations", "50", "-o", "yaml"});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_NE(r.stdout_text.find("schema: kubench/infer/v1"), std::string::npos);
}

TEST_F(InferTorch, CommandBadInputExitsTwoWithOneLine) {
  test::save_linear_model(dir / "linear.pt");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"infer", (dir / "missing.pt").string(), "--input-shape", "1,3"},
        {"infer", (dir / "linear.pt").string(), "--input-shape", "1,4"},
        {"infer", (dir / "linear.pt").string(), "--input-shape", "1,x"},
        {"infer", (dir / "linear.pt").string(), "--input-shape", "1,3", "--device", "cuda"},
        {"infer", (dir / "linear.pt").string(), "--input-shape", "1,3", "--streams", "2"}}) {
    const auto r = test::run_kubench(args);
    EXPECT_EQ(r.exit_code, 2) << args[2] << ": " << r.stderr_text;
    EXPECT_EQ(r.stdout_text, "") << args[2];
    const auto last = r.stderr_text.substr(r.stderr_text.rfind("kubench: "));
    EXPECT_EQ(std::count(last.begin(), last.end(), '\n'), 1) << r.stderr_text;
  }
}

TEST_F(InferTorch, CtrlCEndsWith130AndPartialStatisticsMarkedIncomplete) {
  test::save_cnn_model(dir / "cnn.pt");
  test::Kubench infer("infer", {"infer", (dir / "cnn.pt").string(), "--input-shape", "1,3,32,32", "--min-duration", "600", "-o", "json"}, dir);
  ASSERT_TRUE(test::eventually([&] { return infer.err().find("warm-up queries") != std::string::npos; }, std::chrono::seconds(60))) << infer.err();
  infer.signal(SIGINT);
  const auto r = infer.wait();
  EXPECT_EQ(r.exit_code, 130) << infer.err();
  const auto doc = json::parse(infer.out());
  EXPECT_EQ(doc["complete"], false);
  EXPECT_EQ(doc["interrupted"], true);
  EXPECT_EQ(doc["validity"]["valid"], false);
  EXPECT_NE(doc["validity"]["reasons"][0].get<std::string>().find("interrupted"), std::string::npos);
}

TEST_F(InferTorch, InPodResultIsFramedForTheCollector) {
  test::save_linear_model(dir / "linear.pt");
  const auto log = dir / "termination-log";
  const auto r = test::run_kubench({"infer", (dir / "linear.pt").string(), "--input-shape", "1,3", "--iterations", "5", "-o", "json", "--in-pod",
                                    "--termination-log", log.string()});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_NE(r.stdout_text.find("----- BEGIN KUBENCH RESULT"), std::string::npos);
  EXPECT_EQ(json::parse(test::slurp(log))["schema"], "kubench/infer/v1");
}

}  // namespace
}  // namespace kb::infer
