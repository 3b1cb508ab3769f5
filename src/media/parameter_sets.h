// Parameter sets carried in band, for outputs whose parts come from different encoder families
// (`kubench encode --allow-mixed-encoders`): an MP4 or Matroska stream has one out-of-band record
// (avcC for H.264, hvcC for HEVC) — the first part's — so every later part whose parameter sets
// differ gets its own SPS/PPS (and VPS) written in front of its first picture, as decoders expect
// on a parameter-set change.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kb::media {

struct ParameterSets {
  int length_size = 4;            // bytes of each NAL unit's length prefix in the stream's packets
  std::vector<std::string> nals;  // VPS, SPS, PPS… as in the record
};

// From an avcC ("h264") or hvcC ("hevc") record; nullopt for another codec or a record that is
// not one (Annex B extradata, truncated data).
std::optional<ParameterSets> parse_parameter_sets(const std::string& codec, const std::uint8_t* data, int size);

// The NAL units each with its `length_size`-byte length in front: bytes to put before a packet.
std::string length_prefixed(const ParameterSets& sets, int length_size);

}  // namespace kb::media
