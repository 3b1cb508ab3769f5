#include "queue/load_page.h"

#include "core/text.h"

namespace kb::queue {

using nlohmann::json;

namespace {
// Any JSON value as escaped text: strings as they are, numbers with `decimals`.
std::string cell(const json& v, int decimals = 0) {
  if (v.is_string()) return html_escape(v.get_ref<const std::string&>());
  if (v.is_number_float()) return html_escape(fixed(v.get<double>(), decimals));
  if (v.is_null()) return "-";
  return html_escape(v.dump(-1, ' ', false, json::error_handler_t::replace));
}

const json& at(const json& doc, const char* key) {
  static const json null;
  auto it = doc.find(key);
  return it == doc.end() ? null : *it;
}

std::string row(std::initializer_list<std::string> cells) {
  std::string out = "<tr>";
  for (auto& c : cells) out += "<td>" + c + "</td>";
  return out + "</tr>\n";
}

std::string latency_row(const char* what, const json& l) {
  return row({what, cell(at(l, "p50"), 2), cell(at(l, "p90"), 2), cell(at(l, "p99"), 2), cell(at(l, "max"), 2), cell(at(l, "mean"), 2)});
}

// A bar for a share in [0, 1]: a styled span, no image or script.
std::string bar(double share) {
  if (!(share >= 0)) share = 0;
  if (share > 1) share = 1;
  return "<span class=\"bar\" style=\"width:" + fixed(share * 300, 0) + "px\"></span> " + fixed(share * 100, 1) + "%";
}
}  // namespace

std::string render_load_page(const json& s) {
  std::string h;
  h.reserve(4096);
  h += "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"5\">\n";
  h += "<title>kubench queue load</title>\n<style>body{font-family:sans-serif;margin:1.5em}"
       "table{border-collapse:collapse;margin-bottom:1.5em}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}"
       "td:first-child,th:first-child{text-align:left}.bar{display:inline-block;height:0.8em;background:#47a}</style>\n";
  h += "</head><body>\n<h1>kubench queue load</h1>\n";
  h += "<p id=\"target\">Queue <b>" + cell(at(s, "queue")) + "</b> at " + cell(at(s, "broker")) + ": " +
       cell(at(s, "parallelism")) + " request(s) in parallel (at most " + cell(at(s, "max_parallelism")) + "), " +
       cell(at(s, "in_flight")) + " in flight.</p>\n";
  const json& req = at(s, "requests");
  const json& rate = at(s, "rate");
  h += "<table id=\"overall\"><tr><th>since reset</th><th>ok</th><th>failed</th><th>ok/s (last " + cell(at(rate, "window_s"), 0) +
       " s)</th><th>ok/s (since reset)</th></tr>\n";
  h += row({cell(at(s, "elapsed_s"), 1) + " s", cell(at(req, "ok")), cell(at(req, "failed")), cell(at(rate, "ok_per_s"), 2),
            cell(at(rate, "since_reset_ok_per_s"), 2)});
  h += "</table>\n<table id=\"latency\"><tr><th>ms</th><th>p50</th><th>p90</th><th>p99</th><th>max</th><th>mean</th></tr>\n";
  h += latency_row("answer (client)", at(s, "latency_ms"));
  h += latency_row("wait (broker)", at(s, "wait_ms"));
  h += latency_row("run (broker)", at(s, "run_ms"));
  h += "</table>\n<h2>Nodes</h2>\n<table id=\"nodes\"><tr><th>node</th><th>ok</th><th>failed</th><th>share of ok</th><th>p50 ms</th>"
       "<th>p99 ms</th><th>devices (ok)</th></tr>\n";
  for (auto& n : at(s, "nodes")) {
    std::string devices;
    for (auto& d : at(n, "devices")) devices += (devices.empty() ? "" : ", ") + cell(at(d, "device")) + " (" + cell(at(d, "ok")) + ")";
    double share = at(n, "share").is_number() ? at(n, "share").get<double>() : 0;
    h += row({cell(at(n, "node")), cell(at(n, "ok")), cell(at(n, "failed")), bar(share), cell(at(at(n, "latency_ms"), "p50"), 2),
              cell(at(at(n, "latency_ms"), "p99"), 2), devices});
  }
  h += "</table>\n<h2>Pods</h2>\n<table id=\"pods\"><tr><th>pod</th><th>node</th><th>ok</th><th>failed</th></tr>\n";
  for (auto& p : at(s, "pods")) h += row({cell(at(p, "pod")), cell(at(p, "node")), cell(at(p, "ok")), cell(at(p, "failed"))});
  h += "</table>\n<h2>Failures</h2>\n<table id=\"failures\"><tr><th>reason</th><th>count</th></tr>\n";
  for (auto& f : at(s, "failures")) h += row({cell(at(f, "reason")), cell(at(f, "count"))});
  h += "</table>\n<p>JSON: <a href=\"stats\">stats</a>, <a href=\"rate\">rate</a>, <a href=\"parallelism\">parallelism</a>. "
       "Change with <code>curl -X PUT -d 8 HOST/parallelism</code>, reset with <code>curl -X POST HOST/reset</code>.</p>\n";
  h += "</body></html>\n";
  return h;
}

}  // namespace kb::queue
