// The producer's bookkeeping in `kubench encode --kube` (pure: answers in, decisions out). Every
// part of the plan not yet done is submitted to the broker and waited for; the answer decides:
//   done   — the worker's `encode-pod part` printed the part's record: kept;
//   failed — the part's encoder failed (or its leases expired: workers died): tried again,
//            elsewhere if another worker takes it, up to the plan's attempts, then the encode
//            fails naming the part; a node that fails two parts is dropped (its parts go to the
//            others) while another node is left;
//   lost   — the exchange broke (broker restarted, proxy cut): submitted again, not counted
//            (parts are idempotent: the work directory says what is done).
#pragma once
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "encode/work_dir.h"

namespace kb::encode {

struct PartAnswer {
  enum class Kind { done, failed, lost } kind = Kind::lost;
  std::optional<PartRecord> record;  // done
  bool reused = false;               // done by an earlier run (the work directory had it)
  std::string node, error;           // failed: where (may be empty) and why; lost: why
};

// The broker's answer to `POST /v1/queues/encode/items` for part `index` (docs/queue.md).
PartAnswer parse_part_answer(long http_status, const std::string& body, int index);

class PartProducer {
 public:
  // `parts`: indices in submission order (longest first); `nodes`: the nodes with workers.
  PartProducer(std::vector<int> parts, int attempts, std::vector<std::string> nodes);

  // The next part to submit, or nullopt when none waits.
  std::optional<int> take();

  struct Decision {
    std::string failure;    // non-empty: stop, the encode failed (names the part)
    std::string drop_node;  // non-empty: stop this node's workers, its parts go elsewhere
    std::string note;       // for the user
  };
  Decision answer(int index, const PartAnswer& a);

  bool finished() const { return done_.size() == total_; }
  size_t done_count() const { return done_.size(); }
  size_t in_flight() const { return in_flight_.size(); }
  const std::map<int, PartRecord>& done() const { return done_; }
  const std::set<std::string>& dropped_nodes() const { return dropped_; }

 private:
  std::deque<int> waiting_;
  std::set<int> in_flight_;
  std::map<int, PartRecord> done_;
  std::map<int, int> tries_;
  std::map<int, std::vector<std::string>> failures_;  // per part: each failed try's where and why
  std::map<std::string, int> node_failures_;
  std::set<std::string> nodes_, dropped_;
  size_t total_;
  int attempts_;
};

}  // namespace kb::encode
