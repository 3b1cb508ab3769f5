// The last stage of a split encode, the same on this machine and in the cluster's join Job: the
// audio track (re-encoded once for the whole file, or copied from the source by the join), the
// join of every part without re-encoding, one decode of the output compared with the source
// (frames, duration, audio samples, decode errors), and only then the output in place.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "encode/prepare.h"

namespace kb::encode {

struct AudioTrack {
  bool present = false;  // the output carries audio
  bool encode = false;   // re-encoded into the work directory first (else copied by the join)
  bool reused = false;   // that re-encode is there from an earlier run
  std::string key;
};
// What the plan's audio mode asks for, and whether an earlier run's track can be reused.
AudioTrack audio_track(const PreparedEncode& prepared, const WorkDirectory& work);
// Re-encodes the audio into the work directory. CheckFailed with ffmpeg's reason.
void encode_audio(const PreparedEncode& prepared, const WorkDirectory& work, AudioTrack& track, const std::string& ffmpeg);

struct JoinResult {
  nlohmann::json verification;  // frames, duration, audio samples: the output's and the source's
  std::int64_t bytes = 0;
  int in_band_parts = 0;  // mixed encoders: parts that carry their own parameter sets
  double join_s = 0, verify_s = 0;
};
// Joins the committed parts into the output (written beside it, renamed when verified).
// CheckFailed when it does not verify (no output; the work directory is the caller's to keep).
JoinResult join_and_verify(const PreparedEncode& prepared, const WorkDirectory& work, const AudioTrack& audio, const EncodeEvents& events);

}  // namespace kb::encode
