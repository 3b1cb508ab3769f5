// Joining encoded parts into one file without re-encoding, and the checks that make it safe.
//
// The concat demuxer shifts each file by its duration and silently passes parts that differ
// (docs/encode.md, "Joining"); this join instead maps every packet to its frame index within its
// part, writes pts = (part offset + index) frames and dts = (offset + decode position − reorder
// delay) frames in the source's exact frame duration, and interleaves the audio that was encoded
// once for the whole file. Parts must agree on codec, profile, level, size, pixel format and
// parameter sets (extradata), start with a keyframe, and hold each frame slot exactly once.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "media/source_info.h"

namespace kb::media {

struct PartStream {
  std::string codec;
  int profile = 0, level = 0, width = 0, height = 0;
  std::string pix_fmt;
  std::string extradata;         // the parameter sets out of band (avcC, hvcC)
  std::string extradata_sha256;
  std::int64_t frames = 0;       // packets, each a frame
  bool starts_with_keyframe = false;
  int reorder_delay = 0;         // frames a packet's decode position runs ahead of its display position
  std::int64_t first_pts = 0;    // the earliest timestamp: frame 0, in the stream's time base
  std::string problem;           // "" or why the part cannot be joined (frame 3 twice, frame 7 missing)
};

// Reads the part's packets only (no decoding). ParseError for an unreadable file.
PartStream inspect_part(const std::filesystem::path& part, Rational rate);
// "" when `b` can follow `a` in one stream; else what differs ("profile High vs Main"). With
// `mixed` (parts of different encoder families) profile, level and parameter sets may differ: the
// join carries each part's own in band.
std::string incompatible(const PartStream& a, const PartStream& b, bool mixed = false);

struct JoinInput {
  std::vector<std::filesystem::path> parts;  // in order
  Rational rate;
  std::optional<std::filesystem::path> audio;  // a file whose first audio stream is muxed (the source, or its one encode)
  double audio_offset_s = 0;  // the audio's time on the output's clock = its own time − this
  bool mixed = false;         // parts of different encoder families (see incompatible)
};

struct JoinReport {
  std::int64_t video_packets = 0, audio_packets = 0, bytes = 0;
  int in_band_parts = 0;  // parts whose own parameter sets were written in band (mixed)
};

// Writes `out` (the muxer from its extension: .mp4/.mov get +faststart, .mkv, .ts…) directly;
// the caller renames it into place. CheckFailed naming the part for incompatible or damaged parts;
// EnvironmentError for a write failure (disk full says so); nothing is left at `out` on failure.
JoinReport join_parts(const JoinInput& input, const std::filesystem::path& out, const std::string& format_from_name);

}  // namespace kb::media
