// Downscaling a decoded 8-bit 4:2:0 frame to the detectors' small BGR picture: bilinear, as
// OpenCV's INTER_LINEAR resize that PySceneDetect uses (output pixel d samples source coordinate
// (d + 0.5) · src/dst − 0.5 from its 2 × 2 neighbours), then BT.601 YUV → BGR.
//
// It runs once per decoded frame beside the decoder, so it is written for speed: each output row
// first blends its two source rows over their whole width (contiguous, vectorised), then samples
// the blended row at the output columns. With AVX2 the sampling is a gather and a multiply-add per
// 8 pixels; without, the same integer arithmetic one pixel at a time, with the same result.
#pragma once
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

class Yuv420Downscaler {
 public:
  enum class Path { best, portable };  // portable: no SIMD (tests compare the two)

  // Source luma size; the chroma planes are (w + 1) / 2 × (h + 1) / 2.
  Yuv420Downscaler(int src_width, int src_height, int out_width, int out_height, Path path = Path::best);

  // `full_range`: JPEG-range YUV (0…255) rather than video range (16…235).
  BgrPlanes convert(const std::uint8_t* const planes[3], const int strides[3], bool full_range);

  int src_width() const { return src_w_; }
  int src_height() const { return src_h_; }

  // One source → output axis: output d blends source i and i + 1 with weights w0 + w1 = 128.
  struct Axis {
    std::vector<std::int32_t> i;
    std::vector<std::int32_t> w;  // w0 | w1 << 16, as a multiply-add of 16-bit pairs wants them
  };
  static Axis axis(int src, int dst);

 private:
  int src_w_, src_h_, out_w_, out_h_;
  bool avx2_;
  Axis luma_x_, luma_y_, chroma_x_, chroma_y_;
  std::vector<std::uint16_t> row_y_, row_u_, row_v_;  // one output row's blended source rows
  std::vector<std::uint8_t> out_;                      // B, G, R planes
};

}  // namespace kb::scene
