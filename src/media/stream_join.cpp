#include "media/stream_join.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/error.h"
#include "core/files.h"
#include "media/av_file.h"
#include "media/parameter_sets.h"

namespace kb::media {

namespace {

struct OutputCloser {
  void operator()(AVFormatContext* c) const {
    if (c->pb && !(c->oformat->flags & AVFMT_NOFILE)) avio_closep(&c->pb);
    avformat_free_context(c);
  }
};
using FormatOutput = std::unique_ptr<AVFormatContext, OutputCloser>;

int video_stream(const AVFormatContext* input, const std::filesystem::path& path) {
  const int index = av_find_best_stream(const_cast<AVFormatContext*>(input), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (index < 0) throw ParseError(path.string() + ": no video stream");
  return index;
}

// Frame index of each video packet, in file (decode) order.
struct PacketOrder {
  std::vector<std::int64_t> index;
  std::int64_t start = 0;
};

PacketOrder packet_order(AVFormatContext* input, int video, Rational rate) {
  const AVStream* st = input->streams[video];
  const Rational tb{st->time_base.num, st->time_base.den};
  std::vector<std::int64_t> pts;
  auto packet = new_packet();
  while (av_read_frame(input, packet.get()) >= 0) {
    if (packet->stream_index == video) pts.push_back(packet->pts != AV_NOPTS_VALUE ? packet->pts : packet->dts);
    av_packet_unref(packet.get());
  }
  PacketOrder order;
  if (pts.empty()) return order;
  order.start = *std::min_element(pts.begin(), pts.end());
  for (auto t : pts) order.index.push_back(frame_index(t, order.start, tb, rate));
  return order;
}

std::string profile_name(const PartStream& p) {
  const auto* codec = avcodec_descriptor_get_by_name(p.codec.c_str());
  const char* name = avcodec_profile_name(codec ? codec->id : AV_CODEC_ID_NONE, p.profile);
  return name ? name : std::to_string(p.profile);
}

}  // namespace

PartStream inspect_part(const std::filesystem::path& part, Rational rate) {
  auto input = open_input(part);
  const int video = video_stream(input.get(), part);
  const AVCodecParameters* par = input->streams[video]->codecpar;
  PartStream p;
  p.codec = avcodec_get_name(par->codec_id);
  p.profile = par->profile;
  p.level = par->level;
  p.width = par->width;
  p.height = par->height;
  const auto* desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(par->format));
  p.pix_fmt = desc ? desc->name : "";
  p.extradata = std::string(reinterpret_cast<const char*>(par->extradata), static_cast<size_t>(par->extradata_size));
  p.extradata_sha256 = sha256_hex(p.extradata);
  for (unsigned i = 0; i < input->nb_streams; ++i)
    if (static_cast<int>(i) != video) input->streams[i]->discard = AVDISCARD_ALL;

  // The first packet's key flag, read before the order pass consumes the packets.
  auto first = new_packet();
  while (av_read_frame(input.get(), first.get()) >= 0) {
    const bool mine = first->stream_index == video;
    if (mine) p.starts_with_keyframe = (first->flags & AV_PKT_FLAG_KEY) != 0;
    av_packet_unref(first.get());
    if (mine) break;
  }
  av_seek_frame(input.get(), video, std::numeric_limits<std::int64_t>::min(), AVSEEK_FLAG_BACKWARD);
  avformat_flush(input.get());
  const auto order = packet_order(input.get(), video, rate);
  p.frames = static_cast<std::int64_t>(order.index.size());
  p.first_pts = order.start;
  std::vector<std::int64_t> sorted = order.index;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size() && p.problem.empty(); ++i) {
    if (sorted[i] == static_cast<std::int64_t>(i)) continue;
    p.problem = "frame " + std::to_string(i) + (i > 0 && sorted[i] == sorted[i - 1] ? " appears twice" : " is missing");
  }
  for (size_t i = 0; i < order.index.size(); ++i)
    p.reorder_delay = std::max<int>(p.reorder_delay, static_cast<int>(static_cast<std::int64_t>(i) - order.index[i]));
  if (p.frames == 0) p.problem = "no video packets";
  else if (!p.starts_with_keyframe) p.problem = "does not start with a keyframe";
  return p;
}

std::string incompatible(const PartStream& a, const PartStream& b, bool mixed) {
  if (a.codec != b.codec) return "codec " + a.codec + " vs " + b.codec;
  if (a.width != b.width || a.height != b.height)
    return "size " + std::to_string(a.width) + "x" + std::to_string(a.height) + " vs " + std::to_string(b.width) + "x" + std::to_string(b.height);
  if (a.pix_fmt != b.pix_fmt) return "pixel format " + a.pix_fmt + " vs " + b.pix_fmt;
  if (mixed) return "";
  if (a.profile != b.profile) return "profile " + profile_name(a) + " vs " + profile_name(b);
  if (a.level != b.level) return "level " + std::to_string(a.level) + " vs " + std::to_string(b.level);
  if (a.extradata_sha256 != b.extradata_sha256) return "parameter sets (SPS/PPS) differ";
  return "";
}

