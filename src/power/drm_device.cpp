#include "power/drm_device.h"

namespace kb::power {

std::string drm_node_name(const std::string& device, const std::string& fallback) {
  if (device.empty()) return fallback;
  return std::filesystem::path(device).filename().string();
}

std::string drm_driver(const std::filesystem::path& sysfs_root, const std::string& node) {
  std::error_code ec;
  auto link = sysfs_root / "class" / "drm" / node / "device" / "driver";
  auto target = std::filesystem::read_symlink(link, ec);
  if (ec) {
    // Not a link (e.g. a test tree written as plain directories): use the resolved name.
    auto resolved = std::filesystem::canonical(link, ec);
    if (ec) return "";
    return resolved.filename().string();
  }
  return target.filename().string();
}

}  // namespace kb::power
