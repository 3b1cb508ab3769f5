#include "scene/downscale.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace kb::scene {

namespace {

constexpr int kCoefScale = 2048;  // OpenCV's INTER_RESIZE_COEF_SCALE

std::uint8_t clamp_byte(int v) { return static_cast<std::uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v); }

// swscale's x86 yuv420_bgr24 (SSSE3), one 16-bit lane: pmulhw is (a × b) >> 16, rounded down,
// the inputs are scaled by 8 first, and no rounding term is added anywhere. The per-value
// products are tabulated: B = Y' + U_b, G = Y' + (U_g + V_g), R = Y' + V_r, each clamped.
struct YuvTables {
  std::array<std::int16_t, 256> y{}, ub{}, ug{}, vg{}, vr{};
  // swscale's BT.601 coefficients in 1/65536 (ff_yuv2rgb_coeffs[SWS_CS_ITU601]), reduced to
  // 16-bit as its ff_yuv2rgb_c_init_tables does; video range stretches 16…235 to 0…255.
  std::int16_t y_coeff, y_offset, vr_coeff, ub_coeff, ug_coeff, vg_coeff;
  explicit YuvTables(bool full_range)
      : y_coeff(full_range ? 8192 : 9539), y_offset(full_range ? 0 : 128), vr_coeff(full_range ? 11485 : 13075),
        ub_coeff(full_range ? 14516 : 16525), ug_coeff(full_range ? -2819 : -3209), vg_coeff(full_range ? -5850 : -6660) {
    auto mulhi = [](int a, int b) { return static_cast<std::int16_t>((a * b) >> 16); };
    for (int i = 0; i < 256; ++i) {
      y[static_cast<size_t>(i)] = mulhi((i << 3) - y_offset, y_coeff);
      const int c = (i << 3) - 1024;
      ub[static_cast<size_t>(i)] = mulhi(c, ub_coeff);
      ug[static_cast<size_t>(i)] = mulhi(c, ug_coeff);
      vg[static_cast<size_t>(i)] = mulhi(c, vg_coeff);
      vr[static_cast<size_t>(i)] = mulhi(c, vr_coeff);
    }
  }
  void bgr(int Y, int U, int V, std::uint8_t* out) const {
    const int luma = y[static_cast<size_t>(Y)];
    out[0] = clamp_byte(luma + ub[static_cast<size_t>(U)]);
    out[1] = clamp_byte(luma + (ug[static_cast<size_t>(U)] + vg[static_cast<size_t>(V)]));
    out[2] = clamp_byte(luma + vr[static_cast<size_t>(V)]);
  }
};

const YuvTables& yuv_tables(bool full_range) {
  static const YuvTables video(false), full(true);
  return full_range ? full : video;
}

using Picked = Downscaler::Picked;

// swscale's converter over n picked pixels: with SSE2 8 at a time, with the very instructions
// (pmulhw, paddsw, packuswb) of its SSSE3 code, else one at a time through the tables.
void yuv_span_to_bgr(const YuvTables& t, Picked& p, size_t n) {
  size_t i = 0;
#ifdef __SSE2__
  const __m128i yc = _mm_set1_epi16(t.y_coeff), yo = _mm_set1_epi16(t.y_offset), c1024 = _mm_set1_epi16(1024);
  const __m128i vr = _mm_set1_epi16(t.vr_coeff), ub = _mm_set1_epi16(t.ub_coeff), ug = _mm_set1_epi16(t.ug_coeff),
                vg = _mm_set1_epi16(t.vg_coeff);
  auto load = [](const std::int16_t* at) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(at)); };
  auto store8 = [](std::uint8_t* at, __m128i v) { _mm_storel_epi64(reinterpret_cast<__m128i*>(at), _mm_packus_epi16(v, v)); };
  for (; i + 8 <= n; i += 8) {
    const __m128i luma = _mm_mulhi_epi16(_mm_sub_epi16(_mm_slli_epi16(load(&p.y[i]), 3), yo), yc);
    const __m128i u = _mm_sub_epi16(_mm_slli_epi16(load(&p.u[i]), 3), c1024), v = _mm_sub_epi16(_mm_slli_epi16(load(&p.v[i]), 3), c1024);
    store8(&p.b[i], _mm_adds_epi16(luma, _mm_mulhi_epi16(u, ub)));
    store8(&p.g[i], _mm_adds_epi16(luma, _mm_adds_epi16(_mm_mulhi_epi16(u, ug), _mm_mulhi_epi16(v, vg))));
    store8(&p.r[i], _mm_adds_epi16(luma, _mm_mulhi_epi16(v, vr)));
  }
