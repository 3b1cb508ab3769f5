// The QuickSync seed's published examples as kubench results, shared by the format and
// submission tests (reference: research-quicksync.md, README sample and appendix).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "media/results.h"

namespace kb::test {

inline const char* kI5_9500 = "Intel(R) Core(TM) i5-9500 CPU @ 3.00GHz";

inline media::TestRun ok_run(const std::string& test_id, const std::string& clip, const std::string& backend,
                             double bitrate, double seconds, double fps, double speed, std::optional<double> watts) {
  media::TestRun run;
  run.test_id = test_id;
  run.clip = clip;
  run.backend = backend;
  run.status = "ok";
  run.input_bitrate_kbps = bitrate;
  run.wall_seconds = seconds;
  run.fps = fps;
  run.speed = speed;
  run.power.avg_watts = watts;
  return run;
}

// The README sample (i5-9500) in the seed's run order. The CPU row carries a package reading,
// which the pipe table must still print as N/A.
inline media::BenchResult readme_sample() {
  media::BenchResult r;
  r.complete = true;
  r.host.cpu_model = kI5_9500;
  r.tests = {ok_run("h264_1080p_cpu", "ribblehead_1080p_h264", "cpu", 18952, 59.665, 58.03, 2.05, 35.2),
             ok_run("h264_1080p", "ribblehead_1080p_h264", "qsv", 18952, 15.759, 232.03, 7.63, 7.66),
             ok_run("h264_4k", "ribblehead_4k_h264", "qsv", 46881, 58.667, 59.21, 2.09, 7.49),
             ok_run("hevc_8bit", "ribblehead_1080p_hevc_8bit", "qsv", 14947, 45.369, 76.10, 2.66, 9.09),
             ok_run("hevc_4k_10bit", "ribblehead_4k_hevc_10bit", "qsv", 44617, 176.932, 19.71, 0.68, 10.12)};
  return r;
}

// A concurrency result measured at every level 1..N (the seed's linear search).
inline media::ConcurrencyResult dense_concurrency(const std::string& test_id, const std::string& clip,
                                                  const std::vector<double>& speeds) {
  media::ConcurrencyResult c;
  c.test_id = test_id;
  c.clip = clip;
  c.cap = 10;
  for (size_t i = 0; i < speeds.size(); ++i) {
    media::ConcurrencyLevel level;
    level.streams = static_cast<int>(i) + 1;
    level.mean_speed = speeds[i];
    c.levels.push_back(level);
  }
  return c;
}

}  // namespace kb::test
