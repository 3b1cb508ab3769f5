#include "media/source_info.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

#include <algorithm>

#include "core/error.h"
#include "media/av_file.h"

namespace kb::media {

std::string to_string(const Rational& r) {
  return r.den == 1 ? std::to_string(r.num) : std::to_string(r.num) + "/" + std::to_string(r.den);
}

int first_audio_stream(const AVFormatContext* input) {
  for (unsigned i = 0; i < input->nb_streams; ++i)
    if (input->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO) return static_cast<int>(i);
  return -1;
}

std::int64_t frame_index(std::int64_t ts, std::int64_t start, Rational tb, Rational rate) {
  // (ts - start) · tb / (1 / rate), rounded to the nearest frame.
  return av_rescale_rnd(ts - start, tb.num * rate.num, tb.den * rate.den, AV_ROUND_NEAR_INF);
}

nlohmann::json to_json(const SourceInfo& s) {
  return {{"path", s.path}, {"format", s.format}, {"codec", s.codec}, {"pix_fmt", s.pix_fmt}, {"width", s.width},
          {"height", s.height}, {"bit_depth", s.bit_depth}, {"rate", to_string(s.rate)}, {"video_start_s", s.video_start_s}, {"format_start_s", s.format_start_s},
          {"frames", s.frames}, {"keyframes", s.keyframes}, {"indexed", s.indexed}, {"bytes", s.bytes},
          {"audio_codec", s.audio_codec}, {"audio_rate", s.audio_rate}, {"audio_channels", s.audio_channels}};
}

SourceInfo source_info_from_json(const nlohmann::json& j) {
  SourceInfo s;
  s.path = j.at("path").get<std::string>();
  s.format = j.at("format").get<std::string>();
  s.codec = j.at("codec").get<std::string>();
  s.pix_fmt = j.at("pix_fmt").get<std::string>();
  s.width = j.at("width").get<int>();
  s.height = j.at("height").get<int>();
  s.bit_depth = j.at("bit_depth").get<int>();
  const auto rate = j.at("rate").get<std::string>();
  const auto slash = rate.find('/');
  s.rate = {std::stoll(rate.substr(0, slash)), slash == std::string::npos ? 1 : std::stoll(rate.substr(slash + 1))};
  s.video_start_s = j.at("video_start_s").get<double>();
  s.format_start_s = j.at("format_start_s").get<double>();
  s.frames = j.at("frames").get<std::int64_t>();
  s.keyframes = j.at("keyframes").get<std::vector<std::int64_t>>();
  s.indexed = j.at("indexed").get<bool>();
  s.bytes = j.at("bytes").get<std::int64_t>();
  s.audio_codec = j.at("audio_codec").get<std::string>();
  s.audio_rate = j.at("audio_rate").get<int>();
  s.audio_channels = j.at("audio_channels").get<int>();
  return s;
}

SourceInfo read_source_info(const std::filesystem::path& path) {
  auto input = open_input(path);
  const std::string name = path.string();
  const int video = av_find_best_stream(input.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (video < 0) throw ParseError(name + ": no video stream");
  const AVStream* vs = input->streams[video];
  const AVCodecParameters* par = vs->codecpar;

  SourceInfo s;
  s.path = name;
  s.format = input->iformat->name;
  s.codec = avcodec_get_name(par->codec_id);
  const auto* desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(par->format));
  s.pix_fmt = desc ? desc->name : "";
  if (desc) s.bit_depth = desc->comp[0].depth;
  s.width = par->width;
  s.height = par->height;
  const AVRational rate = vs->r_frame_rate.num > 0 ? vs->r_frame_rate : vs->avg_frame_rate;
  if (rate.num <= 0 || rate.den <= 0) throw ParseError(name + ": the video stream has no frame rate");
  s.rate = {rate.num, rate.den};
  std::error_code ec;
  s.bytes = static_cast<std::int64_t>(std::filesystem::file_size(path, ec));

  const int audio = first_audio_stream(input.get());
  if (audio >= 0) {
    const AVCodecParameters* ap = input->streams[audio]->codecpar;
    s.audio_codec = avcodec_get_name(ap->codec_id);
    s.audio_rate = ap->sample_rate;
    s.audio_channels = ap->ch_layout.nb_channels;
  }
  s.indexed = avformat_index_get_entries_count(vs) > 0;

  // One pass over the video packets: each must land on its own frame slot (constant frame rate).
  for (unsigned i = 0; i < input->nb_streams; ++i)
    if (static_cast<int>(i) != video) input->streams[i]->discard = AVDISCARD_ALL;
  const Rational tb{vs->time_base.num, vs->time_base.den};
  std::vector<std::int64_t> pts;
  std::vector<std::int64_t> key_pts;
  auto packet = new_packet();
  while (av_read_frame(input.get(), packet.get()) >= 0) {
    if (packet->stream_index == video) {
      const std::int64_t t = packet->pts != AV_NOPTS_VALUE ? packet->pts : packet->dts;
      if (t == AV_NOPTS_VALUE) throw ParseError(name + ": video packets without timestamps; remux it first (ffmpeg -fflags +genpts)");
      pts.push_back(t);
      if (packet->flags & AV_PKT_FLAG_KEY) key_pts.push_back(t);
    }
    av_packet_unref(packet.get());
  }
  if (pts.empty()) throw ParseError(name + ": the video stream has no frames");
  const std::int64_t start = *std::min_element(pts.begin(), pts.end());
  const std::int64_t format_start = input->start_time != AV_NOPTS_VALUE ? input->start_time : 0;
  s.format_start_s = static_cast<double>(format_start) / AV_TIME_BASE;
  s.video_start_s = static_cast<double>(start) * tb.value() - s.format_start_s;
  if (s.video_start_s < 0) s.video_start_s = 0;
  std::vector<std::int64_t> index;
  index.reserve(pts.size());
  for (auto t : pts) index.push_back(frame_index(t, start, tb, s.rate));
  std::sort(index.begin(), index.end());
  for (size_t i = 0; i < index.size(); ++i) {
    if (index[i] == static_cast<std::int64_t>(i)) continue;
    const bool repeated = i > 0 && index[i] == index[i - 1];
    throw ParseError(name + ": not at a constant frame rate of " + to_string(s.rate) + " fps (frame " + std::to_string(i) +
                     (repeated ? " appears twice" : " is missing") + "); convert it first, e.g. ffmpeg -i IN -fps_mode cfr OUT");
  }
  s.frames = static_cast<std::int64_t>(index.size());
  for (auto t : key_pts) s.keyframes.push_back(frame_index(t, start, tb, s.rate));
  std::sort(s.keyframes.begin(), s.keyframes.end());
  s.keyframes.erase(std::unique(s.keyframes.begin(), s.keyframes.end()), s.keyframes.end());
  return s;
}

}  // namespace kb::media
