// The detectors' downscale and HSV: exact values on ramps and flat colours, and the AVX2 paths
// equal to the portable ones byte for byte on random frames of awkward sizes.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <vector>

#include "scene/downscale.h"
#include "scene/frame_metrics.h"
#include "scene/simd.h"

namespace kb::scene {
namespace {

struct Yuv420 {
  int w, h, stride_y, stride_c;
  std::vector<std::uint8_t> y, u, v;
  Yuv420(int width, int height, int padding = 0)
      : w(width), h(height), stride_y(width + padding), stride_c((width + 1) / 2 + padding),
        y(static_cast<size_t>(stride_y * height)), u(static_cast<size_t>(stride_c * ((height + 1) / 2))), v(u.size()) {}
  BgrPlanes convert(Yuv420Downscaler& d, bool full_range) const {
    const std::uint8_t* const planes[3] = {y.data(), u.data(), v.data()};
    const int strides[3] = {stride_y, stride_c, stride_c};
    return d.convert(planes, strides, full_range);
  }
};

std::vector<std::uint8_t> bytes(const BgrPlanes& p) {
  const size_t n = static_cast<size_t>(p.width) * static_cast<size_t>(p.height);
  std::vector<std::uint8_t> out(p.b, p.b + n);
  out.insert(out.end(), p.g, p.g + n);
  out.insert(out.end(), p.r, p.r + n);
  return out;
}

TEST(Downscale, HalvingARampAveragesNeighbours) {
  Yuv420 f(512, 4);
  for (int row = 0; row < 4; ++row)
    for (int x = 0; x < 512; ++x) f.y[static_cast<size_t>(row * f.stride_y + x)] = static_cast<std::uint8_t>(x / 2);
  std::fill(f.u.begin(), f.u.end(), 128);
  std::fill(f.v.begin(), f.v.end(), 128);
  Yuv420Downscaler d(512, 4, 256, 2);
  const BgrPlanes out = f.convert(d, true);
  ASSERT_EQ(out.width, 256);
  ASSERT_EQ(out.height, 2);
  // Output d samples source 2d + 0.5: the mean of x/2 at 2d and 2d + 1, i.e. d, grey.
  for (int x = 0; x < 256; ++x) {
    EXPECT_EQ(out.b[x], x) << x;
    EXPECT_EQ(out.g[x], x) << x;
    EXPECT_EQ(out.r[256 + x], x) << x;
  }
}

TEST(Downscale, VideoRangeColoursBecomeBt601Bgr) {
  Yuv420 f(64, 32);
  auto flat = [&](int Y, int U, int V, bool full) {
    std::fill(f.y.begin(), f.y.end(), static_cast<std::uint8_t>(Y));
    std::fill(f.u.begin(), f.u.end(), static_cast<std::uint8_t>(U));
    std::fill(f.v.begin(), f.v.end(), static_cast<std::uint8_t>(V));
    Yuv420Downscaler d(64, 32, 16, 8);
    const BgrPlanes p = f.convert(d, full);
    return std::vector<int>{p.b[37], p.g[37], p.r[37]};
  };
  EXPECT_EQ(flat(16, 128, 128, false), (std::vector<int>{0, 0, 0}));
  EXPECT_EQ(flat(235, 128, 128, false), (std::vector<int>{255, 255, 255}));
  EXPECT_EQ(flat(81, 90, 240, false), (std::vector<int>{0, 0, 255}));  // BT.601 red
  EXPECT_EQ(flat(200, 128, 128, true), (std::vector<int>{200, 200, 200}));
}

TEST(Downscale, SimdPathEqualsPortablePath) {
  if (!cpu_has_avx2()) GTEST_SKIP() << "this CPU has no AVX2: only the portable path runs here";
  std::mt19937 rng(7);
  struct Size {
    int w, h, ow, oh, pad;
  };
  for (const Size s : {Size{1920, 1080, 274, 154, 64}, Size{1921, 1081, 274, 154, 0}, Size{37, 23, 9, 5, 3},
                       Size{1, 1, 1, 1, 0}, Size{2, 2, 2, 2, 0}, Size{300, 200, 300, 200, 0}, Size{17, 9, 31, 17, 0}}) {
    Yuv420 f(s.w, s.h, s.pad);
    for (auto* plane : {&f.y, &f.u, &f.v})
      for (auto& b : *plane) b = static_cast<std::uint8_t>(rng());
    for (bool full : {false, true}) {
      Yuv420Downscaler simd(s.w, s.h, s.ow, s.oh), portable(s.w, s.h, s.ow, s.oh, Yuv420Downscaler::Path::portable);
      const auto a = f.convert(simd, full);
      const auto b = f.convert(portable, full);
      ASSERT_EQ(bytes(a), bytes(b)) << s.w << "x" << s.h << (full ? " full" : " video") << " range";
      std::vector<std::uint8_t> hsv_a(bytes(a).size()), hsv_b(hsv_a.size());
      const size_t n = hsv_a.size() / 3;
      bgr_to_hsv(a, hsv_a.data(), hsv_a.data() + n, hsv_a.data() + 2 * n);
      bgr_to_hsv(a, hsv_b.data(), hsv_b.data() + n, hsv_b.data() + 2 * n, true);
      ASSERT_EQ(hsv_a, hsv_b) << s.w << "x" << s.h;
    }
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
  double dh = 0, ds = 0, dv = 0, bright = 0;
  for (size_t i = 0; i < n; ++i) {
    dh += std::abs(hsv2[i] - hsv1[i]);
    ds += std::abs(hsv2[n + i] - hsv1[n + i]);
    dv += std::abs(hsv2[2 * n + i] - hsv1[2 * n + i]);
  }
  for (auto b : second) bright += b;
  MetricsCalculator calc;
  calc.add(0, planes(first));
  const FrameMetric m = calc.add(1, planes(second));
  EXPECT_FLOAT_EQ(m.delta_hue, static_cast<float>(dh / static_cast<double>(n)));
  EXPECT_FLOAT_EQ(m.delta_sat, static_cast<float>(ds / static_cast<double>(n)));
  EXPECT_FLOAT_EQ(m.delta_lum, static_cast<float>(dv / static_cast<double>(n)));
  EXPECT_FLOAT_EQ(m.brightness, static_cast<float>(bright / static_cast<double>(3 * n)));
}

}  // namespace
}  // namespace kb::scene
