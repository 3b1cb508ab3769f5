#include "queue/load_stats.h"

#include <algorithm>
#include <vector>

namespace kb::queue {

using nlohmann::json;

namespace {
constexpr const char* kOther = "(other)";

// Worker-supplied text, bounded: a long or invalid-UTF-8 name must not grow memory or break JSON.
std::string bounded(const json& j, size_t limit) {
  if (!j.is_string()) return {};
  const auto& s = j.get_ref<const std::string&>();
  if (s.size() <= limit) return s;
  size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 sequence
  return s.substr(0, cut) + "...";
}

template <class Map>
typename Map::mapped_type& capped(Map& m, const std::string& key, size_t limit) {
  auto it = m.find(key);
  if (it != m.end()) return it->second;
  if (m.size() >= limit) return m[kOther];
  return m[key];
}

double number(const json& doc, const char* key) {
  auto it = doc.find(key);
  return it != doc.end() && it->is_number() ? it->get<double>() : -1;
}
}  // namespace

RequestOutcome classify_answer(const std::string& transport_error, int status, const std::string& body) {
  RequestOutcome out;
  if (!transport_error.empty()) {
    out.reason = "connection: " + transport_error;
    return out;
  }
  json doc = json::parse(body, nullptr, false);
  if (status != 200) {
    std::string code;
    if (doc.is_object() && doc.contains("error") && doc["error"].is_object()) code = bounded(doc["error"].value("code", json()), 64);
    out.reason = "http " + std::to_string(status) + (code.empty() ? "" : " " + code);
    return out;
  }
  if (!doc.is_object()) {
    out.reason = "answer is not JSON";
    return out;
  }
  out.wait_ms = number(doc, "wait_ms");
  out.run_ms = number(doc, "run_ms");
  if (auto r = doc.find("result"); r != doc.end() && r->is_object()) {
    out.node = bounded(r->value("node", json()), LoadStats::kMaxNameBytes);
    out.pod = bounded(r->value("pod", json()), LoadStats::kMaxNameBytes);
    out.device = bounded(r->value("device", json()), LoadStats::kMaxNameBytes);
  }
  auto st = doc.find("status");
  if (st != doc.end() && *st == "ok") {
    out.ok = true;
    return out;
  }
  std::string code = "failed", message;
  if (auto e = doc.find("error"); e != doc.end() && e->is_object()) {
    code = bounded(e->value("code", json("failed")), 64);
    message = bounded(e->value("message", json()), 160);
  }
  out.reason = message.empty() ? code : code + ": " + message;
  return out;
}

LoadStats::LoadStats(Clock::time_point now) : epoch_(now), since_(now), window_(0) {}

std::int64_t LoadStats::ms(Clock::time_point t) const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t - epoch_).count();
}

void LoadStats::record(const RequestOutcome& o, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  NodeStats* node = o.node.empty() ? nullptr : &capped(nodes_, o.node, kMaxNames);
  PodStats* pod = o.pod.empty() ? nullptr : &capped(pods_, o.pod, kMaxNames);
  if (pod && pod->node.empty()) pod->node = o.node;
  if (o.ok) {
    ++ok_;
    latency_.record(o.latency_ms);
    if (o.wait_ms >= 0) wait_.record(o.wait_ms);
    if (o.run_ms >= 0) run_.record(o.run_ms);
    window_.add(ms(now));
    if (node) {
      ++node->ok;
      node->latency.record(o.latency_ms);
      ++capped(node->devices, o.device.empty() ? "-" : o.device, kMaxNames);
    }
    if (pod) ++pod->ok;
  } else {
    ++failed_;
    ++capped(reasons_, o.reason.empty() ? "unknown" : o.reason, kMaxReasons);
    if (node) ++node->failed;
    if (pod) ++pod->failed;
  }
}

void LoadStats::reset(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  since_ = now;
  ok_ = failed_ = 0;
  latency_ = wait_ = run_ = LatencyHistogram{};
  window_.reset(ms(now));
  nodes_.clear();
  pods_.clear();
  reasons_.clear();
}

std::uint64_t LoadStats::ok() const {
  std::lock_guard lock(mutex_);
  return ok_;
}

std::uint64_t LoadStats::failed() const {
  std::lock_guard lock(mutex_);
  return failed_;
}

json latency_summary(const LatencyHistogram& h) {
  return {{"count", h.count()}, {"mean", h.mean()},          {"min", h.min()}, {"p50", h.quantile(0.5)},
          {"p90", h.quantile(0.9)}, {"p99", h.quantile(0.99)}, {"max", h.max()}};
}

json LoadStats::snapshot(Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  double elapsed = std::chrono::duration<double>(now - since_).count();
  json doc;
  doc["elapsed_s"] = elapsed;
  doc["requests"] = {{"ok", ok_}, {"failed", failed_}, {"total", ok_ + failed_}};
  doc["rate"] = {{"window_s", RateWindow::window_seconds()},
                 {"ok_per_s", window_.rate(ms(now))},
                 {"since_reset_ok_per_s", elapsed > 0 ? static_cast<double>(ok_) / elapsed : 0.0}};
  doc["latency_ms"] = latency_summary(latency_);
  doc["wait_ms"] = latency_summary(wait_);
  doc["run_ms"] = latency_summary(run_);
  json nodes = json::array();
  for (auto& [name, n] : nodes_) {
    json devices = json::array();
    for (auto& [d, count] : n.devices) devices.push_back({{"device", d}, {"ok", count}});
    nodes.push_back({{"node", name},
                     {"ok", n.ok},
                     {"failed", n.failed},
                     {"share", ok_ ? static_cast<double>(n.ok) / static_cast<double>(ok_) : 0.0},
                     {"latency_ms", latency_summary(n.latency)},
                     {"devices", std::move(devices)}});
  }
  doc["nodes"] = std::move(nodes);
  json pods = json::array();
  for (auto& [name, p] : pods_) pods.push_back({{"pod", name}, {"node", p.node}, {"ok", p.ok}, {"failed", p.failed}});
  doc["pods"] = std::move(pods);
  std::vector<std::pair<std::string, std::uint64_t>> reasons(reasons_.begin(), reasons_.end());
  std::stable_sort(reasons.begin(), reasons.end(), [](auto& a, auto& b) { return a.second > b.second; });
  json failures = json::array();
  for (auto& [reason, count] : reasons) failures.push_back({{"reason", reason}, {"count", count}});
  doc["failures"] = std::move(failures);
  return doc;
}

}  // namespace kb::queue
