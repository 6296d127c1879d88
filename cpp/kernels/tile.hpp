// Column-major tiles of kLanes short rows, for the group kernels of rowwise.hpp.
//
// A group kernel works on kLanes rows at once, one row per SIMD lane. Reading row-major
// rows lane by lane is a strided gather per class, far slower than contiguous loads.
// Instead the rows are transposed once into a tile,
// tile[c * kLanes + lane], with register transposes (16x16 floats or 8x8 doubles on
// AVX-512, 8x8 / 4x4 on AVX2), so each class is one contiguous vector; gradients are written
// into a tile and transposed back the same way. (A channel-first (N, C, H, W) array already
// has this layout, with a stride of H*W between classes: pixel-wise losses can use it as is.)
//
// API (T = float or double):
//   tile_capacity(C)                            elements a tile of C classes needs
//   rows_to_tile(x, stride, C, tile)            tile[c * kLanes + lane] = x[lane * stride + c]
//   tile_to_rows(tile, C, x, stride)            the inverse, writing only columns [0, C)
// Tiles hold whole SIMD blocks of columns, so tile_capacity rounds C up to kTileColumns.
// The 16 rows are read as 16 interleaved streams, which DRAM serves slowly: callers
// prefetch the next group's rows while they compute (rowwise.hpp, prefetch_next_group).
#pragma once

#include <cstdint>
#include <type_traits>

#include "kernels/isa.hpp"
#include "kernels/reduce.hpp"

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

FASTLOSS_BEGIN_ISA_NAMESPACE

// The widest rows a tile holds (C <= kMaxTileClasses in every call below).
constexpr std::int64_t kMaxTileClasses = 128;
// Columns moved per step: one register transpose's width.
constexpr std::int64_t kTileColumns = 16;
static_assert(kLanes == 16, "the register transposes below move 16 rows");

constexpr std::int64_t tile_capacity(std::int64_t classes) {
  return (classes + kTileColumns - 1) / kTileColumns * kTileColumns * kLanes;
}

