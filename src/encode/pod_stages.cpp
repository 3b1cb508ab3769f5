#include "encode/pod_stages.h"

#include "core/error.h"
#include "encode/encode_report.h"
#include "encode/join_verify.h"
#include "encode/prepare.h"
#include "encode/stage_clock.h"
#include "probe/ffmpeg_caps.h"

namespace kb::encode {

nlohmann::json request_to_json(const EncodeRequest& r) {
  return {{"kind", "kubench/encode-request/v1"},
          {"input", r.input.string()},
          {"output", r.output.string()},
          {"work_dir", r.work_dir.string()},
          {"force", r.force},
          {"keep_work", r.keep_work},
          {"split", {{"fixed", r.split.fixed}, {"fixed_s", r.split.fixed_s}, {"max_part_s", r.split.max_part_s}}},
          {"detector", scene::to_json(r.detector)},
          {"decode", {{"threads", r.decode.threads}, {"target_width", r.decode.target_width}, {"skip_loop_filter", r.decode.skip_loop_filter}}},
          {"backend", probe::to_string(r.backend)},
          {"codec", probe::to_string(r.codec)},
          {"device", r.device},
          {"quality", {{"quality", r.quality.quality}, {"preset", r.quality.preset}, {"threads", r.quality.threads}, {"ten_bit", r.quality.ten_bit}}},
          {"audio", r.audio},
          {"ffmpeg", r.ffmpeg},
          {"attempts", r.attempts},
          {"dry_run", r.dry_run},
          {"allow_mixed", r.allow_mixed}};
}

EncodeRequest request_from_json(const nlohmann::json& j) {
  try {
    if (j.value("kind", "") != "kubench/encode-request/v1") throw UsageError("not a kubench/encode-request/v1 document");
    EncodeRequest r;
    r.input = j.at("input").get<std::string>();
    r.output = j.at("output").get<std::string>();
    r.work_dir = j.at("work_dir").get<std::string>();
    r.force = j.at("force").get<bool>();
    r.keep_work = j.at("keep_work").get<bool>();
    r.split.fixed = j.at("split").at("fixed").get<bool>();
    r.split.fixed_s = j.at("split").at("fixed_s").get<double>();
    r.split.max_part_s = j.at("split").at("max_part_s").get<double>();
    r.detector = scene::detector_settings_from_json(j.at("detector"));
    r.decode.threads = j.at("decode").at("threads").get<int>();
    r.decode.target_width = j.at("decode").at("target_width").get<int>();
    r.decode.skip_loop_filter = j.at("decode").at("skip_loop_filter").get<bool>();
    auto backend = probe::parse_backend(j.at("backend").get<std::string>());
    auto codec = probe::parse_codec(j.at("codec").get<std::string>());
    if (!backend || !codec) throw UsageError("unknown encoder family " + j.at("backend").dump() + "/" + j.at("codec").dump());
    r.backend = *backend;
    r.codec = *codec;
    r.device = j.at("device").get<std::string>();
    const auto& q = j.at("quality");
    r.quality.quality = q.at("quality").get<int>();
    r.quality.preset = q.at("preset").get<std::string>();
    r.quality.threads = q.at("threads").get<int>();
    r.quality.ten_bit = q.at("ten_bit").get<bool>();
    r.audio = j.at("audio").get<std::string>();
    r.ffmpeg = j.at("ffmpeg").get<std::string>();
    r.attempts = j.at("attempts").get<int>();
    r.dry_run = j.at("dry_run").get<bool>();
    r.allow_mixed = j.at("allow_mixed").get<bool>();
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(std::string("the encode request: ") + e.what());
  }
}

nlohmann::json prepare_stage(const EncodeRequest& request, const EncodeEvents& events) {
  std::unique_ptr<WorkDirectory> work;
  auto plan = plan_document(prepare_encode(request, request.dry_run ? nullptr : &work, events));
  plan["source"].erase("keyframes");
  return plan;
}

PartRecord part_stage(const std::filesystem::path& work_dir, int index, bool& reused, std::optional<probe::Backend> backend,
                      const std::string& device) {
  const WorkDirectory work(work_dir, WorkDirectory::Lock::shared);
  const auto p = read_stored_plan(work);
  const auto ffmpeg = probe::locate_ffmpeg(p.request.ffmpeg).path.string();
  if (index < 0 || index >= static_cast<int>(p.parts.size()))
    throw UsageError("no part " + std::to_string(index) + ": the plan has " + std::to_string(p.parts.size()));
  reused = false;
  if (auto done = work.reusable_part(index, acceptable_keys(p, index))) {
    reused = true;
    return *done;
  }
  auto job = part_job_with(p, index, ffmpeg, this_node(), backend.value_or(p.request.backend), device);
  // One try here: the producer sends a failed part to another worker (maybe another node).
  job.attempts = 1;
  return encode_part(work, job, nullptr);
}

nlohmann::json join_stage(const std::filesystem::path& work_dir, const EncodeEvents& events) {
  const auto started = StageClock::now();
  auto work = std::make_unique<WorkDirectory>(work_dir);
  const auto p = read_stored_plan(*work);
  std::error_code ec;
  if (std::filesystem::exists(p.request.output, ec) && !p.request.force)
    throw UsageError(p.request.output.string() + " exists; --force replaces it");
  std::vector<PartRecord> records;
  std::vector<int> missing;
  for (auto& part : p.parts) {
    auto record = work->reusable_part(part.index, acceptable_keys(p, part.index));
    if (!record) missing.push_back(part.index);
    records.push_back(record.value_or(PartRecord{}));
  }
  if (!missing.empty()) {
    std::string listed;
    for (size_t i = 0; i < missing.size() && i < 10; ++i) listed += (listed.empty() ? "" : ", ") + std::to_string(missing[i]);
    throw CheckFailed(std::to_string(missing.size()) + " parts missing or damaged in " + work_dir.string() + " (" + listed +
                      (missing.size() > 10 ? ", …" : "") + "): nothing joined");
  }
  auto audio = audio_track(p, *work);
  const auto t = StageClock::now();
  encode_audio(p, *work, audio, probe::locate_ffmpeg(p.request.ffmpeg).path.string());
  EncodeTimings timings;
  timings.encode_s = seconds_since(t);
  const auto joined = join_and_verify(p, *work, audio, events);
  work.reset();
  if (!p.request.keep_work) std::filesystem::remove_all(work_dir, ec);
  timings.total_s = seconds_since(started);
  return encode_report(p, records, std::vector<bool>(p.parts.size(), false), audio, joined, timings, nlohmann::json::object());
}

}  // namespace kb::encode
