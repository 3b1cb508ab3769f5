#include "encode/local_run.h"

extern "C" {
#include <libavformat/avformat.h>
}
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "core/files.h"
#include "core/interrupt.h"
#include "core/output.h"
#include "core/progress.h"
#include "core/text.h"
#include "core/utc_time.h"
#include "encode/local_choice.h"
#include "encode/part_encoder.h"
#include "media/decode_check.h"
#include "media/encode_runner.h"
#include "media/part_command.h"
#include "media/source_info.h"
#include "media/stream_join.h"
#include "probe/ffmpeg_caps.h"
#include "scene/scene_shard.h"

namespace kb::encode {

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string this_host() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return host;
}

std::filesystem::path work_dir_of(const EncodeRequest& r) {
  if (!r.work_dir.empty()) return r.work_dir;
  return r.output.string() + ".kubench-work";
}

// The output is written beside its final name (same volume: the rename is atomic) under a name
// no reader takes for the result.
std::filesystem::path temporary_output(const std::filesystem::path& output) {
  return output.parent_path() / ("." + output.filename().string() + ".kubench-tmp");
}

nlohmann::json settings_json(const EncodeRequest& r, const probe::FfmpegInfo& ffmpeg) {
  return {{"backend", probe::to_string(r.backend)},
          {"codec", probe::to_string(r.codec)},
          {"encoder", probe::encoder_name(r.backend, r.codec).value_or("")},
          {"arguments", probe::stitchable_args(r.backend, r.codec, r.quality)},
          {"device", r.device},
          {"ffmpeg_version", ffmpeg.version}};
}

std::vector<std::string> audio_command(const std::string& ffmpeg, const std::filesystem::path& input, const std::string& mode,
                                       const std::filesystem::path& out) {
  std::vector<std::string> argv = {ffmpeg, "-nostdin", "-hide_banner", "-nostats", "-y", "-progress", "pipe:3", "-i", input.string(),
                                   "-map", "0:a:0", "-vn", "-sn", "-dn"};
  argv.insert(argv.end(), {"-c:a", "aac", "-b:a", mode.substr(4)});
  // MP4 keeps the encoder's priming as an edit list, so the join places the first sample right.
  argv.insert(argv.end(), {"-f", "mp4", out.string()});
  return argv;
}

void check_audio_mode(const std::string& mode) {
  if (mode == "copy" || mode == "none") return;
  if (starts_with(mode, "aac:") && mode.size() > 4) return;
  throw UsageError("--audio must be copy, none or aac:BITRATE (e.g. aac:192k), not '" + mode + "'");
}

// The scene cuts: from the plan a previous run stored when it was made from the same source with
// the same detector, else detected now (one pass over the source, every core decoding).
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

// Parts done, frames done, aggregate fps and ETA for the progress line.
class EncodeProgress {
 public:
  EncodeProgress(const std::vector<Part>& todo, int total_parts, int done_parts, const EncodeEvents& events)
      : events_(events), total_parts_(total_parts), done_parts_(done_parts), in_flight_(todo.size(), 0) {
    for (auto& p : todo) total_frames_ += p.frames;
  }
  void update(size_t slot, std::int64_t frames) {
    std::lock_guard<std::mutex> lock(mu_);
    in_flight_[slot] = frames;
    show_locked();
  }
  void finished(size_t slot, std::int64_t frames) {
    std::lock_guard<std::mutex> lock(mu_);
    in_flight_[slot] = 0;
    finished_frames_ += frames;
    ++done_parts_;
    show_locked();
  }

 private:
  void show_locked() {
    if (!events_.progress) return;
    std::int64_t done = finished_frames_;
    for (auto f : in_flight_) done += f;
    const double elapsed = seconds_since(started_);
    const double fps = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
    std::string text = "parts " + std::to_string(done_parts_) + "/" + std::to_string(total_parts_) + " · " + fixed(fps, 1) + " fps";
    if (fps > 0 && done < total_frames_) text += " · ETA " + format_duration(static_cast<double>(total_frames_ - done) / fps);
    events_.progress(text);
  }
  const EncodeEvents& events_;
  std::mutex mu_;
  int total_parts_, done_parts_;
  std::vector<std::int64_t> in_flight_;
  std::int64_t total_frames_ = 0, finished_frames_ = 0;
  Clock::time_point started_ = Clock::now();
};

}  // namespace

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

