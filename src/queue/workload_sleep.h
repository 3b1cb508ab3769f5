// The built-in `sleep` workload: payload {"seconds": x} (or a bare number). It proves the queue
// machinery itself scales before real work is tried: each item costs a timer, no thread, no child.
#pragma once
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "queue/workload.h"

namespace boost::asio {
class io_context;
}

namespace kb::queue {

struct SleepRequest {
  double seconds = 0;
  std::string error;  // non-empty: the payload was refused
};
// Accepts {"seconds": x} or x, with 0 <= x <= 1e6.
SleepRequest parse_sleep_payload(const nlohmann::json& payload);

class SleepWorkload : public Workload {
 public:
  // `time_limit`: a longer sleep stops at the limit and fails (the item is reported, not lost).
  SleepWorkload(boost::asio::io_context& io, int slots, std::optional<std::chrono::milliseconds> time_limit);
  ~SleepWorkload() override;
  std::string name() const override { return "sleep"; }
  void start(int slot, const std::string& device, const WorkItem& item, Done done) override;
  void cancel(int slot) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kb::queue
