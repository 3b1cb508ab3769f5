// `kubench report DIR` / `kubench sweep report DIR`: every kind of saved result through one report
// path — a sweep (hostile variant and target names, checked in headless Chromium), a bench run, a
// run --kube document and a scale validation — as text, CSV, JSON and HTML.
#include <gtest/gtest.h>

#include "core/files.h"
#include "core/process.h"
#include "jobs/sweep_record.h"
#include "support/test_support.h"

namespace kb::test {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// A sweep whose parameter values and target names are HTML.
fs::path hostile_sweep(const fs::path& dir) {
  jobs::SweepPlan plan;
  plan.sweep_id = "sw1";
  plan.name = "<b>quant</b>";
  plan.suite_file = "/x/suite.yaml";
  const std::vector<std::string> models = {"<img src=x onerror=alert(1)>", "bert"};
  const std::vector<std::string> targets = {"<script>alert(2)</script>", "l4"};
  for (const auto& m : models)
    for (const auto& t : targets) plan.variants.push_back({"model=" + m + "@" + t, {{"model", m}}, t, 0});
  jobs::SweepDirectory sd(dir / "sweep");
  sd.create(plan, "schema: kubench/sweep/v1\n");
  for (size_t i = 0; i < plan.variants.size(); ++i) {
    jobs::VariantRecord r;
    r.index = i;
    r.id = plan.variants[i].id;
    r.target = plan.variants[i].target;
    r.params = plan.variants[i].params;
    r.status = i == 3 ? "failed" : "succeeded";
    if (i == 3) r.failure_class = "no-results", r.message = "<iframe src=evil>";
    else r.metrics = {{"tokens_per_s", 10.0 * static_cast<double>(i + 1)}};
    sd.write_variant(r);
  }
  return dir / "sweep";
}

TEST(Report, SweepHtmlIsOneSelfContainedPageWithEveryValueEscaped) {
  TempDir dir;
  const auto sweep = hostile_sweep(dir.path());
  const auto page = dir / "report.html";
  auto r = run_kubench({"sweep", "report", sweep.string(), "-o", "html", "--out", page.string()});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  const auto html = read_file(page);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<iframe"), std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos) << "a bar chart per metric";
  EXPECT_EQ(html.find("http"), html.find("http://www.w3.org/2000/svg")) << "nothing is fetched from elsewhere";

  auto chromium = find_executable("chromium");
  if (!chromium) chromium = find_executable("chromium-browser");
  if (!chromium) GTEST_FAIL() << "chromium is not installed (scripts/install-deps.sh installs it)";
  ProcessSpec spec;
  spec.argv = {chromium->string(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
               "--user-data-dir=" + (dir / "chromium").string(), "--dump-dom", "file://" + page.string()};
  spec.timeout = std::chrono::seconds(120);
  auto dom = run_process(spec);
  ASSERT_TRUE(dom.ok()) << dom.describe() << dom.stderr_text;
  // The browser's DOM, serialised: the names are text, not elements.
  EXPECT_EQ(dom.stdout_text.find("<img"), std::string::npos);
  EXPECT_EQ(dom.stdout_text.find("<script"), std::string::npos);
  EXPECT_EQ(dom.stdout_text.find("<iframe"), std::string::npos);
  EXPECT_NE(dom.stdout_text.find("&lt;script&gt;alert(2)&lt;/script&gt;"), std::string::npos) << dom.stdout_text;
  EXPECT_NE(dom.stdout_text.find("<td class=\"num best\">30.00</td>"), std::string::npos) << "the best cell is marked";
  EXPECT_NE(dom.stdout_text.find("<rect x="), std::string::npos) << "the bars are drawn";
}

TEST(Report, SweepTableCsvAndJsonAndItsErrors) {
  TempDir dir;
  const auto sweep = hostile_sweep(dir.path());
  auto r = run_kubench({"report", sweep.string(), "--by", "tokens_per_s"});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_NE(r.stdout_text.find("tokens_per_s (higher is better; rows best first"), std::string::npos) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("30.00 *"), std::string::npos) << r.stdout_text;
  r = run_kubench({"report", sweep.string(), "-o", "json"});
  ASSERT_EQ(r.exit_code, 0);
  auto doc = json::parse(r.stdout_text);
  EXPECT_EQ(doc["schema"], "kubench/report/v1");
  EXPECT_EQ(doc["sections"][1]["title"], "tokens_per_s");
  r = run_kubench({"report", sweep.string(), "-o", "csv"});
  EXPECT_NE(r.stdout_text.find("VARIANT,<script>alert(2)</script>,l4\n"), std::string::npos) << r.stdout_text;

  r = run_kubench({"report", sweep.string(), "--by", "fps"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("--by fps: no variant has this metric (known: tokens_per_s)"), std::string::npos) << r.stderr_text;
  r = run_kubench({"report", (dir / "nothing").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("no such directory"), std::string::npos);
  fs::create_directories(dir / "empty");
  r = run_kubench({"sweep", "report", (dir / "empty").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("is not a sweep directory (no plan.json)"), std::string::npos) << r.stderr_text;
}

TEST(Report, BenchRunAndScaleDirectoriesThroughTheSamePath) {
  TempDir dir;
  fs::create_directories(dir / "clips");
  make_video(dir / "clips" / "kubench_1080p_h264.mp4", 320, 180, 24);
  auto r = run_kubench({"bench", "--accel", "cpu", "--clips", (dir / "clips").string(), "--tests", "h264_1080p", "--results-dir",
                        (dir / "results").string(), "--run-id", "b1"});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  r = run_kubench({"report", (dir / "results" / "b1").string()});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_NE(r.stdout_text.find("Benchmark b1"), std::string::npos) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("TEST        ENCODER"), std::string::npos) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("h264_1080p"), std::string::npos);

  fs::create_directories(dir / "run");
  write_file_atomic(dir / "run" / "run.json", json({{"schema", "kubench/run/v1"}, {"run_id", "r1"}, {"server", "https://k"},
                                                     {"targets", json::array({{{"node", "n1"}, {"gpu", "Arc A380"}, {"outcome", "succeeded"},
                                                                               {"result", json::parse(read_file(dir / "results" / "b1" / "result.json"))}},
                                                                              {{"node", "n2"}, {"outcome", "image-pull"}, {"message", "no image"}}})}})
                                                   .dump());
  r = run_kubench({"report", (dir / "run").string(), "-o", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_NE(r.stdout_text.find("NODE,GPU,BACKEND,TEST,FPS,SPEED,WATTS,FPS/W,STATUS\nn1,Arc A380,cpu,h264_1080p,"), std::string::npos) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("n2,-,-,-,-,-,-,-,image-pull: no image"), std::string::npos) << r.stdout_text;

  fs::create_directories(dir / "scale");
  write_file_atomic(dir / "scale" / "report.json", R"({"schema": "kubench/scale-validate/v1", "target": "transcode", "passed": true,
    "settings": {"max_replicas": 2, "min_gain": 1.8}, "problems": [], "elapsed_s": 60,
    "rounds": [{"replicas": 1, "parallelism": 1, "requests_per_s": 0.5, "ok": 10, "failed": 0, "gain": null, "passed": true, "problems": [],
                "latency_ms": {"p50": 2000, "p99": 2100}, "nodes": []},
               {"replicas": 2, "parallelism": 2, "requests_per_s": 0.98, "ok": 20, "failed": 0, "gain": 1.96, "passed": true, "problems": [],
                "latency_ms": {"p50": 2010, "p99": 2200}, "nodes": [{"node": "n1", "ok": 20, "share": 1.0, "devices": []}]}]})");
  r = run_kubench({"report", (dir / "scale").string(), "-o", "html"});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_NE(r.stdout_text.find("Scale validation of transcode"), std::string::npos);
  EXPECT_NE(r.stdout_text.find("<td class=\"num\">1.96</td>"), std::string::npos) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("<polyline"), std::string::npos) << "the throughput chart";
}

}  // namespace
}  // namespace kb::test
