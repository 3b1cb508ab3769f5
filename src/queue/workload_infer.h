// The `infer` workload: each item is a query to a TorchScript model the worker loaded once at
// start (infer/'s InferSession, `kubench infer`'s loading, inputs and checks), run on the slot's
// thread. Payload {} or {"queries": N} (N forward() calls, default 1); the result carries
// queries, samples and the latency, so `queue load` and `scale validate` can test a model
// server's scaling as they test transcoding.
#pragma once
#include <memory>

#include "infer/infer_options.h"
#include "queue/workload.h"

namespace boost::asio {
class io_context;
}

namespace kb::queue {

// {} / null → 1; {"queries": N} with 1 <= N <= 100000; anything else an error (empty: ok).
struct InferRequest {
  int queries = 1;
  std::string error;
};
InferRequest parse_infer_payload(const nlohmann::json& payload);

class InferWorkload : public Workload {
 public:
  // Loads the model and runs its first inference and warm-up: a model that cannot run fails
  // here (UsageError/EnvironmentError, one line), before the worker leases anything.
  InferWorkload(boost::asio::io_context& io, int slots, const infer::InferOptions& options);
  ~InferWorkload() override;
  std::string name() const override { return "infer"; }
  void start(int slot, const std::string& device, const WorkItem& item, Done done) override;
  void cancel(int slot) override;  // a query is short: it runs to its end

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kb::queue