#endif
  for (; i < n; ++i) {
    std::uint8_t bgr[3];
    t.bgr(p.y[i], p.u[i], p.v[i], bgr);
    p.b[i] = bgr[0], p.g[i] = bgr[1], p.r[i] = bgr[2];
  }
}

// Source rows as the resize reads them: the BGR of the given columns of row `y`.
struct YuvPixels {
  const YuvPicture& p;
  const YuvTables& t;
  bool dense;  // the columns are 0, 1, 2 … (a scale below about 2 reads nearly every one)
  void pick(int y, const std::vector<int>& cols, Picked& out) const {
    const std::uint8_t* luma = p.planes[0] + static_cast<std::ptrdiff_t>(y) * p.strides[0];
    const int cy = y >> p.chroma_vshift;
    const std::uint8_t* u = p.planes[1] + static_cast<std::ptrdiff_t>(cy) * p.strides[1];
    const std::uint8_t* v = p.planes[2] + static_cast<std::ptrdiff_t>(cy) * p.strides[2];
    size_t i = 0;
    if (dense) {  // every column, in order: widen 8 at a time, each chroma byte twice
#ifdef __SSE2__
      const __m128i zero = _mm_setzero_si128();
      auto store = [](std::int16_t* to, __m128i x8) { _mm_storeu_si128(reinterpret_cast<__m128i*>(to), x8); };
      auto chroma4 = [&](const std::uint8_t* from) {
        std::int32_t four;
        std::memcpy(&four, from, 4);
        const __m128i c = _mm_cvtsi32_si128(four);
        return _mm_unpacklo_epi8(_mm_unpacklo_epi8(c, c), zero);
      };
      for (; i + 8 <= cols.size(); i += 8) {
        store(&out.y[i], _mm_unpacklo_epi8(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(luma + i)), zero));
        store(&out.u[i], chroma4(u + i / 2));
        store(&out.v[i], chroma4(v + i / 2));
      }
#endif
    }
    for (; i < cols.size(); ++i) {
      const int x = cols[i];
      out.y[i] = luma[x], out.u[i] = u[x >> 1], out.v[i] = v[x >> 1];
    }
    yuv_span_to_bgr(t, out, cols.size());
  }
};

struct Bgr24Pixels {
  const Bgr24Picture& p;
  void pick(int y, const std::vector<int>& cols, Picked& out) const {
    const std::uint8_t* row = p.data + static_cast<std::ptrdiff_t>(y) * p.stride;
    for (size_t i = 0; i < cols.size(); ++i) {
      const std::uint8_t* px = row + 3 * cols[i];
      out.b[i] = px[0], out.g[i] = px[1], out.r[i] = px[2];
    }
  }
};

}  // namespace

void swscale_yuv_to_bgr(int y, int u, int v, bool full_range, std::uint8_t bgr[3]) { yuv_tables(full_range).bgr(y, u, v, bgr); }

FrameSize downscaled_size(int width, int height, int target) {
  const int longer = std::max(width, height);
  if (longer < target) return {width, height};
  const double factor = longer / static_cast<double>(target);
  if (factor <= 1.0) return {width, height};
  // std::nearbyint rounds half to even in the default rounding mode, as Python's round.
  auto side = [&](int n) { return std::max(1, static_cast<int>(std::nearbyint(n / factor))); };
  return {side(width), side(height)};
}

