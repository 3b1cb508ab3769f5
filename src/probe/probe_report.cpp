#include "probe/probe_report.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "core/error.h"
#include "core/text.h"

namespace kb::probe {

std::vector<Backend> ProbeReport::working_backends() const {
  std::vector<Backend> out;
  for (auto b : kAllBackends) {
    bool works = std::any_of(checks.begin(), checks.end(), [&](const CodecCheck& c) {
      return c.kind == "encode" && c.backend == to_string(b) && c.works;
    });
    if (works) out.push_back(b);
  }
  return out;
}

const GpuDevice* ProbeReport::gpu_for_device(const std::string& device) const {
  for (auto& g : gpus) {
    if (!device.empty() && (g.render_node == device || g.nvidia_index == device)) return &g;
  }
  return nullptr;
}

ProbeReport run_probe(const ProbeOptions& options) {
  ProbeReport report;
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  report.hostname = host;
  struct utsname u {};
  if (::uname(&u) == 0) report.kernel = std::string(u.sysname) + " " + u.release;
  report.cpu = read_cpu(options.host_paths);
  report.memory_bytes = read_memory_bytes(options.host_paths);
  report.gpus = list_drm_gpus(options.sysfs_root);
  report.nvidia_smi_note = add_nvidia_smi_gpus(report.gpus, options.nvidia_smi);
  power::PowerEnvironment penv;
  penv.sysfs_root = options.sysfs_root;
  penv.nvidia_smi = options.nvidia_smi;
  report.sensors = power::probe_sensors(penv);
  try {
    report.ffmpeg = locate_ffmpeg(options.ffmpeg);
  } catch (const EnvironmentError& e) {
    report.ffmpeg_missing = e.what();
  }
  if (report.ffmpeg && options.test_codecs) {
    CapabilityOptions caps;
    caps.device = options.device;
    report.checks = check_capabilities(*report.ffmpeg, caps);
  }
  return report;
}

namespace {
std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}
}  // namespace

std::string check_requirement(const ProbeReport& report, const std::string& requirement) {
  if (!report.ffmpeg) return report.ffmpeg_missing;
  auto working = report.working_backends();
  if (requirement == "any") {
    bool hw = std::any_of(working.begin(), working.end(), [](Backend b) { return b != Backend::cpu; });
    if (hw) return "";
    std::string why;
    for (auto& c : report.checks)
      if (c.kind == "encode" && c.backend != "cpu" && c.codec == "h264") why += (why.empty() ? "" : "; ") + c.name + ": " + c.reason;
    return "no working hardware encoder: " + (why.empty() ? "none tested" : why);
  }
  auto backend = parse_backend(requirement);
  if (!backend) throw UsageError("unknown --require '" + requirement + "': use qsv, vaapi, nvenc, amf, cpu or any");
  if (std::find(working.begin(), working.end(), *backend) != working.end()) return "";
  std::string why;
  for (auto& c : report.checks)
    if (c.kind == "encode" && c.backend == requirement) why += (why.empty() ? "" : "; ") + c.name + ": " + c.reason;
  return "no working " + upper(requirement) + " encoder: " + (why.empty() ? "none tested" : why);
}

