#include "scene/video_reader.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/cpu.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <cmath>
#include <fstream>
#include <limits>

#include "core/error.h"
#include "core/files.h"

namespace kb::scene {

using nlohmann::json;

namespace {

std::string av_error(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, buf, sizeof buf);
  return buf;
}

}  // namespace

json to_json(const VideoIdentity& v) {
  return {{"name", v.name},         {"bytes", v.bytes},           {"width", v.width},
          {"height", v.height},     {"frame_rate", v.frame_rate}, {"frame_rate_fraction", std::to_string(v.rate_num) + "/" + std::to_string(v.rate_den)},
          {"duration_s", v.duration_s}, {"frames", v.frames},     {"codec", v.codec},
          {"sampled_sha256", v.sampled_sha256}};
}

VideoIdentity video_identity_from_json(const json& j) {
  VideoIdentity v;
  v.name = j.at("name");
  v.bytes = j.at("bytes");
  v.width = j.at("width");
  v.height = j.at("height");
  v.frame_rate = j.at("frame_rate");
  const std::string fraction = j.at("frame_rate_fraction");
  auto slash = fraction.find('/');
  if (slash == std::string::npos) throw ParseError("frame_rate_fraction '" + fraction + "' is not N/D");
  v.rate_num = std::stoi(fraction.substr(0, slash));
  v.rate_den = std::stoi(fraction.substr(slash + 1));
  v.duration_s = j.at("duration_s");
  v.frames = j.at("frames");
  v.codec = j.at("codec");
  v.sampled_sha256 = j.at("sampled_sha256");
  return v;
}

bool same_video(const VideoIdentity& a, const VideoIdentity& b) {
  return a.bytes == b.bytes && a.width == b.width && a.height == b.height && a.rate_num == b.rate_num &&
         a.rate_den == b.rate_den && a.frames == b.frames && a.codec == b.codec && a.sampled_sha256 == b.sampled_sha256;
}

namespace {
// Decoder threads for `threads = 0`.
int automatic_threads() {
  // One decoder thread per core, not libavcodec's own choice of one more: measured with H.264
  // 1080p on 2 cores, 2 frame threads decode 9 % faster than 3 (the third only competes), and
  // the downscaling thread needs a little room too. av_cpu_count honours the CPU affinity mask
  // (a pod's cpuset); more than 16 threads gain nothing (libavcodec's own cap).
  return std::clamp(av_cpu_count(), 1, 16);
}

// Whether the frame's buffers hold `w` × `h` pixels. OpenCV converts the coded size (H.264's
// macroblock rows below the picture included), which the decoders' padded buffers hold; this
// checks it rather than read past a buffer.
bool frame_holds(const AVFrame* f, int w, int h) {
  if (w <= f->width && h <= f->height) return true;
  const auto format = static_cast<AVPixelFormat>(f->format);
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(format);
  int need[4] = {};
  if (!d || (d->flags & AV_PIX_FMT_FLAG_PAL) || av_image_fill_linesizes(need, format, w) < 0) return false;
  for (int p = 0; p < 4 && f->data[p]; ++p) {
    const int rows = (p == 1 || p == 2) ? -((-h) >> d->log2_chroma_h) : h;
    const AVBufferRef* buf = av_frame_get_plane_buffer(const_cast<AVFrame*>(f), p);
    if (!buf || f->linesize[p] < need[p]) return false;
    const std::uint8_t* end = f->data[p] + static_cast<std::ptrdiff_t>(f->linesize[p]) * (rows - 1) + need[p];
    if (f->data[p] < buf->data || end > buf->data + buf->size) return false;
  }
  return true;
}

// PySceneDetect's frame rate for numbering: framerate_to_fraction() of OpenCV's CAP_PROP_FPS
// (the stream's average rate): whole rates exact, N × 1000/1001 when within 1e-3 of one, else the
// rate itself (PySceneDetect approximates it to a denominator ≤ 10000: equal frame numbers up to
// about 10^8 frames).
double numbering_rate(AVRational rate) {
  const double fps = av_q2d(rate);
  if (fps == std::floor(fps)) return fps;
  const double base = std::nearbyint(fps * 1001 / 1000);
  if (base > 0 && std::fabs(base * 1000 / 1001 - fps) < 1e-3) return base * 1000 / 1001;
  return fps;
}
}  // namespace