namespace {

// One part's video packets with their output timestamps in frames.
class PartReader {
 public:
  PartReader(const std::filesystem::path& path, Rational rate, std::int64_t first_pts, std::int64_t offset, int delay)
      : path_(path), rate_(rate), offset_(offset), delay_(delay), input_(open_input(path)), packet_(new_packet()), start_(first_pts) {
    video_ = video_stream(input_.get(), path);
    for (unsigned i = 0; i < input_->nb_streams; ++i)
      if (static_cast<int>(i) != video_) input_->streams[i]->discard = AVDISCARD_ALL;
    const AVStream* st = input_->streams[video_];
    tb_ = {st->time_base.num, st->time_base.den};
  }
  // The next packet with pts/dts/duration in frames, or nullptr at the end.
  AVPacket* next() {
    av_packet_unref(packet_.get());
    while (av_read_frame(input_.get(), packet_.get()) >= 0) {
      if (packet_->stream_index != video_) {
        av_packet_unref(packet_.get());
        continue;
      }
      const std::int64_t t = packet_->pts != AV_NOPTS_VALUE ? packet_->pts : packet_->dts;
      packet_->pts = offset_ + frame_index(t, start_, tb_, rate_);
      packet_->dts = offset_ + position_++ - delay_;
      packet_->duration = 1;
      packet_->pos = -1;
      return packet_.get();
    }
    return nullptr;
  }

 private:
  std::filesystem::path path_;
  Rational rate_;
  std::int64_t offset_;
  int delay_;
  FormatInput input_;
  Packet packet_;
  int video_ = 0;
  Rational tb_;
  std::int64_t start_, position_ = 0;
};

void check_write(int rc, const std::filesystem::path& out) {
  if (rc >= 0) return;
  if (rc == AVERROR(ENOSPC)) {
    std::error_code ec;
    auto space = std::filesystem::space(out.parent_path().empty() ? "." : out.parent_path(), ec);
    throw EnvironmentError("disk full writing " + out.string() + (ec ? "" : " (" + std::to_string(space.available >> 20) + " MiB free on its volume)"));
  }
  throw EnvironmentError("cannot write " + out.string() + ": " + av_error_text(rc));
}

}  // namespace

