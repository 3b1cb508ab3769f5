// The documents that carry one encode between its stages and machines: the request a prepare pod
// gets and the plan every part encoder and the join read back must keep every setting — a setting
// lost on the way would make parts that do not join, or a join that takes the wrong parts.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/error.h"
#include "encode/pod_stages.h"
#include "encode/prepare.h"

namespace kb::encode {
namespace {
using nlohmann::json;

EncodeRequest request() {
  EncodeRequest r;
  r.input = "/data/in/film.mp4";
  r.output = "/data/out/film.mkv";
  r.work_dir = "/data/work";
  r.force = true;
  r.split = parse_split("fixed:4.5", 8);
  r.detector.threshold = 31;
  r.decode.skip_loop_filter = true;
  r.decode.threads = 3;
  r.backend = probe::Backend::vaapi;
  r.codec = probe::Codec::hevc;
  r.device = "/dev/dri/renderD129";
  r.quality.quality = 25;
  r.quality.preset = "slow";
  r.quality.threads = 2;
  r.audio = "aac:160k";
  r.ffmpeg = "/opt/ffmpeg";
  r.attempts = 5;
  return r;
}

TEST(StageDocuments, TheRequestSurvivesTheTripToThePod) {
  const auto j = request_to_json(request());
  const auto back = request_from_json(json::parse(j.dump()));
  EXPECT_EQ(request_to_json(back), j);
  EXPECT_EQ(back.backend, probe::Backend::vaapi);
  EXPECT_EQ(back.codec, probe::Codec::hevc);
  EXPECT_TRUE(back.split.fixed);
  EXPECT_DOUBLE_EQ(back.split.fixed_s, 4.5);
  EXPECT_DOUBLE_EQ(back.detector.threshold, 31);
  EXPECT_THROW(request_from_json({{"kind", "something/else"}}), UsageError);
  auto broken = j;
  broken.erase("codec");
  EXPECT_THROW(request_from_json(broken), UsageError);
}

TEST(StageDocuments, ThePlanGivesEveryPartEncoderTheSameJob) {
  PreparedEncode p;
  p.request = request();
  p.source.path = "/data/in/film.mp4";
  p.source.codec = "h264";
  p.source.width = 320;
  p.source.height = 240;
  p.source.rate = {25, 1};
  p.source.frames = 150;
  p.source.keyframes = {0, 48, 96};
  p.identity = "abc";
  p.settings = {{"encoder", "hevc_vaapi"}};
  p.chosen_by = "--accel vaapi";
  p.cuts = {30, 75};
  p.parts = {{0, 0, 75, "cut"}, {1, 75, 75, "end"}};
  p.keys = {"k0", "k1"};
  const auto plan = plan_document(p);
  const auto back = prepared_from_plan(json::parse(plan.dump()), "plan.json");
  EXPECT_EQ(plan_document(back), plan);
  auto job = part_job(back, 1, "/opt/ffmpeg", "node-a");
  EXPECT_EQ(job.part.first, 75);
  EXPECT_EQ(job.key, "k1");
  EXPECT_EQ(job.device, "/dev/dri/renderD129");
  EXPECT_EQ(job.quality.preset, "slow");
  EXPECT_EQ(job.source.keyframes, (std::vector<std::int64_t>{0, 48, 96}));
  EXPECT_EQ(job.attempts, 5);
  EXPECT_THROW(part_job(back, 2, "ffmpeg", "n"), UsageError);
  // One family per output unless mixed: a worker of another family is refused, and its part
  // would not count.
  EXPECT_THROW(part_job_with(back, 0, "ffmpeg", "n", probe::Backend::cpu, ""), UsageError);
  EXPECT_EQ(acceptable_keys(back, 0), std::vector<std::string>{"k0"});
  auto mixed = back;
  mixed.request.allow_mixed = true;
  auto cpu = part_job_with(mixed, 0, "ffmpeg", "n", probe::Backend::cpu, "");
  EXPECT_EQ(cpu.backend, probe::Backend::cpu);
  EXPECT_EQ(cpu.device, "");
  EXPECT_NE(cpu.key, "k0");
  auto keys = acceptable_keys(mixed, 0);
  EXPECT_EQ(keys.front(), "k0");
  EXPECT_NE(std::find(keys.begin(), keys.end(), cpu.key), keys.end());
  EXPECT_EQ(part_job_with(mixed, 0, "ffmpeg", "n", probe::Backend::vaapi, "/dev/dri/renderD130").device, "/dev/dri/renderD130");
  auto shuffled = plan;
  std::swap(shuffled["parts"][0], shuffled["parts"][1]);
  EXPECT_THROW(prepared_from_plan(shuffled, "plan.json"), ParseError);
}

}  // namespace
}  // namespace kb::encode
