#include "media/encode_runner.h"

namespace kb::media {

Encode::Encode(const std::vector<std::string>& argv, const std::filesystem::path& log, std::chrono::milliseconds timeout) {
  ProcessSpec spec;
  spec.argv = argv;
  spec.line_fd = 3;
  spec.stdout_mode = OutputMode::discard;
  spec.stderr_mode = OutputMode::file;
  spec.stderr_path = log;
  spec.timeout = timeout;
  child_ = std::make_unique<ChildProcess>(spec);
}

EncodeOutcome Encode::wait(const EncodeProgress& on_progress) {
  ProgressParser parser;
  EncodeOutcome out;
  out.process = child_->wait([&](std::string_view line) {
    if (parser.feed(line) && on_progress) on_progress(parser.latest());
  });
  out.progress = parser.latest();
  return out;
}

EncodeOutcome run_encode(const std::vector<std::string>& argv, const std::filesystem::path& log,
                         std::chrono::milliseconds timeout, const EncodeProgress& on_progress) {
  Encode encode(argv, log, timeout);
  return encode.wait(on_progress);
}

}  // namespace kb::media
