// GPU inventory: DRM render nodes from sysfs, and NVIDIA GPUs from nvidia-smi when present.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace kb::probe {

struct GpuDevice {
  std::string render_node;  // "/dev/dri/renderD128" ("" for an nvidia-smi-only entry)
  std::string card;         // "card0"
  std::string pci_slot;     // "0000:00:02.0"
  std::string vendor_id;    // "0x8086"
  std::string device_id;    // "0x4680"
  std::string vendor;       // "intel" | "amd" | "nvidia" | "other"
  std::string driver;       // "i915" | "xe" | "amdgpu" | "nvidia" | ...
  std::string name;         // from nvidia-smi for NVIDIA, else ""
  std::string nvidia_index; // nvidia-smi index
  std::string driver_version;
  long long memory_bytes = 0;
};

// Render nodes under <sysfs>/class/drm/renderD*, mapped to /dev/dri/<node>.
std::vector<GpuDevice> list_drm_gpus(const std::filesystem::path& sysfs_root = "/sys");

// Parses `nvidia-smi --query-gpu=index,name,driver_version,memory.total,pci.bus_id --format=csv,noheader,nounits`.
std::vector<GpuDevice> parse_nvidia_smi_gpus(std::string_view csv);

// Runs nvidia-smi (if installed) and merges its GPUs into `gpus` by PCI slot.
// Returns "" or the reason nvidia-smi could not be used.
std::string add_nvidia_smi_gpus(std::vector<GpuDevice>& gpus, const std::string& nvidia_smi = "nvidia-smi");

std::string vendor_name(std::string_view pci_vendor_id);

}  // namespace kb::probe
