// Test videos with cuts at known frames: different lavfi sources, each trimmed, joined by the
// concat filter, so the cuts are the running sums of the segment lengths.
#pragma once
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/process.h"

namespace kb::test {

struct Segment {
  std::string source;  // lavfi source name
  int frames;
  std::string extra;   // filters after trim (fades)
};

// 320×240, 25 fps, libx264 crf 18; `gop` sets the keyframe interval (0: x264's default).
inline void make_cut_video(const std::filesystem::path& out, const std::vector<Segment>& segments, int gop = 0) {
  ProcessSpec spec;
  spec.argv = {"ffmpeg", "-v", "error", "-y"};
  std::string graph, joined;
  for (size_t i = 0; i < segments.size(); ++i) {
    spec.argv.insert(spec.argv.end(), {"-f", "lavfi", "-i", segments[i].source + "=s=320x240:r=25"});
    graph += "[" + std::to_string(i) + ":v]trim=end_frame=" + std::to_string(segments[i].frames) + ",setpts=PTS-STARTPTS,format=yuv420p" +
             segments[i].extra + "[s" + std::to_string(i) + "];";
    joined += "[s" + std::to_string(i) + "]";
  }
  graph += joined + "concat=n=" + std::to_string(segments.size()) + ":v=1:a=0[out]";
  spec.argv.insert(spec.argv.end(), {"-filter_complex", graph, "-map", "[out]", "-c:v", "libx264", "-preset", "veryfast", "-crf", "18"});
  if (gop > 0) spec.argv.insert(spec.argv.end(), {"-g", std::to_string(gop)});
  spec.argv.push_back(out.string());
  auto r = run_process(spec);
  ASSERT_TRUE(r.ok()) << r.describe() << r.stderr_text;
}

// Cuts at 30, 75 and 120 of 150 frames.
inline const std::vector<Segment> kCutsAt30_75_120 = {{"testsrc2", 30, ""}, {"smptebars", 45, ""}, {"mandelbrot", 45, ""}, {"rgbtestsrc", 30, ""}};

}  // namespace kb::test
