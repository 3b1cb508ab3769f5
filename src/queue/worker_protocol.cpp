#include "queue/worker_protocol.h"

#include "core/error.h"

namespace kb::queue {

using nlohmann::json;

namespace {
void append_completion(std::string& out, const Completion& c, bool with_lease) {
  out += '{';
  if (with_lease) {
    out += "\"lease\":";
    out += json(c.lease).dump();
    out += ',';
  }
  out += c.ok ? "\"status\":\"ok\"" : "\"status\":\"failed\"";
  if (!c.result.is_null()) {
    out += ",\"result\":";
    out += c.result.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  if (!c.ok) {
    out += ",\"error\":";
    out += json(c.error).dump(-1, ' ', false, json::error_handler_t::replace);
  }
  out += '}';
}

std::int64_t int_field(const json& j, const char* name, std::int64_t fallback) {
  auto it = j.find(name);
  return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : fallback;
}
}  // namespace

std::string lease_body(const LeaseCall& call, const std::vector<Completion>& complete) {
  // Written by hand: this runs once per item, and the only free-form parts are dumped by json.
  std::string out;
  out.reserve(128 + complete.size() * 96);
  out += "{\"worker\":";
  out += json(call.worker).dump(-1, ' ', false, json::error_handler_t::replace);
  out += ",\"max_items\":" + std::to_string(call.max_items);
  out += ",\"wait_ms\":" + std::to_string(call.wait_ms);
  if (call.lease_ms) out += ",\"lease_ms\":" + std::to_string(*call.lease_ms);
  if (!complete.empty()) {
    out += ",\"complete\":[";
    for (size_t i = 0; i < complete.size(); ++i) {
      if (i) out += ',';
      append_completion(out, complete[i], true);
    }
    out += ']';
  }
  out += '}';
  return out;
}

std::string completion_body(const Completion& c) {
  std::string out;
  append_completion(out, c, false);
  return out;
}

LeaseAnswer parse_lease_answer(std::string_view body) {
  json doc = json::parse(body, nullptr, false);
  if (!doc.is_object()) throw ParseError("lease answer is not a JSON object");
  LeaseAnswer answer;
  auto items = doc.find("items");
  if (items != doc.end()) {
    if (!items->is_array()) throw ParseError("lease answer: \"items\" is not an array");
    for (auto& i : *items) {
      if (!i.is_object() || !i.contains("lease") || !i["lease"].is_string() || !i.contains("id") || !i["id"].is_string())
        throw ParseError("lease answer: an item lacks its id or lease");
      WorkItem item;
      item.id = i["id"].get<std::string>();
      item.lease = i["lease"].get<std::string>();
      if (auto q = i.find("queue"); q != i.end() && q->is_string()) item.queue = q->get<std::string>();
      item.attempt = static_cast<int>(int_field(i, "attempt", 1));
      item.lease_ms = int_field(i, "lease_ms", 0);
      item.deadline_ms = int_field(i, "deadline_ms", 0);
      if (auto p = i.find("payload"); p != i.end()) item.payload = std::move(*p);
      answer.items.push_back(std::move(item));
    }
  }
  if (auto done = doc.find("completed"); done != doc.end() && done->is_array()) {
    for (auto& c : *done) {
      CompletionAck ack;
      if (c.is_object()) {
        ack.ok = c.value("ok", false);
        ack.delivered = ack.ok && c.value("delivered", true);
      }
      answer.completed.push_back(ack);
    }
  }
  return answer;
}

std::string error_code(std::string_view body) {
  json doc = json::parse(body, nullptr, false);
  if (!doc.is_object()) return {};
  auto e = doc.find("error");
  if (e == doc.end() || !e->is_object()) return {};
  auto code = e->find("code");
  return code != e->end() && code->is_string() ? code->get<std::string>() : std::string();
}

std::string describe_error(int status, std::string_view body) {
  json doc = json::parse(body, nullptr, false);
  std::string text = std::to_string(status);
  if (doc.is_object() && doc.contains("error") && doc["error"].is_object()) {
    auto& e = doc["error"];
    if (e.contains("code") && e["code"].is_string()) text += " " + e["code"].get<std::string>();
    if (e.contains("message") && e["message"].is_string()) text += ": " + e["message"].get<std::string>();
  }
  return text;
}

}  // namespace kb::queue
