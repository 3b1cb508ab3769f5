#include "queue/load_summary.h"

#include "core/output.h"
#include "core/text.h"

namespace kb::queue {

using nlohmann::json;

namespace {
std::string num(const json& v, int decimals) { return v.is_number() ? fixed(v.get<double>(), decimals) : "-"; }
std::string count(const json& v) { return v.is_number_unsigned() || v.is_number_integer() ? std::to_string(v.get<long long>()) : "-"; }
// Worker-supplied names on a terminal: control characters (escape sequences) become '?'.
std::string printable(const json& v) {
  std::string text = v.is_string() ? v.get<std::string>() : v.dump();
  for (auto& c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return text;
}
}  // namespace

std::string load_summary_text(const json& s) {
  const json& req = s.at("requests");
  const json& lat = s.at("latency_ms");
  std::string out = "Overall request / reply statistics\n";
  Table overall{{"OK", "FAILED", "SECONDS", "OK/S", "P50 ms", "P90 ms", "P99 ms", "MAX ms", "WAIT p50 ms", "RUN p50 ms"},
                {},
                {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}};
  overall.rows.push_back({count(req.at("ok")), count(req.at("failed")), num(s.at("elapsed_s"), 1),
                          num(s.at("rate").at("since_reset_ok_per_s"), 1), num(lat.at("p50"), 2), num(lat.at("p90"), 2),
                          num(lat.at("p99"), 2), num(lat.at("max"), 2), num(s.at("wait_ms").at("p50"), 2),
                          num(s.at("run_ms").at("p50"), 2)});
  out += overall.render();
  if (!s.at("nodes").empty()) {
    out += "\nBackend / worker node statistics\n";
    Table nodes{{"NODE", "OK", "FAILED", "SHARE %", "P50 ms", "P99 ms", "DEVICES"}, {}, {1, 2, 3, 4, 5}};
    for (auto& n : s.at("nodes")) {
      std::string devices;
      for (auto& d : n.at("devices")) devices += (devices.empty() ? "" : ", ") + printable(d.at("device")) + ":" + count(d.at("ok"));
      nodes.rows.push_back({printable(n.at("node")), count(n.at("ok")), count(n.at("failed")),
                            fixed(n.at("share").get<double>() * 100, 1), num(n.at("latency_ms").at("p50"), 2),
                            num(n.at("latency_ms").at("p99"), 2), devices});
    }
    out += nodes.render();
  }
  if (!s.at("failures").empty()) {
    out += "\nFailures\n";
    Table failures{{"COUNT", "REASON"}, {}, {0}};
    for (auto& f : s.at("failures")) failures.rows.push_back({count(f.at("count")), printable(f.at("reason"))});
    out += failures.render();
  }
  return out;
}

}  // namespace kb::queue