struct VideoReader::State {
  AVFormatContext* format = nullptr;
  AVCodecContext* codec = nullptr;
  SwsContext* sws = nullptr;
  AVFrame* frame = nullptr;
  AVPacket* packet = nullptr;
  int stream = -1;
  AVRational time_base{1, 1}, rate{0, 1};
  double numbering_fps = 0;
  std::int64_t start_pts = 0;
  int out_w = 0, out_h = 0;
  int stream_w = 0, stream_h = 0;  // the stream's size: OpenCV's picture
  std::uint8_t* bgr24 = nullptr;  // swscale's output (formats other than 8-bit 4:2:0 / 4:2:2)
  int bgr24_stride = 0;
  size_t bgr24_bytes = 0;

  ~State() {
    av_free(bgr24);
    sws_freeContext(sws);
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&codec);
    avformat_close_input(&format);
  }

  // A timestamp's frame number as PySceneDetect (≥ 0.7) computes it from OpenCV's
  // CAP_PROP_POS_MSEC: milliseconds since the stream's start time, rounded to microseconds, times
  // the rate, rounded (half to even, as Python). ≤ 0 µs is "no usable timestamp" (returns -1).
  std::int64_t index_of(std::int64_t pts) const {
    const double ms = static_cast<double>(pts - start_pts) * av_q2d(time_base) * 1000;
    const double us = std::nearbyint(ms * 1000);
    if (!(us > 0)) return -1;
    return static_cast<std::int64_t>(std::nearbyint(us / 1e6 * numbering_fps));
  }
  // The frame a container index timestamp (a decode time: negative before the first frame with
  // B-frames) stands for, on the same scale, for shard borders only.
  std::int64_t index_entry_frame(std::int64_t ts) const {
    return av_rescale_q_rnd(ts - start_pts, time_base, av_inv_q(rate), static_cast<AVRounding>(AV_ROUND_NEAR_INF));
  }
  std::int64_t pts_of(std::int64_t index) const { return start_pts + av_rescale_q(index, av_inv_q(rate), time_base); }

  bool at_start = true;  // nothing read since opening: frame 0 is next without a seek

  // Seeks so that decoding starts at a keyframe at or before frame `index` (the container's index
  // permitting: the caller checks). `index` 0 goes back to the very start.
  void seek(std::int64_t index) {
    int rc = 0;
    if (index > 0) {
      const std::int64_t ts = pts_of(index);
      rc = avformat_seek_file(format, stream, std::numeric_limits<std::int64_t>::min(), ts, ts, 0);
      if (rc < 0) rc = av_seek_frame(format, stream, ts, AVSEEK_FLAG_BACKWARD);
    } else {
      // Back to the very start: the first byte of the file, the one place every container agrees
      // on (a timestamp seek to "the earliest" may land on the first keyframe after it).
      rc = avformat_seek_file(format, -1, std::numeric_limits<std::int64_t>::min(), 0, 0, AVSEEK_FLAG_BYTE);
      if (rc < 0) rc = av_seek_frame(format, stream, start_pts, AVSEEK_FLAG_BACKWARD);
    }
    if (rc < 0) throw ParseError(std::string("cannot seek: ") + av_error(rc));
    avcodec_flush_buffers(codec);
    at_start = false;
    palette_due = !palette.empty();
  }

  // A palette-based stream (raw pal8 in AVI, MS RLE …) may carry its palette only beside its first
  // packet: a shard that seeks past it would decode with no palette. It is read once from there and
  // given to the first packet after each seek that comes without one.
  std::vector<std::uint8_t> palette;
  bool palette_checked = false, palette_due = false;
  void capture_palette() {
    palette_checked = true;
    if (!at_start) seek(0);
    for (int i = 0; i < 1000 && av_read_frame(format, packet) >= 0; ++i) {
      const bool video = packet->stream_index == stream;
      if (video) {
        size_t size = 0;
        if (const std::uint8_t* data = av_packet_get_side_data(packet, AV_PKT_DATA_PALETTE, &size)) palette.assign(data, data + size);
      }
      av_packet_unref(packet);
      if (video) break;
    }
    at_start = false;
  }
  void give_palette(AVPacket* p) {
    if (!palette_due) return;
    palette_due = false;
    if (av_packet_get_side_data(p, AV_PKT_DATA_PALETTE, nullptr)) return;
    if (std::uint8_t* data = av_packet_new_side_data(p, AV_PKT_DATA_PALETTE, palette.size())) std::copy(palette.begin(), palette.end(), data);
  }

  std::unique_ptr<Downscaler> downscaler;

  // The frame as OpenCV's capture turns it into BGR, downscaled as PySceneDetect does.
  BgrPlanes convert(const AVFrame* f) {
    // OpenCV's picture is the stream's width × height from the frame's first pixel, even where
    // the decoder left part of a crop undone (Theora's odd picture offset: a 218-wide frame of a
    // 214-wide stream): the same here, wherever the frame holds it.
    int src_w = stream_w, src_h = stream_h;
    if (!frame_holds(f, src_w, src_h)) src_w = f->width, src_h = f->height;
    if (!downscaler || downscaler->src_width() != src_w || downscaler->src_height() != src_h)
      downscaler = std::make_unique<Downscaler>(src_w, src_h, out_w, out_h);
    int coded_w = std::max(f->width, codec->coded_width), coded_h = std::max(f->height, codec->coded_height);
    if (!frame_holds(f, coded_w, coded_h)) coded_w = f->width, coded_h = f->height;
    const auto pix = static_cast<AVPixelFormat>(f->format);
    // swscale's unscaled fast path, which OpenCV gets for these formats at an even coded height.
    const bool yuv420 = pix == AV_PIX_FMT_YUV420P || pix == AV_PIX_FMT_YUVJ420P || pix == AV_PIX_FMT_YUVA420P;
    const bool yuv422 = pix == AV_PIX_FMT_YUV422P || pix == AV_PIX_FMT_YUVJ422P;
    if ((yuv420 || yuv422) && coded_h % 2 == 0) {
      YuvPicture p;
      for (int i = 0; i < 3; ++i) p.planes[i] = f->data[i], p.strides[i] = f->linesize[i];
      p.chroma_vshift = yuv420 ? 1 : 0;
      p.full_range = pix == AV_PIX_FMT_YUVJ420P || pix == AV_PIX_FMT_YUVJ422P;  // not the stream's range tag: OpenCV ignores it
      return downscaler->convert(p);
    }
    // Anything else (10-bit, 4:4:4, RGB, palette …): swscale to BGR24 exactly as OpenCV calls it.
    sws = sws_getCachedContext(sws, coded_w, coded_h, pix, coded_w, coded_h, AV_PIX_FMT_BGR24, SWS_BICUBIC, nullptr, nullptr, nullptr);
    if (!sws) throw ParseError(std::string("cannot convert frames of pixel format ") + (av_get_pix_fmt_name(pix) ? av_get_pix_fmt_name(pix) : "?"));
    // The buffer OpenCV's av_frame_get_buffer(…, 32) makes: rows of 3 × width aligned to 32 bytes.
    bgr24_stride = 3 * FFALIGN(coded_w, 32);
    const size_t bytes = static_cast<size_t>(bgr24_stride) * static_cast<size_t>(coded_h);
    if (bytes > bgr24_bytes) {
      av_free(bgr24);
      bgr24 = static_cast<std::uint8_t*>(av_malloc(bytes));
      if (!bgr24) throw EnvironmentError("out of memory for a converted frame");
      bgr24_bytes = bytes;
    }
    std::uint8_t* dst[4] = {bgr24, nullptr, nullptr, nullptr};
    int dst_stride[4] = {bgr24_stride, 0, 0, 0};
    sws_scale(sws, f->data, f->linesize, 0, coded_h, dst, dst_stride);
    return downscaler->convert(Bgr24Picture{bgr24, bgr24_stride});
  }
};

