#include "media/results.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "media/bench_runner.h"

namespace kb::media {
namespace {

BenchResult sample() {
  BenchResult r;
  r.run_id = "20261123T101500Z-3fa2";
  r.complete = true;
  r.host.cpu_model = "Intel(R) Core(TM) i5-9500 CPU @ 3.00GHz";
  r.host.cpu_threads = 6;
  r.backend = "qsv";
  r.clip_set = "official";
  TestRun t;
  t.test_id = "h264_1080p";
  t.clip = "ribblehead_1080p_h264";
  t.command = {"ffmpeg", "-i", "x"};
  t.status = "ok";
  t.frames = 3471;
  t.expected_frames = 3471;
  t.fps = 232.03;
  t.input_bitrate_kbps = 18952;
  t.power.avg_watts = 7.66;
  t.power.domain = "gpu";
  t.power.flags = {"below_3w"};
  t.fps_per_watt = 30.29;
  r.tests.push_back(t);
  ConcurrencyResult c;
  c.test_id = "h264_1080p";
  c.cap = 16;
  c.max_realtime_streams = 3;
  ConcurrencyLevel l;
  l.streams = 4;
  l.min_speed = 0.9;
  l.runs.push_back({1, "ok", "", 60, 2.0, 30.0, 0.9, "logs/x.log"});
  c.levels.push_back(l);
  r.concurrency.push_back(c);
  return r;
}

TEST(Results, JsonRoundTripKeepsEveryField) {
  auto r = sample();
  auto j = to_json(r);
  EXPECT_EQ(j["schema"], "kubench/bench/v1");
  auto back = bench_result_from_json(nlohmann::json::parse(j.dump()));
  EXPECT_EQ(to_json(back), j);
  EXPECT_EQ(back.tests[0].power.flags, std::vector<std::string>{"below_3w"});
  EXPECT_EQ(back.concurrency[0].levels[0].runs[0].log, "logs/x.log");
}

TEST(Results, MissingOptionalsAreNullNotZero) {
  auto r = sample();
  r.tests[0].output_bitrate_kbps.reset();
  r.tests[0].power = {};
  r.tests[0].power.null_reason = "no sensor";
  auto j = to_json(r);
  EXPECT_TRUE(j["tests"][0]["output_bitrate_kbps"].is_null());
  EXPECT_TRUE(j["tests"][0]["power"]["avg_watts"].is_null());
  EXPECT_EQ(j["tests"][0]["power"]["null_reason"], "no sensor");
}

TEST(Results, ForeignDocumentsAreRefused) {
  EXPECT_THROW(bench_result_from_json({{"schema", "kubench/probe/v1"}}), ParseError);
  EXPECT_THROW(bench_result_from_json(nlohmann::json::array()), ParseError);
  auto bad = to_json(sample());
  bad["tests"][0]["frames"] = "many";
  EXPECT_THROW(bench_result_from_json(bad), ParseError);
}

TestRun power_run(const std::string& id, std::optional<double> watts, const std::string& reason, const std::string& status = "ok") {
  TestRun t;
  t.test_id = id;
  t.encoder = "libx264";
  t.status = status;
  t.power.avg_watts = watts;
  t.power.null_reason = reason;
  return t;
}

TEST(ResultsTable, SaysWhyThePowerColumnsAreEmpty) {
  BenchResult r;
  const std::string rapl = "rapl: no intel-rapl:N zone under /sys/class/powercap";
  r.tests = {power_run("h264_1080p_cpu", std::nullopt, rapl), power_run("hevc_8bit", std::nullopt, rapl)};
  EXPECT_EQ(power_notes(r), "power: no reading (" + rapl + ")\n");
  auto table = results_table(r);
  EXPECT_NE(table.find("\npower: no reading (" + rapl + ")\n"), std::string::npos) << table;
  EXPECT_EQ(table.substr(table.size() - power_notes(r).size()), power_notes(r)) << "the note is under the table";
}

TEST(ResultsTable, NamesTheTestsWhenOnlySomeLackAReading) {
  BenchResult r;
  r.tests = {power_run("h264_1080p", 12.5, ""), power_run("vp9_1080p", std::nullopt, "nvidia-smi: not found"),
             power_run("av1_1080p", std::nullopt, "nvidia-smi: not found"), power_run("hevc_8bit", std::nullopt, "")};
  EXPECT_EQ(power_notes(r),
            "power: no reading for vp9_1080p, av1_1080p (nvidia-smi: not found)\n"
            "power: no reading for hevc_8bit (no reason recorded)\n");
}

TEST(ResultsTable, NoNoteWhenEveryTestThatRanHasAReading) {
  BenchResult r;
  r.tests = {power_run("h264_1080p", 7.7, ""), power_run("h264_4k", std::nullopt, "encode failed first", "failed")};
  EXPECT_EQ(power_notes(r), "");
  r.tests.clear();
  EXPECT_EQ(power_notes(r), "");
}

}  // namespace
}  // namespace kb::media
