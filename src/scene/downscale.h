// The small BGR picture the detectors see, made exactly as PySceneDetect makes it: OpenCV's video
// capture turns each decoded frame into full-size BGR with swscale, then `cv2.resize(...,
// INTER_LINEAR)` shrinks it (docs/notes/pyscenedetect-opencv-parity.md has the sources).
//
// - 8-bit YUV 4:2:0 / 4:2:2 (swscale's unscaled x86 converter): BT.601 whatever the stream says,
//   video range unless the decoder gave a YUVJ format, each chroma sample used for its 2 (× 2)
//   luma pixels, in the converter's 16-bit fixed point. Computed here only at the source pixels
//   the resize reads (4 per output pixel), which is why it costs a few percent of a decode.
// - Any other format: the caller runs swscale as OpenCV does (BGR24, SWS_BICUBIC, coded size) and
//   hands over the BGR24 picture.
// - The resize is OpenCV's 8-bit INTER_LINEAR: 2 taps per axis in 1/2048, its rounding, and its
//   switch to a 2 × 2 mean for an exact halving.
// The tests check each step against swscale and OpenCV themselves.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace kb::scene {

// Three planes of width × height bytes each.
struct BgrPlanes {
  int width = 0, height = 0;
  const std::uint8_t* b = nullptr;
  const std::uint8_t* g = nullptr;
  const std::uint8_t* r = nullptr;
};

struct FrameSize {
  int width = 0, height = 0;
};

// PySceneDetect's automatic downscale (≥ 0.6.5): factor = longer side / target as a float; each
// side becomes round(side / factor), half to even, at least 1. A frame whose longer side is not
// above `target` stays as it is.
FrameSize downscaled_size(int width, int height, int target);

// One axis of OpenCV's 8-bit INTER_LINEAR: output i is source first[i] × w0[i] + source second[i]
// × w1[i], weights in 1/2048.
struct LinearAxis {
  std::vector<int> first, second, w0, w1;
};
LinearAxis linear_axis(int src, int dst);

// A decoded 8-bit planar YUV frame. `chroma_vshift` is 1 for 4:2:0, 0 for 4:2:2.
struct YuvPicture {
  const std::uint8_t* planes[3] = {};
  int strides[3] = {};
  int chroma_vshift = 1;
  bool full_range = false;
};

// A packed BGR24 picture (swscale's output for the other formats).
struct Bgr24Picture {
  const std::uint8_t* data = nullptr;
  int stride = 0;
};

// swscale's x86 unscaled converter for one pixel: b, g, r.
void swscale_yuv_to_bgr(int y, int u, int v, bool full_range, std::uint8_t bgr[3]);

class Downscaler {
 public:
  Downscaler(int src_width, int src_height, int out_width, int out_height);

  BgrPlanes convert(const YuvPicture& picture);
  BgrPlanes convert(const Bgr24Picture& picture);

  int src_width() const { return src_w_; }
  int src_height() const { return src_h_; }

  // The source pixels one row's horizontal pass reads (2 per output), as planes.
  struct Picked {
    std::vector<std::int16_t> y, u, v;  // (YUV sources) the samples, widened for 16-bit SIMD
    std::vector<std::uint8_t> b, g, r;
    explicit Picked(size_t n) : y(n + 8), u(n + 8), v(n + 8), b(n + 8), g(n + 8), r(n + 8) {}
  };

 private:
  template <class Pixels>
  BgrPlanes resize(const Pixels& pixels);

  int src_w_, src_h_, out_w_, out_h_;
  enum class Mode { halve, linear } mode_;
  LinearAxis x_, y_;
  std::vector<int> cols_;                   // the source columns the horizontal pass reads, ascending, once each
  std::vector<int> tap0_, tap1_;            // per output column: where its two taps are among them
  bool dense_ = false;                      // cols_ is every column (0, 1, 2 …)
  bool paired_ = false;                     // output d's taps are picked 2d and 2d + 1
  std::vector<std::int16_t> weight_pairs_;  // w0, w1 of each output, side by side
  std::vector<std::int32_t> row0_, row1_;   // horizontal pass of the two source rows (3 per output pixel)
  Picked picked_;
  std::vector<std::uint8_t> out_;           // B, G, R planes
};

}  // namespace kb::scene
