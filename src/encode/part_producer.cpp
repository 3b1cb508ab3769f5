#include "encode/part_producer.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/text.h"

namespace kb::encode {

namespace {

// The record `encode-pod part` printed: the last line of its output that parses as one.
std::optional<PartRecord> record_in(const std::string& stdout_text, int index, bool& reused) {
  auto lines = split(stdout_text, '\n');
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    const auto line = trim(*it);
    if (line.empty() || line.front() != '{') continue;
    try {
      const auto j = nlohmann::json::parse(line);
      auto record = part_record_from_json(j, "part " + std::to_string(index));
      reused = j.value("reused", false);
      if (record.index == index) return record;
    } catch (const std::exception&) {
    }
  }
  return std::nullopt;
}

}  // namespace

PartAnswer parse_part_answer(long status, const std::string& body, int index) {
  PartAnswer a;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(body);
  } catch (const std::exception&) {
    a.error = "HTTP " + std::to_string(status) + (body.empty() ? "" : ": " + std::string(trim(body.substr(0, 200))));
    return a;
  }
  if (status != 200 || !j.is_object()) {
    a.error = "HTTP " + std::to_string(status);
    if (j.is_object() && j.contains("error") && j["error"].is_object()) a.error += " " + j["error"].value("code", "") + ": " + j["error"].value("message", "");
    return a;
  }
  const auto result = j.value("result", nlohmann::json::object());
  a.node = result.is_object() ? result.value("node", "") : "";
  if (j.value("status", "") == "ok") {
    a.record = record_in(result.is_object() ? result.value("stdout", "") : "", index, a.reused);
    if (a.record) {
      a.kind = PartAnswer::Kind::done;
      return a;
    }
    a.kind = PartAnswer::Kind::failed;
    a.error = "the worker answered without the part's record";
    return a;
  }
  a.kind = PartAnswer::Kind::failed;
  const auto error = j.value("error", nlohmann::json::object());
  const std::string code = error.is_object() ? error.value("code", "") : "";
  const std::string message = error.is_object() ? error.value("message", "") : error.dump();
  a.error = code == "max_attempts" ? "its workers died or hung (" + message + ")" : message;
  return a;
}

PartProducer::PartProducer(std::vector<int> parts, int attempts, std::vector<std::string> nodes)
    : waiting_(parts.begin(), parts.end()), nodes_(nodes.begin(), nodes.end()), total_(parts.size()), attempts_(attempts) {}

std::optional<int> PartProducer::take() {
  if (waiting_.empty()) return std::nullopt;
  const int index = waiting_.front();
  waiting_.pop_front();
  in_flight_.insert(index);
  return index;
}

PartProducer::Decision PartProducer::answer(int index, const PartAnswer& a) {
  Decision d;
  in_flight_.erase(index);
  if (done_.count(index)) return d;
  switch (a.kind) {
    case PartAnswer::Kind::done:
      done_[index] = *a.record;
      return d;
    case PartAnswer::Kind::lost:
      // Not the part's fault: again, first in line.
      waiting_.push_front(index);
      return d;
    case PartAnswer::Kind::failed:
      break;
  }
  const int tries = ++tries_[index];
  failures_[index].push_back((a.node.empty() ? "" : a.node + ": ") + a.error);
  if (tries >= attempts_) {
    std::string listed;
    for (auto& f : failures_[index]) listed += (listed.empty() ? "" : "; ") + f;
    d.failure = "part " + std::to_string(index) + " failed " + std::to_string(tries) + (tries == 1 ? " time" : " times") + ": " + listed;
    return d;
  }
  d.note = "part " + std::to_string(index) + " failed" + (a.node.empty() ? "" : " on " + a.node) + " (" + a.error + "): trying again (" +
           std::to_string(tries + 1) + " of " + std::to_string(attempts_) + ")";
  waiting_.push_back(index);
  if (!a.node.empty() && ++node_failures_[a.node] == 2 && !dropped_.count(a.node) && dropped_.size() + 1 < nodes_.size()) {
    dropped_.insert(a.node);
    d.drop_node = a.node;
    d.note += "; node " + a.node + " failed twice: its workers stop, its parts go to the other nodes";
  }
  return d;
}

}  // namespace kb::encode
