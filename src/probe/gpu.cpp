#include "probe/gpu.h"

#include <algorithm>
#include <cctype>

#include "core/error.h"
#include "core/files.h"
#include "core/process.h"
#include "core/text.h"

namespace kb::probe {
namespace fs = std::filesystem;

std::string vendor_name(std::string_view id) {
  if (id == "0x8086") return "intel";
  if (id == "0x1002") return "amd";
  if (id == "0x10de") return "nvidia";
  return "other";
}

namespace {
std::string read_trimmed(const fs::path& p) {
  try {
    return std::string(trim(read_file(p)));
  } catch (const Error&) {
    return "";
  }
}

}  // namespace

std::vector<GpuDevice> list_drm_gpus(const fs::path& sysfs_root) {
  std::vector<GpuDevice> out;
  std::error_code ec;
  auto drm = sysfs_root / "class/drm";
  for (auto& entry : fs::directory_iterator(drm, ec)) {
    auto name = entry.path().filename().string();
    if (!starts_with(name, "renderD")) continue;
    GpuDevice gpu;
    gpu.render_node = "/dev/dri/" + name;
    auto device = entry.path() / "device";
    gpu.vendor_id = read_trimmed(device / "vendor");
    gpu.device_id = read_trimmed(device / "device");
    gpu.vendor = vendor_name(gpu.vendor_id);
    gpu.driver = fs::read_symlink(device / "driver", ec).filename().string();
    auto resolved = fs::canonical(device, ec);
    if (!ec) gpu.pci_slot = resolved.filename().string();
    for (auto& sibling : fs::directory_iterator(device / "drm", ec)) {
      auto card = sibling.path().filename().string();
      if (starts_with(card, "card")) gpu.card = card;
    }
    out.push_back(std::move(gpu));
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) {
    return a.render_node.size() != b.render_node.size() ? a.render_node.size() < b.render_node.size()
                                                        : a.render_node < b.render_node;
  });
  return out;
}

std::vector<GpuDevice> parse_nvidia_smi_gpus(std::string_view csv) {
  std::vector<GpuDevice> out;
  for (auto& line : split(csv, '\n')) {
    if (trim(line).empty()) continue;
    auto f = split(line, ',');
    if (f.size() < 5) continue;
    GpuDevice gpu;
    gpu.vendor = "nvidia";
    gpu.vendor_id = "0x10de";
    gpu.driver = "nvidia";
    gpu.nvidia_index = trim(f[0]);
    gpu.name = trim(f[1]);
    gpu.driver_version = trim(f[2]);
    if (auto mib = parse_double(f[3])) gpu.memory_bytes = static_cast<long long>(*mib * 1024 * 1024);
    // nvidia-smi writes "00000000:01:00.0"; sysfs writes "0000:01:00.0".
    std::string bus = to_lower(std::string(trim(f[4])));
    if (bus.size() > 12) bus = bus.substr(bus.size() - 12);
    gpu.pci_slot = bus;
    out.push_back(std::move(gpu));
  }
  return out;
}

std::string add_nvidia_smi_gpus(std::vector<GpuDevice>& gpus, const std::string& nvidia_smi) {
  if (!find_executable(nvidia_smi)) return "nvidia-smi not installed";
  ProcessSpec spec;
  spec.argv = {nvidia_smi, "--query-gpu=index,name,driver_version,memory.total,pci.bus_id",
               "--format=csv,noheader,nounits"};
  spec.timeout = std::chrono::seconds(20);
  ProcessResult r;
  try {
    r = run_process(spec);
  } catch (const Error& e) {
    return e.what();
  }
  if (!r.ok()) return "nvidia-smi failed: " + r.describe() + ": " + last_lines(r.stderr_text + r.stdout_text, 1);
  for (auto& nv : parse_nvidia_smi_gpus(r.stdout_text)) {
    auto same = std::find_if(gpus.begin(), gpus.end(), [&](auto& g) { return g.pci_slot == nv.pci_slot; });
    if (same == gpus.end()) {
      gpus.push_back(nv);
      continue;
    }
    same->name = nv.name;
    same->nvidia_index = nv.nvidia_index;
    same->driver_version = nv.driver_version;
    same->memory_bytes = nv.memory_bytes;
  }
  return "";
}

}  // namespace kb::probe
