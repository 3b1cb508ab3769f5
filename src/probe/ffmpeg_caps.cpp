#include "probe/ffmpeg_caps.h"

#include <algorithm>
#include <cstdlib>
#include <unistd.h>

#include "core/error.h"
#include "core/process.h"
#include "core/text.h"

namespace kb::probe {
namespace fs = std::filesystem;

FfmpegInfo locate_ffmpeg(const std::string& explicit_path) {
  std::string wanted = explicit_path;
  if (wanted.empty()) {
    const char* env = std::getenv("KUBENCH_FFMPEG");
    if (env && *env) wanted = env;
  }
  auto found = find_executable(wanted.empty() ? "ffmpeg" : wanted);
  if (!found) {
    if (!wanted.empty()) throw EnvironmentError("ffmpeg not found at '" + wanted + "': check --ffmpeg / KUBENCH_FFMPEG");
    throw EnvironmentError("ffmpeg not found on PATH: install it (Debian/Ubuntu: sudo apt-get install ffmpeg) or pass --ffmpeg PATH");
  }
  FfmpegInfo info;
  info.path = *found;
  ProcessSpec spec;
  spec.argv = {found->string(), "-hide_banner", "-version"};
  spec.timeout = std::chrono::seconds(20);
  auto r = run_process(spec);
  if (!r.ok()) throw EnvironmentError(found->string() + " -version failed: " + r.describe());
  // "ffmpeg version 5.1.9-0+deb12u1 Copyright ..."
  auto first = split(r.stdout_text, '\n').front();
  auto words = split(first, ' ');
  if (words.size() >= 3 && words[1] == "version") info.version = words[2];
  else info.version = std::string(trim(first));
  return info;
}

std::vector<std::string> parse_codec_list(const std::string& listing) {
  // Lines look like " V....D libx264              libx264 H.264 ..." after a "------" separator.
  std::vector<std::string> names;
  bool body = false;
  for (auto& line : split(listing, '\n')) {
    auto t = trim(line);
    if (starts_with(t, "------")) {
      body = true;
      continue;
    }
    if (!body || t.empty()) continue;
    auto fields = split(t, ' ');
    std::vector<std::string> words;
    for (auto& f : fields)
      if (!f.empty()) words.push_back(f);
    if (words.size() >= 2) names.push_back(words[1]);
  }
  return names;
}

namespace {

ProcessResult run_ffmpeg(const FfmpegInfo& ffmpeg, std::vector<std::string> args) {
  ProcessSpec spec;
  spec.argv = {ffmpeg.path.string(), "-hide_banner", "-nostdin", "-loglevel", "error"};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.timeout = std::chrono::seconds(60);
  return run_process(spec);
}

std::vector<std::string> list_names(const FfmpegInfo& ffmpeg, const char* what) {
  ProcessSpec spec;
  spec.argv = {ffmpeg.path.string(), "-hide_banner", what};
  spec.timeout = std::chrono::seconds(20);
  auto r = run_process(spec);
  return parse_codec_list(r.stdout_text);
}

}  // namespace

std::string ffmpeg_error_reason(const std::string& stderr_text) {
  // ffmpeg follows the real cause with generic lines ("Error initializing output stream ...");
  // keep the first specific line, without its "[h264_qsv @ 0x55..] " prefix.
  static const char* generic[] = {"Error initializing output stream", "Error while opening encoder",
                                  "Error parsing global options", "Device setup failed", "Conversion failed",
                                  "Error while decoding stream", "Error while filtering"};
  std::string fallback;
  for (auto& raw : split(stderr_text, '\n')) {
    std::string line(trim(raw));
    if (line.empty()) continue;
    if (line.front() == '[') {
      auto close = line.find("] ");
      if (close != std::string::npos && line.find(" @ 0x") < close) line = line.substr(close + 2);
    }
    bool is_generic = std::any_of(std::begin(generic), std::end(generic), [&](const char* g) { return starts_with(line, g); });
    if (!is_generic) return line;
    if (fallback.empty()) fallback = line;
  }
  return fallback;
}

namespace {

std::string failure_reason(const ProcessResult& r) {
  auto why = ffmpeg_error_reason(r.stderr_text);
  return why.empty() ? "ffmpeg " + r.describe() : why;
}

bool listed(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

std::vector<CodecCheck> check_capabilities(const FfmpegInfo& ffmpeg, const CapabilityOptions& options) {
  auto encoders = list_names(ffmpeg, "-encoders");
  std::vector<CodecCheck> checks;
  for (auto b : options.backends) {
    for (auto c : kAllCodecs) {
      auto enc = encoder_name(b, c);
      if (!enc) continue;
      CodecCheck check{std::string(to_string(b)), std::string(to_string(c)), "encode", *enc, false, ""};
      if (!listed(encoders, *enc)) {
        check.reason = "not compiled into this ffmpeg";
        checks.push_back(check);
        continue;
      }
      // 640x480 for 10 frames: 64x64 probes fail on Arc even where the encoder works.
      std::vector<std::string> args = device_args(b, options.device);
      args.insert(args.end(), {"-f", "lavfi", "-i", "testsrc2=size=640x480:rate=30", "-frames:v", "10"});
      if (auto vf = upload_filter(b, false, false); !vf.empty()) args.insert(args.end(), {"-vf", vf});
      args.insert(args.end(), {"-c:v", *enc});
      auto q = quality_args(b, c, false);
      args.insert(args.end(), q.begin(), q.end());
      if (b == Backend::nvenc && !options.device.empty()) args.insert(args.end(), {"-gpu", options.device});
      args.insert(args.end(), {"-f", "null", "-"});
      auto r = run_ffmpeg(ffmpeg, args);
      if (r.interrupted) throw Interrupted();
      check.works = r.ok();
      if (!check.works) check.reason = failure_reason(r);
      checks.push_back(check);
    }
  }
  if (!options.decoders) return checks;

  // Hardware decoders need real H.264/HEVC input; make two tiny samples with software encoders.
  auto dir = fs::temp_directory_path() / ("kubench-probe-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{dir};
  std::vector<std::pair<Codec, std::string>> samples;
  for (auto [codec, enc] : {std::pair{Codec::h264, "libx264"}, std::pair{Codec::hevc, "libx265"}}) {
    if (!listed(encoders, enc)) continue;
    auto path = (dir / (std::string(to_string(codec)) + ".mkv")).string();
    auto r = run_ffmpeg(ffmpeg, {"-f", "lavfi", "-i", "testsrc2=size=640x480:rate=30", "-frames:v", "10", "-c:v", enc,
                                 "-preset", "ultrafast", "-x265-params", "log-level=error", path});
    if (r.ok()) samples.emplace_back(codec, path);
  }
  for (auto b : options.backends) {
    // AMF decodes through VAAPI on Linux: the vaapi rows cover it.
    if (b == Backend::cpu || b == Backend::amf) continue;
    for (auto& [codec, path] : samples) {
      auto args = decoder_args(b, codec, true, options.device);
      std::string name = b == Backend::qsv ? std::string(to_string(codec)) + "_qsv"
                                           : std::string(to_string(codec)) + " via " +
                                                 (b == Backend::nvenc ? "cuda (NVDEC)" : "vaapi");
      args.insert(args.end(), {"-i", path});
      // Download explicitly: if the hardware path silently fell back to software, this fails.
      if (b == Backend::vaapi || b == Backend::nvenc) args.insert(args.end(), {"-vf", "hwdownload,format=nv12"});
      args.insert(args.end(), {"-f", "null", "-"});
      auto r = run_ffmpeg(ffmpeg, args);
      if (r.interrupted) throw Interrupted();
      CodecCheck check{std::string(to_string(b)), std::string(to_string(codec)), "decode", name, r.ok(), ""};
      if (!check.works) check.reason = failure_reason(r);
      checks.push_back(check);
    }
  }
  return checks;
}

}  // namespace kb::probe