namespace tile_detail {

// The register transposes must inline: out of line, their arrays go through memory.
#if defined(_MSC_VER)
#define FASTLOSS_TILE_INLINE __forceinline
#else
#define FASTLOSS_TILE_INLINE inline __attribute__((always_inline))
#endif

// Portable fallback (baseline and NEON copies): plain copies.
template <class T>
inline void rows_to_tile_scalar(const T* x, std::int64_t stride, std::int64_t C, T* tile) {
  for (int lane = 0; lane < kLanes; ++lane) {
    for (std::int64_t c = 0; c < C; ++c) tile[c * kLanes + lane] = x[lane * stride + c];
  }
}

template <class T>
inline void tile_to_rows_scalar(const T* tile, std::int64_t C, T* x, std::int64_t stride) {
  for (int lane = 0; lane < kLanes; ++lane) {
    for (std::int64_t c = 0; c < C; ++c) x[lane * stride + c] = tile[c * kLanes + lane];
  }
}

FASTLOSS_INTRINSICS_BEGIN

#if defined(__AVX512F__)

// In-place transpose of 16 rows of 16 floats (r[i][j] -> r[j][i]).
FASTLOSS_TILE_INLINE void transpose16(__m512 (&r)[16]) {
  __m512 t[16];
  for (int i = 0; i < 16; i += 2) {  // pairs of rows interleaved within 128-bit lanes
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  // u[4g + k], 128-bit lane L: column 4L + k of rows 4g..4g+3
  __m512 u[16];
  for (int g = 0; g < 4; ++g) {
    const __m512 lo01 = t[4 * g], hi01 = t[4 * g + 1], lo23 = t[4 * g + 2], hi23 = t[4 * g + 3];
    u[4 * g + 0] = _mm512_shuffle_ps(lo01, lo23, 0x44);
    u[4 * g + 1] = _mm512_shuffle_ps(lo01, lo23, 0xEE);
    u[4 * g + 2] = _mm512_shuffle_ps(hi01, hi23, 0x44);
    u[4 * g + 3] = _mm512_shuffle_ps(hi01, hi23, 0xEE);
  }
  // Column 4L + k gathers lane L of u[k], u[4 + k], u[8 + k], u[12 + k].
  for (int k = 0; k < 4; ++k) {
    const __m512 v = _mm512_shuffle_f32x4(u[k], u[4 + k], 0x88);  // lanes 0, 2 of rows 0-7
    const __m512 w = _mm512_shuffle_f32x4(u[k], u[4 + k], 0xDD);  // lanes 1, 3 of rows 0-7
    const __m512 v2 = _mm512_shuffle_f32x4(u[8 + k], u[12 + k], 0x88);
    const __m512 w2 = _mm512_shuffle_f32x4(u[8 + k], u[12 + k], 0xDD);
    r[k] = _mm512_shuffle_f32x4(v, v2, 0x88);
    r[4 + k] = _mm512_shuffle_f32x4(w, w2, 0x88);
    r[8 + k] = _mm512_shuffle_f32x4(v, v2, 0xDD);
    r[12 + k] = _mm512_shuffle_f32x4(w, w2, 0xDD);
  }
}

// In-place transpose of 8 rows of 8 doubles.
FASTLOSS_TILE_INLINE void transpose8(__m512d (&r)[8]) {
  __m512d t[8];  // t[2g + k], 128-bit lane L: column 2L + k of rows 2g, 2g + 1
  for (int g = 0; g < 4; ++g) {
    t[2 * g] = _mm512_unpacklo_pd(r[2 * g], r[2 * g + 1]);
    t[2 * g + 1] = _mm512_unpackhi_pd(r[2 * g], r[2 * g + 1]);
  }
  for (int k = 0; k < 2; ++k) {
    const __m512d v = _mm512_shuffle_f64x2(t[k], t[2 + k], 0x88);
    const __m512d w = _mm512_shuffle_f64x2(t[k], t[2 + k], 0xDD);
    const __m512d v2 = _mm512_shuffle_f64x2(t[4 + k], t[6 + k], 0x88);
    const __m512d w2 = _mm512_shuffle_f64x2(t[4 + k], t[6 + k], 0xDD);
    r[k] = _mm512_shuffle_f64x2(v, v2, 0x88);
    r[2 + k] = _mm512_shuffle_f64x2(w, w2, 0x88);
    r[4 + k] = _mm512_shuffle_f64x2(v, v2, 0xDD);
    r[6 + k] = _mm512_shuffle_f64x2(w, w2, 0xDD);
  }
}

// The first `remaining` of 16 lanes (all when remaining >= 16).
inline __mmask16 lane_mask16(std::int64_t remaining) {
  return remaining >= 16 ? __mmask16(0xFFFF) : static_cast<__mmask16>((1u << remaining) - 1u);
}

// Register blocks for move_blocks below: kWidth lanes of T, masked loads and stores of the
// first lanes, an in-place kWidth x kWidth transpose.
struct Float16 {
  using T = float;
  using Reg = __m512;
  using Mask = __mmask16;
  static constexpr int kWidth = 16;
  static Mask mask(std::int64_t remaining) { return lane_mask16(remaining); }
  static Reg load(const T* p) { return _mm512_loadu_ps(p); }
  static Reg load(const T* p, Mask m) { return _mm512_maskz_loadu_ps(m, p); }
  static void store(T* p, Reg r) { _mm512_storeu_ps(p, r); }
  static void store(T* p, Reg r, Mask m) { _mm512_mask_storeu_ps(p, m, r); }
  static FASTLOSS_TILE_INLINE void transpose(Reg (&r)[kWidth]) { transpose16(r); }
};

struct Double8 {
  using T = double;
  using Reg = __m512d;
  using Mask = __mmask8;
  static constexpr int kWidth = 8;
  static Mask mask(std::int64_t remaining) {
    return static_cast<Mask>(lane_mask16(remaining >= 8 ? 8 : remaining));
  }
  static Reg load(const T* p) { return _mm512_loadu_pd(p); }
  static Reg load(const T* p, Mask m) { return _mm512_maskz_loadu_pd(m, p); }
  static void store(T* p, Reg r) { _mm512_storeu_pd(p, r); }
  static void store(T* p, Reg r, Mask m) { _mm512_mask_storeu_pd(p, m, r); }
  static FASTLOSS_TILE_INLINE void transpose(Reg (&r)[kWidth]) { transpose8(r); }
};

using FloatBlock = Float16;
using DoubleBlock = Double8;

#elif defined(__AVX2__)

// In-place transpose of 8 rows of 8 floats.
FASTLOSS_TILE_INLINE void transpose8(__m256 (&r)[8]) {
  __m256 t[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  __m256 u[8];  // u[4g + k], 128-bit lane L: column 4L + k of rows 4g..4g+3
  for (int g = 0; g < 2; ++g) {
    u[4 * g + 0] = _mm256_shuffle_ps(t[4 * g], t[4 * g + 2], 0x44);
    u[4 * g + 1] = _mm256_shuffle_ps(t[4 * g], t[4 * g + 2], 0xEE);
    u[4 * g + 2] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
    u[4 * g + 3] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xEE);
  }
  for (int k = 0; k < 4; ++k) {
    r[k] = _mm256_permute2f128_ps(u[k], u[4 + k], 0x20);
    r[4 + k] = _mm256_permute2f128_ps(u[k], u[4 + k], 0x31);
  }
}

// In-place transpose of 4 rows of 4 doubles.
FASTLOSS_TILE_INLINE void transpose4(__m256d (&r)[4]) {
  const __m256d lo01 = _mm256_unpacklo_pd(r[0], r[1]), hi01 = _mm256_unpackhi_pd(r[0], r[1]);
  const __m256d lo23 = _mm256_unpacklo_pd(r[2], r[3]), hi23 = _mm256_unpackhi_pd(r[2], r[3]);
  r[0] = _mm256_permute2f128_pd(lo01, lo23, 0x20);
  r[1] = _mm256_permute2f128_pd(hi01, hi23, 0x20);
  r[2] = _mm256_permute2f128_pd(lo01, lo23, 0x31);
  r[3] = _mm256_permute2f128_pd(hi01, hi23, 0x31);
}

// Lane masks for maskload/maskstore: the first `remaining` lanes (all when there are more).
inline __m256i lane_mask32(std::int64_t remaining) {
  const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const int count = remaining >= 8 ? 8 : static_cast<int>(remaining);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(count), index);
}
inline __m256i lane_mask64(std::int64_t remaining) {
  const __m256i index = _mm256_setr_epi64x(0, 1, 2, 3);
  const long long count = remaining >= 4 ? 4 : static_cast<long long>(remaining);
  return _mm256_cmpgt_epi64(_mm256_set1_epi64x(count), index);
}

// Register blocks for move_blocks below (see the AVX-512 copies).
struct Float8 {
  using T = float;
  using Reg = __m256;
  using Mask = __m256i;
  static constexpr int kWidth = 8;
  static Mask mask(std::int64_t remaining) { return lane_mask32(remaining); }
  static Reg load(const T* p) { return _mm256_loadu_ps(p); }
  static Reg load(const T* p, Mask m) { return _mm256_maskload_ps(p, m); }
  static void store(T* p, Reg r) { _mm256_storeu_ps(p, r); }
  static void store(T* p, Reg r, Mask m) { _mm256_maskstore_ps(p, m, r); }
  static FASTLOSS_TILE_INLINE void transpose(Reg (&r)[kWidth]) { transpose8(r); }
};

struct Double4 {
  using T = double;
  using Reg = __m256d;
  using Mask = __m256i;
  static constexpr int kWidth = 4;
  static Mask mask(std::int64_t remaining) { return lane_mask64(remaining); }
  static Reg load(const T* p) { return _mm256_loadu_pd(p); }
  static Reg load(const T* p, Mask m) { return _mm256_maskload_pd(p, m); }
  static void store(T* p, Reg r) { _mm256_storeu_pd(p, r); }
  static void store(T* p, Reg r, Mask m) { _mm256_maskstore_pd(p, m, r); }
  static FASTLOSS_TILE_INLINE void transpose(Reg (&r)[kWidth]) { transpose4(r); }
};

using FloatBlock = Float8;
using DoubleBlock = Double4;

#endif

#if defined(__AVX512F__) || defined(__AVX2__)

// Moves kLanes rows of C classes from rows (row stride `stride`) to a tile (kToTile) or
// back, Block::kWidth classes at a time: kLanes / kWidth blocks of kWidth rows, each loaded,
// transposed in registers and stored. Row accesses are masked past C; tile accesses are
// whole (tile_capacity leaves room past C).
template <class Block, bool kToTile, class T = typename Block::T>
FASTLOSS_TILE_INLINE void move_blocks(const T* src, T* dst, std::int64_t stride,
                                      std::int64_t C) {
  constexpr int W = Block::kWidth;
  const std::int64_t src_step = kToTile ? stride : kLanes;
  const std::int64_t dst_step = kToTile ? kLanes : stride;
  for (std::int64_t c0 = 0; c0 < C; c0 += W) {
    const typename Block::Mask m = Block::mask(C - c0);
    for (int block = 0; block < kLanes / W; ++block) {
      const std::int64_t row_offset = W * block * stride + c0;
      const std::int64_t tile_offset = c0 * kLanes + W * block;
      const T* in = src + (kToTile ? row_offset : tile_offset);
      T* out = dst + (kToTile ? tile_offset : row_offset);
      typename Block::Reg r[W];
      for (int i = 0; i < W; ++i) {
        r[i] = kToTile ? Block::load(in + i * src_step, m) : Block::load(in + i * src_step);
      }
      Block::transpose(r);
      for (int j = 0; j < W; ++j) {
        if constexpr (kToTile) {
          Block::store(out + j * dst_step, r[j]);
        } else {
          Block::store(out + j * dst_step, r[j], m);
        }
      }
    }
  }
}

template <class T>
using BlockOf = std::conditional_t<sizeof(T) == 4, FloatBlock, DoubleBlock>;

template <class T>
inline void rows_to_tile(const T* x, std::int64_t stride, std::int64_t C, T* tile) {
  move_blocks<BlockOf<T>, true>(x, tile, stride, C);
}
template <class T>
inline void tile_to_rows(const T* tile, std::int64_t C, T* x, std::int64_t stride) {
  move_blocks<BlockOf<T>, false>(tile, x, stride, C);
}

#else

template <class T>
inline void rows_to_tile(const T* x, std::int64_t stride, std::int64_t C, T* tile) {
  rows_to_tile_scalar(x, stride, C, tile);
}
template <class T>
inline void tile_to_rows(const T* tile, std::int64_t C, T* x, std::int64_t stride) {
  tile_to_rows_scalar(tile, C, x, stride);
}

#endif

FASTLOSS_INTRINSICS_END

}  // namespace tile_detail

template <class T>
inline void rows_to_tile(const T* x, std::int64_t stride, std::int64_t C, T* tile) {
  tile_detail::rows_to_tile(x, stride, C, tile);
}

template <class T>
inline void tile_to_rows(const T* tile, std::int64_t C, T* x, std::int64_t stride) {
  tile_detail::tile_to_rows(tile, C, x, stride);
}

FASTLOSS_END_ISA_NAMESPACE
