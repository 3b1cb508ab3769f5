// Runs one ffmpeg encode as a child: -progress parsed from descriptor 3, stderr to its own log.
#pragma once
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/process.h"
#include "media/ffmpeg_progress.h"

namespace kb::media {

struct EncodeOutcome {
  ProcessResult process;
  FfmpegProgress progress;  // the last complete -progress block
};

using EncodeProgress = std::function<void(const FfmpegProgress&)>;

// A started encode; several can run at once (concurrency levels).
class Encode {
 public:
  Encode(const std::vector<std::string>& argv, const std::filesystem::path& log, std::chrono::milliseconds timeout);
  EncodeOutcome wait(const EncodeProgress& on_progress = {});

 private:
  std::unique_ptr<ChildProcess> child_;
};

EncodeOutcome run_encode(const std::vector<std::string>& argv, const std::filesystem::path& log,
                         std::chrono::milliseconds timeout, const EncodeProgress& on_progress = {});

}  // namespace kb::media
