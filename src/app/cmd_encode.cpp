// `kubench encode INPUT OUTPUT`: one video split at its scene cuts, the parts encoded side by side,
// joined without re-encoding and verified by decoding (docs/encode.md).
#include <iostream>

#include "app/commands.h"
#include "app/scenes_flags.h"
#include "core/error.h"
#include "core/output.h"
#include "core/progress.h"
#include "core/text.h"
#include "encode/encode_report.h"
#include "encode/local_run.h"
#include "media/clips.h"

namespace kb::app {

namespace {

struct EncodeFlags {
  ScenesFlags scenes;  // the detector and its decoder
  std::string input, output, split = "scenes", codec = "h264", accel = "auto", format = "table", work_dir;
  double max_part = 10;
  std::optional<int> quality;
  std::string preset;
  bool quiet = false;
  encode::EncodeRequest request;
};

encode::EncodeRequest request_of(EncodeFlags& f) {
  auto r = f.request;
  r.input = f.input;
  r.output = f.output;
  r.work_dir = f.work_dir;
  r.split = encode::parse_split(f.split, f.max_part);
  r.detector = settings_of(f.scenes);
  r.decode = decode_of(f.scenes);
  // The scene pass only places part borders: without the loop filter it decodes 10–15 % faster
  // and finds the same hard cuts (docs/scenes.md, --fast-decode).
  r.decode.skip_loop_filter = true;
  if (f.accel == "auto") {
    r.auto_backend = true;
    r.capabilities = media::default_cache_dir() / "capabilities-local.json";
  } else {
    auto backend = probe::parse_backend(f.accel);
    if (!backend) throw UsageError("--accel must be auto, cpu, nvenc, qsv, vaapi or amf, not '" + f.accel + "'");
    r.backend = *backend;
  }
  auto codec = probe::parse_codec(f.codec);
  if (!codec) throw UsageError("--codec must be h264, hevc, av1 or vp9, not '" + f.codec + "'");
  r.codec = *codec;
  if (f.quality) {
    if (*f.quality < 0 || *f.quality > 63) throw UsageError("--quality must be 0 to 63");
    r.quality.quality = *f.quality;
  }
  r.quality.preset = f.preset;
  if (r.quality.threads < 0) throw UsageError("--threads-per-part must be 0 or more");
  return r;
}

std::string render_plan(const nlohmann::json& plan) {
  std::string out = "plan for " + plan.at("output").get<std::string>() + ": " + std::to_string(plan.at("parts").size()) + " parts, " +
                    plan.at("settings").at("encoder").get<std::string>() + ", " + std::to_string(plan.at("jobs").get<int>()) + " at once\n";
  Table t;
  t.headers = {"PART", "FIRST", "FRAMES", "ENDS AT"};
  t.right_aligned = {0, 1, 2};
  for (auto& p : plan.at("parts"))
    t.rows.push_back({std::to_string(p.at("index").get<int>()), std::to_string(p.at("first").get<std::int64_t>()),
                      std::to_string(p.at("frames").get<std::int64_t>()), p.at("border").get<std::string>()});
  out += t.render();
  std::string command;
  for (auto& a : plan.at("example_command")) command += (command.empty() ? "" : " ") + a.get<std::string>();
  out += "a part's command: " + command + "\n";
  return out;
}

}  // namespace

void add_encode_command(CLI::App& app, GlobalOptions& global) {
  auto f = std::make_shared<EncodeFlags>();
  auto& r = f->request;
  auto* cmd = app.add_subcommand("encode", "Encode one video split at its scene cuts, the parts side by side, joined and verified");
  cmd->add_option("input", f->input, "The source video (constant frame rate)")->required();
  cmd->add_option("output", f->output, "The encoded file (.mp4, .mkv, .mov; refused if it exists, see --force)")->required();
  cmd->add_option("-j,--jobs", r.jobs, "Parts encoded at once on this machine (default 1)");
  cmd->add_option("--threads-per-part", r.quality.threads, "Threads of each part's encoder (CPU encoders; default 0: the encoder decides)");
  cmd->add_option("--split", f->split, "scenes (at scene cuts, default) or fixed:SECONDS");
  cmd->add_option("--max-part", f->max_part, "Longest part in seconds; scenes are packed up to it, longer ones split evenly (default 10)");
  cmd->add_option("--codec", f->codec, "h264 (default), hevc, av1 or vp9");
  cmd->add_option("--accel", f->accel, "auto (default: the fastest joinable encoder kubench nodes probe --local measured here, else cpu), "
                                       "cpu, nvenc, qsv, vaapi or amf: the encoder family of every part");
  cmd->add_option("--device", r.device, "Hardware device: render node (/dev/dri/renderD128) or NVIDIA GPU index");
  cmd->add_option("--quality", f->quality, "The family's quality scale: x264/x265 crf, NVENC cq, QSV global_quality, VAAPI/AMF qp "
                                           "(default 23; x265 28; 0 with libx264 is lossless)");
  cmd->add_option("--preset", f->preset, "Encoder preset (default: medium for x264/x265/QSV, p4 for NVENC, balanced for AMF)");
  cmd->add_option("--audio", r.audio, "copy (default), aac:BITRATE (e.g. aac:192k) or none: the audio is encoded once for the whole file");
  cmd->add_option("--work-dir", f->work_dir, "Where parts are kept until the output verifies (default OUTPUT.kubench-work)");
  cmd->add_flag("--keep-work", r.keep_work, "Keep the work directory after success");
  cmd->add_flag("--force", r.force, "Replace an existing output");
  cmd->add_option("--attempts", r.attempts, "Tries per part before the encode fails naming it (default 3)");
  cmd->add_option("--ffmpeg", r.ffmpeg, "The ffmpeg to run (default: from PATH)");
  cmd->add_flag("--dry-run", r.dry_run, "Print the plan (parts, encoder, a part's command) and encode nothing");
  add_detector_flags(cmd, f->scenes);
  cmd->remove_option(cmd->get_option("--fast-decode"));  // always on here (request_of)
  cmd->add_option("-o,--output-format", f->format, "table|json|yaml");
  cmd->add_flag("-q,--quiet", f->quiet, "No progress");
  cmd->footer(
      "Examples:\n  kubench encode film.mp4 film-x264.mp4 --jobs 2 --threads-per-part 1\n"
      "  kubench encode film.mp4 film.mkv --codec hevc --accel nvenc --jobs 3\n"
      "  kubench encode film.mp4 out.mp4 --split fixed:10 --dry-run\n"
      "A rerun with the same input and settings resumes: parts already done and intact are kept.\n"
      "Exit codes: 0 ok, 1 a part failed every attempt or the output did not verify (nothing written),\n"
      "2 not a video / bad flags / output exists, 130 interrupted (work directory kept). docs/encode.md");
  cmd->callback([f, &global] {
    start_command(global);
    const auto format = parse_output_format(f->format, {OutputFormat::table, OutputFormat::json, OutputFormat::yaml});
    auto request = request_of(*f);
    ProgressLine line;
    encode::EncodeEvents events;
    if (!f->quiet) {
      events.progress = [&line](const std::string& text) { line.update(text); };
      events.note = [&line](const std::string& text) {
        line.clear();
        std::cerr << text << "\n";
      };
    }
    auto report = encode::run_encode_locally(request, events);
    line.clear();
    if (format == OutputFormat::json) std::cout << report.dump(2) << "\n";
    else if (format == OutputFormat::yaml) std::cout << to_yaml(report);
    else std::cout << (request.dry_run ? render_plan(report) : encode::render_encode_report(report));
  });
}

}  // namespace kb::app
