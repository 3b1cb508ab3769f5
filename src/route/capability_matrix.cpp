#include "route/capability_matrix.h"

#include <algorithm>

#include "core/error.h"
#include "core/json_field.h"
#include "core/text.h"

namespace kb::route {

using nlohmann::json;

namespace {

constexpr const char* kSchema = "kubench/capabilities/v1";

json optional_number(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

std::optional<double> number_or_null(const json& j, const char* key) {
  const auto& v = field(j, key);
  if (v.is_number()) return v.get<double>();
  return std::nullopt;
}

probe::Codec codec_of(const std::string& name, const std::string& where) {
  if (auto c = probe::parse_codec(name)) return *c;
  throw ParseError(where + ": unknown codec '" + name + "'");
}

}  // namespace

json to_json(const CapabilityMatrix& m) {
  json nodes = json::array();
  for (const auto& n : m.nodes) {
    json encoders = json::array();
    for (const auto& e : n.encoders)
      encoders.push_back({{"encoder", e.encoder},
                          {"backend", probe::to_string(e.backend)},
                          {"codec", probe::to_string(e.codec)},
                          {"works", e.works},
                          {"reason", e.reason},
                          {"fps_1080p", optional_number(e.fps_1080p)},
                          {"fps_4k", optional_number(e.fps_4k)},
                          {"session_limit", e.session_limit ? json(*e.session_limit) : json(nullptr)},
                          {"stitchable", e.stitchable},
                          {"threads", e.threads},
                          {"device", e.device}});
    nodes.push_back({{"node", n.node},
                     {"probed_at", n.probed_at},
                     {"kubench_version", n.kubench_version},
                     {"ffmpeg_version", n.ffmpeg_version},
                     {"cpu_cores", n.cpu_cores},
                     {"cpu_threads", n.cpu_threads},
                     {"memory_bytes", n.memory_bytes},
                     {"gpus", n.gpus},
                     {"gpu_resources", n.gpu_resources},
                     {"encoders", encoders},
                     {"error", n.error}});
  }
  return {{"schema", kSchema}, {"generated_at", m.generated_at}, {"nodes", nodes}};
}

CapabilityMatrix matrix_from_json(const json& doc, const std::string& origin) {
  if (!doc.is_object() || string_field(doc, "schema") != kSchema)
    throw ParseError(origin + ": not a " + std::string(kSchema) + " document (run kubench nodes probe)");
  CapabilityMatrix m;
  m.generated_at = string_field(doc, "generated_at");
  try {
    for (const auto& n : field(doc, "nodes")) {
      NodeCapabilities c;
      c.node = string_field(n, "node");
      const auto where = origin + ": node " + c.node;
      if (c.node.empty()) throw ParseError(origin + ": a node without a name");
      c.probed_at = string_field(n, "probed_at");
      c.kubench_version = string_field(n, "kubench_version");
      c.ffmpeg_version = string_field(n, "ffmpeg_version");
      c.cpu_cores = n.value("cpu_cores", 0);
      c.cpu_threads = n.value("cpu_threads", 0);
      c.memory_bytes = n.value("memory_bytes", 0LL);
      c.gpus = n.value("gpus", std::vector<std::string>{});
      c.gpu_resources = n.value("gpu_resources", std::map<std::string, std::string>{});
      c.error = string_field(n, "error");
      for (const auto& e : field(n, "encoders")) {
        EncoderCapability x;
        x.encoder = string_field(e, "encoder");
        const auto backend = probe::parse_backend(string_field(e, "backend"));
        if (!backend) throw ParseError(where + ": encoder " + x.encoder + ": unknown backend '" + string_field(e, "backend") + "'");
        x.backend = *backend;
        x.codec = codec_of(string_field(e, "codec"), where);
        x.works = e.value("works", false);
        x.reason = string_field(e, "reason");
        x.fps_1080p = number_or_null(e, "fps_1080p");
        x.fps_4k = number_or_null(e, "fps_4k");
        if (field(e, "session_limit").is_number_integer()) x.session_limit = e["session_limit"].get<int>();
        x.stitchable = e.value("stitchable", false);
        x.threads = e.value("threads", 0);
        x.device = string_field(e, "device");
        c.encoders.push_back(std::move(x));
      }
      m.nodes.push_back(std::move(c));
    }
  } catch (const json::exception& e) {
    throw ParseError(origin + ": " + e.what());
  }
  std::sort(m.nodes.begin(), m.nodes.end(), [](const auto& a, const auto& b) { return a.node < b.node; });
  return m;
}

CapabilityMatrix merge(CapabilityMatrix cached, const std::vector<NodeCapabilities>& fresh, const std::string& now) {
  for (const auto& f : fresh) {
    auto it = std::find_if(cached.nodes.begin(), cached.nodes.end(), [&](const NodeCapabilities& n) { return n.node == f.node; });
    if (it == cached.nodes.end()) cached.nodes.push_back(f);
    else *it = f;
  }
  std::sort(cached.nodes.begin(), cached.nodes.end(), [](const auto& a, const auto& b) { return a.node < b.node; });
  cached.generated_at = now;
  return cached;
}

Table matrix_table(const CapabilityMatrix& m) {
  Table t;
  t.headers = {"NODE", "CPU", "MEMORY", "GPUS", "ENCODER", "FPS 1080P", "FPS 4K", "SESSIONS", "JOINABLE", "PROBED"};
  t.right_aligned = {1, 2, 5, 6, 7};
  auto fps = [](const std::optional<double>& v) { return v ? fixed(*v, 1) : std::string("-"); };
  for (const auto& n : m.nodes) {
    std::string gpus;
    for (const auto& g : n.gpus) gpus += (gpus.empty() ? "" : "; ") + g;
    const std::string cpu = std::to_string(n.cpu_cores) + "c/" + std::to_string(n.cpu_threads) + "t";
    const std::string memory = fixed(static_cast<double>(n.memory_bytes) / (1024.0 * 1024 * 1024), 1) + " GiB";
    bool any = false;
    for (const auto& e : n.encoders) {
      if (!e.works) continue;
      any = true;
      t.rows.push_back({n.node, cpu, memory, gpus.empty() ? "-" : gpus, e.encoder, fps(e.fps_1080p), fps(e.fps_4k),
                        e.session_limit ? std::to_string(*e.session_limit) : "-", !e.fps_1080p ? "-" : e.stitchable ? "yes" : "no", n.probed_at});
    }
    if (!any)
      t.rows.push_back({n.node, cpu, memory, gpus.empty() ? "-" : gpus, n.error.empty() ? "no working encoder" : "probe failed: " + n.error, "-", "-",
                        "-", "-", n.probed_at});
  }
  return t;
}

}  // namespace kb::route
