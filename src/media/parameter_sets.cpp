#include "media/parameter_sets.h"

namespace kb::media {

namespace {

// A bounds-checked reader over the record.
struct Reader {
  const std::uint8_t* data;
  int size, at = 0;
  bool ok = true;
  int byte() {
    if (at + 1 > size) return ok = false, 0;
    return data[at++];
  }
  int u16() {
    const int hi = byte();
    return (hi << 8) | byte();
  }
  std::string bytes(int n) {
    if (n < 0 || at + n > size) return ok = false, std::string();
    std::string s(reinterpret_cast<const char*>(data + at), static_cast<size_t>(n));
    at += n;
    return s;
  }
};

}  // namespace

std::optional<ParameterSets> parse_parameter_sets(const std::string& codec, const std::uint8_t* data, int size) {
  if (!data || size < 7 || data[0] != 1) return std::nullopt;  // version 1; Annex B starts with 0
  Reader r{data, size};
  ParameterSets sets;
  if (codec == "h264") {
    r.at = 4;
    sets.length_size = (r.byte() & 3) + 1;
    const int sps = r.byte() & 0x1f;
    for (int i = 0; i < sps && r.ok; ++i) sets.nals.push_back(r.bytes(r.u16()));
    const int pps = r.byte();
    for (int i = 0; i < pps && r.ok; ++i) sets.nals.push_back(r.bytes(r.u16()));
  } else if (codec == "hevc") {
    if (size < 23) return std::nullopt;
    r.at = 21;
    sets.length_size = (r.byte() & 3) + 1;
    const int arrays = r.byte();
    for (int a = 0; a < arrays && r.ok; ++a) {
      r.byte();  // completeness and NAL unit type
      const int count = r.u16();
      for (int i = 0; i < count && r.ok; ++i) sets.nals.push_back(r.bytes(r.u16()));
    }
  } else {
    return std::nullopt;
  }
  if (!r.ok || sets.nals.empty()) return std::nullopt;
  return sets;
}

std::string length_prefixed(const ParameterSets& sets, int length_size) {
  std::string out;
  for (auto& nal : sets.nals) {
    for (int shift = 8 * (length_size - 1); shift >= 0; shift -= 8) out.push_back(static_cast<char>((nal.size() >> shift) & 0xff));
    out += nal;
  }
  return out;
}

}  // namespace kb::media
