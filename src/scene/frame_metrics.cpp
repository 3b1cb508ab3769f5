#include "scene/frame_metrics.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>

#include "scene/simd.h"

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

void hsv_portable(const BgrPlanes& in, std::uint8_t* hue, std::uint8_t* sat, std::uint8_t* val, size_t from, size_t pixels) {
  const auto& t = tables();
  for (size_t i = from; i < pixels; ++i) {
    const int b = in.b[i], g = in.g[i], r = in.r[i];
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

#ifdef KUBENCH_X86
__attribute__((target("avx2"))) __m256i load8(const std::uint8_t* p) {
  return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}
// hsv_portable's arithmetic on 8 lanes; the two divisions are table gathers.
__attribute__((target("avx2"))) void hsv_avx2(const BgrPlanes& in, std::uint8_t* hue, std::uint8_t* sat, std::uint8_t* val, size_t pixels) {
  const auto& t = tables();
  const __m256i round = _mm256_set1_epi32(1 << (kShift - 1));
  size_t i = 0;
  for (; i + 8 <= pixels; i += 8) {
    const __m256i b = load8(in.b + i), g = load8(in.g + i), r = load8(in.r + i);
    const __m256i v = _mm256_max_epi32(_mm256_max_epi32(b, g), r);
    const __m256i diff = _mm256_sub_epi32(v, _mm256_min_epi32(_mm256_min_epi32(b, g), r));
    const __m256i vr = _mm256_cmpeq_epi32(v, r), vg = _mm256_cmpeq_epi32(v, g);
    const __m256i s = _mm256_srai_epi32(
        _mm256_add_epi32(_mm256_mullo_epi32(diff, _mm256_i32gather_epi32(t.sdiv.data(), v, 4)), round), kShift);
    const __m256i when_g = _mm256_add_epi32(_mm256_sub_epi32(b, r), _mm256_slli_epi32(diff, 1));
    const __m256i when_b = _mm256_add_epi32(_mm256_sub_epi32(r, g), _mm256_slli_epi32(diff, 2));
    __m256i h = _mm256_blendv_epi8(_mm256_blendv_epi8(when_b, when_g, vg), _mm256_sub_epi32(g, b), vr);
    h = _mm256_srai_epi32(_mm256_add_epi32(_mm256_mullo_epi32(h, _mm256_i32gather_epi32(t.hdiv.data(), diff, 4)), round), kShift);
    h = _mm256_add_epi32(h, _mm256_and_si256(_mm256_cmpgt_epi32(_mm256_setzero_si256(), h), _mm256_set1_epi32(180)));
    store8_saturated(hue + i, h);
    store8_saturated(sat + i, s);
    store8_saturated(val + i, v);
  }
  hsv_portable(in, hue, sat, val, i, pixels);
}
#endif
}  // namespace

void bgr_to_hsv(const BgrPlanes& bgr, std::uint8_t* hue, std::uint8_t* sat, std::uint8_t* val, bool portable) {
  const size_t pixels = static_cast<size_t>(bgr.width) * static_cast<size_t>(bgr.height);
#ifdef KUBENCH_X86
  if (!portable && cpu_has_avx2()) return hsv_avx2(bgr, hue, sat, val, pixels);
#endif
  (void)portable;
  hsv_portable(bgr, hue, sat, val, 0, pixels);
}

namespace {
// Σ|a − b| over bytes (b = nullptr: Σa). On x86-64 SSE2's sum of absolute differences does 16
// bytes in one instruction, where the compiler's own vectorisation widens them step by step.
std::uint64_t sum_abs_diff(const std::uint8_t* a, const std::uint8_t* b, size_t n) {
  std::uint64_t total = 0;
  size_t i = 0;
#ifdef __x86_64__
  __m128i acc = _mm_setzero_si128();
  for (; i + 16 <= n; i += 16) {
    const __m128i other = b ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i)) : _mm_setzero_si128();
    acc = _mm_add_epi64(acc, _mm_sad_epu8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)), other));
  }
  total = static_cast<std::uint64_t>(_mm_cvtsi128_si64(acc)) + static_cast<std::uint64_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(acc, acc)));
#endif
  for (; i < n; ++i) {
    const int other = b ? b[i] : 0;
    total += static_cast<std::uint32_t>(a[i] > other ? a[i] - other : other - a[i]);
  }
  return total;
}
std::uint64_t sum_bytes(const std::uint8_t* a, size_t n) { return sum_abs_diff(a, nullptr, n); }
}  // namespace

FrameMetric MetricsCalculator::add(std::int64_t frame, const BgrPlanes& bgr) {
  const size_t pixels = static_cast<size_t>(bgr.width) * static_cast<size_t>(bgr.height);
  current_.resize(pixels * 3);
  bgr_to_hsv(bgr, current_.data(), current_.data() + pixels, current_.data() + 2 * pixels);
  FrameMetric m;
  m.frame = frame;
  const std::uint64_t sum = sum_bytes(bgr.b, pixels) + sum_bytes(bgr.g, pixels) + sum_bytes(bgr.r, pixels);
  m.brightness = static_cast<double>(sum) / static_cast<double>(pixels * 3);
  if (has_previous_ && previous_.size() == current_.size()) {
    const double n = static_cast<double>(pixels);
    m.delta_hue = static_cast<double>(sum_abs_diff(current_.data(), previous_.data(), pixels)) / n;
    m.delta_sat = static_cast<double>(sum_abs_diff(current_.data() + pixels, previous_.data() + pixels, pixels)) / n;
    m.delta_lum = static_cast<double>(sum_abs_diff(current_.data() + 2 * pixels, previous_.data() + 2 * pixels, pixels)) / n;
  }
  previous_.swap(current_);
  has_previous_ = true;
  return m;
}

}  // namespace kb::scene
