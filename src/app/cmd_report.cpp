// `kubench report DIR` (and `kubench sweep report DIR`): any saved result — a `bench` results
// directory, a `run --kube` one, a sweep directory, a `scale validate` one — shown the same way,
// as a table, CSV, JSON or one self-contained HTML page (core/report.h).
#include <iostream>

#include "app/commands.h"
#include "core/error.h"
#include "core/files.h"
#include "core/report.h"
#include "jobs/run_report.h"
#include "jobs/sweep_record.h"
#include "jobs/sweep_report.h"
#include "media/bench_report.h"
#include "media/results.h"
#include "queue/scale_validate.h"

namespace kb::app {
namespace {

namespace fs = std::filesystem;

struct ReportFlags {
  std::string dir;
  std::string output = "table";
  std::string out;
  std::string by;
  bool min = false, max = false;
};

nlohmann::json read_json(const fs::path& path) {
  try {
    return nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw ParseError(path.string() + ": " + e.what());
  }
}

Report load_report(const ReportFlags& f, bool sweep_only) {
  const fs::path dir = f.dir;
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw UsageError(f.dir + ": no such directory");
  const bool sweep = fs::exists(dir / "plan.json", ec);
  if (!sweep && (sweep_only || !f.by.empty() || f.min || f.max))
    throw UsageError(f.dir + " is not a sweep directory (no plan.json)" + (sweep_only ? "" : "; --by, --min and --max are for sweeps"));
  if (sweep) {
    jobs::SweepDirectory sd(dir);
    jobs::SweepReportOptions o;
    o.by = f.by;
    if (f.min || f.max) o.lower_is_better = f.min;
    return jobs::sweep_report(sd.load_plan(), sd.read_variants(), o);
  }
  if (fs::exists(dir / "result.json", ec)) return media::bench_report(media::bench_result_from_json(read_json(dir / "result.json")));
  if (fs::exists(dir / "run.json", ec)) return jobs::run_report(read_json(dir / "run.json"));
  if (fs::exists(dir / "report.json", ec)) return queue::scale_report(queue::scale_report_from_json(read_json(dir / "report.json")));
  throw UsageError(f.dir + " holds no kubench result (plan.json of a sweep, result.json of bench, run.json of run --kube, report.json of scale validate)");
}

void show(const ReportFlags& f, bool sweep_only) {
  if (f.output != "html") parse_output_format(f.output, {OutputFormat::table, OutputFormat::json, OutputFormat::csv});
  if (f.min && f.max) throw UsageError("--min or --max, not both");
  if ((f.min || f.max) && f.by.empty()) throw UsageError("--min and --max go with --by METRIC");
  const auto report = load_report(f, sweep_only);
  std::string text;
  if (f.output == "html") text = render_html(report);
  else if (f.output == "json") text = render_json(report).dump(2) + "\n";
  else if (f.output == "csv") text = render_csv(report);
  else text = render_text(report);
  if (f.out.empty()) std::cout << text;
  else {
    write_file_atomic(f.out, text);
    std::fprintf(stderr, "Report written to %s\n", f.out.c_str());
  }
}

void add_flags(CLI::App* cmd, ReportFlags& f) {
  cmd->add_option("dir", f.dir, "The results directory")->required();
  cmd->add_option("-o,--output", f.output, "table|csv|json|html (html: one self-contained page with charts)");
  cmd->add_option("--out", f.out, "Write the report to this file instead of stdout");
  cmd->add_option("--by", f.by, "Sweeps: this metric first, its rows best first");
  cmd->add_flag("--min", f.min, "With --by: lower is better");
  cmd->add_flag("--max", f.max, "With --by: higher is better (default unless the name says time, latency, watts…)");
}

}  // namespace

void add_report_command(CLI::App& app, GlobalOptions& global) {
  auto f = std::make_shared<ReportFlags>();
  auto* cmd = app.add_subcommand("report", "Show a saved result: bench, run --kube, sweep or scale validate directory");
  add_flags(cmd, *f);
  cmd->footer("Examples:\n  kubench report kubench-results/20261203T101500Z-1a2b\n  kubench report sweeps/quant --by latency_ms --min\n"
              "  kubench report sweeps/quant -o html --out quant.html\nDocs: docs/results.md#report");
  cmd->callback([f, &global] {
    start_command(global);
    show(*f, false);
  });
}

void add_sweep_report_command(CLI::App* sweep, GlobalOptions& global) {
  auto f = std::make_shared<ReportFlags>();
  auto* cmd = sweep->add_subcommand("report", "Compare a sweep's variants: a table per metric, variants × targets, best marked");
  add_flags(cmd, *f);
  cmd->footer("Examples:\n  kubench sweep report sweeps/quant\n  kubench sweep report sweeps/quant --by tokens_per_s --max\n"
              "  kubench sweep report sweeps/quant -o html --out quant.html\nDocs: docs/sweep.md#report");
  cmd->callback([f, &global] {
    start_command(global);
    show(*f, true);
  });
}

}  // namespace kb::app
