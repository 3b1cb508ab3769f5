// The detectors' picture is PySceneDetect's, byte for byte: each step checked against the library
// PySceneDetect runs for it. swscale (OpenCV's capture: YUV → BGR24) and OpenCV's imgproc
// (cv2.resize INTER_LINEAR, cvtColor BGR2HSV) are the oracles, on random frames of awkward sizes.
// swscale is an oracle on x86 only: elsewhere (aarch64) it has no accelerated YUV → BGR path and its
// generic C path rounds differently from the x86 one OpenCV's capture runs. There, kubench's output
// is held to digests recorded on x86, where the same test proves each digest is swscale's picture.
#include <gtest/gtest.h>

extern "C" {
#include <libavutil/mem.h>
#include <libavutil/pixdesc.h>
#include <libavutil/pixfmt.h>
#include <libswscale/swscale.h>
}

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "scene/downscale.h"
#include "scene/frame_metrics.h"
#include "scene/simd.h"

namespace kb::scene {
namespace {

// A random planar 8-bit YUV frame in av_malloc'd planes (swscale's SIMD wants aligned rows).
struct Yuv {
  int w, h, vshift;
  int strides[3];
  std::uint8_t* planes[3] = {};
  Yuv(int width, int height, int chroma_vshift, std::mt19937& rng) : w(width), h(height), vshift(chroma_vshift) {
    const int cw = (w + 1) / 2, ch = (h + (1 << vshift) - 1) >> vshift;
    strides[0] = (w + 63) & ~63;
    strides[1] = strides[2] = (cw + 63) & ~63;
    for (int p = 0; p < 3; ++p) {
      // Padding after the last row, as libav's frame buffers have (AV_INPUT_BUFFER_PADDING_SIZE).
      const size_t bytes = static_cast<size_t>(strides[p]) * static_cast<size_t>(p == 0 ? h : ch) + 64;
      planes[p] = static_cast<std::uint8_t*>(av_malloc(bytes));
      for (size_t i = 0; i < bytes; ++i) planes[p][i] = static_cast<std::uint8_t>(rng());
    }
  }
  ~Yuv() {
    for (auto* p : planes) av_free(p);
  }
  Yuv(const Yuv&) = delete;
  Yuv& operator=(const Yuv&) = delete;
  YuvPicture picture(bool full_range) const {
    YuvPicture p;
    for (int i = 0; i < 3; ++i) p.planes[i] = planes[i], p.strides[i] = strides[i];
    p.chroma_vshift = vshift;
    p.full_range = full_range;
    return p;
  }
};

// What OpenCV's capture does with the frame: swscale to BGR24 at the same size, SWS_BICUBIC.
cv::Mat swscale_bgr(const Yuv& f, AVPixelFormat format) {
  SwsContext* sws = sws_getContext(f.w, f.h, format, f.w, f.h, AV_PIX_FMT_BGR24, SWS_BICUBIC, nullptr, nullptr, nullptr);
  EXPECT_NE(sws, nullptr);
  // OpenCV's buffer: rows of 3 × width aligned to 32 bytes (swscale's x86 converter writes whole
  // groups of 8 pixels where the row has room, and leaves the last ones out where it has not).
  const int stride = 3 * ((f.w + 31) & ~31);
  std::vector<std::uint8_t> buffer(static_cast<size_t>(stride) * static_cast<size_t>(f.h));
  cv::Mat out(f.h, f.w, CV_8UC3, buffer.data(), static_cast<size_t>(stride));
  std::uint8_t* dst[4] = {out.data, nullptr, nullptr, nullptr};
  int dst_stride[4] = {stride, 0, 0, 0};
  const std::uint8_t* const src[4] = {f.planes[0], f.planes[1], f.planes[2], nullptr};
  const int src_stride[4] = {f.strides[0], f.strides[1], f.strides[2], 0};
  sws_scale(sws, src, src_stride, 0, f.h, dst, dst_stride);
  sws_freeContext(sws);
  return out.clone();
}

cv::Mat packed(const BgrPlanes& p) {
  cv::Mat out(p.height, p.width, CV_8UC3);
  for (int y = 0; y < p.height; ++y)
    for (int x = 0; x < p.width; ++x) {
      const size_t i = static_cast<size_t>(y) * static_cast<size_t>(p.width) + static_cast<size_t>(x);
      out.at<cv::Vec3b>(y, x) = cv::Vec3b(p.b[i], p.g[i], p.r[i]);
    }
  return out;
}

int differing(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size() || a.type() != b.type()) return -1;
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  return cv::countNonZero(diff.reshape(1));
}

// swscale's YUV → BGR24 is the oracle only where OpenCV's capture runs the same converter (x86).
#if defined(__x86_64__) || defined(__i386__)
constexpr bool kSwscaleIsOracle = true;
#else
constexpr bool kSwscaleIsOracle = false;
#endif

// FNV-1a over a picture's bytes, printed in hex: a golden a failure message can be copied from.
std::string digest(const cv::Mat& m) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (int y = 0; y < m.rows; ++y)
    for (size_t i = 0; i < static_cast<size_t>(m.cols) * m.elemSize(); ++i) h = (h ^ m.ptr<std::uint8_t>(y)[i]) * 0x100000001b3ULL;
  std::ostringstream out;
  out << std::hex << h;
  return out.str();
}

