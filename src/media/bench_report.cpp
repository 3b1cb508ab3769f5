#include "media/bench_report.h"

#include "media/bench_runner.h"

namespace kb::media {

Report bench_report(const BenchResult& r) {
  Report report;
  report.title = "Benchmark " + r.run_id;
  report.facts = {{"host", r.host.hostname + (r.node.empty() ? "" : " (node " + r.node + ")")},
                  {"cpu", r.host.cpu_model},
                  {"backend", r.backend + (r.device.empty() ? "" : " on " + r.device)},
                  {"gpu", r.gpu.empty() ? "-" : r.gpu},
                  {"ffmpeg", r.ffmpeg_version},
                  {"profile", r.profile + ", " + r.clip_set + " clips"},
                  {"started", r.started_at},
                  {"complete", r.complete ? "yes" : (r.interrupted ? "no (interrupted)" : "no")}};
  ReportSection tests;
  tests.title = "Tests";
  tests.note = power_notes(r);
  if (!tests.note.empty() && tests.note.back() == '\n') tests.note.pop_back();
  tests.table = results_rows(r);
  BarChart fps;
  fps.title = "Frames per second";
  fps.y_label = "fps";
  fps.series = {{r.backend, {}, {}}};
  for (const auto& t : r.tests) {
    fps.categories.push_back(t.test_id);
    fps.series[0].values.push_back(t.status == "ok" ? std::optional(t.fps) : std::nullopt);
  }
  tests.bars = std::move(fps);
  report.sections.push_back(std::move(tests));
  if (!r.concurrency.empty()) {
    ReportSection c;
    c.title = "Concurrency";
    c.note = "streams that all stay at real time (speed ≥ 1)";
    c.table = concurrency_rows(r);
    report.sections.push_back(std::move(c));
  }
  return report;
}

}  // namespace kb::media
