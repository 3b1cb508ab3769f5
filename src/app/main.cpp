// kubench: benchmark, scale-test and distribute GPU media work, locally or on Kubernetes.
#include <cstdio>

#include "app/commands.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "core/log.h"
#include "infer/infer_runner.h"

int main(int argc, char** argv) {
  CLI::App app{"kubench: GPU media benchmarks on this machine or on Kubernetes.\n"
               "Example: kubench bench --profile quick"};
  // Looks for the libtorch plugin without loading it: loading costs half a second.
  const auto plugin = kb::infer::torch_plugin_path();
  app.set_version_flag("--version", std::string(KUBENCH_VERSION) + (plugin ? " (infer: " + plugin->string() + ")" : " (no libtorch plugin: no kubench infer)"));
  app.require_subcommand(1);
  app.fallthrough();
  kb::app::GlobalOptions global;
  app.add_flag("-v,--verbose", global.verbosity, "More logging on stderr (repeat for debug)");
  app.add_option("--log-format", global.log_format, "text (default) or json: one JSON object per log line, for log collectors");
  app.footer("Exit codes: 0 ok, 1 failed benchmarks or checks, 2 usage or environment error, 130 interrupted.\n"
             "Docs: docs/cli.md");

  kb::app::add_probe_command(app, global);
  kb::app::add_bench_command(app, global);
  kb::app::add_clips_command(app, global);
  kb::app::add_submit_command(app, global);
  kb::app::add_cluster_command(app, global);
  kb::app::add_power_command(app, global);
  kb::app::add_render_command(app, global);
  kb::app::add_run_command(app, global);
  kb::app::add_queue_command(app, global);
  kb::app::add_scale_command(app, global);
  kb::app::add_scenes_command(app, global);
  kb::app::add_sweep_command(app, global);
  kb::app::add_report_command(app, global);
  kb::app::add_infer_command(app, global);
  kb::app::add_share_command(app, global);
  kb::app::add_encode_command(app, global);
  kb::app::add_encode_pod_command(app, global);
  kb::app::add_nodes_command(app, global);

  kb::install_interrupt_handlers();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "kubench: %s (see --help)\n", e.what());
    return kb::kExitUsage;
  } catch (const std::exception& e) {
    return kb::report_error(e);
  }
  return kb::interrupted() ? kb::kExitInterrupted : global.exit_code;
}

namespace kb::app {
void start_command(const GlobalOptions& global) { kb::setup_logging(global.verbosity, kb::parse_log_format(global.log_format)); }
}  // namespace kb::app
