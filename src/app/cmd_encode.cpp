// `kubench encode INPUT OUTPUT`: one video split at its scene cuts, the parts encoded side by side,
// joined without re-encoding and verified by decoding (docs/encode.md).
#include <iostream>

#include "app/benchmark_job_flags.h"
#include "app/commands.h"
#include "app/kube_flags.h"
#include "app/scenes_flags.h"
#include "core/error.h"
#include "core/output.h"
#include "core/progress.h"
#include "core/text.h"
#include "encode/encode_report.h"
#include "encode/kube_run.h"
#include "encode/local_run.h"
#include "encode/pod_stages.h"
#include "jobs/run_targets.h"
#include "media/clips.h"
#include "media/result_frame.h"

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
  // --kube
  bool kube_mode = false;
  KubeFlags kube;
  std::string volume, selector, pin_encoders, forbid_encoders, pin_nodes, forbid_nodes, image_platforms;
  double max_age_hours = 24 * 7;
  bool refresh = false;
  encode::KubeEncodeRequest kube_request;
};

std::vector<std::string> list_of(const std::string& text) {
  std::vector<std::string> out;
  for (auto& item : split(text, ','))
    if (!trim(item).empty()) out.emplace_back(trim(item));
  return out;
}

encode::KubeEncodeRequest kube_request_of(EncodeFlags& f, const encode::EncodeRequest& request) {
  auto k = f.kube_request;
  k.encode = request;
  k.auto_backend = f.accel == "auto";
  if (f.volume.empty()) throw UsageError("--kube needs --volume: where the input is and the output goes (hostpath:/DIR, pvc:CLAIM or nfs:SERVER:/EXPORT)");
  k.volume = jobs::parse_scene_volume(f.volume);
  k.policy.pin_encoders = list_of(f.pin_encoders);
  k.policy.forbid_encoders = list_of(f.forbid_encoders);
  k.policy.pin_nodes = list_of(f.pin_nodes);
  k.policy.forbid_nodes = list_of(f.forbid_nodes);
  k.policy.allow_mixed = request.allow_mixed;
  k.probe.selector = jobs::parse_selector(f.selector);
  k.probe.platforms = image_platforms(k.probe.image, f.image_platforms);
  k.probe.max_age = std::chrono::seconds(static_cast<long>(f.max_age_hours * 3600));
  k.probe.refresh = f.refresh;
  if (k.lease_seconds < 2) throw UsageError("--lease-seconds must be at least 2");
  return k;
}

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
  if (r.allow_mixed && !f.kube_mode)
    throw UsageError("--allow-mixed-encoders is for --kube (on this machine every part uses the one family --accel gives)");
  if (r.allow_mixed && f.accel != "auto") throw UsageError("--allow-mixed-encoders lets the route choose each node's family: leave --accel auto");
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
  if (plan.contains("example_command")) {
    std::string command;
    for (auto& a : plan.at("example_command")) command += (command.empty() ? "" : " ") + a.get<std::string>();
    out += "a part's command: " + command + "\n";
  }
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
  auto& k = f->kube_request;
  const std::string kube_group = "On Kubernetes (--kube)";
  cmd->add_flag("--kube", f->kube_mode, "Encode the parts on the cluster's nodes (INPUT and OUTPUT are paths on --volume)")->group(kube_group);
  cmd->add_option("--volume", f->volume, "Where the input is and the output goes, mounted at /data in every pod: hostpath:/DIR (same path on every node), "
                                         "pvc:CLAIM (ReadWriteMany), nfs:SERVER:/EXPORT")->group(kube_group);
  cmd->add_option("--image", k.probe.image, "Container image with kubench and ffmpeg (default " + default_image() + ")")->group(kube_group);
  k.probe.image = default_image();
  cmd->add_option("--image-pull-policy", k.probe.image_pull_policy, "Always|IfNotPresent|Never (default IfNotPresent)")->group(kube_group);
  add_image_platforms_flag(cmd, f->image_platforms);
  cmd->get_option("--image-platforms")->group(kube_group);
  cmd->add_option("--run-id", k.run_id, "Names and labels the run's objects (default encode-<time>)")->group(kube_group);
  cmd->add_option("--selector", f->selector, "Only nodes with these labels: key=value[,key=value]")->group(kube_group);
  cmd->add_option("--pin-encoder", f->pin_encoders, "Only these encoders (e.g. hevc_nvenc,libx265)")->group(kube_group);
  cmd->add_option("--forbid-encoder", f->forbid_encoders, "Never these encoders")->group(kube_group);
  cmd->add_option("--pin-node", f->pin_nodes, "Only these nodes")->group(kube_group);
  cmd->add_option("--forbid-node", f->forbid_nodes, "Never these nodes")->group(kube_group);
  cmd->add_option("--slots-per-gpu", k.policy.slots_per_gpu, "Parts at once per free GPU (capped by the encoder's session limit; default 2)")->group(kube_group);
  cmd->add_option("--max-workers-per-node", k.policy.max_workers_per_node, "Most parts at once on one node (default: as its free CPU/GPUs allow)")->group(kube_group);
  cmd->add_option("--cpu-per-part", k.cpu_per_part, "Cores a CPU part reserves on its node (default: --threads-per-part, at least 1)")->group(kube_group);
  cmd->add_option("--lease-seconds", k.lease_seconds, "A part whose worker is silent this long goes to another (default 30)")->group(kube_group);
  cmd->add_option("--max-age", f->max_age_hours, "Hours a node's cached capabilities stay valid; older ones are probed again (default 168)")->group(kube_group);
  cmd->add_flag("--refresh-capabilities", f->refresh, "Probe every node again first")->group(kube_group);
  cmd->add_option("--schedule-timeout", k.probe.schedule_timeout, "Seconds a pod may wait for a node (default 120)")->group(kube_group);
  cmd->add_option("--cleanup-timeout", k.cleanup_timeout, "Seconds to wait for the run's pods to go (default 120)")->group(kube_group);
  cmd->add_flag("--allow-mixed-encoders", r.allow_mixed,
                "Each node uses its own best encoder family (NVENC here, VAAPI there, CPU elsewhere): parts of one output from "
                "different families, each part's parameter sets in band; reported")->group(kube_group);
  cmd->add_flag("--keep-objects", k.keep, "Leave the run's Jobs, Deployments and pods for inspection")->group(kube_group);
  add_kube_flags(cmd, f->kube);
  cmd->add_option("-o,--output-format", f->format, "table|json|yaml");
  cmd->add_flag("-q,--quiet", f->quiet, "No progress");
  cmd->footer(
      "Examples:\n  kubench encode film.mp4 film-x264.mp4 --jobs 2 --threads-per-part 1\n"
      "  kubench encode film.mp4 film.mkv --codec hevc --accel nvenc --jobs 3\n"
      "  kubench encode film.mp4 out.mp4 --split fixed:10 --dry-run\n"
      "  kubench encode --kube --volume nfs:nas:/video film.mp4 film-hevc.mkv --codec hevc\n"
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
    nlohmann::json report;
    if (f->kube_mode) {
      auto client = connect(f->kube);
      client->server_version();  // the reachability check: one line, exit 2
      report = encode::run_encode_on_kube(*client, kube_request_of(*f, request), events);
    } else {
      report = encode::run_encode_locally(request, events);
    }
    line.clear();
    if (format == OutputFormat::json) std::cout << report.dump(2) << "\n";
    else if (format == OutputFormat::yaml) std::cout << to_yaml(report);
    else if (request.dry_run && f->kube_mode) std::cout << render_plan(report.at("plan")) << report.at("route").get<std::string>();
    else std::cout << (request.dry_run ? render_plan(report) : encode::render_encode_report(report));
  });
}

