// Mapping an encode's device ("/dev/dri/renderD128") to its sysfs entries.
#pragma once
#include <filesystem>
#include <string>

namespace kb::power {

// "renderD128" for "/dev/dri/renderD128" or "renderD128"; `fallback` when `device` is empty
// (ffmpeg's own default for VAAPI/QSV is renderD128).
std::string drm_node_name(const std::string& device, const std::string& fallback = "renderD128");

// The kernel driver bound to the node ("i915", "xe", "amdgpu"), from the device/driver link;
// "" when it cannot be told.
std::string drm_driver(const std::filesystem::path& sysfs_root, const std::string& node);

}  // namespace kb::power