JoinReport join_parts(const JoinInput& in, const std::filesystem::path& out, const std::string& format_from_name) {
  if (in.parts.empty()) throw CheckFailed("nothing to join: no parts");
  std::vector<PartStream> streams;
  for (size_t i = 0; i < in.parts.size(); ++i) {
    streams.push_back(inspect_part(in.parts[i], in.rate));
    if (!streams.back().problem.empty()) throw CheckFailed("part " + in.parts[i].filename().string() + ": " + streams.back().problem);
    if (i > 0) {
      auto why = incompatible(streams.front(), streams.back(), in.mixed);
      if (!why.empty()) throw CheckFailed("part " + in.parts[i].filename().string() + " cannot follow " + in.parts[0].filename().string() + ": " + why);
    }
  }
  int delay = 0;
  for (auto& s : streams) delay = std::max(delay, s.reorder_delay);
  // Mixed families: a part whose parameter sets are not the stream's record carries its own.
  std::vector<std::string> in_band(streams.size());
  if (in.mixed) {
    const auto& first = streams.front();
    const auto record = parse_parameter_sets(first.codec, reinterpret_cast<const std::uint8_t*>(first.extradata.data()),
                                             static_cast<int>(first.extradata.size()));
    for (size_t i = 1; i < streams.size(); ++i) {
      if (streams[i].extradata_sha256 == first.extradata_sha256) continue;
      const auto own = parse_parameter_sets(streams[i].codec, reinterpret_cast<const std::uint8_t*>(streams[i].extradata.data()),
                                            static_cast<int>(streams[i].extradata.size()));
      if (!record || !own || own->length_size != record->length_size)
        throw CheckFailed("part " + in.parts[i].filename().string() + ": its parameter sets cannot be carried in band (" + first.codec +
                          " parts need avcC/hvcC records with the same NAL length size)");
      in_band[i] = length_prefixed(*own, record->length_size);
    }
  }

  const AVOutputFormat* format = av_guess_format(nullptr, format_from_name.c_str(), nullptr);
  if (!format) throw UsageError(format_from_name + ": no muxer for this file name's extension (try .mp4 or .mkv)");
  AVFormatContext* raw = nullptr;
  if (avformat_alloc_output_context2(&raw, format, nullptr, out.c_str()) < 0 || !raw) throw std::bad_alloc();
  FormatOutput output(raw);
  struct RemoveOnFailure {
    const std::filesystem::path& path;
    bool done = false;
    ~RemoveOnFailure() {
      std::error_code ec;
      if (!done) std::filesystem::remove(path, ec);
    }
  } cleanup{out};

  // The video stream's parameters from the first part; its clock counts frames.
  const AVRational frame_tb{static_cast<int>(in.rate.den), static_cast<int>(in.rate.num)};
  auto first_input = open_input(in.parts[0]);
  const int first_video = video_stream(first_input.get(), in.parts[0]);
  AVStream* vout = avformat_new_stream(output.get(), nullptr);
  avcodec_parameters_copy(vout->codecpar, first_input->streams[first_video]->codecpar);
  vout->codecpar->codec_tag = 0;
  vout->time_base = frame_tb;
  vout->avg_frame_rate = vout->r_frame_rate = AVRational{static_cast<int>(in.rate.num), static_cast<int>(in.rate.den)};
  first_input.reset();

  FormatInput audio_input;
  AVStream* aout = nullptr;
  int audio_index = -1;
  if (in.audio) {
    audio_input = open_input(*in.audio);
    audio_index = first_audio_stream(audio_input.get());
    if (audio_index < 0) throw CheckFailed(in.audio->string() + ": no audio stream");
    aout = avformat_new_stream(output.get(), nullptr);
    avcodec_parameters_copy(aout->codecpar, audio_input->streams[audio_index]->codecpar);
    aout->codecpar->codec_tag = 0;
    aout->time_base = audio_input->streams[audio_index]->time_base;
    for (unsigned i = 0; i < audio_input->nb_streams; ++i)
      if (static_cast<int>(i) != audio_index) audio_input->streams[i]->discard = AVDISCARD_ALL;
  }

  if (!(format->flags & AVFMT_NOFILE)) check_write(avio_open(&output->pb, out.c_str(), AVIO_FLAG_WRITE), out);
  AVDictionary* options = nullptr;
  const std::string name = format->name;
  if (name == "mp4" || name == "mov") av_dict_set(&options, "movflags", "+faststart", 0);
  int rc = avformat_write_header(output.get(), &options);
  av_dict_free(&options);
  check_write(rc, out);

  JoinReport report;
  // Video packets part after part; audio packets interleaved by time.
  auto audio_packet = new_packet();
  bool audio_pending = false, audio_done = !in.audio;
  const std::int64_t audio_shift =
      in.audio ? av_rescale_q(std::llround(in.audio_offset_s * AV_TIME_BASE), AV_TIME_BASE_Q, audio_input->streams[audio_index]->time_base) : 0;
  auto next_audio = [&] {
    while (!audio_done && !audio_pending) {
      if (av_read_frame(audio_input.get(), audio_packet.get()) < 0) {
        audio_done = true;
        break;
      }
      if (audio_packet->stream_index != audio_index) {
        av_packet_unref(audio_packet.get());
        continue;
      }
      if (audio_packet->pts != AV_NOPTS_VALUE) audio_packet->pts -= audio_shift;
      if (audio_packet->dts != AV_NOPTS_VALUE) audio_packet->dts -= audio_shift;
      audio_packet->stream_index = aout->index;
      audio_packet->pos = -1;
      audio_pending = true;
    }
  };
  auto write_audio_until = [&](double seconds) {
    for (next_audio(); audio_pending; next_audio()) {
      const double t = static_cast<double>(audio_packet->dts != AV_NOPTS_VALUE ? audio_packet->dts : audio_packet->pts) *
                       av_q2d(audio_input->streams[audio_index]->time_base);
      if (t > seconds) return;
      av_packet_rescale_ts(audio_packet.get(), audio_input->streams[audio_index]->time_base, aout->time_base);
      check_write(av_interleaved_write_frame(output.get(), audio_packet.get()), out);
      ++report.audio_packets;
      audio_pending = false;
    }
  };

  std::int64_t offset = 0;
  for (size_t i = 0; i < in.parts.size(); ++i) {
    PartReader reader(in.parts[i], in.rate, streams[i].first_pts, offset, delay);
    bool first_packet = true;
    while (AVPacket* packet = reader.next()) {
      write_audio_until(static_cast<double>(packet->dts) * av_q2d(frame_tb));
      if (first_packet && !in_band[i].empty()) {
        // The part's own SPS/PPS in front of its first picture (an IDR: decoders switch there).
        auto with_sets = new_packet();
        if (av_new_packet(with_sets.get(), static_cast<int>(in_band[i].size()) + packet->size) < 0) throw std::bad_alloc();
        std::memcpy(with_sets->data, in_band[i].data(), in_band[i].size());
        std::memcpy(with_sets->data + in_band[i].size(), packet->data, static_cast<size_t>(packet->size));
        av_packet_copy_props(with_sets.get(), packet);
        av_packet_unref(packet);
        av_packet_move_ref(packet, with_sets.get());
        ++report.in_band_parts;
      }
      first_packet = false;
      packet->stream_index = vout->index;
      av_packet_rescale_ts(packet, frame_tb, vout->time_base);
      check_write(av_interleaved_write_frame(output.get(), packet), out);
      ++report.video_packets;
    }
    offset += streams[i].frames;
  }
  write_audio_until(std::numeric_limits<double>::infinity());
  check_write(av_write_trailer(output.get()), out);
  if (output->pb) check_write(avio_closep(&output->pb), out);
  std::error_code ec;
  report.bytes = static_cast<std::int64_t>(std::filesystem::file_size(out, ec));
  cleanup.done = true;
  return report;
}

}  // namespace kb::media