namespace {

// Runs one stage of a pod; with --result-frame its answer — or its error, with the exit code — is
// framed in the log for the collector (jobs::JobRun).
void run_pod_stage(bool result_frame, const std::function<nlohmann::json()>& stage) {
  nlohmann::json answer;
  try {
    answer = stage();
  } catch (const Error& e) {
    if (result_frame) {
      std::fputs(media::frame_result({{"kind", "kubench/encode-error/v1"}, {"exit_code", e.exit_code()}, {"message", e.what()}}).c_str(), stdout);
      std::fflush(stdout);
    }
    throw;
  }
  if (result_frame) std::fputs(media::frame_result(answer).c_str(), stdout);
  else std::cout << answer.dump() << "\n";
  std::fflush(stdout);
}

}  // namespace

void add_encode_pod_command(CLI::App& app, GlobalOptions& global) {
  auto* pod = app.add_subcommand("encode-pod", "The stages of kubench encode --kube as its pods run them (docs/encode.md)");
  pod->group("");  // not for people: the pods' own commands
  pod->require_subcommand(1);
  auto request = std::make_shared<std::string>();
  auto work_dir = std::make_shared<std::string>();
  auto index = std::make_shared<int>(-1);
  auto frame = std::make_shared<bool>(false);

  auto* prepare = pod->add_subcommand("prepare", "Read the source, find the cuts, plan the parts into the work directory");
  prepare->add_option("--request", *request, "The encode request (kubench/encode-request/v1 JSON)")->required();
  prepare->add_flag("--result-frame", *frame, "Frame the answer in the log");
  prepare->callback([=, &global] {
    start_command(global);
    run_pod_stage(*frame, [&] {
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(*request);
      } catch (const std::exception& e) {
        throw UsageError(std::string("--request is not JSON: ") + e.what());
      }
      encode::EncodeEvents events;
      events.note = [](const std::string& text) { std::cerr << text << "\n"; };
      return encode::prepare_stage(encode::request_from_json(j), events);
    });
  });

  auto* part = pod->add_subcommand("part", "Encode one part of the plan (at once when it is done already)");
  auto backend = std::make_shared<std::string>();
  auto device = std::make_shared<std::string>();
  part->add_option("--work-dir", *work_dir, "The work directory with plan.json")->required();
  part->add_option("--backend", *backend, "This worker's encoder family (default: the plan's)");
  part->add_option("--device", *device, "This worker's device (default: the plan's)");
  part->add_option("index", *index, "The part")->required();
  part->callback([=, &global] {
    start_command(global);
    bool reused = false;
    std::optional<probe::Backend> family;
    if (!backend->empty()) {
      family = probe::parse_backend(*backend);
      if (!family) throw UsageError("--backend must be cpu, nvenc, qsv, vaapi or amf, not '" + *backend + "'");
    }
    auto record = encode::part_stage(*work_dir, *index, reused, family, *device);
    auto j = encode::to_json(record);
    j["reused"] = reused;
    std::cout << j.dump() << "\n";
  });

  auto* join = pod->add_subcommand("join", "Join every part, verify, put the output in place");
  join->add_option("--work-dir", *work_dir, "The work directory with plan.json")->required();
  join->add_flag("--result-frame", *frame, "Frame the answer in the log");
  join->callback([=, &global] {
    start_command(global);
    run_pod_stage(*frame, [&] { return encode::join_stage(*work_dir, {}); });
  });
}

}  // namespace kb::app
