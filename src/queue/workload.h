// What a worker slot runs. The worker leases items and hands each to its Workload with the slot
// and that slot's device; the workload reports back through `done`, on the worker's io thread.
// Built-ins: `sleep` (workload_sleep.h), `exec` (workload_exec.h), `media` (workload_media.h).
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "queue/worker_protocol.h"

namespace kb::queue {

struct WorkOutcome {
  bool ok = true;
  nlohmann::json result = nlohmann::json::object();  // the workload's figures (the worker adds node/pod/device)
  std::string error;                                  // why it failed, one line
};

class Workload {
 public:
  using Done = std::function<void(WorkOutcome)>;
  virtual ~Workload() = default;
  virtual std::string name() const = 0;
  // Starts `item` in `slot`. `done` runs exactly once, later (posted to the io_context, never
  // from inside start()), also when the item was refused or cancelled.
  virtual void start(int slot, const std::string& device, const WorkItem& item, Done done) = 0;
  // Ends the work in `slot` early (lease lost, submitter gone, hard stop). `done` still runs.
  virtual void cancel(int slot) = 0;
};

}  // namespace kb::queue
