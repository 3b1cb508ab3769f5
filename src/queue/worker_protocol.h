// The worker's side of the wire contract (docs/queue.md, "Workers"): the lease call that also
// carries completions, its answer, and the single-lease calls (complete, heartbeat, release).
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kb::queue {

struct WorkItem {
  std::string id;
  std::string lease;
  std::string queue;
  int attempt = 1;
  std::int64_t lease_ms = 0;
  std::int64_t deadline_ms = 0;
  nlohmann::json payload;
};

struct Completion {
  std::string lease;
  bool ok = true;
  nlohmann::json result;  // null when there is none
  std::string error;      // why it failed (only when !ok)
  // Sent again after the exchange that carried it was cut (drain): the broker may already have
  // applied it, so a stale_lease answer then means "no acknowledgement", not "expired".
  bool resent = false;
};

struct LeaseCall {
  std::string worker;
  int max_items = 1;
  std::int64_t wait_ms = 0;
  std::optional<std::int64_t> lease_ms;  // unset: the broker's --lease-seconds
};

// The JSON body of POST /v1/queues/{queue}/leases.
std::string lease_body(const LeaseCall& call, const std::vector<Completion>& complete);

struct CompletionAck {
  bool ok = false;         // false: stale_lease (the lease was no longer ours)
  bool delivered = false;  // the submitter got the result (false: it had gone, result discarded)
};

struct LeaseAnswer {
  std::vector<WorkItem> items;
  std::vector<CompletionAck> completed;  // one per completion sent, in order
};

// Parses a 200 answer; throws ParseError when it is not the documented shape.
LeaseAnswer parse_lease_answer(std::string_view body);

// Body of POST /v1/leases/{lease}/complete.
std::string completion_body(const Completion& c);

// The `code` of a documented error body, or "" when the body is not one.
std::string error_code(std::string_view body);
// "409 stale_lease: the lease …" for logs and failure reasons.
std::string describe_error(int status, std::string_view body);

}  // namespace kb::queue
