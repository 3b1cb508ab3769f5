// Encodes one part into the work directory and proves it before anyone may use it: the part's own
// ffmpeg (media::build_part_command), then a packet check — exactly the planned number of frames,
// one per frame slot, a keyframe first, the family's parameter sets — then fsync, rename into
// place and the record. A part that fails is encoded again, up to `attempts` times, then the
// error names it ("part 12 (frames 540–584): 44 of 45 frames after 3 attempts").
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "encode/work_dir.h"
#include "media/source_info.h"
#include "probe/backends.h"

namespace kb::encode {

struct PartJob {
  media::SourceInfo source;
  Part part;
  std::string key;  // part_key() for the record
  std::string ffmpeg = "ffmpeg";
  probe::Backend backend = probe::Backend::cpu;
  probe::Codec codec = probe::Codec::h264;
  std::string device;
  probe::PartQuality quality;
  std::string node;      // where it ran, for the record
  int attempts = 3;
  // The parameter sets every part of the output must share ("" : whatever the first part has).
  std::string extradata_sha256;
};

// Frames encoded so far in the current attempt.
using PartProgress = std::function<void(std::int64_t frames)>;

// The record of the committed part. CheckFailed naming the part after the last attempt;
// Interrupted on Ctrl-C (the temporary file removed).
PartRecord encode_part(const WorkDirectory& work, const PartJob& job, const PartProgress& progress, std::string* extradata_sha256 = nullptr);

// "part 12 (frames 540–584)"
std::string describe_part(const Part& part);

}  // namespace kb::encode
