#include "media/clips.h"

#include <nlohmann/json.hpp>

#include <cstdlib>

#include "core/error.h"
#include "core/files.h"
#include "core/http_client.h"
#include "core/interrupt.h"
#include "core/process.h"
#include "core/text.h"
#include "media/ffmpeg_progress.h"

namespace kb::media {
namespace fs = std::filesystem;
using nlohmann::json;

const std::vector<ClipSpec>& clip_specs() {
  static const std::vector<ClipSpec> specs = {
      {ClipFormat::h264_1080p, "1080p_h264", "ribblehead_1080p_h264.mp4", 274139015, 1920, 1080, false, false},
      {ClipFormat::h264_4k, "4k_h264", "ribblehead_4k_h264.mp4", 678112692, 3840, 2160, false, false},
      {ClipFormat::hevc_1080p_8bit, "1080p_hevc_8bit", "ribblehead_1080p_hevc_8bit.mp4", 216202134, 1920, 1080, true, false},
      {ClipFormat::hevc_4k_10bit, "4k_hevc_10bit", "ribblehead_4k_hevc_10bit.mp4", 645361807, 3840, 2160, true, true},
  };
  return specs;
}

const ClipSpec& clip_spec(ClipFormat f) {
  for (auto& s : clip_specs())
    if (s.format == f) return s;
  return clip_specs().front();
}

std::string generated_file_name(const ClipSpec& spec) { return "kubench_" + spec.key + ".mp4"; }

Profile parse_profile(const std::string& name) {
  // quick: 2 s clips so the whole CPU matrix finishes in minutes on 2 cores;
  // full: the length of the official clips (115.7 s).
  if (name == "quick") return {name, 2};
  if (name == "standard") return {name, 20};
  if (name == "full") return {name, 116};
  throw UsageError("unknown --profile '" + name + "': use quick, standard or full");
}

fs::path default_cache_dir() {
  if (const char* c = std::getenv("KUBENCH_CACHE"); c && *c) return c;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return fs::path(x) / "kubench";
  if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".cache/kubench";
  return fs::temp_directory_path() / "kubench-cache";
}

namespace {

constexpr const char* kManifestSchema = "kubench/clips/v1";

json read_manifest(const fs::path& dir) {
  try {
    return json::parse(read_file(dir / "manifest.json"));
  } catch (const std::exception&) {
    return json::object();
  }
}

// The file matches its manifest entry (size, then sha256).
bool matches_manifest(const json& manifest, const fs::path& file) {
  auto name = file.filename().string();
  if (!manifest.contains("files") || !manifest["files"].contains(name)) return false;
  auto& entry = manifest["files"][name];
  std::error_code ec;
  auto size = fs::file_size(file, ec);
  if (ec || static_cast<long long>(size) != entry.value("bytes", -1LL)) return false;
  return sha256_file(file) == entry.value("sha256", "");
}

void add_clip(ClipSet& set, const ClipSpec& spec, const fs::path& path) {
  try {
    auto info = read_clip_info(path);
    set.clips[spec.format] = Clip{path, path.stem().string(), info};
  } catch (const ParseError& e) {
    set.missing[spec.format] = e.what();
  }
}

// Bump when the recipe below changes, so cached clips made the old way are regenerated.
constexpr int kRecipeVersion = 2;

// The lavfi source: moving test pattern with text and gradients, plus temporal grain, so the
// encoders have motion and detail to work on. The grain is set so the H.264 clips come out near
// the official clips' bitrates (about 19 Mb/s at 1080p, 47 Mb/s at 4K). Fixed seed: the same
// bytes on every run.
std::string source_graph(const ClipSpec& spec) {
  int grain = spec.width > 1920 ? 3 : 4;
  return "testsrc2=size=" + std::to_string(spec.width) + "x" + std::to_string(spec.height) +
         ":rate=30,noise=alls=" + std::to_string(grain) + ":allf=t:all_seed=20231101";
}

std::vector<std::string> generate_args(const probe::FfmpegInfo& ffmpeg, const ClipSpec& spec, int seconds,
                                       const fs::path& out) {
  std::vector<std::string> a = {ffmpeg.path.string(), "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error",
                                "-y", "-progress", "pipe:3", "-f", "lavfi", "-i", source_graph(spec),
                                "-frames:v", std::to_string(seconds * 30), "-threads", "0"};
  if (spec.hevc) {
    a.insert(a.end(), {"-c:v", "libx265", "-preset", "ultrafast", "-crf", "20", "-x265-params", "log-level=error",
                       "-tag:v", "hvc1", "-pix_fmt", spec.ten_bit ? "yuv420p10le" : "yuv420p"});
    if (spec.ten_bit) a.insert(a.end(), {"-profile:v", "main10"});
  } else {
    a.insert(a.end(), {"-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-profile:v", "high", "-pix_fmt", "yuv420p"});
  }
  a.insert(a.end(), {"-g", "60", "-movflags", "+faststart", out.string()});
  return a;
}

}  // namespace

ClipSet prepare_generated_clips(const probe::FfmpegInfo& ffmpeg, const fs::path& cache_dir, const Profile& profile,
                                const ClipProgress& progress) {
  ClipSet set;
  set.kind = "generated";
  set.dir = cache_dir / "clips" / ("generated-" + profile.name);
  ensure_writable_dir(set.dir);
  json manifest = read_manifest(set.dir);
  bool same_recipe = manifest.value("schema", "") == kManifestSchema && manifest.value("seconds", 0) == profile.seconds &&
                     manifest.value("recipe", 0) == kRecipeVersion;
  if (!same_recipe) manifest = {{"schema", kManifestSchema}, {"set", "generated"}, {"seconds", profile.seconds},
                                {"recipe", kRecipeVersion}, {"ffmpeg_version", ffmpeg.version}, {"files", json::object()}};

  for (auto& spec : clip_specs()) {
    auto path = set.dir / generated_file_name(spec);
    if (same_recipe && matches_manifest(manifest, path)) {
      add_clip(set, spec, path);
      continue;
    }
    auto tmp = path;
    tmp += ".partial.mp4";
    ProcessSpec ps;
    ps.argv = generate_args(ffmpeg, spec, profile.seconds, tmp);
    ps.line_fd = 3;
    ps.stdout_mode = OutputMode::discard;
    ProgressParser parser;
    double total = profile.seconds * 30.0;
    auto r = run_process(ps, [&](std::string_view line) {
      if (parser.feed(line) && progress) progress(path.filename().string(), static_cast<double>(parser.latest().frame), total);
    });
    if (r.interrupted) {
      fs::remove(tmp);
      throw Interrupted();
    }
    if (!r.ok()) {
      fs::remove(tmp);
      throw EnvironmentError("generating " + path.filename().string() + " failed (" + r.describe() +
                             "): " + last_lines(r.stderr_text, 2));
    }
    fs::rename(tmp, path);
    manifest["files"][path.filename().string()] = {
        {"bytes", static_cast<long long>(fs::file_size(path))}, {"sha256", sha256_file(path)}, {"frames", profile.seconds * 30},
        {"command", ps.argv}};
    write_file_atomic(set.dir / "manifest.json", manifest.dump(2) + "\n");
    add_clip(set, spec, path);
  }
  return set;
}

ClipSet prepare_official_clips(const fs::path& cache_dir, const std::string& base_url, const ClipProgress& progress,
                               const std::vector<ClipSpec>& specs) {
  ClipSet set;
  set.kind = "official";
  set.dir = cache_dir / "clips" / "official";
  ensure_writable_dir(set.dir);
  json manifest = read_manifest(set.dir);
  if (manifest.value("schema", "") != kManifestSchema)
    manifest = {{"schema", kManifestSchema}, {"set", "official"}, {"files", json::object()}};
  std::string base = base_url.empty() || base_url.back() == '/' ? base_url : base_url + "/";

  for (auto& spec : specs) {
    auto path = set.dir / spec.official_file;
    std::error_code ec;
    if (fs::exists(path, ec)) {
      if (matches_manifest(manifest, path)) {
        add_clip(set, spec, path);
        continue;
      }
      // A file the manifest knows but that no longer matches was altered: fetch it again. One it
      // does not know (copied in by hand) is accepted at the published size and its hash recorded.
      bool known = manifest["files"].contains(spec.official_file);
      if (known || static_cast<long long>(fs::file_size(path, ec)) != spec.official_bytes) fs::remove(path, ec);
    }
    if (!fs::exists(path, ec)) {
      auto part = path;
      part += ".part";
      // A complete .part from an interrupted run needs no further request.
      bool complete = fs::exists(part, ec) && static_cast<long long>(fs::file_size(part, ec)) == spec.official_bytes;
      if (complete) fs::rename(part, path, ec);
      else
        http_download(base + spec.official_file, path, [&](std::int64_t done, std::int64_t total) {
          if (progress) progress(spec.official_file, static_cast<double>(done), static_cast<double>(total > 0 ? total : spec.official_bytes));
        });
    }
    auto size = static_cast<long long>(fs::file_size(path, ec));
    if (size != spec.official_bytes) {
      fs::remove(path, ec);
      throw EnvironmentError(spec.official_file + ": downloaded " + std::to_string(size) + " bytes, expected " +
                             std::to_string(spec.official_bytes) + "; removed, run again");
    }
    manifest["files"][spec.official_file] = {{"bytes", size}, {"sha256", sha256_file(path)}, {"url", base + spec.official_file}};
    write_file_atomic(set.dir / "manifest.json", manifest.dump(2) + "\n");
    add_clip(set, spec, path);
  }
  return set;
}

ClipSet use_clip_dir(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw UsageError("--clips " + dir.string() + ": not a directory");
  ClipSet set;
  set.kind = "user";
  set.dir = dir;
  for (auto& spec : clip_specs()) {
    auto official = dir / spec.official_file;
    auto generated = dir / generated_file_name(spec);
    if (fs::exists(official, ec)) add_clip(set, spec, official);
    else if (fs::exists(generated, ec)) add_clip(set, spec, generated);
    else set.missing[spec.format] = "no " + spec.official_file + " or " + generated_file_name(spec) + " in " + dir.string();
  }
  if (set.clips.empty() && set.missing.size() == clip_specs().size()) {
    bool any_named = false;
    for (auto& [f, why] : set.missing) any_named |= why.find("no ") != 0;
    if (!any_named) throw UsageError("--clips " + dir.string() + ": none of the expected files is there (e.g. " +
                                     clip_specs().front().official_file + ")");
  }
  return set;
}

}  // namespace kb::media
