// The worker's slots: how many items one worker process runs at once, which are free, and which
// device each slot uses (slot i takes device i mod n, so 2 slots over 2 GPUs use one each).
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace kb::queue {

class SlotTable {
 public:
  explicit SlotTable(int slots, std::vector<std::string> devices = {});
  std::optional<int> acquire();  // the lowest free slot, or nullopt when all are busy
  void release(int slot);        // a slot that is not busy is left alone
  bool busy(int slot) const { return busy_.at(static_cast<size_t>(slot)); }
  int free() const { return free_; }
  int size() const { return static_cast<int>(busy_.size()); }
  const std::string& device(int slot) const;  // "" when no devices were given

 private:
  std::vector<bool> busy_;
  std::vector<std::string> devices_;
  int free_;
};

// Sorted paths matching a glob (e.g. "/dev/dri/renderD*"); an empty pattern gives none.
// Throws EnvironmentError when a pattern matches nothing.
std::vector<std::string> expand_device_glob(const std::string& pattern);

}  // namespace kb::queue
