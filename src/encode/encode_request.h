// What `kubench encode` is asked to do, wherever it runs (this machine, or the cluster's pods),
// and how it reports progress.
#pragma once
#include <filesystem>
#include <functional>
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
  bool allow_mixed = false;        // parts may come from different encoder families (--kube)
};

struct EncodeEvents {
  std::function<void(const std::string&)> progress;  // one line, rewritten
  std::function<void(const std::string&)> note;      // worth keeping (reused parts, retries)
};

}  // namespace kb::encode
