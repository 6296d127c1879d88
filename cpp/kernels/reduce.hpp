// Deterministic blocked reductions.
//
// [0, n) is cut into blocks whose size depends on n only (never on the thread count).
// Each block is summed in kLanes fixed lanes in float64, the lanes are combined pairwise,
// and the block partials are combined pairwise in a fixed tree. OpenMP only decides which
// thread computes which block, so the result is bit-identical for any thread count and
// for repeated calls.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "dispatch/threading.hpp"
#include "kernels/isa.hpp"
#include "kernels/table.hpp"

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

FASTLOSS_BEGIN_ISA_NAMESPACE

// Independent accumulators per block: enough for the widest SIMD unit (16 float lanes)
// and a fixed lane order, independent of how the compiler vectorizes.
constexpr int kLanes = 16;
// At most this many block partials, held on the stack (no allocation).
constexpr std::int64_t kMaxBlocks = 1024;
// Smallest block: large enough that the per-block lane combine and loop set-up are a small
// share of a block's work, also for memory-bound losses.
constexpr std::int64_t kMinBlock = 16384;
// Below this many elements one thread does all the work (waking a team costs microseconds).
constexpr std::int64_t kParallelMinElements = std::int64_t{1} << 16;

// Items per block: a function of n and the work per item only, never of the thread count.
inline std::int64_t block_size(std::int64_t n, std::int64_t work_per_item = 1) {
  const std::int64_t even_split = (n + kMaxBlocks - 1) / kMaxBlocks;
  if (work_per_item > 1) {  // rows: at least kMinBlock elements of work per block
    const std::int64_t min_rows = (kMinBlock + work_per_item - 1) / work_per_item;
    const std::int64_t rows = std::max(min_rows, even_split);
    return rows < kLanes ? rows : (rows + kLanes - 1) / kLanes * kLanes;  // whole row groups
  }
  const std::int64_t rounded = (even_split + 63) / 64 * 64;
  return std::max(kMinBlock, rounded);
}

// `a` covers elements before `b`, so the first invalid index of the sum is a's if it has one.
inline LossSums operator+(const LossSums& a, const LossSums& b) {
  return {a.loss + b.loss, a.weight + b.weight,
          a.first_invalid >= 0 ? a.first_invalid : b.first_invalid};
}

// Pairwise sum of v[0..count) in a fixed tree (count > 0).
template <class P>
P pairwise_sum(const P* v, std::int64_t count) {
  if (count == 1) return v[0];
  const std::int64_t half = count / 2;
  return pairwise_sum(v, half) + pairwise_sum(v + half, count - half);
}

// Calls body(i, lane) for i in [begin, end), lane = (i - begin) % kLanes, in an order
// the compiler can vectorize: full groups of kLanes, then the tail.
template <class Body>
inline void lane_loop(std::int64_t begin, std::int64_t end, Body&& body) {
  std::int64_t i = begin;
  for (; i + kLanes <= end; i += kLanes) {
    // A loop the vectorizer sees as such (not unrolled into 16 scalar copies first).
    FASTLOSS_SIMD
    for (int lane = 0; lane < kLanes; ++lane) body(i + lane, lane);
  }
  for (int lane = 0; i + lane < end; ++lane) body(i + lane, lane);
}

// Prefetches the kLanes elements at p (one cache line of floats, two of doubles); kIntoL2: the
// lines stop in L2.
template <class T, bool kIntoL2 = false>
inline void prefetch_ahead(const T* p) {
  constexpr std::int64_t kLine = 64 / static_cast<std::int64_t>(sizeof(T));
  for (std::int64_t k = 0; k < kLanes; k += kLine) {
    if constexpr (kIntoL2) {
      FASTLOSS_PREFETCH_L2(p + k);
    } else {
      FASTLOSS_PREFETCH(p + k);
    }
  }
}

// How far ahead streaming loops prefetch, in elements: the hardware prefetchers alone do not
// keep one thread's stream from DRAM near the memory's speed.
constexpr std::int64_t kPrefetchDistance = 1024;

// Every kFlushEvery elements, long sums kept in T lanes move into float64 totals, so long
// float32 sums keep float64 accuracy while the hot loop adds in T.
constexpr std::int64_t kFlushEvery = 64 * kLanes;

// The float64 sum of kLanes lane values, in a fixed tree: the upper half of the lanes added
// to the lower half, then again, down to one. (Spelled out: a loop over the halving widths
// compiled to slower code.)
template <class T>
inline double lane_total(const T (&lanes)[kLanes]) {
  static_assert(kLanes == 16, "lane_total is written for 16 lanes");
  double t[8];
  for (int j = 0; j < 8; ++j) {
    t[j] = static_cast<double>(lanes[j]) + static_cast<double>(lanes[j + 8]);
  }
  for (int j = 0; j < 4; ++j) t[j] += t[j + 4];
  for (int j = 0; j < 2; ++j) t[j] += t[j + 2];
  return t[0] + t[1];
}

