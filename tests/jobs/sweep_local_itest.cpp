// `kubench sweep run` without --kube: variants as processes on this machine — results, retries,
// timeouts, failure classes, inputs, priority, a real `kubench bench` variant, Ctrl-C and resume.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <nlohmann/json.hpp>

#include "core/files.h"
#include "core/text.h"
#include "support/kubench_process.h"
#include "support/raw_http.h"
#include "support/sweep_records.h"
#include "support/test_support.h"

namespace kb::jobs {
namespace {
using nlohmann::json;

class SweepLocal : public ::testing::Test {
 protected:
  test::TempDir dir;

  std::filesystem::path suite(const std::string& yaml) {
    write_file_atomic(dir / "suite.yaml", yaml);
    return dir / "suite.yaml";
  }
};

TEST_F(SweepLocal, RunsLocalCommandsWithRetriesTimeoutsAndClasses) {
  write_file_atomic(dir / "words.txt", "one two three");
  // `fail` fails until its third attempt (a counter file); `slow` outlives its timeout.
  auto path = suite(R"(schema: kubench/sweep/v1
defaults: {retries: 2, timeout: 30s}
groups: [{match: {case: slow}, timeout: 1s, retries: 0}, {match: {case: last}, priority: -1}]
inputs: {files: [words.txt]}
targets: {here: {}}
matrix:
  case: [ok, fail, slow, silent, last]
workload:
  container:
    local:
      - sh
      - -c
      - |
        case {{ case }} in
          ok|last) echo "{\"words\": $(wc -w < {{ inputs }}/words.txt), \"param\": $KUBENCH_PARAM_CASE_LEN}" ;;
          fail) n=$(cat fail.count 2>/dev/null || echo 0); echo $((n+1)) > fail.count
                if [ $n -lt 2 ]; then echo "not yet" >&2; exit 4; fi; echo '{"third": 3}' ;;
          slow) sleep 30 ;;
          silent) echo "nothing to see" ;;
        esac
    env: {KUBENCH_PARAM_CASE_LEN: "7"}
)");
  auto r = test::run_kubench({"sweep", "run", path.string(), "--out", (dir / "out").string(), "-o", "json"}, {}, 120);
  EXPECT_EQ(r.exit_code, 1) << r.stderr_text;
  const auto recs = test::sweep_records(dir / "out");
  ASSERT_EQ(recs.size(), 5u);
  EXPECT_EQ(recs[0]["status"], "succeeded");
  EXPECT_EQ(recs[0]["metrics"], json({{"words", 3}, {"param", 7}}));
  EXPECT_EQ(recs[0]["context"], "local");
  EXPECT_EQ(recs[1]["status"], "succeeded");
  EXPECT_EQ(recs[1]["attempts"], 3);
  EXPECT_NE(r.stderr_text.find("case=fail@here: attempt 2 failed (container-failed: sh exit status 4: not yet); retrying"), std::string::npos)
      << r.stderr_text;
  EXPECT_EQ(recs[2]["failure_class"], "deadline-exceeded");
  EXPECT_EQ(recs[2]["attempts"], 1);
  EXPECT_EQ(recs[3]["failure_class"], "no-results");
  EXPECT_EQ(recs[3]["log"], json::array({"nothing to see"}));
  const auto summary = json::parse(r.stdout_text);
  EXPECT_EQ(summary["counts"], json({{"variants", 5}, {"succeeded", 3}, {"failed", 2}, {"not_run", 0}}));
  // Priority -1 ran last (one at a time by default), in the order of the suite before it.
  for (int i = 0; i < 4; ++i) EXPECT_LT(recs[i]["queued_s"].get<double>(), recs[i + 1]["queued_s"].get<double>()) << i;
  EXPECT_EQ(recs[4]["wait_reason"], "--jobs 1: the others were running");
}

TEST_F(SweepLocal, WorkloadsThatCannotRunHereAreRefusedBeforeAnythingIsWritten) {
  auto path = suite("schema: kubench/sweep/v1\ntargets: {a: {}}\nworkload: {container: {image: busybox}}\n");
  auto r = test::run_kubench({"sweep", "run", path.string(), "--out", (dir / "out").string()}, {}, 60);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("has no `local` command to run on this machine"), std::string::npos) << r.stderr_text;
  EXPECT_FALSE(std::filesystem::exists(dir / "out"));
  path = suite("schema: kubench/sweep/v1\ntargets: {a: {}}\nmatrix: {n: [1]}\nworkload: {container: {local: [echo, '{{ m }}']}}\n");
  r = test::run_kubench({"sweep", "run", path.string(), "--out", (dir / "out").string()}, {}, 60);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("variant n=1@a: no parameter 'm' for {{ m }}"), std::string::npos) << r.stderr_text;
  EXPECT_FALSE(std::filesystem::exists(dir / "out"));
  path = suite("schema: kubench/sweep/v1\ncolour: blue\ntargets: {a: {}}\nworkload: {container: {local: [true]}}\n");
  r = test::run_kubench({"sweep", "run", path.string(), "--out", (dir / "out").string()}, {}, 60);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("suite.yaml:2: colour: unknown key"), std::string::npos) << r.stderr_text;
  EXPECT_FALSE(std::filesystem::exists(dir / "out"));
  r = test::run_kubench({"sweep", "run", (dir / "missing.yaml").string()}, {}, 60);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("missing.yaml: no such file"), std::string::npos) << r.stderr_text;
}

