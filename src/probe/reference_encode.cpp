#include "probe/reference_encode.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/interrupt.h"
#include "core/error.h"
#include "core/process.h"
#include "core/text.h"

namespace kb::probe {

std::vector<std::string> reference_command(const FfmpegInfo& ffmpeg, const ReferenceEncode& r, long frames) {
  const auto encoder = encoder_name(r.backend, r.codec);
  if (!encoder) throw UsageError(std::string(to_string(r.backend)) + " has no " + std::string(to_string(r.codec)) + " encoder");
  std::vector<std::string> argv = {ffmpeg.path.string(), "-nostdin", "-hide_banner", "-nostats", "-v", "error"};
  const auto dev = device_args(r.backend, r.device);
  argv.insert(argv.end(), dev.begin(), dev.end());
  const std::string size = std::to_string(r.width) + "x" + std::to_string(r.height);
  argv.insert(argv.end(), {"-f", "lavfi", "-i", "testsrc2=size=" + size + ":rate=30:duration=1,format=yuv420p,loop=loop=-1:size=30:start=0"});
  argv.insert(argv.end(), {"-frames:v", std::to_string(frames)});
  const auto upload = upload_filter(r.backend, false, false);
  if (!upload.empty()) argv.insert(argv.end(), {"-vf", upload});
  argv.insert(argv.end(), {"-c:v", *encoder});
  PartQuality q;
  q.threads = r.threads;
  const auto recipe = stitchable_args(r.backend, r.codec, q);
  argv.insert(argv.end(), recipe.begin(), recipe.end());
  argv.insert(argv.end(), {"-f", "null", "-"});
  return argv;
}

namespace {

struct Timed {
  ProcessResult result;
  std::string reason;
};

Timed run_timed(const FfmpegInfo& ffmpeg, const ReferenceEncode& r, long frames, std::chrono::milliseconds limit) {
  ProcessSpec spec;
  spec.argv = reference_command(ffmpeg, r, frames);
  spec.stdout_mode = OutputMode::discard;
  spec.timeout = limit;
  Timed t{run_process(spec), ""};
  if (t.result.interrupted) throw Interrupted();
  if (!t.result.ok()) {
    t.reason = ffmpeg_error_reason(t.result.stderr_text);
    if (t.reason.empty()) t.reason = t.result.describe();
  }
  return t;
}

}  // namespace

ReferenceResult reference_encode(const FfmpegInfo& ffmpeg, const ReferenceEncode& r) {
  const double budget = std::max(0.2, std::chrono::duration<double>(r.budget).count());
  // A short run first: start-up plus a few frames (fewer for big pictures, where a slow software
  // encoder may take seconds per frame).
  const long short_frames = r.width * r.height > 1920 * 1080 ? 4 : 15;
  const auto limit = std::chrono::milliseconds(static_cast<long>(budget * 20000) + 30000);
  auto first = run_timed(ffmpeg, r, short_frames, limit);
  ReferenceResult out;
  if (!first.reason.empty()) {
    out.reason = first.reason;
    return out;
  }
  const double t1 = first.result.wall_seconds;
  if (t1 >= budget) {  // too slow for a second run within the budget: start-up included
    out.ok = true;
    out.fps = static_cast<double>(short_frames) / t1;
    return out;
  }
  const long frames = std::clamp<long>(std::lround(static_cast<double>(short_frames) / t1 * budget), 2 * short_frames, 100000);
  auto second = run_timed(ffmpeg, r, frames, limit);
  if (!second.reason.empty()) {
    out.reason = second.reason;
    return out;
  }
  const double t2 = second.result.wall_seconds;
  out.ok = true;
  out.fps = t2 > t1 ? static_cast<double>(frames - short_frames) / (t2 - t1) : static_cast<double>(frames) / t2;
  return out;
}

std::vector<std::string> encoder_options(const FfmpegInfo& ffmpeg, const std::string& name) {
  ProcessSpec spec;
  spec.argv = {ffmpeg.path.string(), "-hide_banner", "-h", "encoder=" + name};
  spec.timeout = std::chrono::seconds(20);
  auto r = run_process(spec);
  std::vector<std::string> options;
  std::istringstream lines(r.stdout_text);
  for (std::string line; std::getline(lines, line);) {
    // "  -forced-idr        <boolean>    E..V....... If forcing keyframes, force them as IDR frames."
    auto t = trim(line);
    if (t.size() < 2 || t[0] != '-' || line.find("  -") != 0) continue;
    auto end = t.find_first_of(" \t");
    options.emplace_back(t.substr(1, end == std::string_view::npos ? std::string_view::npos : end - 1));
  }
  return options;
}

std::vector<std::string> stitchable_option_names(Backend b, Codec c) {
  switch (b) {
    case Backend::cpu:
      switch (c) {
        case Codec::h264: return {"x264-params"};
        case Codec::hevc: return {"x265-params"};
        case Codec::av1: return {"svtav1-params"};
        case Codec::vp9: return {};
      }
      return {};
    case Backend::nvenc: return {"forced-idr"};
    case Backend::qsv: return {"forced_idr", "idr_interval"};
    case Backend::vaapi: return {"idr_interval"};
    case Backend::amf: return {"header_insertion_mode"};
  }
  return {};
}

}  // namespace kb::probe
