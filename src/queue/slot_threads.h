// One thread per slot for workloads that block while their child runs (exec, media). The threads
// are started once, on a slot's first item, and reused: no thread is created per item.
#pragma once
#include <functional>
#include <memory>

namespace kb::queue {

class SlotThreads {
 public:
  explicit SlotThreads(int slots);
  ~SlotThreads();  // waits for running tasks, then joins
  SlotThreads(const SlotThreads&) = delete;
  SlotThreads& operator=(const SlotThreads&) = delete;
  // Runs `task` on `slot`'s thread. The slot must be idle (the worker's slot table ensures it).
  void run(int slot, std::function<void()> task);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kb::queue
