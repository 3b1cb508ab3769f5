#include "queue/worker_slots.h"

#include <glob.h>

#include <algorithm>
#include <stdexcept>

#include "core/error.h"

namespace kb::queue {

SlotTable::SlotTable(int slots, std::vector<std::string> devices)
    : busy_(static_cast<size_t>(std::max(slots, 0)), false), devices_(std::move(devices)), free_(std::max(slots, 0)) {}

std::optional<int> SlotTable::acquire() {
  for (size_t i = 0; i < busy_.size(); ++i) {
    if (!busy_[i]) {
      busy_[i] = true;
      --free_;
      return static_cast<int>(i);
    }
  }
  return std::nullopt;
}

void SlotTable::release(int slot) {
  if (slot < 0 || slot >= size() || !busy_[static_cast<size_t>(slot)]) return;
  busy_[static_cast<size_t>(slot)] = false;
  ++free_;
}

const std::string& SlotTable::device(int slot) const {
  static const std::string none;
  if (devices_.empty() || slot < 0) return none;
  return devices_[static_cast<size_t>(slot) % devices_.size()];
}

std::vector<std::string> expand_device_glob(const std::string& pattern) {
  if (pattern.empty()) return {};
  glob_t g{};
  int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
  std::vector<std::string> out;
  if (rc == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  ::globfree(&g);
  if (out.empty()) throw EnvironmentError("--device-glob '" + pattern + "' matches no device on this node");
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace kb::queue
