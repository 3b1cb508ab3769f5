// libavformat input files with ownership and one-line errors, for the readers in media/ that work
// on packets and frames (source_info, stream_join, decode_check).
#pragma once
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

#include <filesystem>
#include <memory>
#include <string>

namespace kb::media {

std::string av_error_text(int code);

struct FormatCloser {
  void operator()(AVFormatContext* c) const { avformat_close_input(&c); }
};
struct PacketFree {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct FrameFree {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct CodecFree {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
using FormatInput = std::unique_ptr<AVFormatContext, FormatCloser>;
using Packet = std::unique_ptr<AVPacket, PacketFree>;
using Frame = std::unique_ptr<AVFrame, FrameFree>;
using CodecContext = std::unique_ptr<AVCodecContext, CodecFree>;

// Opens `path` and reads its stream information. ParseError "PATH: no such file" / "PATH: not a
// readable video: REASON".
FormatInput open_input(const std::filesystem::path& path);
Packet new_packet();
Frame new_frame();
// A decoder for stream `index` (threads 0: as many as libavcodec likes). ParseError naming the file.
CodecContext open_decoder(const AVFormatContext* input, int index, int threads, const std::filesystem::path& path);

}  // namespace kb::media
