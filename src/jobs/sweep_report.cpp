#include "jobs/sweep_report.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/error.h"
#include "core/text.h"

namespace kb::jobs {

namespace {

std::string number(double v) {
  const double a = std::fabs(v);
  if (a >= 100) return fixed(v, 1);
  if (a >= 1) return fixed(v, 2);
  if (a == 0) return "0";
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", v);
  return text;
}

struct Cell {
  std::vector<double> values;  // of the succeeded repeats
  int failed = 0;
  double median() const {
    auto v = values;
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }
};

template <typename T>
size_t index_of(std::vector<T>& list, const T& item) {
  auto it = std::find(list.begin(), list.end(), item);
  if (it != list.end()) return static_cast<size_t>(it - list.begin());
  list.push_back(item);
  return list.size() - 1;
}

}  // namespace

bool lower_is_better(const std::string& metric) {
  const std::string m = to_lower(metric);
  // Rates are "per" something (tokens_per_s, frames/s): more is better whatever they count.
  if (m.find("per_") != std::string::npos || m.find("/s") != std::string::npos || m.find("fps") != std::string::npos) return false;
  for (const char* word : {"latency", "time", "seconds", "duration", "joules", "watts", "bytes", "error", "loss", "memory", "p50", "p90",
                           "p95", "p99"})
    if (m.find(word) != std::string::npos) return true;
  for (const char* suffix : {"_ms", "_s", "_us", "_ns", ".ms", ".s"})
    if (m.size() > std::string(suffix).size() && m.compare(m.size() - std::string(suffix).size(), std::string::npos, suffix) == 0) return true;
  return false;
}

std::string variant_key(const SweepVariant& v) {
  std::string key;
  for (const auto& [k, val] : v.params) key += (key.empty() ? "" : ",") + k + "=" + val;
  return key.empty() ? "default" : key;
}

Report sweep_report(const SweepPlan& plan, const std::map<size_t, VariantRecord>& results, const SweepReportOptions& options) {
  Report report;
  report.title = "Sweep " + plan.name;
  int ok = 0, failed = 0;
  for (const auto& [i, r] : results) (r.status == "succeeded" ? ok : failed)++;
  report.facts = {{"sweep", plan.sweep_id},
                  {"suite", plan.suite_file},
                  {"workload", plan.workload_kind},
                  {"variants", std::to_string(plan.variants.size()) + " (" + std::to_string(ok) + " succeeded, " + std::to_string(failed) +
                                   " failed, " + std::to_string(plan.variants.size() - results.size()) + " not run)"},
                  {"started", plan.created}};

  // Rows (parameter sets) and columns (targets) in the plan's order.
  std::vector<std::string> rows, targets;
  for (const auto& v : plan.variants) {
    index_of(rows, variant_key(v));
    index_of(targets, v.target);
  }
  std::set<std::string> metric_names;
  for (const auto& [i, r] : results)
    for (const auto& [m, val] : r.metrics) metric_names.insert(m);
  if (!options.by.empty() && !metric_names.count(options.by)) {
    std::string known;
    for (const auto& m : metric_names) known += (known.empty() ? "" : ", ") + m;
    throw UsageError("--by " + options.by + ": no variant has this metric (" + (known.empty() ? "none has any" : "known: " + known) + ")");
  }
  std::vector<std::string> metrics(metric_names.begin(), metric_names.end());
  if (!options.by.empty()) std::stable_partition(metrics.begin(), metrics.end(), [&](const auto& m) { return m == options.by; });

  // Per target: how it went, and on what.
  ReportSection status;
  status.title = "Targets";
  status.table = Table{{"TARGET", "SUCCEEDED", "FAILED", "NOT RUN", "NODES", "GPU"}, {}, {1, 2, 3}};
  for (const auto& t : targets) {
    int s = 0, f = 0, planned = 0;
    std::set<std::string> nodes, gpus;
    for (size_t i = 0; i < plan.variants.size(); ++i) {
      if (plan.variants[i].target != t) continue;
      ++planned;
      auto it = results.find(i);
      if (it == results.end()) continue;
      (it->second.status == "succeeded" ? s : f)++;
      if (!it->second.node.empty()) nodes.insert(it->second.node);
      if (!it->second.gpu_product.empty()) gpus.insert(it->second.gpu_product);
    }
    const auto join = [](const std::set<std::string>& set) {
      std::string out;
      for (const auto& x : set) out += (out.empty() ? "" : ", ") + x;
      return out.empty() ? std::string("-") : out;
    };
    status.table.rows.push_back({t, std::to_string(s), std::to_string(f), std::to_string(planned - s - f), join(nodes), join(gpus)});
  }
  report.sections.push_back(std::move(status));

  for (const auto& metric : metrics) {
    const bool lower = metric == options.by && options.lower_is_better ? *options.lower_is_better : lower_is_better(metric);
    std::vector<std::vector<Cell>> cells(rows.size(), std::vector<Cell>(targets.size()));
    for (size_t i = 0; i < plan.variants.size(); ++i) {
      auto it = results.find(i);
      if (it == results.end()) continue;
      auto& cell = cells[index_of(rows, variant_key(plan.variants[i]))][index_of(targets, plan.variants[i].target)];
      auto m = it->second.metrics.find(metric);
      if (it->second.status == "succeeded" && m != it->second.metrics.end()) cell.values.push_back(m->second);
      else if (it->second.status != "succeeded") ++cell.failed;
    }
    // Rows that have the metric somewhere; with --by, best first.
    std::vector<size_t> order;
    for (size_t r = 0; r < rows.size(); ++r)
      if (std::any_of(cells[r].begin(), cells[r].end(), [](const Cell& c) { return !c.values.empty() || c.failed; })) order.push_back(r);
    const auto row_best = [&](size_t r) {
      double best = lower ? INFINITY : -INFINITY;
      for (const auto& c : cells[r])
        if (!c.values.empty()) best = lower ? std::min(best, c.median()) : std::max(best, c.median());
      return best;
    };
    if (metric == options.by)
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return lower ? row_best(a) < row_best(b) : row_best(a) > row_best(b); });

