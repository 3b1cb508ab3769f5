// `kubench probe`: what this machine has, and what actually works.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "app/commands.h"
#include "core/error.h"
#include "core/output.h"
#include "probe/probe_report.h"

namespace kb::app {

void add_probe_command(CLI::App& app, GlobalOptions& global) {
  struct Flags {
    std::string output = "table";
    std::string require;
    probe::ProbeOptions probe;
    bool no_codecs = false;
    std::string termination_log;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("probe", "Inventory CPU, memory, GPUs, ffmpeg, working encoders/decoders and power sensors");
  cmd->add_option("-o,--output", flags->output, "table|json|yaml");
  cmd->add_option("--require", flags->require,
                  "Exit 1 with the reason unless this works here: qsv|vaapi|nvenc|amf|cpu|any (any = a hardware encoder)");
  cmd->add_option("--ffmpeg", flags->probe.ffmpeg, "ffmpeg to use (default: $KUBENCH_FFMPEG, then PATH)");
  cmd->add_option("--device", flags->probe.device, "Render node or NVIDIA index to test (default: the runtime's choice)");
  cmd->add_flag("--no-codecs", flags->no_codecs, "Skip the test encodes (inventory only)");
  cmd->add_option("--termination-log", flags->termination_log,
                  "Also write a failed --require's one-line reason here (a pod's /dev/termination-log)");
  cmd->footer("Examples:\n  kubench probe\n  kubench probe --require qsv --device /dev/dri/renderD129\n  kubench probe -o json");
  cmd->callback([flags, &global] {
    start_command(global);
    auto format = parse_output_format(flags->output, {OutputFormat::table, OutputFormat::json, OutputFormat::yaml});
    flags->probe.test_codecs = !flags->no_codecs;
    if (!flags->require.empty() && flags->no_codecs) throw UsageError("--require needs the test encodes; drop --no-codecs");
    auto report = probe::run_probe(flags->probe);
    if (format == OutputFormat::json) std::cout << probe::to_json(report).dump(2) << "\n";
    else if (format == OutputFormat::yaml) std::cout << to_yaml(probe::to_json(report));
    else std::cout << probe::render_table(report);
    std::cout.flush();
    if (!flags->require.empty()) {
      auto why = probe::check_requirement(report, flags->require);
      if (!why.empty()) {
        const char* node = std::getenv("KUBENCH_NODE_NAME");
        std::string message = "node " + std::string(node && *node ? node : report.hostname) + ": " + why;
        // Written in place (the kubelet bind-mounts the file): the collector reads it from the
        // pod's status instead of racing the log.
        if (!flags->termination_log.empty()) std::ofstream(flags->termination_log, std::ios::trunc) << message.substr(0, 4000);
        throw CheckFailed(message);
      }
      std::fprintf(stderr, "kubench: requirement '%s' met\n", flags->require.c_str());
    }
  });
}

}  // namespace kb::app
