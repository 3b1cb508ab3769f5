#include "probe/backends.h"

namespace kb::probe {

std::string_view to_string(Backend b) {
  switch (b) {
    case Backend::qsv: return "qsv";
    case Backend::vaapi: return "vaapi";
    case Backend::nvenc: return "nvenc";
    case Backend::amf: return "amf";
    case Backend::cpu: return "cpu";
  }
  return "cpu";
}

std::string_view to_string(Codec c) {
  switch (c) {
    case Codec::h264: return "h264";
    case Codec::hevc: return "hevc";
    case Codec::av1: return "av1";
    case Codec::vp9: return "vp9";
  }
  return "h264";
}

std::optional<Backend> parse_backend(std::string_view name) {
  for (auto b : kAllBackends)
    if (to_string(b) == name) return b;
  return std::nullopt;
}

std::optional<Codec> parse_codec(std::string_view name) {
  for (auto c : kAllCodecs)
    if (to_string(c) == name) return c;
  return std::nullopt;
}

std::optional<std::string> encoder_name(Backend b, Codec c) {
  if (b == Backend::cpu) {
    switch (c) {
      case Codec::h264: return "libx264";
      case Codec::hevc: return "libx265";
      case Codec::av1: return "libsvtav1";
      case Codec::vp9: return "libvpx-vp9";
    }
  }
  // NVENC and AMF have no VP9 encoder.
  if (c == Codec::vp9 && (b == Backend::nvenc || b == Backend::amf)) return std::nullopt;
  return std::string(to_string(c)) + "_" + std::string(to_string(b));
}

std::vector<std::string> device_args(Backend b, const std::string& device) {
  switch (b) {
    case Backend::qsv:
      // Without a device the seed's behaviour: the runtime picks (normally renderD128).
      if (device.empty()) return {};
      return {"-init_hw_device", "qsv=hw:hw,child_device=" + device};
    case Backend::vaapi:
      return {"-vaapi_device", device.empty() ? "/dev/dri/renderD128" : device};
    case Backend::nvenc:
    case Backend::amf:
    case Backend::cpu:
      return {};
  }
  return {};
}

std::vector<std::string> decoder_args(Backend b, Codec input, bool hardware_decode, const std::string& device) {
  std::string sw = input == Codec::hevc ? "hevc" : std::string(to_string(input));
  if (!hardware_decode) return {"-c:v", sw};
  switch (b) {
    case Backend::qsv:
      if (device.empty()) return {"-c:v", sw + "_qsv"};
      return {"-qsv_device", device, "-c:v", sw + "_qsv"};
    case Backend::vaapi:
      return {"-hwaccel", "vaapi", "-hwaccel_output_format", "vaapi"};
    case Backend::nvenc:
      if (device.empty()) return {"-hwaccel", "cuda", "-hwaccel_output_format", "cuda"};
      return {"-hwaccel", "cuda", "-hwaccel_device", device, "-hwaccel_output_format", "cuda"};
    case Backend::amf:
      // AMF on Linux decodes through VAAPI and hands the encoder system-memory frames.
      if (device.empty()) return {"-hwaccel", "vaapi"};
      return {"-hwaccel", "vaapi", "-hwaccel_device", device};
    case Backend::cpu:
      return {"-c:v", sw};
  }
  return {"-c:v", sw};
}

std::string upload_filter(Backend b, bool hardware_decoded, bool ten_bit) {
  if (b == Backend::vaapi && !hardware_decoded) return ten_bit ? "format=p010,hwupload" : "format=nv12,hwupload";
  return "";
}

std::vector<std::string> quality_args(Backend b, Codec c, bool ten_bit) {
  switch (b) {
    case Backend::qsv: {
      // Exactly the seed's settings; look_ahead exists for h264_qsv only upstream.
      std::vector<std::string> a = {"-preset", "fast", "-global_quality", "18"};
      if (c == Codec::h264) a.insert(a.end(), {"-look_ahead", "1"});
      return a;
    }
    case Backend::vaapi:
      // Constant QP 18: the quality mode every VAAPI driver (iHD, Mesa) implements.
      return {"-rc_mode", "CQP", "-qp", "18"};
    case Backend::nvenc: {
      std::vector<std::string> a = {"-preset", "p4", "-tune", "hq", "-rc", "vbr", "-cq", "18", "-b:v", "0"};
      if (ten_bit && c == Codec::hevc) a.insert(a.end(), {"-profile:v", "main10"});
      return a;
    }
    case Backend::amf:
      return {"-quality", "speed", "-rc", "cqp", "-qp_i", "18", "-qp_p", "18"};
    case Backend::cpu:
      switch (c) {
        case Codec::h264: return {"-preset", "fast", "-crf", "18"};
        case Codec::hevc: {
          std::vector<std::string> a = {"-preset", "fast", "-crf", "18", "-x265-params", "log-level=error"};
          if (ten_bit) a.insert(a.end(), {"-pix_fmt", "yuv420p10le"});
          return a;
        }
        case Codec::av1: return {"-preset", "8", "-crf", "18"};
        case Codec::vp9: return {"-deadline", "good", "-cpu-used", "4", "-row-mt", "1", "-crf", "18", "-b:v", "0"};
      }
  }
  return {};
}

}  // namespace kb::probe

