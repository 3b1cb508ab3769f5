// `kubench nodes probe`: what each node can encode, measured — the capability matrix that
// `kubench encode` routes parts by (docs/encode.md, "Capability matrix").
#include <iostream>

#include "app/benchmark_job_flags.h"
#include "app/commands.h"
#include "app/kube_flags.h"
#include "core/error.h"
#include "core/files.h"
#include "core/output.h"
#include "core/progress.h"
#include "core/text.h"
#include "core/utc_time.h"
#include "encode/cluster_capabilities.h"
#include "jobs/run_targets.h"
#include "kube/node_inventory.h"
#include "media/clips.h"
#include "media/result_frame.h"
#include "media/bench_runner.h"
#include "route/capability_cache.h"
#include "route/node_probe.h"

namespace kb::app {

namespace {

struct NodesFlags {
  bool local = false, no_4k = false, no_session_test = false, quiet = false, result_frame = false, refresh = false, label = false, keep = false;
  std::string encoders, ffmpeg, device, format = "table", selector, image = default_image(), image_pull_policy = "IfNotPresent",
              image_platforms;
  double probe_seconds = 3, max_age_hours = 24 * 7, schedule_timeout = 120;
  KubeFlags kube;
};

void print_matrix(const route::CapabilityMatrix& matrix, OutputFormat format) {
  if (format == OutputFormat::json) std::cout << route::to_json(matrix).dump(2) << "\n";
  else if (format == OutputFormat::csv) std::cout << route::matrix_table(matrix).to_csv();
  else std::cout << route::matrix_table(matrix).render();
}

void probe_locally(const NodesFlags& f, OutputFormat format) {
  route::NodeProbeOptions o;
  o.ffmpeg = f.ffmpeg;
  o.device = f.device;
  for (auto& e : split(f.encoders, ','))
    if (!trim(e).empty()) o.encoders.emplace_back(trim(e));
  o.budget = std::chrono::milliseconds(static_cast<long>(f.probe_seconds * 1000));
  o.measure_4k = !f.no_4k;
  o.session_test = !f.no_session_test;
  o.kubench_version = KUBENCH_VERSION;
  ProgressLine line;
  auto node = route::probe_this_node(o, [&](const std::string& what) {
    if (!f.quiet) line.update("probing: " + what);
  });
  line.clear();
  // In a probe Job the pod's hostname is the pod's name: the node's comes from the downward API.
  if (const char* name = std::getenv("KUBENCH_NODE_NAME"); name && *name) node.node = name;
  route::CapabilityMatrix matrix;
  matrix.generated_at = node.probed_at;
  matrix.nodes.push_back(node);
  // Kept for `kubench encode` on this machine; a cache that cannot be written is not an error.
  try {
    const auto dir = media::default_cache_dir();
    ensure_writable_dir(dir);
    write_file_atomic(dir / "capabilities-local.json", route::to_json(matrix).dump(2) + "\n");
  } catch (const Error& e) {
    if (!f.result_frame) std::cerr << "kubench: warning: capability matrix not cached: " << e.what() << "\n";
  }
  print_matrix(matrix, format);
  if (f.result_frame) {
    std::cout.flush();
    std::fputs(media::frame_result(route::to_json(matrix)).c_str(), stdout);
    std::fflush(stdout);
  }
}

void probe_cluster(const NodesFlags& f, OutputFormat format, GlobalOptions& global) {
  auto client = connect(f.kube);
  client->server_version();  // the reachability check: one line, exit 2
  const std::string ns = client->config().namespace_name.empty() ? "default" : client->config().namespace_name;
  encode::ClusterProbeOptions o;
  o.selector = jobs::parse_selector(f.selector);
  o.image = f.image;
  o.image_pull_policy = f.image_pull_policy;
  o.platforms = image_platforms(f.image, f.image_platforms);
  o.probe_seconds = f.probe_seconds;
  o.measure_4k = !f.no_4k;
  for (auto& e : split(f.encoders, ','))
    if (!trim(e).empty()) o.encoders.emplace_back(trim(e));
  o.max_age = std::chrono::seconds(static_cast<long>(f.max_age_hours * 3600));
  o.refresh = f.refresh;
  o.keep = f.keep;
  o.schedule_timeout = f.schedule_timeout;
  ProgressLine line;
  encode::ClusterProbeEvents events;
  if (!f.quiet) {
    events.note = [&](const std::string& s) { line.finish(s); };
    events.status = [&](const std::string& node, const std::string& status) { line.finish(node + ": " + status); };
  }
  auto found = encode::cluster_capabilities(*client, ns, o, events);
  for (auto& failed : found.failed) std::fprintf(stderr, "kubench: %s\n", failed.c_str());
  if (found.exit_code) global.exit_code = found.exit_code;
  auto& cached = found.matrix;
  const auto& nodes = found.nodes;
  std::vector<std::string> names;
  for (auto& n : nodes) names.push_back(n.name);
  if (found.probed.empty() && found.failed.empty() && !f.quiet)
    line.finish("every node was probed within " + fixed(f.max_age_hours, 0) + " h (ConfigMap " + ns + "/" + route::kCapabilitiesConfigMap +
                "); --refresh measures again");
  if (f.label) {
    for (auto& n : cached.nodes) {
      auto live = std::find_if(nodes.begin(), nodes.end(), [&](const kube::NodeInventory& i) { return i.name == n.node; });
      if (live == nodes.end() || !n.error.empty()) continue;
      client->patch(kube::resources::nodes, "", n.node, route::label_patch(n, live->labels), kube::PatchType::merge);
    }
  }
  // Only the nodes asked about, from the merged cache.
  route::CapabilityMatrix shown;
  shown.generated_at = cached.generated_at;
  for (auto& n : cached.nodes)
    if (std::find(names.begin(), names.end(), n.node) != names.end()) shown.nodes.push_back(n);
  line.clear();
  print_matrix(shown, format);
}

}  // namespace

void add_nodes_command(CLI::App& app, GlobalOptions& global) {
  auto f = std::make_shared<NodesFlags>();
  auto* nodes = app.add_subcommand("nodes", "What each node can encode, measured");
  nodes->require_subcommand(1);
  auto* probe = nodes->add_subcommand("probe", "Measure each working encoder's speed with joinable settings: the capability matrix");
  probe->add_flag("--local", f->local, "This machine, as a process (default: every Ready node of the cluster, one Job each)");
  probe->add_option("--encoders", f->encoders, "Only these encoders, comma-separated (default: the H.264 and HEVC encoders that work)");
  probe->add_option("--probe-seconds", f->probe_seconds, "Encoding time per encoder and resolution (default 3)");
  probe->add_flag("--no-4k", f->no_4k, "Measure at 1080p only");
  probe->add_flag("--no-session-test", f->no_session_test,
                  "--local: do not open NVENC sessions until the driver refuses one (consumer cards; a busy card's users would notice)");
  probe->add_option("--ffmpeg", f->ffmpeg, "--local: the ffmpeg to probe (default: from PATH)");
  probe->add_option("--device", f->device, "--local: hardware device, render node or NVIDIA GPU index");
  probe->add_flag("--result-frame", f->result_frame, "--local: also print the matrix framed on stdout (for a collector reading the log)");
  add_kube_flags(probe, f->kube);
  probe->add_option("--selector", f->selector, "Only nodes with these labels: key=value[,key=value]");
  probe->add_option("--max-age", f->max_age_hours, "Hours a cached measurement stays good (default 168)");
  probe->add_flag("--refresh", f->refresh, "Probe every node again, whatever the cache says");
  probe->add_flag("--label", f->label, "Write kubench.io/encoder.NAME=true labels on the nodes (and remove ours that no longer hold)");
  probe->add_option("--image", f->image, "Image of the probe Jobs (default " + default_image() + ")");
  probe->add_option("--image-pull-policy", f->image_pull_policy, "Always|IfNotPresent|Never (default IfNotPresent)");
  add_image_platforms_flag(probe, f->image_platforms);
  probe->add_option("--schedule-timeout", f->schedule_timeout, "Seconds a probe pod may stay unschedulable (default 120)");
  probe->add_flag("--keep", f->keep, "Keep the probe Jobs and pods afterwards");
  probe->add_option("-o,--output", f->format, "table|json|csv");
  probe->add_flag("-q,--quiet", f->quiet, "No progress");
  probe->footer("Examples:\n  kubench nodes probe --local\n  kubench nodes probe --label\n"
                "  kubench nodes probe --selector kubernetes.io/arch=amd64 --encoders libx264,h264_nvenc --probe-seconds 5 -o json\n"
                "The cluster's matrix is kept in the ConfigMap kubench-capabilities of the namespace, each node with its probe time;\n"
                "nodes probed within --max-age are not probed again. --local keeps it in the cache directory for kubench encode.\n"
                "Exit codes: 0 ok, 2 no ffmpeg / bad flags / cluster unreachable, 3-9 a probe Job failed (as kubench run --kube),\n"
                "130 interrupted. docs/encode.md");
  probe->callback([f, &global] {
    start_command(global);
    const auto format = parse_output_format(f->format, {OutputFormat::table, OutputFormat::json, OutputFormat::csv});
    if (!(f->probe_seconds > 0) || f->probe_seconds > 600) throw UsageError("--probe-seconds must be more than 0 and at most 600");
    if (!(f->max_age_hours >= 0)) throw UsageError("--max-age must be 0 hours or more");
    if (f->local) probe_locally(*f, format);
    else probe_cluster(*f, format, global);
  });
}

}  // namespace kb::app
