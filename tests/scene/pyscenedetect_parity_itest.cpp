// kubench against PySceneDetect's own answers, recorded by tests/scene/record_pyscenedetect.py
// (tests/fixtures/scenes/pyscenedetect.json) for clips ffmpeg regenerates identically here: every
// pixel format path (4:2:0 and 4:2:2 through swscale's fast converter, full range, 4:4:4, 10-bit,
// RGB, GIF, odd sizes, an exact halving), a timestamp gap, and an H.264 stream whose first frames
// cannot be decoded. Per-frame scores must agree to 1e-9 (they are computed identically), cuts and
// the first scene's start exactly, also split over 3 shards.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "core/files.h"
#include "core/process.h"
#include "core/text.h"
#include "support/kubench_process.h"
#include "support/test_support.h"

namespace kb::test {
namespace {

using nlohmann::json;

void make_clip(const json& c, const std::filesystem::path& out) {
  const int chop = c["chop_ts_packets"];
  const std::filesystem::path full = chop ? std::filesystem::path(out.string() + ".full") : out;
  ProcessSpec spec;
  spec.argv = {"ffmpeg", "-v", "error", "-y"};
  for (auto& a : c["ffmpeg"]) spec.argv.push_back(a.get<std::string>());
  spec.argv.push_back(full.string());
  auto r = run_process(spec);
  ASSERT_TRUE(r.ok()) << r.describe() << r.stderr_text;
  if (chop) write_text(out, read_file(full).substr(static_cast<size_t>(188 * chop)));  // whole TS packets
}

struct Detection {
  json doc;
  std::map<std::int64_t, std::vector<std::string>> stats;  // 0-based frame → the CSV row
};

Detection detect(const std::filesystem::path& clip, const std::string& detector, const TempDir& dir, int jobs = 1) {
  const auto stats = dir / (detector + "-" + std::to_string(jobs) + ".csv");
  auto r = run_kubench({"scenes", "detect", clip.string(), "--detector", detector, "--jobs", std::to_string(jobs), "-q", "-o",
                        "json", "--stats", stats.string()});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  Detection run{json::parse(r.stdout_text, nullptr, false), {}};
  bool header = true;
  for (auto& line : split(read_file(stats), '\n')) {
    if (header || line.empty()) {
      header = false;
      continue;
    }
    auto cells = split(line, ',');
    run.stats[std::stoll(cells[0]) - 1] = cells;
  }
  return run;
}

std::vector<std::int64_t> cuts(const json& doc) { return doc["cuts"].get<std::vector<std::int64_t>>(); }

TEST(PySceneDetectParity, ScoresCutsAndFirstFrameAsRecorded) {
  const json fixture = json::parse(read_file(fixtures_dir() / "scenes" / "pyscenedetect.json"));
  ASSERT_GE(fixture["cases"].size(), 10u);
  for (auto& c : fixture["cases"]) {
    const std::string name = c["name"];
    SCOPED_TRACE(name);
    TempDir dir;
    const auto clip = dir / c["file"].get<std::string>();
    make_clip(c, clip);
    const Detection content = detect(clip, "content", dir), adaptive = detect(clip, "adaptive", dir);
    ASSERT_TRUE(content.doc.is_object() && adaptive.doc.is_object());

    EXPECT_EQ(content.doc["first_frame"], c["first_frame"]);
    EXPECT_EQ(content.doc["scenes"][0]["start_frame"], c["first_frame"]);
    EXPECT_EQ(cuts(content.doc), c["content_cuts"].get<std::vector<std::int64_t>>());
    EXPECT_EQ(cuts(adaptive.doc), c["adaptive_cuts"].get<std::vector<std::int64_t>>());
    EXPECT_EQ(cuts(detect(clip, "content", dir, 3).doc), cuts(content.doc)) << "3 shards";

    int compared = 0;
    for (auto& [frame_text, expected] : c["frames"].items()) {
      const std::int64_t frame = std::stoll(frame_text);
      auto row = content.stats.find(frame);
      ASSERT_NE(row, content.stats.end()) << "frame " << frame << " has no statistics row";
      // content_val, delta_hue, delta_sat, delta_lum: columns 2-5 of kubench's CSV.
      for (size_t k = 0; k < 4; ++k)
        EXPECT_NEAR(std::stod(row->second[2 + k]), expected[k].get<double>(), 1e-9) << "frame " << frame << " value " << k;
      if (!expected[4].is_null()) {
        auto arow = adaptive.stats.find(frame);
        ASSERT_NE(arow, adaptive.stats.end());
        ASSERT_EQ(arow->second.size(), 8u) << "no adaptive_ratio column";
        EXPECT_NEAR(std::stod(arow->second[7]), expected[4].get<double>(), 1e-9) << "adaptive_ratio of frame " << frame;
      }
      ++compared;
    }
    EXPECT_GE(compared, 30);
  }
}

}  // namespace
}  // namespace kb::test
