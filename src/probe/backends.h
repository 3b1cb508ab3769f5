// What each acceleration backend needs on an ffmpeg command line: encoder names, device setup,
// hardware decoding, and the quality settings that stand in for QSV's global_quality 18.
// Shared by the probe (test encodes) and media/ (benchmark commands). docs/backends.md explains
// the choices.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kb::probe {

enum class Backend { qsv, vaapi, nvenc, amf, cpu };
enum class Codec { h264, hevc, av1, vp9 };

inline constexpr Backend kAllBackends[] = {Backend::qsv, Backend::vaapi, Backend::nvenc, Backend::amf, Backend::cpu};
inline constexpr Codec kAllCodecs[] = {Codec::h264, Codec::hevc, Codec::av1, Codec::vp9};

std::string_view to_string(Backend b);
std::string_view to_string(Codec c);
std::optional<Backend> parse_backend(std::string_view name);
std::optional<Codec> parse_codec(std::string_view name);

// "h264_qsv", "hevc_vaapi", "av1_nvenc", "libx264", "libsvtav1"... nullopt if the backend has none
// (e.g. vp9 on NVENC).
std::optional<std::string> encoder_name(Backend b, Codec c);

// Arguments before -i that select the device and set up the hardware context.
std::vector<std::string> device_args(Backend b, const std::string& device);
// Arguments before -i for hardware decoding of `codec` input (the seed decodes HEVC on the GPU),
// or the forced software decoder. Empty device means the default.
std::vector<std::string> decoder_args(Backend b, Codec input, bool hardware_decode, const std::string& device);
// A filter chain that gets software frames to the encoder ("" if none is needed).
std::string upload_filter(Backend b, bool hardware_decoded, bool ten_bit);
// Encoder rate control and preset standing in for QSV "-preset fast -global_quality 18".
std::vector<std::string> quality_args(Backend b, Codec c, bool ten_bit);

}  // namespace kb::probe

namespace kb::probe {

// What one part of a split encode is encoded with: the same for every part of an output.
struct PartQuality {
  int quality = -1;        // the family's own scale (crf, cq, global_quality, qp); -1: the family's default
  std::string preset;      // "" : the family's default
  int threads = 0;         // CPU encoders: threads per part (0: the encoder decides)
  bool ten_bit = false;
};
// The family's default quality (x264 crf 23, x265 crf 28, NVENC cq 23, QSV 23, VAAPI/AMF qp 23).
int default_part_quality(Backend b, Codec c);
// The encoder options that make parts joinable without re-encoding (docs/encode.md): each part a
// closed stream starting with an IDR picture, headers identical for every part of the family —
// x264's stitchable headers, x265 without open GOP, forced IDR on NVENC/QSV, fixed GOP and
// B-frames on the hardware encoders. Arguments after `-c:v ENCODER`.
std::vector<std::string> stitchable_args(Backend b, Codec c, const PartQuality& q);

}  // namespace kb::probe
