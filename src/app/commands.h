// Each command lives in its own cmd_*.cpp: it declares its flags, calls a library, prints.
#pragma once
#include <CLI/CLI.hpp>

namespace kb::app {

struct GlobalOptions {
  int verbosity = 0;
  std::string log_format = "text";  // --log-format text|json
  int exit_code = 0;  // set by a command that finishes without throwing but must report failure
};

void add_probe_command(CLI::App& app, GlobalOptions& global);
void add_bench_command(CLI::App& app, GlobalOptions& global);
void add_clips_command(CLI::App& app, GlobalOptions& global);
void add_submit_command(CLI::App& app, GlobalOptions& global);
void add_cluster_command(CLI::App& app, GlobalOptions& global);
void add_power_command(CLI::App& app, GlobalOptions& global);
void add_render_command(CLI::App& app, GlobalOptions& global);
void add_run_command(CLI::App& app, GlobalOptions& global);
void add_queue_command(CLI::App& app, GlobalOptions& global);
void add_scale_command(CLI::App& app, GlobalOptions& global);
void add_scenes_command(CLI::App& app, GlobalOptions& global);
void add_sweep_command(CLI::App& app, GlobalOptions& global);
void add_report_command(CLI::App& app, GlobalOptions& global);
void add_infer_command(CLI::App& app, GlobalOptions& global);
void add_share_command(CLI::App& app, GlobalOptions& global);
void add_encode_command(CLI::App& app, GlobalOptions& global);
void add_encode_pod_command(CLI::App& app, GlobalOptions& global);
void add_nodes_command(CLI::App& app, GlobalOptions& global);
// `kubench share config` (app/cmd_share_config.cpp), a subcommand of `share`.
void add_share_config_command(CLI::App& share, GlobalOptions& global);
// `kubench share check` (app/cmd_share_check.cpp).
void add_share_check_command(CLI::App& share, GlobalOptions& global);
void add_sweep_report_command(CLI::App* sweep, GlobalOptions& global);  // `sweep report`, under `sweep`
void add_scenes_run_command(CLI::App* scenes, GlobalOptions& global);  // `scenes run`, under `scenes`

}  // namespace kb::app

namespace kb::app {
// Called first by every command: logging at the requested verbosity.
void start_command(const GlobalOptions& global);
}  // namespace kb::app
