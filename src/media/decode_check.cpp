#include "media/decode_check.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "media/av_file.h"
#include "media/source_info.h"

namespace kb::media {

namespace {

struct StreamCount {
  CodecContext decoder;
  AVRational time_base{};
  std::int64_t first_pts = AV_NOPTS_VALUE, end_pts = AV_NOPTS_VALUE;
  std::int64_t default_duration = 0;  // one frame, where the container gives frames none
};

}  // namespace

DecodeCount decode_count(const std::filesystem::path& path, const DecodeCheckOptions& options) {
  auto input = open_input(path);
  const int video = av_find_best_stream(input.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (options.video && video < 0) throw ParseError(path.string() + ": no video stream");
  const int audio = first_audio_stream(input.get());
  DecodeCount count;
  count.has_audio = audio >= 0;
  StreamCount v, a;
  if (options.video) {
    v.decoder = open_decoder(input.get(), video, options.threads, path);
    if (options.skip_loop_filter) v.decoder->skip_loop_filter = AVDISCARD_ALL;
    v.time_base = input->streams[video]->time_base;
    const AVRational rate = input->streams[video]->avg_frame_rate.num > 0 ? input->streams[video]->avg_frame_rate : input->streams[video]->r_frame_rate;
    if (rate.num > 0) v.default_duration = av_rescale_q(1, av_inv_q(rate), v.time_base);
  }
  if (options.audio && audio >= 0) {
    a.decoder = open_decoder(input.get(), audio, 1, path);
    a.time_base = input->streams[audio]->time_base;
  }
  for (unsigned i = 0; i < input->nb_streams; ++i) {
    const int s = static_cast<int>(i);
    if (!((s == video && v.decoder) || (s == audio && a.decoder))) input->streams[i]->discard = AVDISCARD_ALL;
  }

  double audio_from = options.audio_from_s.value_or(0);
  if (!options.audio_from_s && video >= 0 && input->streams[video]->start_time != AV_NOPTS_VALUE)
    audio_from = static_cast<double>(input->streams[video]->start_time) * av_q2d(input->streams[video]->time_base);
  auto frame = new_frame();
  auto drain = [&](StreamCount& sc, bool is_video) {
    for (;;) {
      int rc = avcodec_receive_frame(sc.decoder.get(), frame.get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
      if (rc < 0) {
        ++count.decode_errors;
        if (count.first_error.empty()) count.first_error = av_error_text(rc);
        return;
      }
      if (frame->decode_error_flags || (frame->flags & AV_FRAME_FLAG_CORRUPT)) {
        ++count.decode_errors;
        if (count.first_error.empty()) count.first_error = "a damaged frame";
      }
      const std::int64_t pts = frame->best_effort_timestamp;
      if (pts != AV_NOPTS_VALUE) {
        if (sc.first_pts == AV_NOPTS_VALUE || pts < sc.first_pts) sc.first_pts = pts;
        const std::int64_t end = pts + (frame->pkt_duration > 0 ? frame->pkt_duration : sc.default_duration);
        if (sc.end_pts == AV_NOPTS_VALUE || end > sc.end_pts) sc.end_pts = end;
      }
      if (is_video) {
        ++count.video_frames;
      } else if (pts == AV_NOPTS_VALUE || frame->sample_rate <= 0) {
        count.audio_samples += frame->nb_samples;
      } else {
        // Samples before `audio_from` (pre-roll, priming the container does not trim) play before the video.
        const double start = static_cast<double>(pts) * av_q2d(sc.time_base);
        const auto skip = static_cast<std::int64_t>(std::llround((audio_from - start) * frame->sample_rate));
        count.audio_samples += frame->nb_samples - std::clamp<std::int64_t>(skip, 0, frame->nb_samples);
      }
      av_frame_unref(frame.get());
    }
  };
  auto send = [&](StreamCount& sc, bool is_video, const AVPacket* packet) {
    int rc = avcodec_send_packet(sc.decoder.get(), packet);
    if (rc < 0 && rc != AVERROR_EOF) {
      ++count.decode_errors;
      if (count.first_error.empty()) count.first_error = av_error_text(rc);
    }
    drain(sc, is_video);
  };

  auto packet = new_packet();
  while (av_read_frame(input.get(), packet.get()) >= 0) {
    if (packet->stream_index == video && v.decoder) send(v, true, packet.get());
    else if (packet->stream_index == audio && a.decoder) send(a, false, packet.get());
    av_packet_unref(packet.get());
  }
  if (v.decoder) send(v, true, nullptr);
  if (a.decoder) send(a, false, nullptr);

  if (v.first_pts != AV_NOPTS_VALUE)
    count.video_duration_s = static_cast<double>(v.end_pts - v.first_pts) * av_q2d(v.time_base);
  if (v.first_pts != AV_NOPTS_VALUE && a.first_pts != AV_NOPTS_VALUE)
    count.audio_start_s = static_cast<double>(a.first_pts) * av_q2d(a.time_base) - static_cast<double>(v.first_pts) * av_q2d(v.time_base);
  return count;
}

}  // namespace kb::media