// Digests of swscale's picture (then cv::resize's) on x86 for the random frames below, keyed by case.
const std::map<std::string, std::string> kSwscaleGolden = {
    {"96x64 yuv420p", "4f51e69420ec77b5"},
    {"96x64 yuvj420p", "2cb528950d39befe"},
    {"96x64 yuv422p", "79c0842c16a72851"},
    {"96x64 yuvj422p", "33b4c6f2aa87064f"},
    {"1920x1080 yuv420p", "f9f6bf4d51990ad7"},
    {"1920x1080 yuvj422p", "a4dc7ff5650bc88"},
    {"720x528 yuv420p", "d68ad3becc692456"},
    {"720x528 yuvj422p", "a9ec60a96c1d9766"},
    {"768x576 yuv420p", "155fe0ba1b3e8a02"},
    {"768x576 yuvj422p", "1ea037b610425744"},
    {"512x288 yuv420p", "b1657828a0ec54d0"},
    {"512x288 yuvj422p", "3d1081a2a7fac826"},
    {"854x480 yuv420p", "5bd3a854bc1f5495"},
    {"854x480 yuvj422p", "1cd9d82a901f7a8"},
    {"300x1000 yuv420p", "7f9269652a20e506"},
    {"300x1000 yuvj422p", "810e7a8b3baa0404"},
    {"200x120 yuv420p", "4324b8d8ac6e3c6e"},
    {"200x120 yuvj422p", "a2f5d4903f3b9428"},
};

std::string golden(const std::string& key) {
  const auto it = kSwscaleGolden.find(key);
  return it == kSwscaleGolden.end() ? "(none recorded)" : it->second;
}

struct Size {
  int w, h;
};
// 1080p (× 7.5), PySceneDetect's own test clip size, an exact halving (OpenCV's area path), odd
// sides, portrait, a factor just above 1, and a frame already small enough.
const Size kSizes[] = {{1920, 1080}, {720, 528}, {768, 576}, {512, 288}, {854, 480}, {641, 479},
                       {300, 1000}, {257, 255}, {200, 120}};

TEST(Downscale, SizesArePySceneDetects) {
  auto size = [](int w, int h) {
    const FrameSize s = downscaled_size(w, h, 256);
    return std::vector<int>{s.width, s.height};
  };
  EXPECT_EQ(size(1920, 1080), (std::vector<int>{256, 144}));
  EXPECT_EQ(size(720, 528), (std::vector<int>{256, 188}));   // 187.73
  EXPECT_EQ(size(300, 1000), (std::vector<int>{77, 256}));   // the longer side sets the factor
  EXPECT_EQ(size(640, 360), (std::vector<int>{256, 144}));
  EXPECT_EQ(size(256, 100), (std::vector<int>{256, 100}));   // factor 1: as it is
  EXPECT_EQ(size(200, 120), (std::vector<int>{200, 120}));
  EXPECT_EQ(size(1000, 2), (std::vector<int>{256, 1}));      // at least 1
  // Python's round: half to even (1000 / (1000/256) = 256; 642 × 256 / 1284 = 128 exactly).
  EXPECT_EQ(size(1284, 642), (std::vector<int>{256, 128}));
}