    ReportSection s;
    s.title = metric;
    s.note = std::string(lower ? "lower" : "higher") + " is better" + (metric == options.by ? "; rows best first" : "") +
             "; repeats as median (min–max)";
    s.table.headers = {"VARIANT"};
    s.table.headers.insert(s.table.headers.end(), targets.begin(), targets.end());
    for (size_t c = 1; c <= targets.size(); ++c) s.table.right_aligned.push_back(c);
    BarChart chart;
    chart.title = metric;
    chart.y_label = metric;
    for (const auto& t : targets) chart.series.push_back({t, {}, {}});
    std::optional<double> best_value;
    for (size_t r : order) {
      std::vector<std::string> row = {rows[r]};
      chart.categories.push_back(rows[r]);
      for (size_t c = 0; c < targets.size(); ++c) {
        const auto& cell = cells[r][c];
        if (cell.values.empty()) {
          row.push_back(cell.failed ? "failed" : "-");
          chart.series[c].values.push_back(std::nullopt);
          chart.series[c].ranges.push_back(std::nullopt);
          continue;
        }
        const double med = cell.median();
        const auto [lo, hi] = std::minmax_element(cell.values.begin(), cell.values.end());
        std::string text = number(med);
        if (cell.values.size() > 1) text += " (" + number(*lo) + "–" + number(*hi) + ")";
        if (cell.failed) text += " +" + std::to_string(cell.failed) + " failed";
        row.push_back(text);
        chart.series[c].values.push_back(med);
        chart.series[c].ranges.push_back(cell.values.size() > 1 ? std::optional(std::pair(*lo, *hi)) : std::nullopt);
        if (!best_value || (lower ? med < *best_value : med > *best_value)) best_value = med;
      }
      s.table.rows.push_back(std::move(row));
    }
    for (size_t r = 0; r < order.size(); ++r)
      for (size_t c = 0; c < targets.size(); ++c)
        if (best_value && !cells[order[r]][c].values.empty() && cells[order[r]][c].median() == *best_value) s.best.insert({r, c + 1});
    s.bars = std::move(chart);
    report.sections.push_back(std::move(s));
  }

  ReportSection failures;
  failures.title = "Failures";
  failures.table = Table{{"VARIANT", "TARGET", "CLASS", "ATTEMPTS", "MESSAGE"}, {}, {3}};
  for (const auto& [i, r] : results)
    if (r.status != "succeeded") failures.table.rows.push_back({r.id, r.target, r.failure_class, std::to_string(r.attempts), r.message});
  if (!failures.table.rows.empty()) report.sections.push_back(std::move(failures));
  return report;
}

}  // namespace kb::jobs
