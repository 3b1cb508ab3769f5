// The benchmark matrix (the seed's tests, in its run order) and the ffmpeg command for each.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "media/clips.h"
#include "probe/backends.h"

namespace kb::media {

struct TestDef {
  std::string id;        // "h264_1080p"
  ClipFormat clip;
  bool hw_decode;        // the seed decodes HEVC on the GPU, H.264 in software
  probe::Codec output;
  bool ten_bit;
  bool experimental;     // vp9/av1: only where the encoder passed its probe
  bool cpu_baseline;     // h264_1080p_cpu: libx264 whatever the backend
};

const std::vector<TestDef>& test_matrix();
const TestDef* find_test(const std::string& id);

struct EncodeCommand {
  std::vector<std::string> argv;
  std::string backend;
  std::string encoder;
  std::string decoder;
};

// ffmpeg reads `clip`, encodes with the backend's settings and muxes to /dev/null (so the output
// size is measured), writing -progress to descriptor 3.
EncodeCommand build_encode_command(const TestDef& test, probe::Backend backend, const std::string& device,
                                   const std::filesystem::path& ffmpeg, const std::filesystem::path& clip);

}  // namespace kb::media
