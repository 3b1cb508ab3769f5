#include "queue/slot_threads.h"

#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace kb::queue {

struct SlotThreads::Impl {
  struct Slot {
    std::mutex mutex;
    std::condition_variable wake;
    std::function<void()> task;
    bool stop = false;
    std::thread thread;
  };
  std::vector<std::unique_ptr<Slot>> slots;

  static void loop(Slot& s) {
    std::unique_lock lock(s.mutex);
    for (;;) {
      s.wake.wait(lock, [&] { return s.stop || s.task; });
      if (!s.task) return;  // stop with nothing left to run
      auto task = std::move(s.task);
      s.task = nullptr;
      lock.unlock();
      task();
      lock.lock();
    }
  }
};

SlotThreads::SlotThreads(int slots) : impl_(std::make_unique<Impl>()) {
  for (int i = 0; i < slots; ++i) impl_->slots.push_back(std::make_unique<Impl::Slot>());
}

SlotThreads::~SlotThreads() {
  for (auto& s : impl_->slots) {
    {
      std::lock_guard lock(s->mutex);
      s->stop = true;
    }
    s->wake.notify_one();
  }
  for (auto& s : impl_->slots)
    if (s->thread.joinable()) s->thread.join();
}

void SlotThreads::run(int slot, std::function<void()> task) {
  auto& s = *impl_->slots.at(static_cast<size_t>(slot));
  {
    std::lock_guard lock(s.mutex);
    if (s.task) throw std::logic_error("SlotThreads: slot is busy");
    s.task = std::move(task);
    if (!s.thread.joinable()) s.thread = std::thread(Impl::loop, std::ref(s));
  }
  s.wake.notify_one();
}

}  // namespace kb::queue
