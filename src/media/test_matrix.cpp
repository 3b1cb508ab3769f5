#include "media/test_matrix.h"

namespace kb::media {

using probe::Backend;
using probe::Codec;

const std::vector<TestDef>& test_matrix() {
  static const std::vector<TestDef> tests = {
      {"h264_1080p_cpu", ClipFormat::h264_1080p, false, Codec::h264, false, false, true},
      {"h264_1080p", ClipFormat::h264_1080p, false, Codec::h264, false, false, false},
      {"h264_4k", ClipFormat::h264_4k, false, Codec::h264, false, false, false},
      {"hevc_8bit", ClipFormat::hevc_1080p_8bit, true, Codec::hevc, false, false, false},
      {"hevc_4k_10bit", ClipFormat::hevc_4k_10bit, true, Codec::hevc, true, false, false},
      {"vp9_1080p", ClipFormat::h264_1080p, false, Codec::vp9, false, true, false},
      {"av1_1080p", ClipFormat::h264_1080p, false, Codec::av1, false, true, false},
  };
  return tests;
}

const TestDef* find_test(const std::string& id) {
  for (auto& t : test_matrix())
    if (t.id == id) return &t;
  return nullptr;
}

EncodeCommand build_encode_command(const TestDef& test, Backend backend, const std::string& device,
                                   const std::filesystem::path& ffmpeg, const std::filesystem::path& clip) {
  EncodeCommand cmd;
  Backend effective = test.cpu_baseline ? Backend::cpu : backend;
  cmd.backend = std::string(probe::to_string(effective));
  auto& a = cmd.argv;
  a = {ffmpeg.string(), "-hide_banner", "-nostdin", "-nostats", "-y", "-progress", "pipe:3"};
  Codec input = clip_spec(test.clip).hevc ? Codec::hevc : Codec::h264;
  bool hw_decode = test.hw_decode && effective != Backend::cpu;
  auto dev = probe::device_args(effective, device);
  a.insert(a.end(), dev.begin(), dev.end());
  auto dec = probe::decoder_args(effective, input, hw_decode, device);
  a.insert(a.end(), dec.begin(), dec.end());
  for (size_t i = 0; i + 1 < dec.size(); ++i)
    if (dec[i] == "-c:v") cmd.decoder = dec[i + 1];
    else if (dec[i] == "-hwaccel") cmd.decoder = std::string(probe::to_string(input)) + " (" + dec[i + 1] + ")";
  a.insert(a.end(), {"-i", clip.string(), "-c:a", "copy"});
  if (auto vf = probe::upload_filter(effective, hw_decode, test.ten_bit); !vf.empty()) a.insert(a.end(), {"-vf", vf});
  if (test.cpu_baseline) {
    // The seed's baseline: "-c:v h264 -preset fast" picks libx264 at its default CRF 23 (the
    // seed's -global_quality/-look_ahead do not apply to libx264).
    cmd.encoder = "libx264";
    a.insert(a.end(), {"-c:v", "libx264", "-preset", "fast"});
  } else {
    cmd.encoder = probe::encoder_name(effective, test.output).value_or("");
    a.insert(a.end(), {"-c:v", cmd.encoder});
    auto q = probe::quality_args(effective, test.output, test.ten_bit);
    a.insert(a.end(), q.begin(), q.end());
    if (effective == Backend::nvenc && !device.empty()) a.insert(a.end(), {"-gpu", device});
  }
  a.insert(a.end(), {"-f", "nut", "/dev/null"});
  return cmd;
}

}  // namespace kb::media