TEST(Downscale, YuvToBgrIsSwscales) {
  std::mt19937 rng(3);
  for (const auto& [format, vshift, full] : {std::tuple{AV_PIX_FMT_YUV420P, 1, false}, std::tuple{AV_PIX_FMT_YUVJ420P, 1, true},
                                             std::tuple{AV_PIX_FMT_YUV422P, 0, false}, std::tuple{AV_PIX_FMT_YUVJ422P, 0, true}}) {
    Yuv f(96, 64, vshift, rng);
    cv::Mat got(f.h, f.w, CV_8UC3);
    for (int y = 0; y < f.h; ++y)
      for (int x = 0; x < f.w; ++x) {
        std::uint8_t bgr[3];
        const int cy = y >> vshift;
        swscale_yuv_to_bgr(f.planes[0][y * f.strides[0] + x], f.planes[1][cy * f.strides[1] + x / 2],
                           f.planes[2][cy * f.strides[2] + x / 2], full, bgr);
        got.at<cv::Vec3b>(y, x) = cv::Vec3b(bgr[0], bgr[1], bgr[2]);
      }
    const std::string key = std::string("96x64 ") + av_get_pix_fmt_name(format);
    if (kSwscaleIsOracle) {
      EXPECT_EQ(differing(got, swscale_bgr(f, format)), 0) << key;
    }
    EXPECT_EQ(digest(got), golden(key)) << key;
  }
}

TEST(Downscale, YuvFramesDownscaleAsSwscaleThenCvResize) {
  cv::setNumThreads(0);
  std::mt19937 rng(5);
  for (const Size s : kSizes) {
    for (const auto& [format, vshift, full] : {std::tuple{AV_PIX_FMT_YUV420P, 1, false}, std::tuple{AV_PIX_FMT_YUVJ422P, 0, true}}) {
      if (s.h % 2) continue;  // swscale takes its generic path at odd heights, and so does the reader
      Yuv f(s.w, s.h, vshift, rng);
      const FrameSize out = downscaled_size(s.w, s.h, 256);
      Downscaler d(s.w, s.h, out.width, out.height);
      const cv::Mat got = packed(d.convert(f.picture(full)));
      const std::string key = std::to_string(s.w) + "x" + std::to_string(s.h) + " " + av_get_pix_fmt_name(format);
      if (kSwscaleIsOracle) {
        cv::Mat expected;
        cv::resize(swscale_bgr(f, format), expected, cv::Size(out.width, out.height), 0, 0, cv::INTER_LINEAR);
        EXPECT_EQ(differing(got, expected), 0) << key << " → " << out.width << "x" << out.height;
      }
      EXPECT_EQ(digest(got), golden(key)) << key;
    }
  }
}

TEST(Downscale, Bgr24FramesDownscaleAsCvResize) {
  cv::setNumThreads(0);
  std::mt19937 rng(9);
  for (const Size s : kSizes) {
    cv::Mat frame(s.h, s.w, CV_8UC3);
    cv::randu(frame, 0, 256);
    const FrameSize out = downscaled_size(s.w, s.h, 256);
    cv::Mat expected;
    cv::resize(frame, expected, cv::Size(out.width, out.height), 0, 0, cv::INTER_LINEAR);
    Downscaler d(s.w, s.h, out.width, out.height);
    EXPECT_EQ(differing(packed(d.convert(Bgr24Picture{frame.data, static_cast<int>(frame.step)})), expected), 0)
        << s.w << "x" << s.h << " → " << out.width << "x" << out.height;
  }
}

