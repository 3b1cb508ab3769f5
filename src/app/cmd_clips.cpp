// `kubench clips`: prepare the benchmark clips ahead of time (also the fetch-clips init container).
#include <iostream>

#include "app/commands.h"
#include "core/output.h"
#include "core/progress.h"
#include "core/text.h"
#include "media/clips.h"

namespace kb::app {

namespace {
void print_set(const media::ClipSet& set) {
  Table t{{"CLIP", "CODEC", "SIZE", "DEPTH", "FPS", "FRAMES", "KB/S", "PATH"}, {}, {4, 5, 6}};
  for (auto& [format, clip] : set.clips)
    t.rows.push_back({clip.stem, clip.info.codec, std::to_string(clip.info.width) + "x" + std::to_string(clip.info.height),
                      std::to_string(clip.info.bit_depth), fixed(clip.info.frame_rate, 2), std::to_string(clip.info.frames),
                      fixed(clip.info.bitrate_kbps, 0), clip.path.string()});
  for (auto& [format, why] : set.missing) t.rows.push_back({media::clip_spec(format).key, "-", "-", "-", "-", "-", "-", "missing: " + why});
  std::cout << t.render();
}
}  // namespace

void add_clips_command(CLI::App& app, GlobalOptions& global) {
  struct Flags {
    std::string profile = "quick";
    std::filesystem::path cache_dir;
    std::string url = media::kOfficialClipsUrl;
    std::string ffmpeg;
    std::filesystem::path dir;
  };
  auto f = std::make_shared<Flags>();
  auto* clips = app.add_subcommand("clips", "Prepare benchmark clips: generate them, or fetch the official set");
  clips->require_subcommand(1);
  clips->footer("Examples:\n  kubench clips generate --profile standard\n  kubench clips fetch\n  kubench clips show ~/videos");

  auto* gen = clips->add_subcommand("generate", "Generate the four clips locally with ffmpeg (cached, sha256 in a manifest)");
  gen->add_option("--profile", f->profile, "quick (2 s), standard (20 s) or full (116 s)");
  gen->add_option("--cache-dir", f->cache_dir, "Cache directory (default ~/.cache/kubench)");
  gen->add_option("--ffmpeg", f->ffmpeg, "ffmpeg to use");
  gen->callback([f, &global] {
    start_command(global);
    auto profile = media::parse_profile(f->profile);
    auto ffmpeg = probe::locate_ffmpeg(f->ffmpeg);
    ProgressLine line;
    auto set = media::prepare_generated_clips(ffmpeg, f->cache_dir.empty() ? media::default_cache_dir() : f->cache_dir, profile,
                                              [&](const std::string& what, double done, double total) {
                                                line.update(what + "  " + fixed(done, 0) + "/" + fixed(total, 0) + " frames");
                                              });
    line.finish("Clips ready in " + set.dir.string());
    print_set(set);
  });

  auto* fetch = clips->add_subcommand("fetch", "Download the seed's ribblehead clips (1.7 GiB) with resume and size/sha256 checks");
  fetch->add_option("--cache-dir", f->cache_dir, "Cache directory (default ~/.cache/kubench)");
  fetch->add_option("--url", f->url, "Base URL of the clips (a mirror)");
  fetch->callback([f, &global] {
    start_command(global);
    ProgressLine line;
    auto set = media::prepare_official_clips(f->cache_dir.empty() ? media::default_cache_dir() : f->cache_dir, f->url,
                                             [&](const std::string& what, double done, double total) {
                                               line.update(what + "  " + fixed(done / 1048576, 0) + "/" + fixed(total / 1048576, 0) +
                                                           " MiB (" + fixed(total > 0 ? 100 * done / total : 0, 0) + "%)");
                                             });
    line.finish("Clips ready in " + set.dir.string());
    print_set(set);
  });

  auto* show = clips->add_subcommand("show", "Show the clips found in a directory");
  show->add_option("dir", f->dir, "Directory with the clip files")->required();
  show->callback([f, &global] {
    start_command(global);
    print_set(media::use_clip_dir(f->dir));
  });
}

}  // namespace kb::app
