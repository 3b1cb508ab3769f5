#include "queue/protocol.h"

#include <nlohmann/json.hpp>

#include "core/text.h"

namespace kb::queue {

namespace {
using nlohmann::json;

// Serialises without ever throwing: strings we did not validate get U+FFFD for bad UTF-8.
std::string dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string json_string(std::string_view text) { return dump(json(text)); }

RequestError invalid_field(const std::string& message) { return RequestError(400, "invalid_field", message); }

json parse_object(std::string_view body) {
  if (trim(body).empty()) return json::object();
  if (json_depth(body) > kMaxJsonDepth)
    throw RequestError(400, "invalid_json", "the body is nested deeper than " + std::to_string(kMaxJsonDepth));
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded()) throw RequestError(400, "invalid_json", "the body is not valid JSON");
  if (!doc.is_object()) throw RequestError(400, "invalid_json", "the body must be a JSON object");
  return doc;
}

const json* field(const json& doc, const char* name) {
  auto it = doc.find(name);
  return it == doc.end() || it->is_null() ? nullptr : &*it;
}

// An integer field within [lo, hi]; nullopt when absent or null.
std::optional<long long> int_field(const json& doc, const char* name, long long lo, long long hi) {
  const json* v = field(doc, name);
  if (!v) return std::nullopt;
  long long n = 0;
  if (v->is_number_unsigned()) {
    auto u = v->get<unsigned long long>();
    if (u > static_cast<unsigned long long>(hi)) throw invalid_field(std::string(name) + " must be at most " + std::to_string(hi));
    n = static_cast<long long>(u);
  } else if (v->is_number_integer()) {
    n = v->get<long long>();
  } else {
    throw invalid_field(std::string(name) + " must be an integer");
  }
  if (n < lo || n > hi)
    throw invalid_field(std::string(name) + " must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  return n;
}

std::optional<std::string> string_field(const json& doc, const char* name, std::size_t max_size) {
  const json* v = field(doc, name);
  if (!v) return std::nullopt;
  if (!v->is_string()) throw invalid_field(std::string(name) + " must be a string");
  auto s = v->get<std::string>();
  if (s.size() > max_size) throw invalid_field(std::string(name) + " is longer than " + std::to_string(max_size) + " bytes");
  return s;
}

std::string raw_field(const json& doc, const char* name) {
  const json* v = field(doc, name);
  return v ? dump(*v) : "null";
}

CompletionRequest completion_from(const json& doc, std::string_view lease_text) {
  CompletionRequest c;
  c.lease = parse_lease_id(lease_text);
  c.lease_text = std::string(lease_text);
  auto status = string_field(doc, "status", 16).value_or("ok");
  if (status != "ok" && status != "failed") throw invalid_field("status must be \"ok\" or \"failed\"");
  c.ok = status == "ok";
  c.result = raw_field(doc, "result");
  c.error = string_field(doc, "error", 64 * 1024).value_or("");
  return c;
}

std::string ms_text(double seconds) { return fixed(seconds * 1000, 3); }
}  // namespace

std::size_t json_depth(std::string_view text) {
  std::size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

std::uint64_t parse_lease_id(std::string_view text) {
  auto id = parse_id(text);
  if (!id) throw RequestError(400, "invalid_lease", "a lease id is 16 lowercase hex digits");
  return *id;
}

void check_queue_name(std::string_view name) {
  if (!valid_queue_name(name))
    throw RequestError(400, "invalid_queue_name", "a queue name is 1 to 64 of A-Z a-z 0-9 . _ -");
}

SubmitRequest parse_submit(std::string_view body) {
  json doc = parse_object(body);
  SubmitRequest r;
  r.payload = raw_field(doc, "payload");
  if (auto t = int_field(doc, "timeout_ms", 1, kMaxSubmitTimeout.count())) r.timeout = Millis(*t);
  return r;
}

LeaseRequest parse_lease(std::string_view body) {
  json doc = parse_object(body);
  LeaseRequest r;
  r.worker = string_field(doc, "worker", kMaxWorkerName);
  if (r.worker && r.worker->empty()) throw invalid_field("worker must not be empty");
  if (auto n = int_field(doc, "max_items", 0, static_cast<long long>(kMaxItemsPerLease))) r.max_items = static_cast<std::size_t>(*n);
  if (auto w = int_field(doc, "wait_ms", 0, kMaxLeaseWait.count())) r.wait = Millis(*w);
  if (auto l = int_field(doc, "lease_ms", kMinLease.count(), kMaxLease.count())) r.lease = Millis(*l);
  if (const json* list = field(doc, "complete")) {
    if (!list->is_array()) throw invalid_field("complete must be an array");
    if (list->size() > kMaxItemsPerLease) throw invalid_field("complete holds more than " + std::to_string(kMaxItemsPerLease) + " entries");
    for (auto& entry : *list) {
      if (!entry.is_object()) throw invalid_field("each entry of complete must be an object");
      auto lease = string_field(entry, "lease", 64);
      if (!lease) throw invalid_field("each entry of complete needs a lease");
      r.complete.push_back(completion_from(entry, *lease));
    }
  }
  return r;
}

CompletionRequest parse_complete(std::string_view lease_id, std::string_view body) {
  auto lease = parse_lease_id(lease_id);  // the path first: its error is the clearer one
  json doc = parse_object(body);
  auto c = completion_from(doc, lease_id);
  c.lease = lease;
  return c;
}

HeartbeatRequest parse_heartbeat(std::string_view body) {
  json doc = parse_object(body);
  HeartbeatRequest r;
  if (auto l = int_field(doc, "lease_ms", kMinLease.count(), kMaxLease.count())) r.lease = Millis(*l);
  return r;
}

void parse_release(std::string_view body) { parse_object(body); }

std::string error_json(std::string_view code, std::string_view message, std::uint64_t id) {
  std::string out = "{\"error\":{\"code\":" + json_string(code) + ",\"message\":" + json_string(message) + "}";
  if (id) out += ",\"id\":\"" + format_id(id) + "\"";
  return out + "}";
}

int http_status(Status status) {
  switch (status) {
    case Status::ok: return 200;
    case Status::unknown_queue: return 404;
    case Status::invalid_queue_name: return 400;
    case Status::too_many_queues: return 429;
    case Status::queue_full: return 429;
    case Status::draining: return 503;
    case Status::shutting_down: return 503;
    case Status::stale_lease: return 409;
  }
  return 500;
}

std::string status_message(Status status, std::string_view queue, std::size_t qmax) {
  const std::string q(queue);
  switch (status) {
    case Status::ok: return "ok";
    case Status::unknown_queue: return "unknown queue '" + q + "'";
    case Status::invalid_queue_name: return "a queue name is 1 to 64 of A-Z a-z 0-9 . _ -";
    case Status::too_many_queues: return "too many queues: '" + q + "' was not created";
    case Status::queue_full:
      return "queue '" + q + "' already holds " + std::to_string(qmax) + " waiting items (--qmax " + std::to_string(qmax) + ")";
    case Status::draining: return "the broker is draining: no new items";
    case Status::shutting_down: return "the broker is shutting down";
    case Status::stale_lease: return "the lease is not held: it expired, was completed or released, or never existed";
  }
  return "internal error";
}

Answer item_answer(const ItemResult& r) {
  const std::string id = format_id(r.id);
  switch (r.kind) {
    case ItemResult::Kind::timeout:
      return {504, error_json("timeout",
                              r.was_leased ? "no result in time; a worker holds the item and its result will be discarded"
                                           : "no result in time; the item was still waiting and is cancelled",
                              r.id)};
    case ItemResult::Kind::shutdown:
      return {503, error_json("shutting_down", "the broker stopped before the item finished", r.id)};
    case ItemResult::Kind::finished: break;
  }
  std::string out;
  out.reserve(160 + r.result.size());
  out += "{\"id\":\"" + id + "\",\"queue\":" + json_string(r.queue) + ",\"status\":\"" + (r.ok ? "ok" : "failed") +
         "\",\"attempts\":" + std::to_string(r.attempts) + ",\"worker\":" + json_string(r.worker) +
         ",\"wait_ms\":" + ms_text(r.wait_seconds) + ",\"run_ms\":" + ms_text(r.run_seconds) + ",\"result\":";
  out += r.result;
  if (!r.ok) out += ",\"error\":{\"code\":" + json_string(r.error_code) + ",\"message\":" + json_string(r.error_message) + "}";
  out += "}";
  return {200, std::move(out)};
}

std::string completion_json(const CompletionOutcome& c) {
  return "{\"lease\":" + json_string(c.lease) + ",\"delivered\":" + (c.delivered ? "true" : "false") + "}";
}

std::string leased_json(const std::vector<LeasedItem>& items, const std::vector<CompletionOutcome>& completed) {
  std::string out = "{\"items\":[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto& it = items[i];
    if (i) out += ',';
    out += "{\"id\":\"" + format_id(it.id) + "\",\"lease\":\"" + format_id(it.lease) + "\",\"queue\":" + json_string(it.queue) +
           ",\"attempt\":" + std::to_string(it.attempt) +
           ",\"lease_ms\":" + std::to_string(std::chrono::duration_cast<Millis>(it.lease_for).count()) +
           ",\"deadline_ms\":" + std::to_string(std::chrono::duration_cast<Millis>(it.deadline_in).count()) + ",\"payload\":";
    out += it.payload;
    out += '}';
  }
  out += "],\"completed\":[";
  for (std::size_t i = 0; i < completed.size(); ++i) {
    const auto& c = completed[i];
    if (i) out += ',';
    out += "{\"lease\":" + json_string(c.lease);
    if (c.status == Status::ok) {
      out += std::string(",\"ok\":true,\"delivered\":") + (c.delivered ? "true" : "false") + "}";
    } else {
      out += ",\"ok\":false," + error_json(status_code(c.status), status_message(c.status, "", 0)).substr(1);
    }
  }
  return out + "]}";
}

namespace {
json queue_object(const QueueStats& s) {
  const auto& c = s.counters;
  return {{"name", s.name},
          {"waiting", s.waiting},
          {"leased", s.leased},
          {"workers", s.workers},
          {"polling_workers", s.polling},
          {"oldest_waiting_ms", static_cast<std::uint64_t>(s.oldest_waiting_seconds * 1000)},
          {"submitted", c.submitted},
          {"completed", c.completed},
          {"failed", c.failed_workload + c.failed_max_attempts + c.failed_shutdown},
          {"timeouts", c.timeouts},
          {"client_disconnects", c.disconnects},
          {"rejected", c.rejected_full + c.rejected_draining},
          {"lease_expired", c.lease_expired},
          {"requeued", c.requeued}};
}
}  // namespace

std::string queue_json(const QueueStats& stats) { return dump(queue_object(stats)); }

std::string queues_json(const std::vector<QueueStats>& stats, bool draining) {
  json list = json::array();
  for (auto& s : stats) list.push_back(queue_object(s));
  return dump(json{{"draining", draining}, {"queues", std::move(list)}});
}

}  // namespace kb::queue
