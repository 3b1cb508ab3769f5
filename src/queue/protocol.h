// The broker's wire format (docs/queue.md): parsing of request bodies, with every bad input a
// RequestError (HTTP status + error code), and the JSON of the answers. Pure: fuzzed on its own.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "queue/broker.h"

namespace kb::queue {

// A request the broker refuses: 4xx with {"error": {"code", "message"}}.
class RequestError : public ParseError {
 public:
  RequestError(int http_status, std::string code, const std::string& message)
      : ParseError(message), http_status_(http_status), code_(std::move(code)) {}
  int http_status() const { return http_status_; }
  const std::string& code() const { return code_; }

 private:
  int http_status_;
  std::string code_;
};

using Millis = std::chrono::milliseconds;

inline constexpr std::size_t kMaxJsonDepth = 64;
inline constexpr std::size_t kMaxWorkerName = 256;
inline constexpr std::size_t kMaxItemsPerLease = 1000;
inline constexpr Millis kDefaultSubmitTimeout{30000};
inline constexpr Millis kMaxSubmitTimeout{3600000};
inline constexpr Millis kMaxLeaseWait{300000};
inline constexpr Millis kMinLease{100};
inline constexpr Millis kMaxLease{3600000};

struct SubmitRequest {
  std::string payload = "null";  // raw JSON
  Millis timeout = kDefaultSubmitTimeout;
};

struct CompletionRequest {
  std::uint64_t lease = 0;
  std::string lease_text;  // as sent, for the answer
  bool ok = true;
  std::string result = "null";  // raw JSON
  std::string error;
};

struct LeaseRequest {
  std::optional<std::string> worker;
  std::size_t max_items = 1;
  Millis wait{0};
  std::optional<Millis> lease;
  std::vector<CompletionRequest> complete;
};

struct HeartbeatRequest {
  std::optional<Millis> lease;
};

SubmitRequest parse_submit(std::string_view body);
LeaseRequest parse_lease(std::string_view body);
CompletionRequest parse_complete(std::string_view lease_id, std::string_view body);
HeartbeatRequest parse_heartbeat(std::string_view body);
void parse_release(std::string_view body);  // only checks that it is an object (or empty)
std::uint64_t parse_lease_id(std::string_view text);  // 400 invalid_lease
void check_queue_name(std::string_view name);          // 400 invalid_queue_name

// The deepest nesting of arrays/objects in `text` (strings skipped); bounds the recursion of
// anything that later walks the document.
std::size_t json_depth(std::string_view text);

// {"error": {"code": CODE, "message": MESSAGE}} (+ "id" when non-zero).
std::string error_json(std::string_view code, std::string_view message, std::uint64_t id = 0);
// HTTP status for a broker Status that is not ok.
int http_status(Status status);
std::string status_message(Status status, std::string_view queue, std::size_t qmax);

// The submitter's answer: status (200, 504, 503) and body.
struct Answer {
  int status = 200;
  std::string body;
};
Answer item_answer(const ItemResult& result);

struct CompletionOutcome {
  std::string lease;
  Status status = Status::ok;
  bool delivered = false;
};
std::string leased_json(const std::vector<LeasedItem>& items, const std::vector<CompletionOutcome>& completed);
std::string completion_json(const CompletionOutcome& outcome);  // {"lease","delivered"}

std::string queue_json(const QueueStats& stats);
std::string queues_json(const std::vector<QueueStats>& stats, bool draining);

}  // namespace kb::queue
