// `kubench encode` on this machine: read the source, find its scene cuts (or split at fixed
// lengths), plan the parts, encode them `jobs` at a time (longest first, so the last to finish
// is short), the audio once, join, decode the output once to verify it, and only then put it in
// place. The work directory keeps every checked part: a rerun redoes only what is missing or
// damaged. Progress (parts done, fps, ETA) through the events.
#pragma once
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "encode/part_plan.h"
#include "probe/backends.h"
#include "scene/detectors.h"
#include "scene/video_reader.h"

namespace kb::encode {

struct EncodeRequest {
  std::filesystem::path input, output;
  std::filesystem::path work_dir;  // empty: OUTPUT.kubench-work beside the output
  bool force = false;              // replace an existing output
  bool keep_work = false;          // keep the work directory after success
  int jobs = 1;                    // parts encoded at once
  SplitRule split;
  scene::DetectorSettings detector;
  scene::DecodeOptions decode;     // for the scene detection pass
  probe::Backend backend = probe::Backend::cpu;
  bool auto_backend = false;       // choose from the capability matrix at `capabilities` (encode/local_choice.h)
  std::filesystem::path capabilities;
  probe::Codec codec = probe::Codec::h264;
  std::string device;
  probe::PartQuality quality;
  std::string audio = "copy";      // copy | aac:BITRATE | none
  std::string ffmpeg;              // explicit ffmpeg; "" : PATH
  int attempts = 3;                // per part
  bool dry_run = false;            // plan only: the parts and the command of each, nothing written
};

struct EncodeEvents {
  std::function<void(const std::string&)> progress;  // one line, rewritten
  std::function<void(const std::string&)> note;      // worth keeping (reused parts, retries)
};

// The UsageError for an output that exists without --force, an input that is the output, or an
// output name without a muxer; checked before any work.
void check_encode_paths(const EncodeRequest& request);

// The kubench/encode/v1 report (kubench/encode-plan/v1 with dry_run). ParseError (exit 2) for an input that is not a constant-rate
// video; CheckFailed (exit 1) for a part that fails every attempt or an output that does not
// verify (no output written, work directory kept); Interrupted (130), work directory kept.
nlohmann::json run_encode_locally(const EncodeRequest& request, const EncodeEvents& events);

// What the user reads: the plan in brief, the parts, the verification and the timings.
std::string render_encode_report(const nlohmann::json& report);

}  // namespace kb::encode