nlohmann::json run_encode_locally(const EncodeRequest& request, const EncodeEvents& events) {
  const auto started = Clock::now();
  check_encode_paths(request);
  const auto ffmpeg = probe::locate_ffmpeg(request.ffmpeg);
  const auto source = media::read_source_info(request.input);
  EncodeRequest r = request;
  std::string chosen_by = "--accel " + std::string(probe::to_string(r.backend));
  if (r.auto_backend) {
    auto choice = choose_local_encoder(read_local_matrix(r.capabilities), this_host(), ffmpeg.version, r.codec, source.width, source.height);
    r.backend = choice.backend;
    if (r.device.empty()) r.device = choice.device;
    chosen_by = choice.why;
    if (events.note) events.note("encoder: " + choice.why);
  }
  const double probe_s = seconds_since(started);
  const auto identity = sha256_sampled(r.input, source.bytes);
  const auto settings = settings_json(r, ffmpeg);
  const auto work_path = work_dir_of(r);
  std::unique_ptr<WorkDirectory> work;
  if (!r.dry_run) work = std::make_unique<WorkDirectory>(work_path);

  // Plan: cuts, parts.
  auto t = Clock::now();
  bool cuts_reused = false;
  std::vector<std::int64_t> cuts;
  if (!r.split.fixed) cuts = scene_cuts(r, work.get(), identity, events, cuts_reused);
  const double detect_s = seconds_since(t);
  const auto parts = plan_parts(cuts, source.frames, source.rate, r.split, source.keyframes);
  nlohmann::json plan = {{"kind", "kubench/encode-plan/v1"}, {"input", r.input.string()}, {"output", r.output.string()},
                         {"source", media::to_json(source)}, {"source_identity", identity}, {"settings", settings},
                         {"jobs", r.jobs}, {"cuts", cuts}, {"parts", nlohmann::json::array()}};
  for (auto& p : parts) plan["parts"].push_back({{"index", p.index}, {"first", p.first}, {"frames", p.frames}, {"border", p.border}});
  if (r.dry_run) {
    plan["source"].erase("keyframes");
    plan["encoder_chosen_by"] = chosen_by;
    media::PartCommandSpec example;
    example.ffmpeg = ffmpeg.path.string();
    example.source = source;
    example.first = parts.size() > 1 ? parts[1].first : 0;
    example.frames = parts.size() > 1 ? parts[1].frames : parts[0].frames;
    example.backend = r.backend;
    example.codec = r.codec;
    example.device = r.device;
    example.quality = r.quality;
    example.output = (work_path / "parts" / (parts.size() > 1 ? "00001.mkv" : "00000.mkv")).string();
    plan["example_command"] = media::build_part_command(example);
    plan["detect_s"] = detect_s;
    return plan;
  }
  work->write_document("plan.json", plan);

  // Which parts are done already.
  std::vector<PartRecord> records(parts.size());
  std::vector<bool> reused(parts.size(), false);
  std::vector<Part> todo;
  std::vector<std::string> keys;
  for (auto& p : parts) {
    keys.push_back(part_key(identity, settings, p.first, p.frames));
    if (auto record = work->reusable_part(p.index, keys.back())) {
      records[static_cast<size_t>(p.index)] = *record;
      reused[static_cast<size_t>(p.index)] = true;
    } else {
      todo.push_back(p);
    }
  }
  const int reused_count = static_cast<int>(parts.size() - todo.size());
  if (reused_count > 0 && events.note)
    events.note("resuming: " + std::to_string(reused_count) + " of " + std::to_string(parts.size()) + " parts already done in " + work_path.string());
  // Longest first: the last parts to finish are the short ones, so no slot idles long at the end.
  std::stable_sort(todo.begin(), todo.end(), [](const Part& a, const Part& b) { return a.frames > b.frames; });

  const bool with_audio = !source.audio_codec.empty() && r.audio != "none";
  // Copied audio is muxed straight from the source by the join; only a re-encode runs first.
  const bool audio_encode = with_audio && r.audio != "copy";
  const std::string audio_key = sha256_hex(nlohmann::json{{"source", identity}, {"audio", r.audio}}.dump());
  bool audio_reused = false;
  if (audio_encode) {
    auto record = work->read_document("audio.json");
    std::error_code ec;
    audio_reused = record && record->value("key", "") == audio_key && std::filesystem::exists(work->audio_path(), ec) &&
                   sha256_file(work->audio_path()) == record->value("sha256", "");
  }

  // Encode: `jobs` threads take the audio (if needed) and then parts, longest first.
  t = Clock::now();
  const std::string node = this_host();
  EncodeProgress progress(todo, static_cast<int>(parts.size()), reused_count, events);
  std::mutex mu;
  std::string extradata;  // the first finished part's parameter sets: every later one must match
  std::exception_ptr failure;
  std::atomic<size_t> next{0};
  std::atomic<bool> audio_claimed{!audio_encode || audio_reused};
  auto worker = [&](size_t slot) {
    try {
      if (!audio_claimed.exchange(true)) {
        const auto tmp = work->audio_path().string() + ".tmp";
        auto outcome = media::run_encode(audio_command(ffmpeg.path.string(), r.input, r.audio, tmp), work->path() / "logs" / "audio.log",
                                         std::chrono::hours(2));
        if (outcome.process.interrupted) throw Interrupted();
        if (!outcome.process.ok())
          throw CheckFailed("the audio track: ffmpeg " + outcome.process.describe() + ": " +
                            probe::ffmpeg_error_reason(read_file(work->path() / "logs" / "audio.log")));
        std::filesystem::rename(tmp, work->audio_path());
        work->write_document("audio.json", {{"key", audio_key}, {"sha256", sha256_file(work->audio_path())}});
      }
      for (;;) {
        {
          std::lock_guard<std::mutex> lock(mu);
          if (failure) return;
        }
        const size_t i = next.fetch_add(1);
        if (i >= todo.size()) return;
        PartJob job;
        job.source = source;
        job.part = todo[i];
        job.key = keys[static_cast<size_t>(todo[i].index)];
        job.ffmpeg = ffmpeg.path.string();
        job.backend = r.backend;
        job.codec = r.codec;
        job.device = r.device;
        job.quality = r.quality;
        job.node = node;
        job.attempts = r.attempts;
        {
          std::lock_guard<std::mutex> lock(mu);
          job.extradata_sha256 = extradata;
        }
        std::string made;
        auto record = encode_part(*work, job, [&](std::int64_t frames) { progress.update(slot, frames); }, &made);
        if (record.attempts > 1 && events.note)
          events.note(describe_part(todo[i]) + ": done at attempt " + std::to_string(record.attempts));
        progress.finished(slot, todo[i].frames);
        std::lock_guard<std::mutex> lock(mu);
        if (extradata.empty()) extradata = made;
        records[static_cast<size_t>(todo[i].index)] = record;
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu);
      if (!failure) failure = std::current_exception();
    }
  };
  {
    const size_t threads = std::min<size_t>(static_cast<size_t>(r.jobs), std::max<size_t>(1, todo.size() + (audio_claimed ? 0 : 1)));
    std::vector<std::thread> pool;
    for (size_t s = 0; s < threads; ++s) pool.emplace_back(worker, s);
    for (auto& th : pool) th.join();
  }
  if (interrupted()) throw Interrupted();
  if (failure) std::rethrow_exception(failure);
  const double encode_s = seconds_since(t);

  // Join, verify, publish.
  if (events.progress) events.progress("joining " + std::to_string(parts.size()) + " parts");
  t = Clock::now();
  media::JoinInput join;
  for (auto& p : parts) join.parts.push_back(work->part_path(p.index));
  join.rate = source.rate;
  if (audio_encode) {
    join.audio = work->audio_path();
    join.audio_offset_s = source.video_start_s;  // ffmpeg wrote it on the clock of the source's start
  } else if (with_audio) {
    join.audio = r.input;
    join.audio_offset_s = source.format_start_s + source.video_start_s;
  }
  const auto tmp_output = temporary_output(r.output);
  const auto joined = media::join_parts(join, tmp_output, r.output.filename().string());
  const double join_s = seconds_since(t);

  if (events.progress) events.progress("verifying: decoding the output");
  t = Clock::now();
  media::DecodeCount out_count, source_audio;
  try {
    // Counting frames and finding damage needs every picture decoded, not deblocked.
    media::DecodeCheckOptions whole;
    whole.skip_loop_filter = true;
    out_count = media::decode_count(tmp_output, whole);
    media::DecodeCheckOptions audio_only;
    audio_only.video = false;
    audio_only.audio_from_s = source.format_start_s + source.video_start_s;
    if (with_audio) source_audio = media::decode_count(r.input, audio_only);
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(tmp_output, ec);
    throw;
  }
  const double frame_s = static_cast<double>(source.rate.den) / static_cast<double>(source.rate.num);
  std::vector<std::string> problems;
  if (out_count.video_frames != source.frames)
    problems.push_back(std::to_string(out_count.video_frames) + " frames decoded, the source has " + std::to_string(source.frames));
  if (std::abs(out_count.video_duration_s - source.duration_s()) > frame_s / 2)
    problems.push_back("the video lasts " + fixed(out_count.video_duration_s, 3) + " s, the source's " + fixed(source.duration_s(), 3) + " s");
  if (out_count.decode_errors > 0) problems.push_back(std::to_string(out_count.decode_errors) + " decode errors (" + out_count.first_error + ")");
  // Copied audio keeps every sample, placed within the container's timestamp precision (Matroska:
  // 1 ms); re-encoded AAC may differ by its priming and last frame.
  const std::int64_t audio_tolerance = r.audio == "copy" ? source.audio_rate / 1000 + 1 : 2048;
  if (with_audio && std::llabs(out_count.audio_samples - source_audio.audio_samples) > audio_tolerance)
    problems.push_back(std::to_string(out_count.audio_samples) + " audio samples, the source has " + std::to_string(source_audio.audio_samples));
  const double verify_s = seconds_since(t);
  if (!problems.empty()) {
    std::error_code ec;
    std::filesystem::remove(tmp_output, ec);
    std::string listed;
    for (auto& p : problems) listed += (listed.empty() ? "" : "; ") + p;
    throw CheckFailed("the joined output does not verify: " + listed + " (parts kept in " + work_path.string() + ")");
  }
  std::filesystem::rename(tmp_output, r.output);
  work.reset();
  if (!r.keep_work) {
    std::error_code ec;
    std::filesystem::remove_all(work_path, ec);
  }

  nlohmann::json part_rows = nlohmann::json::array();
  for (auto& p : parts) {
    const auto& rec = records[static_cast<size_t>(p.index)];
    part_rows.push_back({{"index", p.index}, {"first", p.first}, {"frames", p.frames}, {"border", p.border},
                         {"reused", reused[static_cast<size_t>(p.index)]}, {"encoder", rec.encoder}, {"node", rec.node},
                         {"attempts", rec.attempts}, {"wall_s", rec.wall_s}, {"fps", rec.fps}, {"bytes", rec.bytes}});
  }
  const double total_s = seconds_since(started);
  return {{"kind", "kubench/encode/v1"},
          {"input", r.input.string()},
          {"output", r.output.string()},
          {"work_dir", r.keep_work ? nlohmann::json(work_path.string()) : nlohmann::json(nullptr)},
          {"settings", settings},
          {"encoder_chosen_by", chosen_by},
          {"jobs", r.jobs},
          {"source", {{"frames", source.frames}, {"rate", media::to_string(source.rate)}, {"duration_s", source.duration_s()},
                      {"width", source.width}, {"height", source.height}, {"codec", source.codec}, {"audio_codec", source.audio_codec}}},
          {"split", {{"rule", r.split.fixed ? "fixed:" + fixed(r.split.fixed_s, 3) : "scenes"}, {"max_part_s", r.split.max_part_s},
                     {"cuts", cuts}, {"cuts_reused", cuts_reused}}},
          {"audio", {{"mode", with_audio ? r.audio : "none"}, {"reused", audio_reused}}},
          {"parts", part_rows},
          {"reused_parts", reused_count},
          {"verification", {{"ok", true}, {"frames", out_count.video_frames}, {"source_frames", source.frames},
                            {"duration_s", out_count.video_duration_s}, {"source_duration_s", source.duration_s()},
                            {"audio_samples", out_count.audio_samples}, {"source_audio_samples", source_audio.audio_samples},
                            {"decode_errors", out_count.decode_errors}}},
          {"bytes", joined.bytes},
          {"timings", {{"probe_s", probe_s}, {"detect_s", detect_s}, {"encode_s", encode_s}, {"join_s", join_s},
                       {"verify_s", verify_s}, {"total_s", total_s}}},
          {"fps", total_s > 0 ? static_cast<double>(source.frames) / total_s : 0}};
}