TEST(Downscale, HsvIsCvtColors) {
  cv::setNumThreads(0);
  cv::Mat frame(61, 83, CV_8UC3);  // not a multiple of 8 pixels: the vector loop's tail counts
  cv::randu(frame, 0, 256);
  // Greys, primaries and ties between channels: where the hue's branches and the tables' ends are.
  const cv::Vec3b special[] = {{0, 0, 0}, {255, 255, 255}, {0, 0, 255}, {0, 255, 0}, {255, 0, 0}, {7, 7, 200}, {200, 7, 200}, {1, 2, 2}};
  for (int i = 0; i < 8; ++i) frame.at<cv::Vec3b>(0, i) = special[i];
  cv::Mat expected;
  cv::cvtColor(frame, expected, cv::COLOR_BGR2HSV);
  std::vector<cv::Mat> bgr;
  cv::split(frame, bgr);
  const BgrPlanes planes{frame.cols, frame.rows, bgr[0].data, bgr[1].data, bgr[2].data};
  for (bool portable : {false, true}) {
    if (!portable && !cpu_has_avx2()) continue;
    std::vector<std::uint8_t> h(frame.total()), s(h.size()), v(h.size());
    bgr_to_hsv(planes, h.data(), s.data(), v.data(), portable);
    std::vector<cv::Mat> channels = {cv::Mat(frame.rows, frame.cols, CV_8U, h.data()), cv::Mat(frame.rows, frame.cols, CV_8U, s.data()),
                                     cv::Mat(frame.rows, frame.cols, CV_8U, v.data())};
    cv::Mat got;
    cv::merge(channels, got);
    EXPECT_EQ(differing(got, expected), 0) << (portable ? "portable" : "avx2");
  }
}

TEST(MetricsCalculator, MeansOverRandomFramesMatchAPlainSum) {
  std::mt19937 rng(11);
  const int w = 37, h = 11;  // not a multiple of 16: the vector loop's tail counts too
  const size_t n = static_cast<size_t>(w * h);
  std::vector<std::uint8_t> first(3 * n), second(3 * n);
  for (auto* frame : {&first, &second})
    for (auto& b : *frame) b = static_cast<std::uint8_t>(rng());
  auto planes = [&](const std::vector<std::uint8_t>& p) { return BgrPlanes{w, h, p.data(), p.data() + n, p.data() + 2 * n}; };
  std::vector<std::uint8_t> hsv1(3 * n), hsv2(3 * n);
  bgr_to_hsv(planes(first), hsv1.data(), hsv1.data() + n, hsv1.data() + 2 * n, true);
  bgr_to_hsv(planes(second), hsv2.data(), hsv2.data() + n, hsv2.data() + 2 * n, true);
  long dh = 0, ds = 0, dv = 0, bright = 0;
  for (size_t i = 0; i < n; ++i) {
    dh += std::abs(hsv2[i] - hsv1[i]);
    ds += std::abs(hsv2[n + i] - hsv1[n + i]);
    dv += std::abs(hsv2[2 * n + i] - hsv1[2 * n + i]);
  }
  for (auto b : second) bright += b;
  MetricsCalculator calc;
  calc.add(0, planes(first));
  const FrameMetric m = calc.add(1, planes(second));
  // Exactly PySceneDetect's arithmetic: an integer sum divided once, in double.
  EXPECT_EQ(m.delta_hue, static_cast<double>(dh) / static_cast<double>(n));
  EXPECT_EQ(m.delta_sat, static_cast<double>(ds) / static_cast<double>(n));
  EXPECT_EQ(m.delta_lum, static_cast<double>(dv) / static_cast<double>(n));
  EXPECT_EQ(m.brightness, static_cast<double>(bright) / static_cast<double>(3 * n));
  EXPECT_EQ(m.content(), (m.delta_hue + m.delta_sat + m.delta_lum) / 3.0);
}

}  // namespace
}  // namespace kb::scene
