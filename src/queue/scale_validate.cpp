#include "queue/scale_validate.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "core/duration.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "core/output.h"
#include "core/svg_chart.h"
#include "core/text.h"

namespace kb::queue {

using nlohmann::json;

double ScaleSettings::window() const { return window_seconds > 0 ? window_seconds : std::max(10.0, 20 * request_seconds); }

std::vector<int> doubling_steps(int max_replicas) {
  if (max_replicas < 1) throw UsageError("--max must be at least 1");
  std::vector<int> steps;
  for (long n = 1; n <= max_replicas; n *= 2) steps.push_back(static_cast<int>(n));
  return steps;
}

namespace {

std::uint64_t count(const json& stats, const char* key) {
  return stats.value("requests", json::object()).value(key, std::uint64_t{0});
}

// Measures one round: K in flight against `replicas` backends, counters from a reset.
ScaleRound measure(ScaleTarget& target, const ScaleSettings& s, int replicas, const ScaleProgress& say) {
  ScaleRound round;
  round.replicas = replicas;
  round.parallelism = replicas * s.parallelism_per_replica;
  target.scale_backends(replicas);
  target.set_parallelism(round.parallelism);
  // Let the lanes reach the new backends before counting, so the round measures a steady state.
  target.wait(milliseconds_from_seconds(s.settle()));
  target.reset_stats();
  if (say) say("  measuring " + fixed(s.window(), 0) + " s with " + std::to_string(round.parallelism) + " in flight");
  target.wait(milliseconds_from_seconds(s.window()));
  const json stats = target.stats();
  round.ok = count(stats, "ok");
  round.failed = count(stats, "failed");
  const double elapsed = stats.value("elapsed_s", 0.0);
  round.requests_per_s = elapsed > 0 ? static_cast<double>(round.ok) / elapsed : 0;
  round.latency_ms = stats.value("latency_ms", json::object());
  round.nodes = stats.value("nodes", json::array());
  if (round.failed > 0) {
    std::string reasons;
    for (auto& f : stats.value("failures", json::array()))
      reasons += (reasons.empty() ? "" : "; ") + f.value("reason", std::string("?")) + " ×" + std::to_string(f.value("count", 0));
    round.problems.push_back(std::to_string(round.failed) + " request(s) failed" + (reasons.empty() ? "" : ": " + reasons));
  }
  if (round.ok == 0) round.problems.push_back("throughput was zero");
  return round;
}

}  // namespace

ScaleReport validate_scaling(ScaleTarget& target, const ScaleSettings& s, const ScaleProgress& say) {
  if (!(s.min_gain > 0) || !std::isfinite(s.min_gain)) throw UsageError("--min-gain must be a positive number");
  if (!(s.request_seconds >= 0) || !std::isfinite(s.request_seconds)) throw UsageError("--request-seconds must be 0 or more");
  if (s.parallelism_per_replica < 1) throw UsageError("--parallelism-per-replica must be at least 1");
  const auto steps = doubling_steps(s.max_replicas);
  const auto start = std::chrono::steady_clock::now();

  ScaleReport report;
  report.settings = s;
  report.target = target.describe();
  const int original_replicas = target.backend_replicas();
  const int original_parallelism = target.parallelism();

  auto finish = [&] {
    // The client stops first, so scaling down does not turn its requests into failures.
    target.set_parallelism(0);
    if (s.restore) {
      target.scale_backends(original_replicas);
      target.set_parallelism(original_parallelism);
    }
  };

  try {
    if (say) say("Preparing: load client to 0 in flight, " + std::to_string(s.max_replicas) + " backends must all run");
    target.set_parallelism(0);
    try {
      target.scale_backends(s.max_replicas);
    } catch (const Interrupted&) {
      throw;
    } catch (const Error& e) {
      throw Error("the maximum of " + std::to_string(s.max_replicas) + " backends cannot run: " + e.what());
    }
    target.scale_backends(1);
    double previous = 0;
    for (int replicas : steps) {
      if (say) say("Round: " + std::to_string(replicas) + " backend(s)");
      ScaleRound round = measure(target, s, replicas, say);
      if (round.ok > 0 && previous > 0) {
        round.gain = round.requests_per_s / previous;
        // Compared at the printed precision, so a printed 1.80 never fails a 1.8 minimum.
        if (std::round(round.gain * 100) < std::round(s.min_gain * 100))
          round.problems.push_back("gain " + fixed(round.gain, 2) + " < " + fixed(s.min_gain, 2));
      }
      round.passed = round.problems.empty();
      if (say)
        say("  " + fixed(round.requests_per_s, 2) + " requests/s" + (round.gain > 0 ? " (" + fixed(round.gain, 2) + "x the previous)" : "") +
            (round.passed ? "" : " - FAIL: " + round.problems.front()));
      if (round.ok > 0) previous = round.requests_per_s;
      report.rounds.push_back(std::move(round));
    }
  } catch (const Interrupted&) {
    report.interrupted = true;
  } catch (const Error& e) {
    // Scaling or reading the client failed: the report says why, the state is still restored.
    report.problems.push_back(e.what());
  }
  if (report.interrupted) {
    // The user's Ctrl-C stopped the rounds; a second one stops the restoring too.
    clear_interrupt();
    spdlog::warn("interrupted: stopping the load client{} (Ctrl-C again to leave things as they are)",
                 s.restore ? " and restoring the backends" : "");
  }
  try {
    finish();
  } catch (const Interrupted&) {
    report.interrupted = true;
    spdlog::warn("restoring interrupted: {} left as it is", report.target);
  } catch (const Error& e) {
    report.problems.push_back(std::string("restoring failed: ") + e.what());
  }
  if (report.interrupted) raise_interrupt();  // the caller saves what was measured; main() reports 130
  report.passed = !report.interrupted && report.problems.empty() && !report.rounds.empty() &&
                  std::all_of(report.rounds.begin(), report.rounds.end(), [](const ScaleRound& r) { return r.passed; });
  report.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

json to_json(const ScaleReport& r) {
  json rounds = json::array();
  for (auto& round : r.rounds)
    rounds.push_back({{"replicas", round.replicas},
                      {"parallelism", round.parallelism},
                      {"requests_per_s", round.requests_per_s},
                      {"ok", round.ok},
                      {"failed", round.failed},
                      {"gain", round.gain > 0 ? json(round.gain) : json(nullptr)},
                      {"ideal_requests_per_s", r.rounds.front().requests_per_s * round.replicas},
                      {"passed", round.passed},
                      {"problems", round.problems},
                      {"latency_ms", round.latency_ms},
                      {"nodes", round.nodes}});
  const auto& s = r.settings;
  return {{"schema", "kubench/scale-validate/v1"},
          {"target", r.target},
          {"passed", r.passed},
          {"settings",
           {{"max_replicas", s.max_replicas},
            {"min_gain", s.min_gain},
            {"request_seconds", s.request_seconds},
            {"window_seconds", s.window()},
            {"settle_seconds", s.settle()},
            {"parallelism_per_replica", s.parallelism_per_replica}}},
          {"problems", r.problems},
          {"rounds", rounds},
          {"distribution", r.rounds.empty() ? json::array() : r.rounds.back().nodes},
          {"elapsed_s", r.elapsed_s}};
}

Table scale_rounds_table(const ScaleReport& r) {
  Table t{{"REPLICAS", "IN FLIGHT", "REQUESTS/S", "IDEAL", "GAIN", "OK", "FAILED", "P50 ms", "P99 ms", "RESULT"},
          {},
          {0, 1, 2, 3, 4, 5, 6, 7, 8}};
  for (auto& round : r.rounds) {
    auto p = [&](const char* key) {
      auto v = round.latency_ms.find(key);
      return v != round.latency_ms.end() && v->is_number() ? fixed(v->get<double>(), 1) : std::string("-");
    };
    t.rows.push_back({std::to_string(round.replicas), std::to_string(round.parallelism), fixed(round.requests_per_s, 2),
                      fixed(r.rounds.front().requests_per_s * round.replicas, 2), round.gain > 0 ? fixed(round.gain, 2) : "-",
                      std::to_string(round.ok), std::to_string(round.failed), p("p50"), p("p99"),
                      round.passed ? "ok" : "FAIL: " + round.problems.front()});
  }
  return t;
}

Table scale_distribution_table(const ScaleReport& r) {
  Table d{{"NODE", "OK", "SHARE %", "DEVICES"}, {}, {1, 2}};
  if (r.rounds.empty()) return d;
  for (auto& n : r.rounds.back().nodes) {
    std::string devices;
    for (auto& dev : n.value("devices", json::array()))
      devices += (devices.empty() ? "" : ", ") + (dev.value("device", std::string()).empty() ? "-" : dev.value("device", std::string())) +
                 ":" + std::to_string(dev.value("ok", 0));
    d.rows.push_back({n.value("node", std::string("?")), std::to_string(n.value("ok", 0)), fixed(n.value("share", 0.0) * 100, 1),
                      devices.empty() ? "-" : devices});
  }
  return d;
}

std::string to_table(const ScaleReport& r) {
  std::string out = r.rounds.empty() ? "" : scale_rounds_table(r).render();
  const auto d = scale_distribution_table(r);
  if (!d.rows.empty()) out += "\nDistribution at " + std::to_string(r.rounds.back().replicas) + " replicas\n" + d.render();
  for (auto& p : r.problems) out += "FAIL: " + p + "\n";
  out += r.passed ? "*** PASS ***\n" : "*** FAIL ***\n";
  return out;
}

Report scale_report(const ScaleReport& r) {
  Report report;
  report.title = "Scale validation of " + r.target;
  report.facts = {{"result", r.passed ? "PASS" : "FAIL"},
                  {"min gain per doubling", fixed(r.settings.min_gain, 2)},
                  {"max replicas", std::to_string(r.settings.max_replicas)},
                  {"elapsed", fixed(r.elapsed_s, 0) + " s"}};
  for (size_t i = 0; i < r.problems.size(); ++i) report.facts.emplace_back("problem " + std::to_string(i + 1), r.problems[i]);
  ReportSection rounds;
  rounds.title = "Rounds";
  rounds.table = scale_rounds_table(r);
  rounds.lines = throughput_chart(r);
  report.sections.push_back(std::move(rounds));
  const auto d = scale_distribution_table(r);
  if (!d.rows.empty()) {
    ReportSection dist;
    dist.title = "Distribution at " + std::to_string(r.rounds.back().replicas) + " replicas";
    dist.table = d;
    report.sections.push_back(std::move(dist));
  }
  return report;
}

ScaleReport scale_report_from_json(const json& j) {
  try {
    if (j.value("schema", "") != "kubench/scale-validate/v1") throw ParseError("not a kubench/scale-validate/v1 document");
    ScaleReport r;
    r.target = j.value("target", "");
    r.passed = j.value("passed", false);
    const auto s = j.value("settings", json::object());
    r.settings.max_replicas = s.value("max_replicas", r.settings.max_replicas);
    r.settings.min_gain = s.value("min_gain", r.settings.min_gain);
    r.settings.request_seconds = s.value("request_seconds", r.settings.request_seconds);
    r.settings.window_seconds = s.value("window_seconds", 0.0);
    r.settings.parallelism_per_replica = s.value("parallelism_per_replica", 1);
    r.problems = j.value("problems", std::vector<std::string>{});
    r.elapsed_s = j.value("elapsed_s", 0.0);
    for (const auto& x : j.value("rounds", json::array())) {
      ScaleRound round;
      round.replicas = x.value("replicas", 0);
      round.parallelism = x.value("parallelism", 0);
      round.requests_per_s = x.value("requests_per_s", 0.0);
      round.ok = x.value("ok", std::uint64_t{0});
      round.failed = x.value("failed", std::uint64_t{0});
      round.gain = x["gain"].is_number() ? x["gain"].get<double>() : 0;
      round.passed = x.value("passed", true);
      round.problems = x.value("problems", std::vector<std::string>{});
      round.latency_ms = x.value("latency_ms", json::object());
      round.nodes = x.value("nodes", json::array());
      r.rounds.push_back(std::move(round));
    }
    return r;
  } catch (const json::exception& e) {
    throw ParseError(std::string("scale report: ") + e.what());
  }
}

LineChart throughput_chart(const ScaleReport& r) {
  LineChart chart;
  chart.title = "Throughput against backend replicas (min gain " + fixed(r.settings.min_gain, 2) + " per doubling)";
  chart.x_label = "backend replicas";
  chart.y_label = "requests/s";
  chart.log2_x = true;
  ChartSeries measured{"measured", {}, "#1f77b4", false};
  ChartSeries ideal{"ideal (linear)", {}, "#888888", true};
  ChartSeries floor{"minimum gain", {}, "#d62728", true};
  double required = 0;
  for (auto& round : r.rounds) {
    measured.points.emplace_back(round.replicas, round.requests_per_s);
    ideal.points.emplace_back(round.replicas, r.rounds.front().requests_per_s * round.replicas);
    required = required == 0 ? round.requests_per_s : required * r.settings.min_gain;
    floor.points.emplace_back(round.replicas, required);
  }
  chart.series = {ideal, floor, measured};
  return chart;
}

std::string throughput_chart_svg(const ScaleReport& r) { return render_svg(throughput_chart(r)); }

}  // namespace kb::queue
