// The fused one-pass loop behind every elementwise loss.
//
// A loss is an Op (see PlainOp) with `T operator()(T y_true, T y_pred, std::int64_t i,
// T& dloss_dpred)` (i: the element's index, for per-element options).
// One pass reads y_true, y_pred (and weights), writes per-element losses and/or the
// gradient when asked, checks the data when the Op validates it, and returns the
// deterministic partial sums. Weights and the gradient are template flags (the gradient's
// math is skipped when not asked); per-element losses are computed anyway and copied out a
// vector at a time behind one branch, which halves the instantiations for a store per vector.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <limits>

#include "kernels/declare.hpp"
#include "kernels/isa.hpp"
#include "kernels/reduce.hpp"
#include "kernels/table.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

// Defaults for Ops: no data validation, no masked-out elements, no cheaper variant.
struct PlainOp {
  static constexpr bool kValidates = false;  // has `bool invalid(T y_true, T y_pred)`
  // true (with kValidates): also has `screen_bits(T y_true, T y_pred)`, an unsigned integer
  // of T's width whose top bit is set wherever invalid() holds (data that is invalid only
  // where an input is negative: the inputs' bits, ORed). The loop then ORs these (two
  // operations per vector, where invalid() and its select take four), and a block whose OR has
  // the top bit set is rescanned with invalid(): -0 and negative NaNs are false alarms that
  // cost that rescan, never a wrong result.
  static constexpr bool kScreensBySign = false;
  static constexpr bool kMasks = false;      // has `bool keep(T y_true)` and `bool masking()`
  // has `using HardVariant` (an Op for blocks whose targets are all 0 or 1, constructible
  // from this Op) and `bool block_is_hard(const T* y_true, std::int64_t n)`
  static constexpr bool kHasHardVariant = false;
  // has `using FiniteVariant`, a cheaper Op constructible from this Op, whose results equal
  // this Op's wherever its block's loss total is finite: each block runs with it first and
  // runs again with this Op when that total is not finite (inf or NaN in the data)
  static constexpr bool kHasFiniteVariant = false;
  // false: the loss has a constant target, y_true is null and the Op is passed T(0)
  static constexpr bool kReadsTarget = true;
  // true: every term (loss and weight) is >= 0 or NaN, so float32 partial sums cannot cancel
  // and may run in float32 lanes for a while (see elementwise_block)
  static constexpr bool kNonNegativeTerms = false;
  // true: signed terms that a float32 evaluation already gets wrong by about one rounding of
  // each part (l = a - b errs by ~ulp(|a| + |b|)); they add in T lanes 8 at a time (see
  // elementwise_block). A chunk's roundings are relative to the sum of |l| as the terms' own
  // errors are, so cancelling terms lose the same digits either way, and the float64 total
  // of many chunks averages their errors far below one ulp of the result.
  static constexpr bool kChunkSignedTerms = false;
  // true: a second prediction, `T operator()(T y_true, T y_pred, T y_pred2, std::int64_t i,
  // T& dloss_dpred, T& dloss_dpred2) const`, reading y_pred2 and writing grad2
  static constexpr bool kPair = false;
};

// An Op that masks, for calls without a mask: no keep() selects, no weight total.
template <class Op>
struct Unmasked : Op {
  static constexpr bool kMasks = false;
};

