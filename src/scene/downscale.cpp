#include "scene/downscale.h"

#include <algorithm>
#include <cmath>

#include "scene/simd.h"

namespace kb::scene {

namespace {

constexpr int kWeightBits = 7;  // blended rows stay below 2^15: 255 · 128
constexpr int kOne = 1 << kWeightBits;

void blend_rows(const std::uint8_t* r0, const std::uint8_t* r1, std::int32_t w, std::uint16_t* out, int n, int from = 0) {
  const auto w0 = static_cast<std::uint16_t>(w & 0xffff), w1 = static_cast<std::uint16_t>(w >> 16);
  for (int x = from; x < n; ++x) out[x] = static_cast<std::uint16_t>(r0[x] * w0 + r1[x] * w1);
}

int sample(const std::uint16_t* row, std::int32_t i, std::int32_t w) {
  return (row[i] * (w & 0xffff) + row[i + 1] * (w >> 16) + (1 << (2 * kWeightBits - 1))) >> (2 * kWeightBits);
}

std::uint8_t clip(int v) { return static_cast<std::uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v); }

// BT.601 in 8.8 fixed point: video range (16…235) or full range.
void yuv_to_bgr(int Y, int U, int V, bool full_range, std::uint8_t& b, std::uint8_t& g, std::uint8_t& r) {
  U -= 128;
  V -= 128;
  if (full_range) {
    r = clip(Y + ((359 * V + 128) >> 8));
    g = clip(Y - ((88 * U + 183 * V + 128) >> 8));
    b = clip(Y + ((454 * U + 128) >> 8));
  } else {
    const int c = 298 * (Y - 16);
    r = clip((c + 409 * V + 128) >> 8);
    g = clip((c - 100 * U - 208 * V + 128) >> 8);
    b = clip((c + 516 * U + 128) >> 8);
  }
}

struct RowJob {
  const std::uint16_t *y, *u, *v;  // blended source rows
  const Yuv420Downscaler::Axis *luma_x, *chroma_x;
  bool full_range;
  std::uint8_t *b, *g, *r;  // output row of each plane
  int width;
};

void sample_row_portable(const RowJob& j, int from) {
  for (int x = from; x < j.width; ++x) {
    const auto xs = static_cast<size_t>(x);
    yuv_to_bgr(sample(j.y, j.luma_x->i[xs], j.luma_x->w[xs]), sample(j.u, j.chroma_x->i[xs], j.chroma_x->w[xs]),
               sample(j.v, j.chroma_x->i[xs], j.chroma_x->w[xs]), j.full_range, j.b[x], j.g[x], j.r[x]);
  }
}

#ifdef KUBENCH_X86
__attribute__((target("avx2"))) void blend_rows_avx2(const std::uint8_t* r0, const std::uint8_t* r1, std::int32_t w,
                                                     std::uint16_t* out, int n) {
  const __m256i w0 = _mm256_set1_epi16(static_cast<short>(w & 0xffff)), w1 = _mm256_set1_epi16(static_cast<short>(w >> 16));
  int x = 0;
  for (; x + 16 <= n; x += 16) {
    const __m256i a = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r0 + x)));
    const __m256i b = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r1 + x)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + x), _mm256_add_epi16(_mm256_mullo_epi16(a, w0), _mm256_mullo_epi16(b, w1)));
  }
  blend_rows(r0, r1, w, out, n, x);
}

// 8 outputs: each lane gathers the pair row[i], row[i + 1] as one 32-bit word and multiplies-adds
// it with its (w0, w1) pair: the portable `sample` exactly.
__attribute__((target("avx2"))) __m256i sample8(const std::uint16_t* row, const Yuv420Downscaler::Axis& a, int x) {
  const __m256i i = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.i.data() + x));
  const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.w.data() + x));
  const __m256i pairs = _mm256_i32gather_epi32(reinterpret_cast<const int*>(row), i, 2);
  const __m256i sum = _mm256_add_epi32(_mm256_madd_epi16(pairs, w), _mm256_set1_epi32(1 << (2 * kWeightBits - 1)));
  return _mm256_srai_epi32(sum, 2 * kWeightBits);
}

__attribute__((target("avx2"))) __m256i k(int v) { return _mm256_set1_epi32(v); }

