// The sweep directory and its documents: results found in a log (frame, last JSON line), metrics
// flattened, resume planning, variant files, the summary and CSV.
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/files.h"
#include "jobs/run_outcome.h"
#include "jobs/sweep_record.h"
#include "media/result_frame.h"

namespace kb::jobs {
namespace {

using nlohmann::json;

TEST(ResultInLog, FrameFirstThenTheLastJsonObjectLineWhenAsked) {
  const std::string plain = "loading\n{\"fps\": 1}\nwarming up {not json\n{\"fps\": 42.5, \"ok\": true}\n[1, 2]\ndone\n";
  EXPECT_EQ(result_in_log(plain, true), json({{"fps", 42.5}, {"ok", true}}));
  EXPECT_EQ(result_in_log(plain, false), std::nullopt);
  EXPECT_EQ(result_in_log("no result at all\n{broken\n", true), std::nullopt);
  const std::string framed = "x\n" + media::frame_result({{"schema", "kubench/bench/v1"}}) + "{\"later\": 1}\n";
  EXPECT_EQ(result_in_log(framed, true), json({{"schema", "kubench/bench/v1"}}));
}

TEST(SweepMetrics, BenchResultsByTestAndAnyObjectByDottedPath) {
  const json bench = json::parse(R"({"schema": "kubench/bench/v1",
    "tests": [{"test_id": "h264_1080p", "status": "ok", "fps": 300.5, "speed": 5.0, "power": {"avg_watts": 20}, "fps_per_watt": 15.0},
              {"test_id": "av1_4k", "status": "failed", "fps": 0}],
    "concurrency": [{"test_id": "h264_1080p", "max_realtime_streams": 7}]})");
  EXPECT_EQ(sweep_metrics(bench), (std::map<std::string, double>{{"h264_1080p.fps", 300.5},
                                                                  {"h264_1080p.speed", 5.0},
                                                                  {"h264_1080p.watts", 20},
                                                                  {"h264_1080p.fps_per_watt", 15.0},
                                                                  {"h264_1080p.max_realtime_streams", 7}}));
  const json any = json::parse(R"({"latency": {"p50_ms": 3.5}, "runs": [{"fps": 1}, {"fps": 2}], "model": "bert", "ok": true})");
  EXPECT_EQ(sweep_metrics(any), (std::map<std::string, double>{{"latency.p50_ms", 3.5}, {"runs.0.fps", 1}, {"runs.1.fps", 2}}));
}

TEST(SweepMetrics, InferResultsGiveLatencyThroughputMemoryAndValidity) {
  const json infer = json::parse(R"({"schema": "kubench/infer/v1", "settings": {"batch": 8, "threads": 4},
    "latency_ms": {"mean": 2.5, "p50": 2.0, "p90": 3.0, "p99": 4.0, "p99.9": 9.0, "min": 1.0, "max": 9.5},
    "cold_ms": 40.0, "samples_per_s": 3200.0, "peak_rss_bytes": 104857600, "validity": {"valid": true}})");
  EXPECT_EQ(sweep_metrics(infer), (std::map<std::string, double>{{"latency_mean_ms", 2.5},
                                                                  {"latency_p50_ms", 2.0},
                                                                  {"latency_p90_ms", 3.0},
                                                                  {"latency_p99_ms", 4.0},
                                                                  {"latency_p99.9_ms", 9.0},
                                                                  {"first_inference_latency_ms", 40.0},
                                                                  {"samples_per_s", 3200.0},
                                                                  {"peak_memory_bytes", 104857600},
                                                                  {"valid", 1}}));
}

SweepPlan plan_of(size_t n) {
  SweepPlan p;
  p.sweep_id = "sw1";
  p.name = "demo";
  p.suite_file = "/x/suite.yaml";
  p.workload_kind = "container";
  for (size_t i = 0; i < n; ++i) p.variants.push_back({"n=" + std::to_string(i) + "@a", {{"n", std::to_string(i)}}, "a", 0});
  return p;
}

VariantRecord record(size_t index, const std::string& status, std::map<std::string, double> metrics = {}) {
  VariantRecord r;
  r.index = index;
  r.id = "n=" + std::to_string(index) + "@a";
  r.target = "a";
  r.params = {{"n", std::to_string(index)}};
  r.status = status;
  if (status != "succeeded") r.failure_class = "no-results";
  r.metrics = std::move(metrics);
  return r;
}

