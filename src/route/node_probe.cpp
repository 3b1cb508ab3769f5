#include "route/node_probe.h"

#include <algorithm>

#include "core/error.h"
#include "core/utc_time.h"
#include "probe/probe_report.h"
#include "probe/reference_encode.h"
#include "probe/session_limit.h"

namespace kb::route {

namespace {

bool wanted(const NodeProbeOptions& o, const probe::CodecCheck& check) {
  if (!o.encoders.empty()) return std::find(o.encoders.begin(), o.encoders.end(), check.name) != o.encoders.end();
  return check.codec == "h264" || check.codec == "hevc";
}

std::string gpu_text(const probe::GpuDevice& g) {
  std::string model = !g.name.empty() ? g.name : g.device_id;
  return g.vendor + " " + model + (g.render_node.empty() ? "" : " (" + g.render_node + ")");
}

}  // namespace

NodeCapabilities probe_this_node(const NodeProbeOptions& o, const NodeProbeProgress& progress) {
  if (progress) progress("inventory and test encodes");
  probe::ProbeOptions po;
  po.ffmpeg = o.ffmpeg;
  po.device = o.device;
  const auto report = probe::run_probe(po);
  if (!report.ffmpeg) throw EnvironmentError("no ffmpeg: " + report.ffmpeg_missing);

  NodeCapabilities node;
  node.node = report.hostname;
  node.probed_at = utc_rfc3339();
  node.kubench_version = o.kubench_version;
  node.ffmpeg_version = report.ffmpeg->version;
  node.cpu_cores = report.cpu.cores;
  node.cpu_threads = report.cpu.threads;
  node.memory_bytes = report.memory_bytes;
  for (auto& g : report.gpus) node.gpus.push_back(gpu_text(g));

  for (auto& check : report.checks) {
    if (check.kind != "encode") continue;
    const auto backend = probe::parse_backend(check.backend);
    const auto codec = probe::parse_codec(check.codec);
    if (!backend || !codec) continue;
    if (!o.encoders.empty() && !wanted(o, check)) continue;
    EncoderCapability e;
    e.encoder = check.name;
    e.backend = *backend;
    e.codec = *codec;
    e.works = check.works;
    e.reason = check.reason;
    e.device = *backend == probe::Backend::cpu ? "" : o.device;
    if (e.works && wanted(o, check)) {
      const auto have = probe::encoder_options(*report.ffmpeg, e.encoder);
      std::vector<std::string> missing;
      for (auto& need : probe::stitchable_option_names(e.backend, e.codec))
        if (std::find(have.begin(), have.end(), need) == have.end()) missing.push_back(need);
      e.stitchable = missing.empty();
      if (!missing.empty()) e.reason = "this ffmpeg's " + e.encoder + " lacks -" + missing.front() + ", needed for joinable parts";
      probe::ReferenceEncode ref;
      ref.backend = e.backend;
      ref.codec = e.codec;
      ref.device = e.device;
      ref.budget = o.budget;
      if (e.backend == probe::Backend::cpu) {
        e.threads = std::max(1, node.cpu_threads);
        ref.threads = e.threads;
      }
      if (progress) progress(e.encoder + " at 1080p");
      auto hd = probe::reference_encode(*report.ffmpeg, ref);
      if (hd.ok) e.fps_1080p = hd.fps;
      else e.works = false, e.reason = "reference encode at 1080p: " + hd.reason;
      if (e.works && o.measure_4k) {
        if (progress) progress(e.encoder + " at 4K");
        ref.width = 3840;
        ref.height = 2160;
        auto uhd = probe::reference_encode(*report.ffmpeg, ref);
        if (uhd.ok) e.fps_4k = uhd.fps;
        else e.reason = "reference encode at 4K: " + uhd.reason;  // 1080p still works
      }
    }
    if (e.works && wanted(o, check) && e.backend == probe::Backend::nvenc && o.session_test) {
      std::string product;
      for (auto& g : report.gpus)
        if (g.vendor == "nvidia" && product.empty()) product = g.name;
      if (!probe::uncapped_sessions(product)) {
        if (progress) progress(e.encoder + ": sessions at once");
        probe::SessionLimitProbe sp;
        sp.backend = e.backend;
        sp.codec = e.codec;
        sp.device = e.device;
        auto limit = probe::session_limit(*report.ffmpeg, sp);
        e.session_limit = limit.limit;
      }
    }
    if (e.works && !wanted(o, check)) e.reason = "not measured (only H.264 and HEVC by default: --encoders " + e.encoder + ")";
    node.encoders.push_back(e);
  }
  return node;
}

}  // namespace kb::route