VideoReader::VideoReader(const std::filesystem::path& path, const DecodeOptions& options) : s_(std::make_unique<State>()) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw ParseError(path.string() + ": no such file");
  // libav's own messages ("concealing errors in B frame") only with -v: damage is reported by us.
  if (spdlog::get_level() > spdlog::level::debug) av_log_set_level(AV_LOG_FATAL);
  int rc = avformat_open_input(&s_->format, path.c_str(), nullptr, nullptr);
  if (rc < 0) throw ParseError(path.string() + ": not a video: " + av_error(rc));
  rc = avformat_find_stream_info(s_->format, nullptr);
  if (rc < 0) throw ParseError(path.string() + ": cannot read stream info: " + av_error(rc));
  const AVCodec* decoder = nullptr;
  s_->stream = av_find_best_stream(s_->format, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0);
  if (s_->stream < 0 || !decoder) throw ParseError(path.string() + ": no video stream (or no decoder for it)");
  AVStream* st = s_->format->streams[s_->stream];
  s_->time_base = st->time_base;
  s_->rate = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
  if (s_->rate.num <= 0 || s_->rate.den <= 0) throw ParseError(path.string() + ": the video stream has no frame rate");
  s_->numbering_fps = numbering_rate(s_->rate);
  s_->start_pts = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;
  // Every stream but the video one is skipped by the demuxer.
  for (unsigned i = 0; i < s_->format->nb_streams; ++i)
    if (static_cast<int>(i) != s_->stream) s_->format->streams[i]->discard = AVDISCARD_ALL;

  s_->codec = avcodec_alloc_context3(decoder);
  avcodec_parameters_to_context(s_->codec, st->codecpar);
  s_->codec->thread_count = options.threads > 0 ? options.threads : automatic_threads();
  s_->codec->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
  if (options.skip_loop_filter) s_->codec->skip_loop_filter = AVDISCARD_ALL;
  rc = avcodec_open2(s_->codec, decoder, nullptr);
  if (rc < 0) throw ParseError(path.string() + ": cannot open the " + decoder->name + " decoder: " + av_error(rc));
  s_->frame = av_frame_alloc();
  s_->packet = av_packet_alloc();

  const int w = st->codecpar->width, h = st->codecpar->height;
  if (w <= 0 || h <= 0) throw ParseError(path.string() + ": the video stream has no size");
  const FrameSize out = downscaled_size(w, h, std::max(1, options.target_width));
  s_->stream_w = w;
  s_->stream_h = h;
  s_->out_w = out.width;
  s_->out_h = out.height;

  auto& id = identity_;
  id.name = path.filename().string();
  id.bytes = static_cast<std::int64_t>(std::filesystem::file_size(path));
  id.width = w;
  id.height = h;
  id.rate_num = s_->rate.num;
  id.rate_den = s_->rate.den;
  id.frame_rate = av_q2d(s_->rate);
  if (st->duration > 0) id.duration_s = static_cast<double>(st->duration) * av_q2d(st->time_base);
  else if (s_->format->duration > 0) id.duration_s = static_cast<double>(s_->format->duration) / AV_TIME_BASE;
  id.frames = st->nb_frames > 0 ? st->nb_frames : std::llround(id.duration_s * id.frame_rate);
  id.codec = avcodec_get_name(st->codecpar->codec_id);
  id.sampled_sha256 = sha256_sampled(path, id.bytes);
}

