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

namespace kb::test {

// A clip with cuts at known frames (the running sums of the segments' lengths) at `rate`
// ("25", "30000/1001"), 320×240, optionally with a 48 kHz sine as audio lasting as long as the
// video; libx264 with B-frames and a keyframe every `gop` frames, in the container `out` names.
inline void make_cut_clip(const std::filesystem::path& out, const std::vector<Segment>& segments, const std::string& rate,
                          bool audio = true, int gop = 24) {
  ProcessSpec spec;
  spec.argv = {"ffmpeg", "-v", "error", "-y"};
  std::string graph, joined;
  int frames = 0;
  for (size_t i = 0; i < segments.size(); ++i) {
    spec.argv.insert(spec.argv.end(), {"-f", "lavfi", "-i", segments[i].source + "=s=320x240:r=" + rate});
    graph += "[" + std::to_string(i) + ":v]trim=end_frame=" + std::to_string(segments[i].frames) + ",setpts=PTS-STARTPTS,format=yuv420p" +
             segments[i].extra + "[s" + std::to_string(i) + "];";
    joined += "[s" + std::to_string(i) + "]";
    frames += segments[i].frames;
  }
  graph += joined + "concat=n=" + std::to_string(segments.size()) + ":v=1:a=0[out]";
  if (audio) {
    // Exactly the video's length in samples: frames × 48000 / rate.
    const auto slash = rate.find('/');
    const double fps = slash == std::string::npos ? std::stod(rate) : std::stod(rate.substr(0, slash)) / std::stod(rate.substr(slash + 1));
    const auto samples = static_cast<long long>(frames * 48000.0 / fps);
    spec.argv.insert(spec.argv.end(), {"-f", "lavfi", "-i", "sine=f=440:r=48000"});
    graph += ";[" + std::to_string(segments.size()) + ":a]atrim=end_sample=" + std::to_string(samples) + "[sound]";
    spec.argv.insert(spec.argv.end(), {"-filter_complex", graph, "-map", "[out]", "-map", "[sound]", "-c:a", "aac"});
  } else {
    spec.argv.insert(spec.argv.end(), {"-filter_complex", graph, "-map", "[out]"});
  }
  spec.argv.insert(spec.argv.end(), {"-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-bf", "3", "-g", std::to_string(gop), out.string()});
  auto r = run_process(spec);
  ASSERT_TRUE(r.ok()) << r.describe() << r.stderr_text;
}

}  // namespace kb::test
