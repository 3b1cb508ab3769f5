// `kubench nodes probe`: what each node can encode, measured — the capability matrix that
// `kubench encode` routes parts by (docs/encode.md, "Capability matrix").
#include <iostream>

#include "app/commands.h"
#include "core/error.h"
#include "core/files.h"
#include "core/output.h"
#include "core/progress.h"
#include "core/text.h"
#include "core/utc_time.h"
#include "media/clips.h"
#include "route/node_probe.h"

namespace kb::app {

void add_nodes_command(CLI::App& app, GlobalOptions& global) {
  struct Flags {
    bool local = false, no_4k = false, quiet = false;
    std::string encoders, ffmpeg, device, format = "table";
    double probe_seconds = 3;
  };
  auto f = std::make_shared<Flags>();
  auto* nodes = app.add_subcommand("nodes", "What each node can encode, measured");
  nodes->require_subcommand(1);
  auto* probe = nodes->add_subcommand("probe", "Measure each working encoder's speed with joinable settings: the capability matrix");
  probe->add_flag("--local", f->local, "This machine (the cluster form, one Job per node, is not built yet)");
  probe->add_option("--encoders", f->encoders, "Only these encoders, comma-separated (default: the H.264 and HEVC encoders that work)");
  probe->add_option("--probe-seconds", f->probe_seconds, "Encoding time per encoder and resolution (default 3)");
  probe->add_flag("--no-4k", f->no_4k, "Measure at 1080p only");
  probe->add_option("--ffmpeg", f->ffmpeg, "The ffmpeg to probe (default: from PATH)");
  probe->add_option("--device", f->device, "Hardware device: render node or NVIDIA GPU index");
  probe->add_option("-o,--output", f->format, "table|json|csv");
  probe->add_flag("-q,--quiet", f->quiet, "No progress");
  probe->footer("Examples:\n  kubench nodes probe --local\n  kubench nodes probe --local --encoders libx264,h264_nvenc --probe-seconds 5 -o json\n"
                "The result is also kept in the cache directory (capabilities-local.json) for kubench encode.\n"
                "Exit codes: 0 ok, 2 no ffmpeg / bad flags, 130 interrupted. docs/encode.md");
  probe->callback([f, &global] {
    start_command(global);
    const auto format = parse_output_format(f->format, {OutputFormat::table, OutputFormat::json, OutputFormat::csv});
    if (!f->local) throw UsageError("nodes probe needs --local for now: probing a cluster's nodes with Jobs is not built yet");
    if (!(f->probe_seconds > 0) || f->probe_seconds > 600) throw UsageError("--probe-seconds must be more than 0 and at most 600");
    route::NodeProbeOptions o;
    o.ffmpeg = f->ffmpeg;
    o.device = f->device;
    for (auto& e : split(f->encoders, ','))
      if (!trim(e).empty()) o.encoders.emplace_back(trim(e));
    o.budget = std::chrono::milliseconds(static_cast<long>(f->probe_seconds * 1000));
    o.measure_4k = !f->no_4k;
    o.kubench_version = KUBENCH_VERSION;
    ProgressLine line;
    auto node = route::probe_this_node(o, [&](const std::string& what) {
      if (!f->quiet) line.update("probing: " + what);
    });
    line.clear();
    route::CapabilityMatrix matrix;
    matrix.generated_at = node.probed_at;
    matrix.nodes.push_back(node);
    // Kept for `kubench encode` on this machine; a cache that cannot be written is not an error.
    try {
      const auto dir = media::default_cache_dir();
      ensure_writable_dir(dir);
      write_file_atomic(dir / "capabilities-local.json", route::to_json(matrix).dump(2) + "\n");
    } catch (const Error& e) {
      std::cerr << "kubench: warning: capability matrix not cached: " << e.what() << "\n";
    }
    if (format == OutputFormat::json) std::cout << route::to_json(matrix).dump(2) << "\n";
    else if (format == OutputFormat::csv) std::cout << route::matrix_table(matrix).to_csv();
    else std::cout << route::matrix_table(matrix).render();
  });
}

}  // namespace kb::app
