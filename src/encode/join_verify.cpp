#include "encode/join_verify.h"

#include <chrono>
#include <cmath>

#include "core/error.h"
#include "encode/stage_clock.h"
#include "core/files.h"
#include "core/text.h"
#include "media/decode_check.h"
#include "media/encode_runner.h"
#include "media/stream_join.h"
#include "probe/ffmpeg_caps.h"

namespace kb::encode {

namespace {

using Clock = StageClock;

// The output is written beside its final name (same volume: the rename is atomic) under a name
// no reader takes for the result.
std::filesystem::path temporary_output(const std::filesystem::path& output) {
  return output.parent_path() / ("." + output.filename().string() + ".kubench-tmp");
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

}  // namespace

AudioTrack audio_track(const PreparedEncode& p, const WorkDirectory& work) {
  AudioTrack a;
  const auto& r = p.request;
  a.present = !p.source.audio_codec.empty() && r.audio != "none";
  // Copied audio is muxed straight from the source by the join; only a re-encode runs first.
  a.encode = a.present && r.audio != "copy";
  a.key = sha256_hex(nlohmann::json{{"source", p.identity}, {"audio", r.audio}}.dump());
  if (a.encode) {
    auto record = work.read_document("audio.json");
    std::error_code ec;
    a.reused = record && record->value("key", "") == a.key && std::filesystem::exists(work.audio_path(), ec) &&
               sha256_file(work.audio_path()) == record->value("sha256", "");
  }
  return a;
}

void encode_audio(const PreparedEncode& p, const WorkDirectory& work, AudioTrack& track, const std::string& ffmpeg) {
  if (!track.encode || track.reused) return;
  const auto tmp = work.audio_path().string() + ".tmp";
  const auto log = work.path() / "logs" / "audio.log";
  auto outcome = media::run_encode(audio_command(ffmpeg, p.request.input, p.request.audio, tmp), log, std::chrono::hours(2));
  if (outcome.process.interrupted) throw Interrupted();
  if (!outcome.process.ok())
    throw CheckFailed("the audio track: ffmpeg " + outcome.process.describe() + ": " + probe::ffmpeg_error_reason(read_file(log)));
  std::filesystem::rename(tmp, work.audio_path());
  work.write_document("audio.json", {{"key", track.key}, {"sha256", sha256_file(work.audio_path())}});
}

JoinResult join_and_verify(const PreparedEncode& p, const WorkDirectory& work, const AudioTrack& audio, const EncodeEvents& events) {
  const auto& r = p.request;
  const auto& source = p.source;
  JoinResult result;
  if (events.progress) events.progress("joining " + std::to_string(p.parts.size()) + " parts");
  auto t = Clock::now();
  media::JoinInput join;
  for (auto& part : p.parts) join.parts.push_back(work.part_path(part.index));
  join.rate = source.rate;
  join.mixed = r.allow_mixed;
  if (audio.encode) {
    join.audio = work.audio_path();
    join.audio_offset_s = source.video_start_s;  // ffmpeg wrote it on the clock of the source's start
  } else if (audio.present) {
    join.audio = r.input;
    join.audio_offset_s = source.format_start_s + source.video_start_s;
  }
  const auto tmp_output = temporary_output(r.output);
  const auto joined = media::join_parts(join, tmp_output, r.output.filename().string());
  result.bytes = joined.bytes;
  result.in_band_parts = joined.in_band_parts;
  result.join_s = seconds_since(t);

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
    if (audio.present) source_audio = media::decode_count(r.input, audio_only);
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
  if (audio.present && std::llabs(out_count.audio_samples - source_audio.audio_samples) > audio_tolerance)
    problems.push_back(std::to_string(out_count.audio_samples) + " audio samples, the source has " + std::to_string(source_audio.audio_samples));
  result.verify_s = seconds_since(t);
  if (!problems.empty()) {
    std::error_code ec;
    std::filesystem::remove(tmp_output, ec);
    std::string listed;
    for (auto& problem : problems) listed += (listed.empty() ? "" : "; ") + problem;
    throw CheckFailed("the joined output does not verify: " + listed + " (parts kept in " + work.path().string() + ")");
  }
  std::filesystem::rename(tmp_output, r.output);
  result.verification = {{"ok", true},
                         {"frames", out_count.video_frames},
                         {"source_frames", source.frames},
                         {"duration_s", out_count.video_duration_s},
                         {"source_duration_s", source.duration_s()},
                         {"audio_samples", out_count.audio_samples},
                         {"source_audio_samples", source_audio.audio_samples},
                         {"decode_errors", out_count.decode_errors}};
  return result;
}

}  // namespace kb::encode