TEST_F(SweepLocal, BenchVariantsRunKubenchBench) {
  std::filesystem::create_directories(dir / "clips");
  test::make_video(dir / "clips" / "kubench_1080p_h264.mp4", 320, 180, 24);
  auto path = suite(R"(schema: kubench/sweep/v1
targets: {cpu: {}}
repeat: 2
workload:
  bench: {accel: cpu, tests: [h264_1080p], clips: clips}
)");
  auto r = test::run_kubench({"sweep", "run", path.string(), "--out", (dir / "out").string(), "--jobs", "2"}, {}, 300);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  const auto recs = test::sweep_records(dir / "out");
  ASSERT_EQ(recs.size(), 2u);
  for (const auto& x : recs) {
    EXPECT_EQ(x["result"]["schema"], "kubench/bench/v1");
    EXPECT_GT(x["metrics"]["h264_1080p.fps"].get<double>(), 0);
    EXPECT_GT(x["metrics"]["h264_1080p.speed"].get<double>(), 0);
  }
}

TEST_F(SweepLocal, CtrlCKeepsWhatFinishedAndResumeRunsTheRest) {
  auto path = suite(R"(schema: kubench/sweep/v1
targets: {here: {}}
matrix: {n: [0, 1, 2, 3]}
workload:
  container:
    local: [sh, -c, 'if [ {{ n }} -ge 1 ]; then sleep 60; fi; echo "{\"n\": {{ n }}}"']
)");
  const auto out = dir / "out";
  {
    test::Kubench child("sweep", {"sweep", "run", path.string(), "--out", out.string()}, dir);
    ASSERT_TRUE(test::eventually([&] { return std::filesystem::exists(out / "variants" / "0000.json"); }, std::chrono::seconds(60))) << child.err();
    ASSERT_TRUE(test::eventually([&] { return child.err().find("1 running") != std::string::npos; }, std::chrono::seconds(60))) << child.err();
    child.signal(SIGINT);
    EXPECT_EQ(child.wait().exit_code, 130) << child.err();
    EXPECT_NE(child.err().find("continue with: kubench sweep run --resume"), std::string::npos) << child.err();
  }
  EXPECT_EQ(test::sweep_records(out).size(), 1u) << "the interrupted variant has no record";
  const auto first = read_file(out / "variants" / "0000.json");
  // The rest, quickly this time: resume reads the suite copy, so edit that one.
  auto copy = read_file(out / "suite.yaml");
  copy.replace(copy.find("sleep 60"), 8, "true");
  write_file_atomic(out / "suite.yaml", copy);
  auto r = test::run_kubench({"sweep", "run", "--resume", out.string(), "--jobs", "3"}, {}, 60);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(read_file(out / "variants" / "0000.json"), first);
  EXPECT_EQ(test::sweep_records(out).size(), 4u);
  EXPECT_NE(r.stderr_text.find("3 of 4 variants on this machine"), std::string::npos) << r.stderr_text;
}

TEST_F(SweepLocal, JsonLogLinesAndPrometheusMetricsWhileItRuns) {
  // Variant 0 runs until the test lets it finish, so the metrics are read mid-sweep.
  auto path = suite(R"(schema: kubench/sweep/v1
targets: {here: {}}
matrix: {n: [0, 1]}
workload:
  container:
    local: [sh, -c, 'if [ {{ n }} = 0 ]; then while [ ! -e go ]; do sleep 0.05; done; fi; echo "{\"n\": {{ n }}}"']
)");
  test::Kubench child("sweep", {"--log-format", "json", "sweep", "run", path.string(), "--out", (dir / "out").string(), "--jobs", "2",
                                "--metrics-listen", "127.0.0.1:0", "--run-id", "t-metrics"},
                      dir);
  int port = 0;
  ASSERT_TRUE(test::eventually([&] {
    std::smatch m;
    const auto err = child.err();
    if (std::regex_search(err, m, std::regex("Metrics on http://127.0.0.1:([0-9]+)/metrics"))) port = std::stoi(m[1]);
    return port != 0;
  })) << child.err();
  ASSERT_TRUE(test::eventually([&] { return child.err().find("\"n=1@here\"") != std::string::npos &&
                                            child.err().find("variant finished") != std::string::npos; }))
      << child.err();
  test::RawHttp http(port);
  const auto page = http.request("GET", "/metrics");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("kubench_sweep_variants_in_flight{sweep=\"t-metrics\"} 1\n"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("kubench_sweep_variants_created_total{sweep=\"t-metrics\",target=\"here\"} 2\n"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("kubench_sweep_variants_succeeded_total{sweep=\"t-metrics\",target=\"here\"} 1\n"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("kubench_sweep_variant_duration_seconds_count{sweep=\"t-metrics\",target=\"here\"} 1\n"), std::string::npos)
      << page.body;
  write_file_atomic(dir / "go", "");
  EXPECT_EQ(child.wait().exit_code, 0) << child.err();
  // Every line of stderr is a JSON object with the sweep's id; the variant lines name the variant.
  int finished = 0;
  for (const auto& line : split(child.err(), '\n')) {
    if (line.empty()) continue;
    const auto j = json::parse(line);
    EXPECT_EQ(j["sweep"], "t-metrics") << line;
    EXPECT_TRUE(j.contains("time") && j.contains("level") && j.contains("msg")) << line;
    if (j["msg"] == "variant finished") {
      ++finished;
      EXPECT_EQ(j["status"], "succeeded");
      EXPECT_TRUE(j["variant"] == "n=0@here" || j["variant"] == "n=1@here") << line;
    }
  }
  EXPECT_EQ(finished, 2);
}

}  // namespace
}  // namespace kb::jobs