__attribute__((target("avx2"))) void sample_row_avx2(const RowJob& j) {
  int x = 0;
  for (; x + 8 <= j.width; x += 8) {
    const __m256i Y = sample8(j.y, *j.luma_x, x);
    const __m256i U = _mm256_sub_epi32(sample8(j.u, *j.chroma_x, x), k(128));
    const __m256i V = _mm256_sub_epi32(sample8(j.v, *j.chroma_x, x), k(128));
    __m256i r, g, b;
    if (j.full_range) {
      r = _mm256_add_epi32(Y, _mm256_srai_epi32(_mm256_add_epi32(_mm256_mullo_epi32(V, k(359)), k(128)), 8));
      g = _mm256_sub_epi32(Y, _mm256_srai_epi32(_mm256_add_epi32(_mm256_add_epi32(_mm256_mullo_epi32(U, k(88)), _mm256_mullo_epi32(V, k(183))), k(128)), 8));
      b = _mm256_add_epi32(Y, _mm256_srai_epi32(_mm256_add_epi32(_mm256_mullo_epi32(U, k(454)), k(128)), 8));
    } else {
      const __m256i c = _mm256_add_epi32(_mm256_mullo_epi32(_mm256_sub_epi32(Y, k(16)), k(298)), k(128));
      r = _mm256_srai_epi32(_mm256_add_epi32(c, _mm256_mullo_epi32(V, k(409))), 8);
      g = _mm256_srai_epi32(_mm256_sub_epi32(c, _mm256_add_epi32(_mm256_mullo_epi32(U, k(100)), _mm256_mullo_epi32(V, k(208)))), 8);
      b = _mm256_srai_epi32(_mm256_add_epi32(c, _mm256_mullo_epi32(U, k(516))), 8);
    }
    store8_saturated(j.b + x, b);
    store8_saturated(j.g + x, g);
    store8_saturated(j.r + x, r);
  }
  sample_row_portable(j, x);
}
#endif

}  // namespace

Yuv420Downscaler::Axis Yuv420Downscaler::axis(int src, int dst) {
  Axis a;
  const double scale = static_cast<double>(src) / dst;
  for (int d = 0; d < dst; ++d) {
    double x = std::max(0.0, (d + 0.5) * scale - 0.5);
    int i = static_cast<int>(x);
    if (i >= src - 1) {  // the last column: blend the two before it, all weight on the last
      i = std::max(0, src - 2);
      x = src - 1;
    }
    const int w1 = static_cast<int>(std::lround((x - i) * kOne));
    a.i.push_back(i);
    a.w.push_back((kOne - w1) | (w1 << 16));
  }
  return a;
}

Yuv420Downscaler::Yuv420Downscaler(int src_width, int src_height, int out_width, int out_height, Path path)
    : src_w_(src_width), src_h_(src_height), out_w_(out_width), out_h_(out_height),
      avx2_(path == Path::best && cpu_has_avx2()),
      luma_x_(axis(src_width, out_width)), luma_y_(axis(src_height, out_height)),
      chroma_x_(axis((src_width + 1) / 2, out_width)), chroma_y_(axis((src_height + 1) / 2, out_height)),
      // One more element than the row: sampling reads row[i + 1] (weight 0 on a 1-pixel row).
      row_y_(static_cast<size_t>(src_width) + 1, 0), row_u_(static_cast<size_t>((src_width + 1) / 2) + 1, 0),
      row_v_(row_u_.size(), 0), out_(static_cast<size_t>(out_width) * static_cast<size_t>(out_height) * 3) {}

BgrPlanes Yuv420Downscaler::convert(const std::uint8_t* const planes[3], const int strides[3], bool full_range) {
  const size_t plane = static_cast<size_t>(out_w_) * static_cast<size_t>(out_h_);
  BgrPlanes out{out_w_, out_h_, out_.data(), out_.data() + plane, out_.data() + 2 * plane};
  const int chroma_w = (src_w_ + 1) / 2, chroma_h = (src_h_ + 1) / 2;
  auto blend = [&](int p, const Axis& ay, int rows, int y, std::uint16_t* row, int n) {
    const auto ys = static_cast<size_t>(y);
    const std::uint8_t* r0 = planes[p] + static_cast<std::ptrdiff_t>(ay.i[ys]) * strides[p];
    const std::uint8_t* r1 = planes[p] + static_cast<std::ptrdiff_t>(std::min(ay.i[ys] + 1, rows - 1)) * strides[p];
#ifdef KUBENCH_X86
    if (avx2_) return blend_rows_avx2(r0, r1, ay.w[ys], row, n);
#endif
    blend_rows(r0, r1, ay.w[ys], row, n);
  };
  for (int y = 0; y < out_h_; ++y) {
    blend(0, luma_y_, src_h_, y, row_y_.data(), src_w_);
    blend(1, chroma_y_, chroma_h, y, row_u_.data(), chroma_w);
    blend(2, chroma_y_, chroma_h, y, row_v_.data(), chroma_w);
    const size_t at = static_cast<size_t>(y) * static_cast<size_t>(out_w_);
    const RowJob job{row_y_.data(), row_u_.data(), row_v_.data(), &luma_x_, &chroma_x_, full_range,
                     out_.data() + at, out_.data() + plane + at, out_.data() + 2 * plane + at, out_w_};
#ifdef KUBENCH_X86
    if (avx2_) {
      sample_row_avx2(job);
      continue;
    }
#endif
    sample_row_portable(job, 0);
  }
  return out;
}

}  // namespace kb::scene
