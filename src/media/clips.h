// The four benchmark clips: generated locally (default), downloaded (the seed's ribblehead set),
// or the user's own files. Cached with a manifest and sha256.
#pragma once
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "media/clip_info.h"
#include "probe/ffmpeg_caps.h"

namespace kb::media {

enum class ClipFormat { h264_1080p, h264_4k, hevc_1080p_8bit, hevc_4k_10bit };

struct ClipSpec {
  ClipFormat format;
  std::string key;            // "1080p_h264"
  std::string official_file;  // "ribblehead_1080p_h264.mp4"
  long long official_bytes;   // size of the official file (no checksums are published)
  int width, height;
  bool hevc;
  bool ten_bit;
};
const std::vector<ClipSpec>& clip_specs();
const ClipSpec& clip_spec(ClipFormat f);
std::string generated_file_name(const ClipSpec& spec);  // "kubench_1080p_h264.mp4"

struct Profile {
  std::string name;  // quick | standard | full
  int seconds;       // generated clip length
};
// Throws UsageError listing the choices.
Profile parse_profile(const std::string& name);

struct Clip {
  std::filesystem::path path;
  std::string stem;  // file name without .mp4: the seed's FILE column
  ClipInfo info;
};

struct ClipSet {
  std::string kind;  // generated | official | user
  std::filesystem::path dir;
  std::map<ClipFormat, Clip> clips;      // clips that are present and readable
  std::map<ClipFormat, std::string> missing;  // format -> why it is not usable
};

// Callback for long work: (what, done, total) e.g. ("kubench_4k_h264.mp4", 30, 60).
using ClipProgress = std::function<void(const std::string& what, double done, double total)>;

std::filesystem::path default_cache_dir();  // $KUBENCH_CACHE, $XDG_CACHE_HOME/kubench, ~/.cache/kubench

// Generates (or reuses, when the manifest and hashes match) the four clips for `profile` in
// <cache>/clips/generated-<profile>/.
ClipSet prepare_generated_clips(const probe::FfmpegInfo& ffmpeg, const std::filesystem::path& cache_dir,
                                const Profile& profile, const ClipProgress& progress = {});

// Downloads the seed's clips into <cache>/clips/official/ with resume; verifies sizes, records
// sha256 in the manifest and checks it on reuse. `base_url` ends with '/'.
// `specs` defaults to clip_specs(); tests pass small stand-ins.
ClipSet prepare_official_clips(const std::filesystem::path& cache_dir, const std::string& base_url,
                               const ClipProgress& progress = {}, const std::vector<ClipSpec>& specs = clip_specs());
inline constexpr const char* kOfficialClipsUrl = "https://ssh.us-east-1.linodeobjects.com/";

// The user's directory: files named like the official or generated clips.
ClipSet use_clip_dir(const std::filesystem::path& dir);

}  // namespace kb::media
