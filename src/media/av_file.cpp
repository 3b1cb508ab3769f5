#include "media/av_file.h"

#include "core/error.h"

namespace kb::media {

std::string av_error_text(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, buf, sizeof buf);
  return buf;
}

FormatInput open_input(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw ParseError(path.string() + ": no such file");
  AVFormatContext* raw = nullptr;
  int rc = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);
  if (rc < 0) throw ParseError(path.string() + ": not a readable video: " + av_error_text(rc));
  FormatInput input(raw);
  rc = avformat_find_stream_info(input.get(), nullptr);
  if (rc < 0) throw ParseError(path.string() + ": cannot read stream info: " + av_error_text(rc));
  return input;
}

Packet new_packet() {
  Packet p(av_packet_alloc());
  if (!p) throw std::bad_alloc();
  return p;
}

Frame new_frame() {
  Frame f(av_frame_alloc());
  if (!f) throw std::bad_alloc();
  return f;
}

CodecContext open_decoder(const AVFormatContext* input, int index, int threads, const std::filesystem::path& path) {
  const AVCodecParameters* par = input->streams[index]->codecpar;
  const AVCodec* codec = avcodec_find_decoder(par->codec_id);
  if (!codec) throw ParseError(path.string() + ": no decoder for " + avcodec_get_name(par->codec_id));
  CodecContext ctx(avcodec_alloc_context3(codec));
  if (!ctx) throw std::bad_alloc();
  avcodec_parameters_to_context(ctx.get(), par);
  ctx->pkt_timebase = input->streams[index]->time_base;
  ctx->thread_count = threads;
  int rc = avcodec_open2(ctx.get(), codec, nullptr);
  if (rc < 0) throw ParseError(path.string() + ": cannot open the " + avcodec_get_name(par->codec_id) + " decoder: " + av_error_text(rc));
  return ctx;
}

}  // namespace kb::media
