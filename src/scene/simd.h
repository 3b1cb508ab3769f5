// Whether this CPU runs the AVX2 code paths of the per-frame work (downscale, HSV). Those paths
// are compiled for AVX2 function by function and chosen at run time, so one binary runs on any
// x86-64 (and on other architectures, where only the portable paths exist).
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#define KUBENCH_X86 1
#include <immintrin.h>
#endif

#include <cstdint>

namespace kb::scene {

inline bool cpu_has_avx2() {
#ifdef KUBENCH_X86
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
#else
  return false;
#endif
}

#ifdef KUBENCH_X86
// 8 × int32 → 8 bytes, each saturated to 0…255.
__attribute__((target("avx2"))) inline void store8_saturated(std::uint8_t* dst, __m256i v) {
  __m256i p = _mm256_packs_epi32(v, v);
  p = _mm256_packus_epi16(p, p);
  _mm_storel_epi64(reinterpret_cast<__m128i*>(dst),
                   _mm_unpacklo_epi32(_mm256_castsi256_si128(p), _mm256_extracti128_si256(p, 1)));
}
#endif

}  // namespace kb::scene