VideoReader::~VideoReader() = default;

std::vector<std::int64_t> VideoReader::keyframes() const {
  // Index timestamps are decode times; a keyframe is shown `video_delay` frames later.
  const AVStream* st = s_->format->streams[s_->stream];
  const int delay = st->codecpar->video_delay;
  std::vector<std::int64_t> out;
  const int n = avformat_index_get_entries_count(st);
  for (int i = 0; i < n; ++i) {
    const AVIndexEntry* e = avformat_index_get_entry(const_cast<AVStream*>(st), i);
    if (e && (e->flags & AVINDEX_KEYFRAME)) out.push_back(s_->index_entry_frame(e->timestamp) + delay);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<VideoReader::IndexedPacket> VideoReader::packet_sizes() const {
  const AVStream* st = s_->format->streams[s_->stream];
  const int delay = st->codecpar->video_delay;
  std::vector<IndexedPacket> out;
  const int n = avformat_index_get_entries_count(st);
  for (int i = 0; i < n; ++i) {
    const AVIndexEntry* e = avformat_index_get_entry(const_cast<AVStream*>(st), i);
    if (e && e->size > 0) out.push_back({s_->index_entry_frame(e->timestamp) + delay, e->size});
  }
  return out;
}

std::int64_t VideoReader::read(std::int64_t first, std::int64_t end, int lookbehind,
                               const std::function<bool(const Frame&)>& on_frame) {
  auto& s = *s_;
  const std::int64_t from = std::max<std::int64_t>(0, first - lookbehind);
  damaged_.clear();
  decode_errors_ = 0;
  frames_decoded_ = 0;

  // Where decoding starts: frame 0 of a fresh reader needs no seek. Otherwise seek, and trust the
  // decoder only from a keyframe at or before `from`; a container without a usable index may land
  // later, so step back further (2 s, 20 s before), and at last decode from the very start.
  const std::int64_t rate = std::max<std::int64_t>(1, std::llround(av_q2d(s.rate)));
  std::vector<std::int64_t> starts;
  if (from > 0) starts = {from, from - 2 * rate, from - 20 * rate};
  starts.push_back(0);
  size_t attempt = 0;
  if (from > 0 && !s.palette_checked) s.capture_palette();
  if (from > 0 || !s.at_start) s.seek(starts[attempt]);
  s.at_start = false;
  bool keyed = from == 0;  // from the very start every frame counts (even a broken first one)

  std::int64_t last = -1;  // last frame index seen (delivered or skipped)
  std::int64_t counted = from == 0 ? 0 : -1;  // frames decoded since the very start (-1: after a seek, unknown)
  std::int64_t next = from;
  bool stop = false, pending_error = false, restart = false;

  auto note_damage = [&](std::int64_t a, std::int64_t b, const std::string& why) {
    if (b < a || b < first) return;
    a = std::max(a, first);
    if (!damaged_.empty() && damaged_.back().last + 1 >= a && damaged_.back().reason == why) damaged_.back().last = std::max(damaged_.back().last, b);
    else damaged_.push_back({a, b, why});
  };

  // Downscaling and the caller's work run on their own thread while the next frame decodes: on a
  // single decoder thread they cost no wall time (frames are reference-counted, so handing one
  // over copies nothing). At most kQueued frames wait.
  constexpr size_t kQueued = 4;
  struct Pending {
    AVFrame* frame;
    std::int64_t index;
  };
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<Pending> queue;
  bool producing = true, consumer_stopped = false;
  std::exception_ptr consumer_error;
  std::thread consumer([&] {
    for (;;) {
      Pending p{};
      {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return !queue.empty() || !producing; });
        if (queue.empty()) return;
        p = queue.front();
        queue.pop_front();
      }
      changed.notify_all();
      bool keep = false;
      {
        std::unique_lock lock(mutex);
        keep = !consumer_stopped;
      }
      if (keep) {
        try {
          keep = on_frame(Frame{p.index, s.convert(p.frame)});
        } catch (...) {
          std::lock_guard lock(mutex);
          consumer_error = std::current_exception();
          keep = false;
        }
      }
      av_frame_free(&p.frame);
      if (!keep) {
        std::lock_guard lock(mutex);
        consumer_stopped = true;
      }
      changed.notify_all();
    }
  });
  auto hand_over = [&](std::int64_t index) {  // false once the consumer has stopped
    AVFrame* copy = av_frame_clone(s.frame);
    if (!copy) throw EnvironmentError("out of memory for a decoded frame");
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return queue.size() < kQueued || consumer_stopped; });
    if (consumer_stopped) {
      av_frame_free(&copy);
      return false;
    }
    queue.push_back({copy, index});
    lock.unlock();
    changed.notify_all();
    return true;
  };
  auto finish_consumer = [&] {
    {
      std::lock_guard lock(mutex);
      producing = false;
    }
    changed.notify_all();
    consumer.join();
    for (auto& p : queue) av_frame_free(&p.frame);
    queue.clear();
  };

  auto take = [&]() {  // drains decoded frames
    for (;;) {
      int rc = avcodec_receive_frame(s.codec, s.frame);
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
      if (rc < 0) {
        ++decode_errors_;
        pending_error = true;
        continue;
      }
      ++frames_decoded_;
      struct Unref {
        AVFrame* f;
        ~Unref() { av_frame_unref(f); }
      } unref{s.frame};  // on every path out of this iteration
      if (counted >= 0) ++counted;
      // OpenCV's timestamp of a frame: its pts, unless missing or exactly 0, then its packet's dts.
      const std::int64_t pts = s.frame->pts != AV_NOPTS_VALUE && s.frame->pts != 0 ? s.frame->pts : s.frame->pkt_dts;
      const bool key = s.frame->key_frame != 0;
      const bool corrupt = (s.frame->flags & AV_FRAME_FLAG_CORRUPT) || s.frame->decode_error_flags;
      std::int64_t index = pts == AV_NOPTS_VALUE ? -1 : s.index_of(pts);
      const bool numbered_by_count = index < 0 && counted >= 0;
      if (index < 0) {
        // No time after the start: PySceneDetect numbers the frame by how many were decoded. Only
        // a pass from the very start knows that; after a seek (a shard's pre-roll from the first
        // keyframe) libavcodec's best guess of its time stands in.
        const std::int64_t guess = s.frame->best_effort_timestamp;
        if (counted >= 0) index = counted - 1;
        else if (guess != AV_NOPTS_VALUE) index = std::max<std::int64_t>(0, s.index_entry_frame(guess));
        else {
          ++decode_errors_;
          continue;
        }
      }
      if (!keyed) {
        if (!key) continue;  // after a seek: frames before the first keyframe are not trustworthy
        if (index > from) {  // landed too late
          restart = true;
          return;
        }
        keyed = true;
      }
      // After a seek, an error up to the first frame wanted means the container's "keyframe" was
      // none (an MP4 without a sync-sample table marks every frame as one): start earlier, at
      // worst from the very start.
      if (starts[attempt] != 0 && index <= from && (corrupt || pending_error) && attempt + 1 < starts.size()) {
        restart = true;
        return;
      }
      // A frame without a time numbered by the count where frames are lost: a damaged stream.
      if (numbered_by_count && index <= last) {
        pending_error = true;
        continue;
      }
      // Frames whose times round to one frame number (a rate above the average) are all scored,
      // each against the one before, as PySceneDetect does; a time going back is not a new frame.
      if (index < last) continue;
      if (end >= 0 && index >= end) {
        stop = true;
        return;
      }
      // Frame numbers skipped: after a decode error, lost frames; without one, a gap in the
      // timestamps (lost packets, a variable frame rate, an AVI's dropped-frame entries), which
      // PySceneDetect numbers the same way.
      if (last >= 0 && index > last + 1)
        note_damage(last + 1, index - 1, pending_error || corrupt ? "frames missing (undecodable)" : "no frame has these timestamps");
      if (corrupt || pending_error) note_damage(index, index, "decoded with errors");
      pending_error = false;
      last = index;
      if (index >= from) {
        next = index + 1;
        if (!hand_over(index)) stop = true;
      }
      if (stop) return;
    }
  };

  bool flushing = false;
  try {
  while (!stop) {
    if (!flushing) {
      int rc = av_read_frame(s.format, s.packet);
      if (rc < 0) {
        flushing = true;
        avcodec_send_packet(s.codec, nullptr);
      } else {
        if (s.packet->stream_index == s.stream) {
          // A damaged container (MPEG-TS continuity errors) flags the packets it reassembled.
          if (s.packet->flags & AV_PKT_FLAG_CORRUPT) pending_error = true;
          s.give_palette(s.packet);
          rc = avcodec_send_packet(s.codec, s.packet);
          if (rc < 0 && rc != AVERROR(EAGAIN)) {
            ++decode_errors_;
            pending_error = true;
          }
        }
        av_packet_unref(s.packet);
      }
    }
    take();
    // The end came before any trustworthy frame: the seek landed too late too.
    if (flushing && !keyed && attempt + 1 < starts.size()) restart = true;
    if (restart) {
      restart = false;
      flushing = false;
      s.seek(starts[++attempt]);
      keyed = starts[attempt] == 0;
      counted = keyed ? 0 : -1;
      last = -1;
      continue;
    }
    if (flushing) break;
  }
  } catch (...) {
    finish_consumer();
    throw;
  }
  finish_consumer();
  if (consumer_error) std::rethrow_exception(consumer_error);
  return next;
}

}  // namespace kb::scene
