#include "encode/prepare.h"

extern "C" {
#include <libavformat/avformat.h>
}
#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include "core/error.h"
#include "encode/stage_clock.h"
#include "core/files.h"
#include "core/text.h"
#include "encode/local_choice.h"
#include "probe/ffmpeg_caps.h"
#include "route/route_plan.h"
#include "scene/scene_shard.h"

namespace kb::encode {

namespace {

using Clock = StageClock;

nlohmann::json settings_json(const EncodeRequest& r, const probe::FfmpegInfo& ffmpeg) {
  return {{"backend", probe::to_string(r.backend)},
          {"codec", probe::to_string(r.codec)},
          {"encoder", probe::encoder_name(r.backend, r.codec).value_or("")},
          {"arguments", probe::stitchable_args(r.backend, r.codec, r.quality)},
          {"device", r.device},
          {"ffmpeg_version", ffmpeg.version}};
}

void check_audio_mode(const std::string& mode) {
  if (mode == "copy" || mode == "none") return;
  if (starts_with(mode, "aac:") && mode.size() > 4) return;
  throw UsageError("--audio must be copy, none or aac:BITRATE (e.g. aac:192k), not '" + mode + "'");
}

// The scene cuts: from a previous run's scenes.json when it was made from the same source with
// the same detector, else detected now (one pass over the source).
std::vector<std::int64_t> scene_cuts(const EncodeRequest& r, const WorkDirectory* work, const std::string& identity,
                                     const EncodeEvents& events, bool& reused) {
  const nlohmann::json want = {{"source", identity}, {"detector", scene::to_json(r.detector)}};
  auto stored = work ? work->read_document("scenes.json") : std::nullopt;
  if (stored && stored->value("made_from", nlohmann::json()) == want) {
    reused = true;
    return stored->at("cuts").get<std::vector<std::int64_t>>();
  }
  auto shard = scene::detect_shard(r.input, {0, 1}, r.detector, r.decode, [&](std::int64_t frame) {
    if (events.progress) events.progress("finding scene cuts: frame " + std::to_string(frame));
  });
  auto list = scene::merge_shards({std::move(shard)});
  if (work) work->write_document("scenes.json", {{"made_from", want}, {"cuts", list.cuts}});
  return list.cuts;
}

}  // namespace

std::string this_node() {
  if (const char* node = std::getenv("KUBENCH_NODE_NAME"); node && *node) return node;
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return host;
}

std::filesystem::path work_dir_of(const EncodeRequest& r) {
  if (!r.work_dir.empty()) return r.work_dir;
  return r.output.string() + ".kubench-work";
}

void check_encode_paths(const EncodeRequest& r) {
  std::error_code ec;
  if (!std::filesystem::exists(r.input, ec)) throw ParseError(r.input.string() + ": no such file");
  if (std::filesystem::exists(r.output, ec) && std::filesystem::equivalent(r.input, r.output, ec))
    throw UsageError("the output is the input: " + r.output.string());
  if (std::filesystem::exists(r.output, ec) && !r.force) throw UsageError(r.output.string() + " exists; --force replaces it");
  if (!av_guess_format(nullptr, r.output.c_str(), nullptr))
    throw UsageError(r.output.string() + ": no muxer for this file name's extension (try .mp4 or .mkv)");
  if (r.jobs < 1 || r.jobs > 256) throw UsageError("--jobs must be 1 to 256");
  if (r.attempts < 1) throw UsageError("--attempts must be at least 1");
  if (!probe::encoder_name(r.backend, r.codec))
    throw UsageError(std::string(probe::to_string(r.backend)) + " has no " + std::string(probe::to_string(r.codec)) + " encoder");
  check_audio_mode(r.audio);
}

PreparedEncode prepare_encode(const EncodeRequest& request, std::unique_ptr<WorkDirectory>* work_slot, const EncodeEvents& events) {
  const auto started = Clock::now();
  check_encode_paths(request);
  PreparedEncode p;
  p.request = request;
  auto& r = p.request;
  const auto ffmpeg = probe::locate_ffmpeg(r.ffmpeg);
  p.source = media::read_source_info(r.input);
  p.chosen_by = "--accel " + std::string(probe::to_string(r.backend));
  if (r.auto_backend) {
    auto choice = choose_local_encoder(read_local_matrix(r.capabilities), this_node(), ffmpeg.version, r.codec, p.source.width, p.source.height);
    r.backend = choice.backend;
    r.auto_backend = false;
    if (r.device.empty()) r.device = choice.device;
    p.chosen_by = choice.why;
    if (events.note) events.note("encoder: " + choice.why);
  }
  p.probe_s = seconds_since(started);
  if (work_slot && !*work_slot) *work_slot = std::make_unique<WorkDirectory>(work_dir_of(r));
  const WorkDirectory* work = work_slot ? work_slot->get() : nullptr;
  p.identity = sha256_sampled(r.input, p.source.bytes);
  p.settings = settings_json(r, ffmpeg);
  const auto t = Clock::now();
  if (!r.split.fixed) p.cuts = scene_cuts(r, work, p.identity, events, p.cuts_reused);
  p.detect_s = seconds_since(t);
  p.parts = plan_parts(p.cuts, p.source.frames, p.source.rate, r.split, p.source.keyframes);
  for (auto& part : p.parts) p.keys.push_back(part_key(p.identity, p.settings, part.first, part.frames));
  if (work) work->write_document("plan.json", plan_document(p));
  return p;
}

nlohmann::json plan_document(const PreparedEncode& p) {
  const auto& r = p.request;
  nlohmann::json parts = nlohmann::json::array();
  for (size_t i = 0; i < p.parts.size(); ++i) {
    const auto& part = p.parts[i];
    parts.push_back({{"index", part.index}, {"first", part.first}, {"frames", part.frames}, {"border", part.border}, {"key", p.keys.at(i)}});
  }
  return {{"kind", "kubench/encode-plan/v1"},
          {"input", r.input.string()},
          {"output", r.output.string()},
          {"work_dir", work_dir_of(r).string()},
          {"source", media::to_json(p.source)},
          {"source_identity", p.identity},
          {"settings", p.settings},
          {"encoder_chosen_by", p.chosen_by},
          {"request", {{"backend", probe::to_string(r.backend)},
                       {"codec", probe::to_string(r.codec)},
                       {"device", r.device},
                       {"quality", {{"quality", r.quality.quality}, {"preset", r.quality.preset}, {"threads", r.quality.threads},
                                    {"ten_bit", r.quality.ten_bit}}},
                       {"audio", r.audio},
                       {"ffmpeg", r.ffmpeg},
                       {"attempts", r.attempts},
                       {"allow_mixed", r.allow_mixed},
                       {"force", r.force},
                       {"keep_work", r.keep_work},
                       {"jobs", r.jobs}}},
          {"split", {{"rule", r.split.fixed ? "fixed:" + fixed(r.split.fixed_s, 3) : "scenes"}, {"max_part_s", r.split.max_part_s}}},
          {"jobs", r.jobs},
          {"cuts", p.cuts},
          {"cuts_reused", p.cuts_reused},
          {"parts", parts},
          {"timings", {{"probe_s", p.probe_s}, {"detect_s", p.detect_s}}}};
}

PreparedEncode prepared_from_plan(const nlohmann::json& plan, const std::string& origin) {
  try {
    if (plan.value("kind", "") != "kubench/encode-plan/v1") throw ParseError(origin + ": not a kubench/encode-plan/v1 document");
    PreparedEncode p;
    auto& r = p.request;
    r.input = plan.at("input").get<std::string>();
    r.output = plan.at("output").get<std::string>();
    r.work_dir = plan.at("work_dir").get<std::string>();
    const auto& q = plan.at("request");
    auto backend = probe::parse_backend(q.at("backend").get<std::string>());
    auto codec = probe::parse_codec(q.at("codec").get<std::string>());
    if (!backend || !codec) throw ParseError(origin + ": unknown encoder family " + q.at("backend").dump() + "/" + q.at("codec").dump());
    r.backend = *backend;
    r.codec = *codec;
    r.device = q.at("device").get<std::string>();
    r.quality.quality = q.at("quality").at("quality").get<int>();
    r.quality.preset = q.at("quality").at("preset").get<std::string>();
    r.quality.threads = q.at("quality").at("threads").get<int>();
    r.quality.ten_bit = q.at("quality").at("ten_bit").get<bool>();
    r.audio = q.at("audio").get<std::string>();
    r.ffmpeg = q.at("ffmpeg").get<std::string>();
    r.attempts = q.at("attempts").get<int>();
    r.allow_mixed = q.at("allow_mixed").get<bool>();
    r.force = q.at("force").get<bool>();
    r.keep_work = q.at("keep_work").get<bool>();
    r.jobs = q.at("jobs").get<int>();
    const auto rule = plan.at("split").at("rule").get<std::string>();
    r.split = parse_split(rule, plan.at("split").at("max_part_s").get<double>());
    p.source = media::source_info_from_json(plan.at("source"));
    p.identity = plan.at("source_identity").get<std::string>();
    p.settings = plan.at("settings");
    p.chosen_by = plan.at("encoder_chosen_by").get<std::string>();
    p.cuts = plan.at("cuts").get<std::vector<std::int64_t>>();
    p.cuts_reused = plan.at("cuts_reused").get<bool>();
    for (auto& part : plan.at("parts")) {
      Part x;
      x.index = part.at("index").get<int>();
      x.first = part.at("first").get<std::int64_t>();
      x.frames = part.at("frames").get<std::int64_t>();
      x.border = part.at("border").get<std::string>();
      if (x.index != static_cast<int>(p.parts.size())) throw ParseError(origin + ": parts out of order");
      p.parts.push_back(x);
      p.keys.push_back(part.at("key").get<std::string>());
    }
    p.probe_s = plan.at("timings").at("probe_s").get<double>();
    p.detect_s = plan.at("timings").at("detect_s").get<double>();
    return p;
  } catch (const nlohmann::json::exception& e) {
    throw ParseError(origin + ": " + e.what());
  }
}

PreparedEncode read_stored_plan(const WorkDirectory& work) {
  auto plan = work.read_document("plan.json");
  if (!plan) throw ParseError(work.path().string() + " holds no plan.json (kubench encode prepare makes it)");
  return prepared_from_plan(*plan, (work.path() / "plan.json").string());
}

namespace {

// The plan's settings for another family: the parts' keys hash them.
nlohmann::json settings_for(const PreparedEncode& p, probe::Backend backend) {
  auto s = p.settings;
  s["backend"] = probe::to_string(backend);
  s["encoder"] = probe::encoder_name(backend, p.request.codec).value_or("");
  s["arguments"] = probe::stitchable_args(backend, p.request.codec, p.request.quality);
  s["device"] = "";
  return s;
}

}  // namespace

PartJob part_job_with(const PreparedEncode& p, int index, const std::string& ffmpeg, const std::string& node, probe::Backend backend,
                      const std::string& device) {
  auto job = part_job(p, index, ffmpeg, node);
  if (!device.empty()) job.device = device;
  if (backend == p.request.backend) return job;
  if (!p.request.allow_mixed)
    throw UsageError("part " + std::to_string(index) + " with " + std::string(probe::to_string(backend)) + ": the plan is for " +
                     std::string(probe::to_string(p.request.backend)) + " only (--allow-mixed-encoders)");
  if (!probe::encoder_name(backend, p.request.codec))
    throw UsageError(std::string(probe::to_string(backend)) + " has no " + std::string(probe::to_string(p.request.codec)) + " encoder");
  job.backend = backend;
  job.device = device;
  const auto& part = job.part;
  job.key = part_key(p.identity, settings_for(p, backend), part.first, part.frames);
  return job;
}

std::vector<std::string> acceptable_keys(const PreparedEncode& p, int index) {
  std::vector<std::string> keys = {p.keys.at(static_cast<size_t>(index))};
  if (!p.request.allow_mixed) return keys;
  const auto& part = p.parts.at(static_cast<size_t>(index));
  for (auto b : route::fallback_order())
    if (b != p.request.backend && probe::encoder_name(b, p.request.codec))
      keys.push_back(part_key(p.identity, settings_for(p, b), part.first, part.frames));
  return keys;
}

PartJob part_job(const PreparedEncode& p, int index, const std::string& ffmpeg, const std::string& node) {
  if (index < 0 || index >= static_cast<int>(p.parts.size()))
    throw UsageError("no part " + std::to_string(index) + ": the plan has " + std::to_string(p.parts.size()));
  PartJob job;
  job.source = p.source;
  job.part = p.parts[static_cast<size_t>(index)];
  job.key = p.keys[static_cast<size_t>(index)];
  job.ffmpeg = ffmpeg;
  job.backend = p.request.backend;
  job.codec = p.request.codec;
  job.device = p.request.device;
  job.quality = p.request.quality;
  job.node = node;
  job.attempts = p.request.attempts;
  return job;
}

}  // namespace kb::encode
