// `infer` variants in `kubench sweep run` on this machine: a fp32 and a dynamically quantized
// model from the suite's inputs, threads from the matrix, compared by `kubench sweep report`.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/files.h"
#include "infer/torch_models.h"
#include "support/sweep_records.h"
#include "support/test_support.h"

namespace kb::infer {
namespace {

using nlohmann::json;

TEST(SweepInfer, InferVariantsRunLocallyAndCompare) {
  test::TempDir dir;
  test::save_linear_model(dir / "fp32.pt");
  // A model that takes two inputs where the suite gives one: its variants fail with the reason.
  test::save_two_input_model(dir / "two.pt");
  write_file_atomic(dir / "suite.yaml", R"(schema: kubench/sweep/v1
name: models
inputs: {files: [fp32.pt, two.pt]}
targets: {cpu: {}}
matrix:
  model: [fp32, two]
  threads: [1, 2]
workload:
  infer:
    model: "{{ inputs }}/{{ model }}.pt"
    input_shape: "2,3"
    threads: "{{ threads }}"
    iterations: 100
    min_queries: 100
    min_duration: 0
    warmup: 2
)");
  const auto r = test::run_kubench({"sweep", "run", (dir / "suite.yaml").string(), "--out", (dir / "out").string(), "-o", "json"}, {}, 300);
  EXPECT_EQ(r.exit_code, 1) << r.stderr_text;  // the two-input variants failed
  const auto recs = test::sweep_records(dir / "out");
  ASSERT_EQ(recs.size(), 4u);
  for (int i : {0, 1}) {
    EXPECT_EQ(recs[i]["status"], "succeeded") << recs[i].dump();
    EXPECT_EQ(recs[i]["result"]["schema"], "kubench/infer/v1");
    EXPECT_EQ(recs[i]["result"]["queries"], 100);
    EXPECT_EQ(recs[i]["result"]["settings"]["threads"], i + 1);  // the matrix reached libtorch
    EXPECT_GT(recs[i]["metrics"]["latency_p50_ms"].get<double>(), 0);
    EXPECT_EQ(recs[i]["metrics"]["valid"], 1);
  }
  for (int i : {2, 3}) {
    EXPECT_EQ(recs[i]["failure_class"], "container-failed") << recs[i].dump();
    EXPECT_NE(recs[i]["message"].get<std::string>().find("two.pt: forward(x, y) takes 2 inputs, 1 given"), std::string::npos) << recs[i].dump();
  }

  const auto report = test::run_kubench({"sweep", "report", (dir / "out").string(), "--by", "latency_p50_ms"}, {}, 60);
  ASSERT_EQ(report.exit_code, 0) << report.stderr_text;
  EXPECT_NE(report.stdout_text.find("latency_p50_ms"), std::string::npos) << report.stdout_text;
  EXPECT_NE(report.stdout_text.find("lower is better"), std::string::npos) << report.stdout_text;
}

}  // namespace
}  // namespace kb::infer