nlohmann::json to_json(const ProbeReport& r) {
  using nlohmann::json;
  json gpus = json::array();
  for (auto& g : r.gpus)
    gpus.push_back({{"render_node", g.render_node}, {"card", g.card}, {"pci_slot", g.pci_slot}, {"vendor", g.vendor},
                    {"vendor_id", g.vendor_id}, {"device_id", g.device_id}, {"driver", g.driver}, {"name", g.name},
                    {"nvidia_index", g.nvidia_index}, {"driver_version", g.driver_version},
                    {"memory_bytes", g.memory_bytes}});
  json checks = json::array();
  for (auto& c : r.checks)
    checks.push_back({{"backend", c.backend}, {"codec", c.codec}, {"kind", c.kind}, {"name", c.name},
                      {"works", c.works}, {"reason", c.reason}});
  json sensors = json::array();
  for (auto& s : r.sensors) sensors.push_back({{"name", s.name}, {"readable", s.readable}, {"detail", s.detail}});
  json backends = json::array();
  for (auto b : r.working_backends()) backends.push_back(to_string(b));
  return {{"schema", "kubench/probe/v1"},
          {"hostname", r.hostname},
          {"kernel", r.kernel},
          {"cpu",
           {{"vendor", r.cpu.vendor}, {"model", r.cpu.model}, {"cores", r.cpu.cores}, {"threads", r.cpu.threads},
            {"virtual_machine", r.cpu.hypervisor},
            {"intel_generation", r.cpu.intel_generation ? json(*r.cpu.intel_generation) : json(nullptr)},
            {"intel_family", r.cpu.intel_family}}},
          {"memory_bytes", r.memory_bytes},
          {"gpus", gpus},
          {"nvidia_smi", r.nvidia_smi_note.empty() ? json("used") : json(r.nvidia_smi_note)},
          {"ffmpeg", r.ffmpeg ? json{{"path", r.ffmpeg->path.string()}, {"version", r.ffmpeg->version}}
                              : json{{"missing", r.ffmpeg_missing}}},
          {"working_backends", backends},
          {"codecs", checks},
          {"power_sensors", sensors}};
}

std::string render_table(const ProbeReport& r) {
  std::string out;
  out += "Host     " + r.hostname + " (" + r.kernel + ")\n";
  out += "CPU      " + r.cpu.model + ", " + std::to_string(r.cpu.cores) + " cores / " + std::to_string(r.cpu.threads) +
         " threads";
  if (r.cpu.intel_generation) out += ", Intel gen " + std::to_string(*r.cpu.intel_generation);
  if (r.cpu.hypervisor) out += ", virtual machine";
  out += "\nMemory   " + fixed(static_cast<double>(r.memory_bytes) / (1024.0 * 1024 * 1024), 1) + " GiB\n";
  out += "ffmpeg   " + (r.ffmpeg ? r.ffmpeg->path.string() + " " + r.ffmpeg->version : r.ffmpeg_missing) + "\n";
  out += "\nGPUs\n";
  if (r.gpus.empty()) out += "  none found (no /sys/class/drm render nodes; " + (r.nvidia_smi_note.empty() ? std::string("nvidia-smi found none") : r.nvidia_smi_note) + ")\n";
  else {
    Table t{{"NODE", "VENDOR", "PCI ID", "DRIVER", "SLOT", "NAME"}, {}, {}};
    for (auto& g : r.gpus)
      t.rows.push_back({g.render_node.empty() ? "nvidia:" + g.nvidia_index : g.render_node, g.vendor,
                        g.vendor_id + ":" + g.device_id, g.driver, g.pci_slot, g.name});
    for (auto& line : split(t.render(), '\n'))
      if (!line.empty()) out += "  " + line + "\n";
  }
  if (!r.checks.empty()) {
    out += "\nCodecs (each checked by a real test encode or decode)\n";
    Table t{{"BACKEND", "KIND", "CODEC", "NAME", "WORKS", "REASON"}, {}, {}};
    for (auto& c : r.checks) t.rows.push_back({c.backend, c.kind, c.codec, c.name, c.works ? "yes" : "no", c.reason});
    for (auto& line : split(t.render(), '\n'))
      if (!line.empty()) out += "  " + line + "\n";
  }
  out += "\nPower sensors\n";
  Table t{{"SENSOR", "READABLE", "DETAIL"}, {}, {}};
  for (auto& s : r.sensors) t.rows.push_back({s.name, s.readable ? "yes" : "no", s.detail});
  for (auto& line : split(t.render(), '\n'))
    if (!line.empty()) out += "  " + line + "\n";
  return out;
}

}  // namespace kb::probe
