// `kubench power`: the power sidecar of the benchmark pod. The benchmark container stays
// unprivileged; this container holds what reading the sensors needs and samples them for the
// benchmark's whole span (docs/power.md, "The power sidecar").
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <string_view>
#include <utility>

#include "app/commands.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "core/log.h"
#include "core/output.h"
#include "core/text.h"
#include "core/utc_time.h"
#include "media/result_frame.h"
#include "power/power_monitor.h"
#include "power/sensor_plan.h"

namespace kb::app {

namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kSchema = "kubench/power/v1";
// How often the coordination files are looked for; a signal wakes the wait at once.
constexpr std::chrono::milliseconds kPollPeriod{100};

struct PowerFlags {
  power::PowerTarget target;
  power::PowerEnvironment env;
  std::string start_file;
  std::string stop_file;
  double max_seconds = 0;
  std::string termination_log;
  std::string output = "json";
};

enum class WaitEnd { condition, signal, deadline };

// Waits until `condition()` holds, a SIGTERM/SIGINT arrives, or `deadline` passes. The condition
// is checked first, so a stop file that is already there wins over a signal that came with it.
WaitEnd wait_for(const std::function<bool()>& condition, std::optional<Clock::time_point> deadline) {
  const int fd = interrupt_fd();
  for (;;) {
    if (condition()) return WaitEnd::condition;
    if (interrupted()) return WaitEnd::signal;
    auto now = Clock::now();
    if (deadline && now >= *deadline) return WaitEnd::deadline;
    auto wait = kPollPeriod;
    if (deadline)
      wait = std::min(wait, std::chrono::ceil<std::chrono::milliseconds>(*deadline - now));
    pollfd p{fd, POLLIN, 0};
    ::poll(&p, fd >= 0 ? 1 : 0, static_cast<int>(wait.count()));
  }
}

bool file_exists(const std::string& path) {
  std::error_code ec;  // unreadable counts as "not yet": the next poll looks again
  return !path.empty() && fs::exists(path, ec);
}

std::string node_name() {
  const char* node = std::getenv("KUBENCH_NODE_NAME");
  if (node && *node) return node;
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

// "rapl", "intel_gpu_top on /dev/dri/renderD128 + rapl package", or why no sensor fits.
std::string describe_plan(const power::PowerTarget& target, const power::PowerEnvironment& env) {
  auto plan = power::plan_sensors(target, env);
  if (plan.primary.empty()) return "no sensor fits: " + plan.reason;
  std::string text = plan.primary;
  if (!plan.device.empty()) text += " on " + plan.device;
  else if (!plan.drm_node.empty()) text += " on " + plan.drm_node;
  if (plan.rapl_package) text += " + rapl package";
  return text;
}

std::string describe_reading(const power::PowerReading& r) {
  if (!r.avg_watts) return "no figure: " + r.null_reason;
  std::string text = fixed(*r.avg_watts, 2) + " W " + r.domain + " (" + r.source + ", " + std::to_string(r.samples) + " samples)";
  if (r.package_watts && r.domain != "package") text += ", package " + fixed(*r.package_watts, 2) + " W";
  return text;
}

struct SidecarRun {
  std::optional<std::string> started_at;  // when sampling began; none if it never did
  std::string stopped_at;
  std::string stopped_by;  // stop-file | signal | max-seconds | never-started
  power::PowerReading reading;
};

power::PowerReading unmeasured(std::string reason) {
  power::PowerReading r;
  r.null_reason = std::move(reason);
  return r;
}

// Waits for the benchmark (files mode) or starts at once (native sidecar), then samples until the
// stop file, a signal, or --max-seconds.
SidecarRun run_sidecar(const PowerFlags& f) {
  SidecarRun run;
  std::optional<Clock::time_point> deadline;
  if (f.max_seconds > 0)
    deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(f.max_seconds));
  auto monitor = power::make_power_monitor(f.target, f.env);
  auto finish = [&](std::string stopped_by, power::PowerReading reading) {
    run.stopped_at = utc_rfc3339_ms(std::chrono::system_clock::now());
    run.stopped_by = std::move(stopped_by);
    run.reading = std::move(reading);
    return run;
  };

  if (!f.start_file.empty()) {
    spdlog::debug("waiting for {} (or {})", f.start_file, f.stop_file.empty() ? "a signal" : f.stop_file);
    bool started = false, stopped = false;
    // The stop file is looked at first: the benchmark writes it after the start file, so a stop
    // file without a start file really means it never started.
    auto end = wait_for(
        [&] {
          stopped = file_exists(f.stop_file);
          started = file_exists(f.start_file);
          return stopped || started;
        },
        deadline);
    std::string reason;
    if (end == WaitEnd::signal) reason = "stopped by a signal before the benchmark started";
    else if (end == WaitEnd::deadline) reason = "--max-seconds " + fixed(f.max_seconds, 1) + " ran out before the benchmark started";
    else if (stopped) reason = started ? "the benchmark ended before the sidecar saw it start" : "the benchmark never started";
    if (!reason.empty()) {
      spdlog::info("not sampling: {}", reason);
      return finish(end == WaitEnd::signal ? "signal" : end == WaitEnd::deadline ? "max-seconds" : "never-started",
                    unmeasured(reason));
    }
  }

  run.started_at = utc_rfc3339_ms(std::chrono::system_clock::now());
  monitor->start();
  // Logged once the sensors have taken their first reading, so the line marks a true start.
  spdlog::info("sampling power for --accel {}: {}", f.target.backend, describe_plan(f.target, f.env));
  auto end = wait_for([&] { return file_exists(f.stop_file); }, deadline);
  auto reading = monitor->stop();
  const char* stopped_by = end == WaitEnd::condition ? "stop-file" : end == WaitEnd::signal ? "signal" : "max-seconds";
  spdlog::info("stopped sampling ({}) after {} s: {}", stopped_by, fixed(reading.duration_seconds, 1), describe_reading(reading));
  return finish(stopped_by, std::move(reading));
}

nlohmann::json to_json(const PowerFlags& f, const SidecarRun& run, const std::string& node) {
  return {
      {"schema", kSchema},
      {"node", node},
      {"backend", f.target.backend},
      {"device", f.target.device.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.target.device)},
      {"started_at", run.started_at ? nlohmann::json(*run.started_at) : nlohmann::json(nullptr)},
      {"stopped_at", run.stopped_at},
      {"stopped_by", run.stopped_by},
      {"reading", power::to_json(run.reading)},
  };
}