TEST(SweepResume, RunsWhatHasNoResultAndFailedOnesOnlyWhenAsked) {
  const auto plan = plan_of(4);
  std::map<size_t, VariantRecord> results = {{0, record(0, "succeeded")}, {2, record(2, "failed")}};
  EXPECT_EQ(variants_to_run(plan, results, false), (std::vector<size_t>{1, 3}));
  EXPECT_EQ(variants_to_run(plan, results, true), (std::vector<size_t>{1, 2, 3}));
}

TEST(SweepDirectory, WritesPlanVariantsAndSummaryAndRefusesToStartTwice) {
  TempDirectory tmp;
  SweepDirectory dir(tmp.path() / "sweep");
  const auto plan = plan_of(3);
  dir.create(plan, "schema: kubench/sweep/v1\n");
  EXPECT_THROW(dir.create(plan, "again"), EnvironmentError);
  EXPECT_EQ(dir.load_plan().variants.size(), 3u);
  EXPECT_EQ(dir.load_plan().variants[1].id, "n=1@a");

  auto r = record(1, "succeeded", {{"n", 1}, {"fps", 9.5}});
  r.result = {{"n", 1}, {"fps", 9.5}};
  r.log = {"line"};
  dir.write_variant(r);
  dir.write_variant(record(2, "failed"));
  write_file_atomic(tmp.path() / "sweep" / "variants" / "0000.json.tmp", "half");  // a crash's leftover is skipped
  const auto back = dir.read_variants();
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back.at(1).metrics.at("fps"), 9.5);
  EXPECT_EQ(back.at(1).log, std::vector<std::string>{"line"});
  EXPECT_EQ(back.at(2).failure_class, "no-results");

  dir.write_summary(plan, back);
  const auto summary = json::parse(read_file(tmp.path() / "sweep" / "sweep.json"));
  EXPECT_EQ(summary["schema"], kSweepResultSchema);
  EXPECT_EQ(summary["counts"], json({{"variants", 3}, {"succeeded", 1}, {"failed", 1}, {"not_run", 1}}));
  const auto csv = read_file(tmp.path() / "sweep" / "results.csv");
  // The metric "n" is named like the parameter: result.n.
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "index,id,target,repeat,n,context,node,gpu_product,sharing,status,failure_class,attempts,duration_s,fps,result.n");
  EXPECT_NE(csv.find("\n0,n=0@a,a,0,0,,,,,not-run,,0,,,\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\n1,n=1@a,a,0,1,,,,,succeeded,,1,0,9.5,1\n"), std::string::npos) << csv;

  write_file_atomic(tmp.path() / "sweep" / "variants" / "0002.json", "{not json");
  EXPECT_THROW(dir.read_variants(), ParseError);
  EXPECT_THROW(SweepDirectory(tmp.path() / "none").load_plan(), EnvironmentError);
}

TEST(SweepDirectory, ResumeReadsTheSuiteCopyAndNoticesAnEditedPlan) {
  TempDirectory tmp;
  const std::string suite = "schema: kubench/sweep/v1\nname: demo\ntargets: {a: {}}\nmatrix: {n: [0, 1, 2]}\nworkload: {container: {image: busybox}}\n";
  write_file_atomic(tmp.path() / "suite.yaml", suite);
  auto fresh = open_new_sweep(tmp.path() / "suite.yaml", "sw1");
  EXPECT_EQ(fresh.to_run, (std::vector<size_t>{0, 1, 2}));
  SweepDirectory dir(tmp.path() / "out");
  dir.create(fresh.plan, fresh.suite_text);
  dir.write_variant(record(1, "succeeded"));
  // The user edits the suite afterwards: resume still runs the sweep as it started.
  write_file_atomic(tmp.path() / "suite.yaml", "garbage: [\n");
  const auto resumed = open_resumed_sweep(dir, false);
  EXPECT_TRUE(resumed.resumed);
  EXPECT_EQ(resumed.to_run, (std::vector<size_t>{0, 2}));
  write_file_atomic(tmp.path() / "out" / "suite.yaml", "schema: kubench/sweep/v1\ntargets: {a: {}}\nmatrix: {n: [0, 1]}\nworkload: {container: {image: busybox}}\n");
  EXPECT_THROW(open_resumed_sweep(dir, false), ParseError);
}

}  // namespace
}  // namespace kb::jobs
