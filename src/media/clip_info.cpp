#include "media/clip_info.h"

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/pixdesc.h>
}

#include <cmath>
#include <memory>

#include "core/error.h"
#include "media/av_file.h"

namespace kb::media {

ClipInfo read_clip_info(const std::filesystem::path& path) {
  auto ctx = open_input(path);
  int index = av_find_best_stream(ctx.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (index < 0) throw ParseError(path.string() + ": no video stream");
  const AVStream* st = ctx->streams[index];
  const AVCodecParameters* par = st->codecpar;

  ClipInfo info;
  info.codec = avcodec_get_name(par->codec_id);
  info.width = par->width;
  info.height = par->height;
  if (auto* desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(par->format))) info.bit_depth = desc->comp[0].depth;
  AVRational rate = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
  info.frame_rate = rate.den > 0 ? av_q2d(rate) : 0;
  if (ctx->duration > 0) info.duration_seconds = static_cast<double>(ctx->duration) / AV_TIME_BASE;
  else if (st->duration > 0) info.duration_seconds = static_cast<double>(st->duration) * av_q2d(st->time_base);
  info.frames = st->nb_frames > 0 ? st->nb_frames : std::llround(info.duration_seconds * info.frame_rate);
  std::error_code ec;
  info.bytes = static_cast<long long>(std::filesystem::file_size(path, ec));
  if (ctx->bit_rate > 0) info.bitrate_kbps = static_cast<double>(ctx->bit_rate) / 1000.0;
  else if (info.duration_seconds > 0) info.bitrate_kbps = static_cast<double>(info.bytes) * 8 / 1000.0 / info.duration_seconds;
  return info;
}

}  // namespace kb::media