// The compact document for the termination message, which the kubelet cuts at 4 KiB. Only the
// null_reason (tool output, paths) can grow without bound, so that is what gets shortened.
std::string termination_message(nlohmann::json doc) {
  constexpr std::string_view kCut = "\u2026";  // "…"
  std::string text = doc.dump();
  auto& reason = doc["reading"]["null_reason"];
  while (text.size() > media::kTerminationMessageLimit && reason.is_string() && reason.get<std::string>() != kCut) {
    auto r = reason.get<std::string>();
    // Each byte removed shortens the JSON by at least one byte (escapes only make it longer).
    size_t excess = text.size() - media::kTerminationMessageLimit + kCut.size();
    size_t keep = r.size() > excess ? r.size() - excess : 0;
    while (keep > 0 && (static_cast<unsigned char>(r[keep]) & 0xC0) == 0x80) --keep;  // not inside a UTF-8 character
    reason = r.substr(0, keep) + std::string(kCut);
    text = doc.dump();
  }
  if (text.size() > media::kTerminationMessageLimit)
    throw UsageError("the power document is " + std::to_string(text.size()) +
                     " bytes, over the 4 KiB termination message; shorten --device or KUBENCH_NODE_NAME");
  return text;
}

// A plain write, not write-then-rename: /dev/termination-log is a bind mount that cannot be renamed over.
void write_termination_log(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  bool ok = fd >= 0;
  for (size_t done = 0; ok && done < text.size();) {
    auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  int saved = errno;
  if (fd >= 0 && ::close(fd) != 0 && ok) {
    ok = false;
    saved = errno;
  }
  if (!ok)
    throw EnvironmentError("cannot write the termination log " + path + ": " + std::strerror(saved) +
                           " (check --termination-log and the volume it is on)");
}

std::string render_table(const nlohmann::json& doc) {
  auto text = [](const nlohmann::json& v) -> std::string {
    if (v.is_null()) return "-";
    if (v.is_string()) return v.get<std::string>().empty() ? "-" : v.get<std::string>();
    if (v.is_number_float()) return fixed(v.get<double>(), 2);
    return v.dump();
  };
  Table t{{"FIELD", "VALUE"}, {}, {}};
  for (const char* key : {"node", "backend", "device", "started_at", "stopped_at", "stopped_by"})
    t.rows.push_back({key, text(doc[key])});
  const auto& reading = doc["reading"];
  for (const char* key : {"avg_watts", "domain", "source", "energy_joules", "package_watts", "video_busy_pct",
                          "decoder_busy_pct", "samples", "duration_seconds"})
    t.rows.push_back({key, text(reading[key])});
  std::string flags;
  for (auto& flag : reading["flags"]) flags += (flags.empty() ? "" : ",") + flag.get<std::string>();
  t.rows.push_back({"flags", flags.empty() ? "-" : flags});
  t.rows.push_back({"null_reason", text(reading["null_reason"])});
  return t.render();
}

}  // namespace

