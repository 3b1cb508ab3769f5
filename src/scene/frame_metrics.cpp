#include "scene/frame_metrics.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>

namespace kb::scene {

namespace {
constexpr int kShift = 12;

struct HsvTables {
  std::array<int, 256> sdiv{}, hdiv{};
  HsvTables() {
    for (int i = 1; i < 256; ++i) {
      sdiv[i] = static_cast<int>(std::lround((255 << kShift) / static_cast<double>(i)));
      hdiv[i] = static_cast<int>(std::lround((180 << kShift) / (6.0 * i)));
    }
  }
};
const HsvTables& tables() {
  static const HsvTables t;
  return t;
}
}  // namespace

void bgr_to_hsv(const std::uint8_t* bgr, std::uint8_t* hue, std::uint8_t* sat, std::uint8_t* val, size_t pixels) {
  const auto& t = tables();
  for (size_t i = 0; i < pixels; ++i) {
    const int b = bgr[3 * i], g = bgr[3 * i + 1], r = bgr[3 * i + 2];
    const int v = std::max({b, g, r});
    const int diff = v - std::min({b, g, r});
    const int vr = v == r ? -1 : 0, vg = v == g ? -1 : 0;
    const int s = (diff * t.sdiv[v] + (1 << (kShift - 1))) >> kShift;
    int h = (vr & (g - b)) + (~vr & ((vg & (b - r + 2 * diff)) + ((~vg) & (r - g + 4 * diff))));
    h = (h * t.hdiv[diff] + (1 << (kShift - 1))) >> kShift;
    h += h < 0 ? 180 : 0;
    hue[i] = static_cast<std::uint8_t>(h);
    sat[i] = static_cast<std::uint8_t>(s);
    val[i] = static_cast<std::uint8_t>(v);
  }
}

namespace {
std::uint64_t sum_abs_diff(const std::uint8_t* a, const std::uint8_t* b, size_t n) {
  std::uint64_t total = 0;
  for (size_t i = 0; i < n; ++i) total += static_cast<std::uint32_t>(a[i] > b[i] ? a[i] - b[i] : b[i] - a[i]);
  return total;
}
std::uint64_t sum_bytes(const std::uint8_t* a, size_t n) {
  std::uint64_t total = 0;
  for (size_t i = 0; i < n; ++i) total += a[i];
  return total;
}
}  // namespace

FrameMetric MetricsCalculator::add(std::int64_t frame, const std::uint8_t* bgr, int width, int height) {
  const size_t pixels = static_cast<size_t>(width) * static_cast<size_t>(height);
  current_.resize(pixels * 3);
  bgr_to_hsv(bgr, current_.data(), current_.data() + pixels, current_.data() + 2 * pixels, pixels);
  FrameMetric m;
  m.frame = frame;
  m.brightness = static_cast<float>(static_cast<double>(sum_bytes(bgr, pixels * 3)) / static_cast<double>(pixels * 3));
  if (has_previous_ && previous_.size() == current_.size()) {
    const double n = static_cast<double>(pixels);
    m.delta_hue = static_cast<float>(static_cast<double>(sum_abs_diff(current_.data(), previous_.data(), pixels)) / n);
    m.delta_sat = static_cast<float>(static_cast<double>(sum_abs_diff(current_.data() + pixels, previous_.data() + pixels, pixels)) / n);
    m.delta_lum = static_cast<float>(static_cast<double>(sum_abs_diff(current_.data() + 2 * pixels, previous_.data() + 2 * pixels, pixels)) / n);
  }
  previous_.swap(current_);
  has_previous_ = true;
  return m;
}

}  // namespace kb::scene