#if defined(__GNUC__) && !defined(__clang__) && (defined(__AVX512F__) || defined(__AVX2__))
// The same tree for float lanes in GCC vector types (a few conversions, extracts and adds):
// the loops above can compile to scalar conversions and adds through memory, paid per chunk
// by long rows. Not intrinsics: they can push the calling loop's accumulators into memory
// when that loop also stores (the gradient row).
template <>
inline double lane_total<float>(const float (&lanes)[kLanes]) {
  typedef double D8 __attribute__((vector_size(64)));
  typedef double D4 __attribute__((vector_size(32)));
  typedef double D2 __attribute__((vector_size(16)));
#if defined(__AVX512F__)
  // One load of all 16 (a caller that just stored them as one vector forwards the store; two
  // half loads from it would wait for the store to complete).
  typedef float F16 __attribute__((vector_size(64)));
  typedef double D16 __attribute__((vector_size(128)));
  F16 all;
  std::memcpy(&all, lanes, sizeof all);
  const D16 d = __builtin_convertvector(all, D16);
  const D8 t8 = D8{d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]} +
                D8{d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15]};
#else
  typedef float F8 __attribute__((vector_size(32)));
  F8 low, high;
  std::memcpy(&low, lanes, sizeof low);
  std::memcpy(&high, lanes + 8, sizeof high);
  const D8 t8 = __builtin_convertvector(low, D8) + __builtin_convertvector(high, D8);
#endif
  const D4 t4 = D4{t8[0], t8[1], t8[2], t8[3]} + D4{t8[4], t8[5], t8[6], t8[7]};
  const D2 t2 = D2{t4[0], t4[1]} + D2{t4[2], t4[3]};
  return t2[0] + t2[1];
}
#endif

// GCC and Clang vector types of the ISA's register width (elementwise arithmetic), for loops
// whose sums must stay in registers: the compiler may keep the lane arrays of some `omp simd`
// loops in memory (a store-to-load chain per vector). Types wider than the registers compile
// badly (e.g. 16 float lanes as one type under AVX2).
#if defined(__GNUC__) && (defined(__AVX512F__) || defined(__AVX2__))
#define FASTLOSS_VECTOR_TYPES 1
#if defined(__AVX512F__)
constexpr int kVectorBytes = 64;
#else
constexpr int kVectorBytes = 32;
#endif
template <class T>
struct SimdVectorOf {
  typedef T type __attribute__((vector_size(kVectorBytes)));
};
template <class T>
using SimdVector = typename SimdVectorOf<T>::type;
#else
#define FASTLOSS_VECTOR_TYPES 0
#endif

// Whether any of kLanes per-lane flags (0 or 1, kept in T lanes so loops vectorize) is set.
template <class T>
inline bool any_lane_set(const T (&flags)[kLanes]) {
  T any = T(0);
  for (int lane = 0; lane < kLanes; ++lane) any += flags[lane];
  return any != T(0);
}

// For chunks of at most kFlushEvery elements of [0, n): chunk(begin, end, lanes) adds into
// kSums fresh T lane arrays, which are then added to `totals` in float64.
template <class T, int kSums, class Chunk>
inline void chunked_sums(std::int64_t n, double (&totals)[kSums], Chunk&& chunk) {
  for (std::int64_t c0 = 0; c0 < n; c0 += kFlushEvery) {
    T lanes[kSums][kLanes] = {};
    chunk(c0, std::min(n, c0 + kFlushEvery), lanes);
    for (int k = 0; k < kSums; ++k) totals[k] += lane_total(lanes[k]);
  }
}

// Lane accumulators for one block.
struct LaneSums {
  double loss[kLanes] = {};
  double weight[kLanes] = {};
  LossSums total() const {
    return {pairwise_sum(loss, kLanes), pairwise_sum(weight, kLanes), -1};
  }
};