void add_power_command(CLI::App& app, GlobalOptions& global) {
  auto f = std::make_shared<PowerFlags>();
  auto* cmd = app.add_subcommand("power", "Power sidecar of the benchmark pod: sample power for the benchmark's whole span");
  cmd->add_option("--accel", f->target.backend, "qsv|vaapi|nvenc|amf|cpu: whose sensors to read (as the benchmark's --accel)")
      ->required();
  cmd->add_option("--device", f->target.device, "Render node (/dev/dri/renderD129) or NVIDIA index (default: the first)");
  cmd->add_option("--start-file", f->start_file, "Wait for this file before sampling (the benchmark writes it when it begins)");
  cmd->add_option("--stop-file", f->stop_file,
                  "Stop when this file appears (the benchmark writes it when it ends, even on failure)");
  cmd->add_option("--max-seconds", f->max_seconds, "Stop after this many seconds whatever happens (default 0: no limit)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--termination-log", f->termination_log,
                  "Also write the compact document here (in the pod: /dev/termination-log; default: none)");
  cmd->add_option("-o,--output", f->output, "json|table (default json)");
  // For tests: sensors read from fixtures instead of the machine.
  cmd->add_option("--sysfs-root", f->env.sysfs_root)->group("");
  cmd->add_option("--intel-gpu-top", f->env.intel_gpu_top)->group("");
  cmd->add_option("--nvidia-smi", f->env.nvidia_smi)->group("");
  cmd->footer(
      "Without --start-file it samples from its start until SIGTERM (a native sidecar, Kubernetes 1.29+).\n"
      "With --start-file/--stop-file (a shared emptyDir) it samples from the one file to the other.\n"
      "SIGTERM always ends it with exit 0 and the document written. The document is kubench/power/v1 (docs/power.md).\n"
      "Examples:\n"
      "  kubench power --accel qsv --device /dev/dri/renderD128 --termination-log /dev/termination-log\n"
      "  kubench power --accel cpu --start-file /shared/started --stop-file /shared/stopped --max-seconds 3600\n"
      "  kubench power --accel nvenc --max-seconds 10 -o table");
  cmd->callback([f, &global] {
    // The sidecar's two log lines are all `kubectl logs` shows of it, so info is on by default.
    GlobalOptions logging = global;
    logging.verbosity = std::max(logging.verbosity, 1);
    start_command(logging);
    auto format = parse_output_format(f->output, {OutputFormat::json, OutputFormat::table});
    const auto& accel = f->target.backend;
    if (accel != "qsv" && accel != "vaapi" && accel != "nvenc" && accel != "amf" && accel != "cpu")
      throw UsageError("unknown --accel '" + accel + "': use qsv, vaapi, nvenc, amf or cpu");

    auto run = run_sidecar(*f);
    auto doc = to_json(*f, run, node_name());
    if (format == OutputFormat::json) std::cout << doc.dump() << "\n";
    else std::cout << render_table(doc);
    std::cout.flush();
    if (!f->termination_log.empty()) write_termination_log(f->termination_log, termination_message(doc));
    // Being stopped is how a sidecar ends; what it measured has been handed over.
    clear_interrupt();
  });
}

}  // namespace kb::app