namespace kb::probe {

int default_part_quality(Backend b, Codec c) {
  if (b == Backend::cpu && c == Codec::hevc) return 28;
  if (b == Backend::cpu && (c == Codec::av1 || c == Codec::vp9)) return 32;
  return 23;
}

std::vector<std::string> stitchable_args(Backend b, Codec c, const PartQuality& q) {
  const std::string quality = std::to_string(q.quality >= 0 ? q.quality : default_part_quality(b, c));
  auto preset = [&](const std::string& fallback) { return q.preset.empty() ? fallback : q.preset; };
  // Hardware encoders: a fixed GOP and B-frame count, so no part's headers depend on its content.
  const std::vector<std::string> fixed_gop = {"-g", "120", "-bf", "2"};
  std::vector<std::string> a;
  switch (b) {
    case Backend::cpu:
      switch (c) {
        case Codec::h264:
          // stitchable=1: "don't optimize headers based on video content" (x264 --stitchable).
          a = {"-preset", preset("medium"), "-crf", quality, "-x264-params", "stitchable=1"};
          break;
        case Codec::hevc:
          // x265 opens GOPs by default (CRA keyframes whose leading pictures need the previous part).
          a = {"-preset", preset("medium"), "-crf", quality, "-x265-params", "open-gop=0:log-level=error"};
          break;
        case Codec::av1:
          a = {"-preset", preset("8"), "-crf", quality, "-svtav1-params", "irefresh-type=2"};
          break;
        case Codec::vp9:
          a = {"-deadline", "good", "-cpu-used", preset("4"), "-row-mt", "1", "-crf", quality, "-b:v", "0"};
          break;
      }
      if (q.threads > 0) a.insert(a.end(), {"-threads", std::to_string(q.threads)});
      if (q.ten_bit && c == Codec::hevc) a.insert(a.end(), {"-pix_fmt", "yuv420p10le"});
      return a;
    case Backend::nvenc:
      a = {"-preset", preset("p4"), "-tune", "hq", "-rc", "vbr", "-cq", quality, "-b:v", "0", "-forced-idr", "1"};
      a.insert(a.end(), fixed_gop.begin(), fixed_gop.end());
      if (q.ten_bit && c == Codec::hevc) a.insert(a.end(), {"-profile:v", "main10"});
      return a;
    case Backend::qsv:
      a = {"-preset", preset("medium"), "-global_quality", quality, "-forced_idr", "1", "-idr_interval", "0", "-flags", "+cgop"};
      if (c == Codec::h264) a.insert(a.end(), {"-look_ahead", "0"});
      a.insert(a.end(), fixed_gop.begin(), fixed_gop.end());
      return a;
    case Backend::vaapi:
      a = {"-rc_mode", "CQP", "-qp", quality, "-idr_interval", "0", "-flags", "+cgop"};
      a.insert(a.end(), fixed_gop.begin(), fixed_gop.end());
      return a;
    case Backend::amf:
      a = {"-quality", preset("balanced"), "-rc", "cqp", "-qp_i", quality, "-qp_p", quality, "-qp_b", quality,
           "-header_insertion_mode", "idr"};
      a.insert(a.end(), fixed_gop.begin(), fixed_gop.end());
      return a;
  }
  return a;
}

}  // namespace kb::probe
