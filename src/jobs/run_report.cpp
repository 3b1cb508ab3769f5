#include "jobs/run_report.h"

#include "core/text.h"

namespace kb::jobs {

using nlohmann::json;

namespace {

std::string gpu_of(const TargetResult& t, const NodeGpus& gpus) {
  if (t.result && !t.result->value("gpu", "").empty()) return t.result->value("gpu", "");
  auto it = gpus.find(t.node);
  return it == gpus.end() ? "" : it->second;
}

std::string opt_fixed(const json& j, const char* key, int decimals) {
  auto it = j.find(key);
  return it == j.end() || !it->is_number() ? "-" : fixed(it->get<double>(), decimals);
}

}  // namespace

json run_document(const RunReport& r, const std::string& server, const NodeGpus& gpus) {
  json doc = {{"schema", "kubench/run/v1"}, {"run_id", r.run_id}, {"namespace", r.namespace_name},
              {"server", server},           {"interrupted", r.interrupted}, {"cleaned_up", r.cleaned_up},
              {"exit_code", r.exit_code()},  {"targets", json::array()}};
  for (auto& t : r.targets) {
    json j = {{"case", t.case_name}, {"job", t.job},         {"pod", t.pod}, {"node", t.node}, {"gpu", gpu_of(t, gpus)},
              {"outcome", to_string(t.outcome)},             {"exit_code", exit_code(t.outcome)},
              {"message", t.message}, {"result", t.result ? *t.result : json()}, {"power", t.power ? *t.power : json()},
              {"last_log_lines", t.last_log_lines}};
    if (t.result_delay_seconds) j["result_delay_seconds"] = *t.result_delay_seconds;
    doc["targets"].push_back(j);
  }
  return doc;
}

Table run_comparison(const json& doc) {
  Table t{{"NODE", "GPU", "BACKEND", "TEST", "FPS", "SPEED", "WATTS", "FPS/W", "STATUS"}, {}, {4, 5, 6, 7}};
  for (const auto& target : doc.value("targets", json::array())) {
    const std::string node = target.value("node", "").empty() ? "-" : target.value("node", "");
    const std::string gpu = target.value("gpu", "").empty() ? "-" : target.value("gpu", "");
    const auto& res = target.contains("result") ? target["result"] : json();
    if (!res.is_object()) {
      t.rows.push_back({node, gpu, "-", "-", "-", "-", "-", "-", target.value("outcome", "") + ": " + target.value("message", "")});
      continue;
    }
    for (const auto& test : res.value("tests", json::array())) {
      auto power = test.value("power", json::object());
      std::string status = test.value("status", "");
      if (status != "ok") status += ": " + test.value("reason", "");
      t.rows.push_back({node, gpu, test.value("backend", ""), test.value("test_id", ""), opt_fixed(test, "fps", 1), opt_fixed(test, "speed", 2),
                        opt_fixed(power, "avg_watts", 1), opt_fixed(test, "fps_per_watt", 2), status});
    }
  }
  return t;
}

Report run_report(const json& doc) {
  Report report;
  report.title = "Run " + doc.value("run_id", "");
  report.facts = {{"server", doc.value("server", "")},
                  {"namespace", doc.value("namespace", "")},
                  {"nodes", std::to_string(doc.value("targets", json::array()).size())},
                  {"exit code", std::to_string(doc.value("exit_code", 0))}};
  ReportSection s;
  s.title = "Nodes and tests";
  s.table = run_comparison(doc);
  // fps per test, one bar per node: the side-by-side comparison.
  BarChart chart;
  chart.title = "Frames per second by node";
  chart.y_label = "fps";
  std::vector<std::string> nodes;
  for (const auto& row : s.table.rows) {
    if (row[4] == "-") continue;
    if (std::find(chart.categories.begin(), chart.categories.end(), row[3]) == chart.categories.end()) chart.categories.push_back(row[3]);
    if (std::find(nodes.begin(), nodes.end(), row[0]) == nodes.end()) nodes.push_back(row[0]);
  }
  for (const auto& n : nodes) {
    BarSeries series{n, std::vector<std::optional<double>>(chart.categories.size()), {}};
    for (const auto& row : s.table.rows)
      if (row[0] == n && row[4] != "-")
        for (size_t c = 0; c < chart.categories.size(); ++c)
          if (chart.categories[c] == row[3]) series.values[c] = parse_double(row[4]);
    chart.series.push_back(std::move(series));
  }
  if (!chart.categories.empty()) s.bars = std::move(chart);
  report.sections.push_back(std::move(s));
  return report;
}

}  // namespace kb::jobs