std::string render_encode_report(const nlohmann::json& report) {
  std::string out;
  const auto& s = report.at("source");
  const auto& parts = report.at("parts");
  out += report.at("output").get<std::string>() + ": " + std::to_string(s.at("frames").get<std::int64_t>()) + " frames at " +
         s.at("rate").get<std::string>() + " fps, " + report.at("settings").at("encoder").get<std::string>() + ", " +
         std::to_string(parts.size()) + " parts (" + report.at("split").at("rule").get<std::string>() + "), " +
         std::to_string(report.at("jobs").get<int>()) + " at once\n";
  Table table;
  table.headers = {"PART", "FIRST", "FRAMES", "ENDS AT", "ENCODER", "ATTEMPTS", "FPS", "STATE"};
  table.right_aligned = {0, 1, 2, 5, 6};
  for (auto& p : parts)
    table.rows.push_back({std::to_string(p.at("index").get<int>()), std::to_string(p.at("first").get<std::int64_t>()),
                          std::to_string(p.at("frames").get<std::int64_t>()), p.at("border").get<std::string>(),
                          p.at("encoder").get<std::string>(), std::to_string(p.at("attempts").get<int>()),
                          fixed(p.at("fps").get<double>(), 1), p.at("reused").get<bool>() ? "reused" : "encoded"});
  out += table.render();
  const auto& v = report.at("verification");
  out += "verified: " + std::to_string(v.at("frames").get<std::int64_t>()) + "/" + std::to_string(v.at("source_frames").get<std::int64_t>()) +
         " frames, " + fixed(v.at("duration_s").get<double>(), 3) + " s";
  if (report.at("audio").at("mode") != "none")
    out += ", " + std::to_string(v.at("audio_samples").get<std::int64_t>()) + "/" + std::to_string(v.at("source_audio_samples").get<std::int64_t>()) +
           " audio samples";
  out += "\n";
  const auto& tm = report.at("timings");
  out += "time: " + fixed(tm.at("total_s").get<double>(), 2) + " s (scene cuts " + fixed(tm.at("detect_s").get<double>(), 2) +
         ", parts " + fixed(tm.at("encode_s").get<double>(), 2) + ", join " + fixed(tm.at("join_s").get<double>(), 2) +
         ", verify " + fixed(tm.at("verify_s").get<double>(), 2) + "), " + fixed(report.at("fps").get<double>(), 1) + " fps overall\n";
  return out;
}

}  // namespace kb::encode