// Runs block_fn(begin, end) -> P over the blocks of [0, n) and combines the partials.
// `work_per_item` scales the parallel threshold for items costlier than one element.
template <class P, class BlockFn>
P blocked_reduce(std::int64_t n, int num_threads, BlockFn&& block_fn,
                 std::int64_t work_per_item = 1) {
  if (n <= 0) return P{};
  const std::int64_t bs = block_size(n, work_per_item);
  const std::int64_t num_blocks = (n + bs - 1) / bs;
  if (num_blocks == 1) return block_fn(std::int64_t{0}, n);
  P partial[kMaxBlocks];
  const int team = num_threads > 1 && n * work_per_item >= kParallelMinElements
                       ? plan_team(num_threads)
                       : 1;
  if (team == 1) {
    for (std::int64_t b = 0; b < num_blocks; ++b) {
      partial[b] = block_fn(b * bs, std::min(n, (b + 1) * bs));
    }
    return pairwise_sum(partial, num_blocks);
  }
  // Dynamic: a thread the OS (or a busy neighbour) slows down takes fewer blocks instead of
  // holding the others at the barrier. Each block still writes its own partial, so the
  // result does not depend on the schedule. Chunks of 2 blocks keep enough chunks to share
  // when n is a few hundred thousand.
  const std::int64_t start = now_ns();
  std::int64_t master_begin = start;
  std::int64_t master_done = start;
  FASTLOSS_OMP(parallel num_threads(team)) {
    FASTLOSS_OMP(master)
    master_begin = now_ns();
    FASTLOSS_OMP(for schedule(dynamic, 2) nowait)
    for (std::int64_t b = 0; b < num_blocks; ++b) {
      partial[b] = block_fn(b * bs, std::min(n, (b + 1) * bs));
    }
    FASTLOSS_OMP(master)
    master_done = now_ns();
  }
  // The master waits for the team twice: at the start, for workers still on their way back
  // from the last region, and at the closing barrier. A long wait means a worker was kept off
  // a core (plan_team then runs the next calls on one thread for a while).
  const std::int64_t end = now_ns();
  report_team(team, (master_begin - start) + (end - master_done), master_done - master_begin);
  return pairwise_sum(partial, num_blocks);
}

// The float64 sum of x[begin, end): kLanes float64 lanes (lane = (i - begin) % kLanes),
// combined pairwise.
template <class T>
double lane_sum(const T* x, std::int64_t begin, std::int64_t end) {
  double acc[kLanes] = {};
  lane_loop(begin, end, [&](std::int64_t i, int lane) { acc[lane] += static_cast<double>(x[i]); });
  return pairwise_sum(acc, kLanes);
}

#if defined(__AVX512F__) || defined(__AVX2__)
FASTLOSS_INTRINSICS_BEGIN
// The same lanes and the same result for float, with each group of floats widened straight
// from memory: GCC's own vectorization of the loop above loads a whole vector, then extracts
// and converts its halves, which is slower on data in L3.
#if defined(__AVX512F__)
struct WidenedFloats {  // kWidth floats widened into one register of doubles
  using Reg = __m512d;
  static constexpr int kWidth = 8;
  static Reg zero() { return _mm512_setzero_pd(); }
  static Reg add(Reg acc, const float* p) {
    return _mm512_add_pd(acc, _mm512_cvtps_pd(_mm256_loadu_ps(p)));
  }
  static void store(double* p, Reg r) { _mm512_storeu_pd(p, r); }
};
#else
struct WidenedFloats {
  using Reg = __m256d;
  static constexpr int kWidth = 4;
  static Reg zero() { return _mm256_setzero_pd(); }
  static Reg add(Reg acc, const float* p) {
    return _mm256_add_pd(acc, _mm256_cvtps_pd(_mm_loadu_ps(p)));
  }
  static void store(double* p, Reg r) { _mm256_storeu_pd(p, r); }
};
#endif

template <>
inline double lane_sum<float>(const float* x, std::int64_t begin, std::int64_t end) {
  using W = WidenedFloats;
  constexpr int kRegs = kLanes / W::kWidth;  // register k holds lanes [k * kWidth, ...)
  typename W::Reg acc[kRegs];
  for (auto& a : acc) a = W::zero();
  std::int64_t i = begin;
  for (; i + kLanes <= end; i += kLanes) {
    prefetch_ahead(x + i + kPrefetchDistance);
    for (int k = 0; k < kRegs; ++k) acc[k] = W::add(acc[k], x + i + k * W::kWidth);
  }
  double lanes[kLanes];
  for (int k = 0; k < kRegs; ++k) W::store(lanes + k * W::kWidth, acc[k]);
  for (int lane = 0; i + lane < end; ++lane) lanes[lane] += static_cast<double>(x[i + lane]);
  return pairwise_sum(lanes, kLanes);
}
FASTLOSS_INTRINSICS_END
#endif

// Deterministic sum of an array (weights, counts, linear losses), accumulated in float64.
template <class T>
double sum(const T* x, std::int64_t n, int num_threads) {
  return blocked_reduce<double>(n, num_threads, [x](std::int64_t begin, std::int64_t end) {
    return lane_sum(x, begin, end);
  });
}

FASTLOSS_END_ISA_NAMESPACE