LinearAxis linear_axis(int src, int dst) {
  LinearAxis a;
  // OpenCV's resize: scale = 1 / (dst / src) in double, the source position rounded to float.
  const double scale = 1.0 / (static_cast<double>(dst) / src);
  for (int d = 0; d < dst; ++d) {
    float f = static_cast<float>((d + 0.5) * scale - 0.5);
    int s = static_cast<int>(std::floor(f));
    f -= static_cast<float>(s);
    if (s < 0) s = 0, f = 0;
    if (s >= src - 1) s = src - 1, f = 0;
    a.first.push_back(s);
    a.second.push_back(std::min(s + 1, src - 1));
    // saturate_cast<short>(float) rounds half to even, as nearbyint does.
    a.w0.push_back(static_cast<int>(std::nearbyint((1.f - f) * static_cast<float>(kCoefScale))));
    a.w1.push_back(static_cast<int>(std::nearbyint(f * static_cast<float>(kCoefScale))));
  }
  return a;
}

namespace {
// OpenCV's exact halving (its area mean): output i takes source 2i and 2i + 1 with weight 1 each.
LinearAxis halving_axis(int dst) {
  LinearAxis a;
  for (int d = 0; d < dst; ++d) {
    a.first.push_back(2 * d);
    a.second.push_back(2 * d + 1);
    a.w0.push_back(1);
    a.w1.push_back(1);
  }
  return a;
}
}  // namespace

Downscaler::Downscaler(int src_width, int src_height, int out_width, int out_height)
    : src_w_(src_width), src_h_(src_height), out_w_(out_width), out_h_(out_height),
      // OpenCV turns INTER_LINEAR into its area mean when both axes halve exactly.
      mode_(src_width == 2 * out_width && src_height == 2 * out_height ? Mode::halve : Mode::linear),
      x_(mode_ == Mode::halve ? halving_axis(out_width) : linear_axis(src_width, out_width)),
      y_(mode_ == Mode::halve ? halving_axis(out_height) : linear_axis(src_height, out_height)),
      row0_(static_cast<size_t>(out_width) * 3), row1_(row0_.size()),
      picked_(static_cast<size_t>(std::max(2 * out_width, src_width))),
      out_(static_cast<size_t>(out_width) * static_cast<size_t>(out_height) * 3) {
  // Each source column is picked once, and a second tap of weight 0 not at all: at an integer
  // factor (768 → 256, 1280 → 256) that halves the work, and each row's 0-weight row is skipped too.
  for (int d = 0; d < out_w_; ++d) {
    const auto ds = static_cast<size_t>(d);
    const int first = x_.first[ds];
    const int second = x_.w1[ds] == 0 ? first : x_.second[ds];
    for (const int x : {first, second})
      if (cols_.empty() || cols_.back() != x) cols_.push_back(x);  // ascending: duplicates are neighbours
    tap1_.push_back(static_cast<int>(cols_.size()) - 1);
    tap0_.push_back(first == second ? tap1_.back() : tap1_.back() - 1);
  }
  // Reading more than half the columns: take them all, in order, for the contiguous SIMD path.
  if (2 * cols_.size() > static_cast<size_t>(src_w_)) {
    dense_ = true;
    for (size_t d = 0; d < tap0_.size(); ++d) tap0_[d] = cols_[static_cast<size_t>(tap0_[d])], tap1_[d] = cols_[static_cast<size_t>(tap1_[d])];
    cols_.resize(static_cast<size_t>(src_w_));
    for (int x = 0; x < src_w_; ++x) cols_[static_cast<size_t>(x)] = x;
  }
  paired_ = true;
  for (size_t d = 0; d < tap0_.size(); ++d) {
    paired_ = paired_ && tap0_[d] == static_cast<int>(2 * d) && tap1_[d] == static_cast<int>(2 * d + 1);
    weight_pairs_.push_back(static_cast<std::int16_t>(x_.w0[d]));
    weight_pairs_.push_back(static_cast<std::int16_t>(x_.w1[d]));
  }
}