template <class T, class Op, bool kWeighted, bool kGrad>
LossSums elementwise_block(const ElementwiseArgs<T>& a, const Op& op, T scale,
                           std::int64_t begin, std::int64_t end) {
  if constexpr (Op::kMasks) {
    if (!op.masking()) {
      const Unmasked<Op> plain{op};
      return elementwise_block<T, Unmasked<Op>, kWeighted, kGrad>(a, plain, scale, begin, end);
    }
  }
  if constexpr (Op::kHasHardVariant) {
    if (op.block_is_hard(a.y_true + begin, end - begin)) {
      const typename Op::HardVariant hard{op};
      return elementwise_block<T, typename Op::HardVariant, kWeighted, kGrad>(a, hard, scale,
                                                                              begin, end);
    }
  }
  if constexpr (Op::kHasFiniteVariant) {
    const typename Op::FiniteVariant finite{op};
    const LossSums sums =
        elementwise_block<T, typename Op::FiniteVariant, kWeighted, kGrad>(a, finite, scale,
                                                                          begin, end);
    if (std::isfinite(sums.loss)) return sums;
  }
  constexpr bool kTrackWeight = kWeighted || Op::kMasks;
  LaneSums acc;
  T bad[kLanes] = {};  // nonzero in lanes that saw invalid data (T-wide, so it vectorizes)
  using ScreenBits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  ScreenBits screen[kLanes] = {};  // kScreensBySign: the ORed screen_bits of each lane
  const T* __restrict yt = a.y_true;
  const T* __restrict yp = a.y_pred;
  const T* __restrict w = a.weight;
  T* __restrict out = a.out;
  T* __restrict grad = a.grad;
  const T* __restrict yp2 = a.y_pred2;
  T* __restrict grad2 = a.grad2;
  auto target = [&](std::int64_t i) { return Op::kReadsTarget ? yt[i] : T(0); };
  // One element: writes its gradients, returns its (weighted, masked) loss, sets its weight
  // and whether its data is invalid.
  auto element = [&](std::int64_t i, T& wt, bool& invalid) -> T {
    const T t = target(i);
    T g = T(0), g2 = T(0);
    T l;
    if constexpr (Op::kPair) {
      l = op(t, yp[i], yp2[i], i, g, g2);
    } else {
      l = op(t, yp[i], i, g);
    }
    wt = T(1);
    if constexpr (kWeighted) {
      wt = w[i];
      l *= wt;
      g *= wt;
      g2 *= wt;
    }
    g *= scale;
    g2 *= scale;
    if constexpr (Op::kMasks) {  // select, not multiply: a masked inf or NaN must not leak
      const bool keep = op.keep(t);
      l = keep ? l : T(0);
      g = keep ? g : T(0);
      g2 = keep ? g2 : T(0);
      wt = keep ? wt : T(0);
    }
    invalid = false;
    if constexpr (Op::kValidates && !Op::kScreensBySign) invalid = op.invalid(t, yp[i]);
    if constexpr (kGrad) grad[i] = g;
    if constexpr (kGrad && Op::kPair) grad2[i] = g2;
    return l;
  };
  // Losses with non-negative terms add in T lanes for kFlushEvery elements (64 per lane) at a
  // time, then move the partials into float64 lane totals: terms that cannot cancel lose at
  // most 63 float32 ulp in a partial (typically a few), and the float64 totals keep that
  // relative accuracy, while the hot loop skips widening every element (a conversion and a
  // double add per vector, as much as the rest of a memory-bound loss). Ops that say
  // kChunkSignedTerms add float32 terms 8 per lane at a time (Poisson from rates, not
  // memory-bound: 0.87-0.89x the time of adding two in float32, then in float64); other
  // signed terms add in float64 lanes throughout (one chunk). The sums live in
  // local arrays updated in a spelled-out lane loop: GCC 12 keeps accumulators that a closure
  // captures in memory, and the loop then runs at the speed of those store-to-load chains.
  double loss_lanes[kLanes] = {};
  double weight_lanes[kLanes] = {};
  constexpr bool kSumsInT = Op::kNonNegativeTerms || Op::kChunkSignedTerms;
  using Partial = std::conditional_t<kSumsInT, T, double>;
  // Vectors per chunk of T partials: 64 for non-negative terms, 8 for kChunkSignedTerms
  // (float32; double's partials are double already), 0 for one float64 partial per block.
  constexpr int kChunkVectors = Op::kNonNegativeTerms ? kFlushEvery / kLanes
                                : Op::kChunkSignedTerms && sizeof(T) == 4 ? 8 : 0;
  // The inputs kPrefetchDistance elements past i (the hardware prefetchers alone fall behind).
  auto prefetch_inputs = [&](std::int64_t i) {
    if constexpr (Op::kReadsTarget) prefetch_ahead(yt + i + kPrefetchDistance);
    prefetch_ahead(yp + i + kPrefetchDistance);
    if constexpr (Op::kPair) prefetch_ahead(yp2 + i + kPrefetchDistance);
    if constexpr (kWeighted) prefetch_ahead(w + i + kPrefetchDistance);
  };
  using Parts = Partial[kLanes];
  // One element into its lane's partials: loss, weight and validity; returns its loss.
  auto accumulate = [&](std::int64_t i, int lane, Parts& loss_part, Parts& weight_part) -> T {
    T wt;
    bool invalid;
    const T l = element(i, wt, invalid);
    if constexpr (Op::kScreensBySign) {
      screen[lane] |= op.screen_bits(target(i), yp[i]);
    } else if constexpr (Op::kValidates) {
      bad[lane] = invalid ? T(1) : bad[lane];
    }
    if constexpr (kTrackWeight) weight_part[lane] += static_cast<Partial>(wt);
    loss_part[lane] += static_cast<Partial>(l);
    return l;
  };
  auto flush = [&](const Parts& loss_part, const Parts& weight_part) {
    for (int lane = 0; lane < kLanes; ++lane) {
      loss_lanes[lane] += static_cast<double>(loss_part[lane]);
      weight_lanes[lane] += static_cast<double>(weight_part[lane]);
    }
  };
  auto add_vector = [&](std::int64_t i, Parts& loss_part, Parts& weight_part) {
    prefetch_inputs(i);
    T losses[kLanes];
    FASTLOSS_SIMD
    for (int lane = 0; lane < kLanes; ++lane) {
      losses[lane] = accumulate(i + lane, lane, loss_part, weight_part);
    }
    if (out != nullptr) {
      FASTLOSS_SIMD
      for (int lane = 0; lane < kLanes; ++lane) out[i + lane] = losses[lane];
    }
  };
  // Whole chunks, each a loop of known length; then the rest of the block into one last
  // partial. The 8 vectors of a kChunkSignedTerms chunk are unrolled (as a loop of run-time
  // length these chunks kept a third of their gain); the 64 of kNonNegativeTerms gain nothing
  // from it but code size.
  auto add_chunk = [&](std::int64_t i, Parts& loss_part, Parts& weight_part) {
    if constexpr (Op::kNonNegativeTerms) {
      for (int v = 0; v < kChunkVectors; ++v) add_vector(i + v * kLanes, loss_part, weight_part);
    } else {
      FASTLOSS_UNROLL(8)
      for (int v = 0; v < kChunkVectors; ++v) add_vector(i + v * kLanes, loss_part, weight_part);
    }
  };
  std::int64_t i = begin;
  if constexpr (kChunkVectors > 0) {
    for (; i + kChunkVectors * kLanes <= end; i += kChunkVectors * kLanes) {
      Parts loss_part = {}, weight_part = {};
      add_chunk(i, loss_part, weight_part);
      flush(loss_part, weight_part);
    }
  }
  {
    Parts loss_part = {}, weight_part = {};
    for (; i + kLanes <= end; i += kLanes) add_vector(i, loss_part, weight_part);
    for (int lane = 0; i + lane < end; ++lane) {
      const T l = accumulate(i + lane, lane, loss_part, weight_part);
      if (out != nullptr) out[i + lane] = l;
    }
    flush(loss_part, weight_part);
  }
  for (int lane = 0; lane < kLanes; ++lane) {
    acc.loss[lane] = loss_lanes[lane];
    acc.weight[lane] = weight_lanes[lane];
  }
  LossSums sums = acc.total();
  if constexpr (Op::kScreensBySign) {
    ScreenBits any = 0;
    for (int lane = 0; lane < kLanes; ++lane) any |= screen[lane];
    bad[0] = (any >> (8 * sizeof(T) - 1)) != 0 ? T(1) : T(0);
  }
  if constexpr (Op::kValidates) {
    if (any_lane_set(bad)) {  // rare: find the first offending element of this block
      for (std::int64_t k = begin; k < end; ++k) {
        if (op.invalid(target(k), yp[k])) {
          sums.first_invalid = k;
          break;
        }
      }
    }
  }
  return sums;
}