template <class Pixels>
BgrPlanes Downscaler::resize(const Pixels& pixels) {
  const size_t plane = static_cast<size_t>(out_w_) * static_cast<size_t>(out_h_);
  std::uint8_t *b = out_.data(), *g = b + plane, *r = g + plane;
  const BgrPlanes result{out_w_, out_h_, b, g, r};
  const auto width = static_cast<size_t>(out_w_);

  // Horizontal pass of one source row: OpenCV's S0 × a0 + S1 × a1 per channel (exact in int32;
  // for the halving, weights 1: the pair's sum). Rows are planar: B, then G, then R.
  auto horizontal = [&](int y, std::vector<std::int32_t>& row) {
    pixels.pick(y, cols_, picked_);
    const std::uint8_t* channels[3] = {picked_.b.data(), picked_.g.data(), picked_.r.data()};
    for (size_t c = 0; c < 3; ++c) {
      const std::uint8_t* p = channels[c];
      std::int32_t* out = row.data() + c * width;
      const int *i0 = tap0_.data(), *i1 = tap1_.data();
      size_t d = 0;
#ifdef __SSE2__
      // Each output's two taps side by side in the picked row (1080p: every column picked is a
      // tap of one output): one pmaddwd per 4 outputs, exact in 32 bits.
      if (paired_)
        for (; d + 4 <= width; d += 4) {
          const __m128i px = _mm_unpacklo_epi8(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + 2 * d)), _mm_setzero_si128());
          const __m128i w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(&weight_pairs_[2 * d]));
          _mm_storeu_si128(reinterpret_cast<__m128i*>(out + d), _mm_madd_epi16(px, w));
        }
#endif
      for (; d < width; ++d) out[d] = p[i0[d]] * x_.w0[d] + p[i1[d]] * x_.w1[d];
    }
  };

  int have0 = -1, have1 = -1;  // source rows now in row0_, row1_
  std::uint8_t* planes[3] = {b, g, r};
  for (int dy = 0; dy < out_h_; ++dy) {
    const auto ds = static_cast<size_t>(dy);
    const int y0 = y_.first[ds], y1 = y_.second[ds];
    if (y0 == have1) {  // a source row shared with the output row above (scales below 2)
      row0_.swap(row1_);
      std::swap(have0, have1);
    }
    const int b0 = y_.w0[ds], b1 = y_.w1[ds];
    if (y0 != have0) horizontal(y0, row0_), have0 = y0;
    // A second row of weight 0 adds exactly 0 in the vertical pass below, whatever row1_ holds.
    if (b1 == 0) have1 = -1;
    else if (y1 != have1) horizontal(y1, row1_), have1 = y1;
    const size_t at = ds * width;
    for (size_t c = 0; c < 3; ++c) {
      const std::int32_t *t0 = row0_.data() + c * width, *t1 = row1_.data() + c * width;
      std::uint8_t* out = planes[c] + at;
      if (mode_ == Mode::halve) {
        for (size_t d = 0; d < width; ++d) out[d] = static_cast<std::uint8_t>((t0[d] + t1[d] + 2) >> 2);
        continue;
      }
      // OpenCV's vertical pass for 8-bit (VResizeLinear with FixedPtCast): each product is taken
      // to 16 bits of headroom on its own, then the two are added and rounded by 2 bits. Its SIMD
      // form, here too: t >> 4 fits 16 bits, so the products are pmulhw's.
      size_t d = 0;
#ifdef __SSE2__
      const __m128i w0 = _mm_set1_epi16(static_cast<short>(b0)), w1 = _mm_set1_epi16(static_cast<short>(b1)), two = _mm_set1_epi16(2);
      auto narrow = [](const std::int32_t* from) {
        return _mm_packs_epi32(_mm_srai_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(from)), 4),
                               _mm_srai_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(from + 4)), 4));
      };
      for (; d + 8 <= width; d += 8) {
        const __m128i sum = _mm_add_epi16(_mm_add_epi16(_mm_mulhi_epi16(narrow(t0 + d), w0), _mm_mulhi_epi16(narrow(t1 + d), w1)), two);
        const __m128i px = _mm_srai_epi16(sum, 2);
        _mm_storel_epi64(reinterpret_cast<__m128i*>(out + d), _mm_packus_epi16(px, px));
      }
#endif
      for (; d < width; ++d) out[d] = clamp_byte((((b0 * (t0[d] >> 4)) >> 16) + ((b1 * (t1[d] >> 4)) >> 16) + 2) >> 2);
    }
  }
  return result;
}

BgrPlanes Downscaler::convert(const YuvPicture& picture) {
  return resize(YuvPixels{picture, yuv_tables(picture.full_range), dense_});
}

BgrPlanes Downscaler::convert(const Bgr24Picture& picture) { return resize(Bgr24Pixels{picture}); }

}  // namespace kb::scene