// The mean's denominator for the gradient: n, or the total of weights x mask.
template <class T, class Op>
double gradient_denominator(const ElementwiseArgs<T>& a, const Op& op) {
  bool masking = false;
  if constexpr (Op::kMasks) masking = op.masking();
  if (a.weight == nullptr && !masking) return static_cast<double>(a.n);
  const T* w = a.weight;
  const T* yt = a.y_true;
  return blocked_reduce<double>(a.n, a.num_threads, [&](std::int64_t begin, std::int64_t end) {
    double acc[kLanes] = {};
    auto body = [&](std::int64_t i, int lane) {
      T wt = w != nullptr ? w[i] : T(1);
      if constexpr (Op::kMasks) wt = op.keep(yt[i]) ? wt : T(0);
      acc[lane] += static_cast<double>(wt);
    };
    lane_loop(begin, end, body);
    return pairwise_sum(acc, kLanes);
  });
}

template <class T, class Op, bool kWeighted, bool kGrad>
LossSums elementwise_run(const ElementwiseArgs<T>& a, const Op& op) {
  T scale = T(1);
  if (kGrad && a.grad_mean) {
    const double total = gradient_denominator(a, op);
    scale = total != 0.0 ? static_cast<T>(1.0 / total) : std::numeric_limits<T>::quiet_NaN();
  }
  return blocked_reduce<LossSums>(a.n, a.num_threads, [&](std::int64_t b, std::int64_t e) {
    return elementwise_block<T, Op, kWeighted, kGrad>(a, op, scale, b, e);
  });
}

// Picks the instantiation for the requested outputs.
template <class T, class Op>
LossSums elementwise(const ElementwiseArgs<T>& a, const Op& op) {
  return with_flags(
      [&](auto weighted, auto grad) {
        return elementwise_run<T, Op, decltype(weighted)::value, decltype(grad)::value>(a, op);
      },
      a.weight != nullptr, a.grad != nullptr);
}

FASTLOSS_END_ISA_NAMESPACE
