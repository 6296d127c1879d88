// The fused one-pass loop behind every elementwise loss.
//
// A loss is an Op (see PlainOp) with `T operator()(T y_true, T y_pred, std::int64_t i,
// T& dloss_dpred)` (i: the element's index, for per-element options).
// One pass reads y_true, y_pred (and weights), writes per-element losses and/or the
// gradient when asked, checks the data when the Op validates it, and returns the
// deterministic partial sums. Each combination of outputs is its own instantiation for the
// common Ops, so the hot loop has no branches on options; rare Ops and options share one
// instantiation that takes them at run time (see elementwise()).
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
  // true: an Op for options few calls use (see elementwise()): one instantiation that takes
  // weights and gradients as run-time facts, not one per combination
  static constexpr bool kRare = false;
};

// An Op that masks, for calls without a mask: no keep() selects, no weight total.
template <class Op>
struct Unmasked : Op {
  static constexpr bool kMasks = false;
};

// kRuntime: the outputs are run-time facts (a.weight, a.out, a.grad may be null) and kWeighted,
// kOut, kGrad are ignored; else they are what those flags say.
template <class T, class Op, bool kWeighted, bool kOut, bool kGrad, bool kRuntime>
LossSums elementwise_loop(const ElementwiseArgs<T>& a, const Op& op, T scale, std::int64_t begin,
                          std::int64_t end);

// One block: picks the Op variant for it (unmasked, hard targets, finite data), then loops.
template <class T, class Op, bool kWeighted, bool kOut, bool kGrad, bool kRuntime>
LossSums elementwise_block(const ElementwiseArgs<T>& a, const Op& op, T scale,
                           std::int64_t begin, std::int64_t end) {
  if constexpr (Op::kMasks) {
    // Calls that mask take the run-time instantiation (see elementwise()), so the others
    // never need the masked loop: the hard-target variant of an unmasked Op comes here masked.
    if (!kRuntime || !op.masking()) {
      const Unmasked<Op> plain{op};
      return elementwise_block<T, Unmasked<Op>, kWeighted, kOut, kGrad, kRuntime>(a, plain, scale, begin, end);
    }
  }
  if constexpr (Op::kHasHardVariant) {
    if (op.block_is_hard(a.y_true + begin, end - begin)) {
      const typename Op::HardVariant hard{op};
      return elementwise_block<T, typename Op::HardVariant, kWeighted, kOut, kGrad, kRuntime>(
          a, hard, scale, begin, end);
    }
  }
  if constexpr (Op::kHasFiniteVariant) {
    const typename Op::FiniteVariant finite{op};
    const LossSums sums =
        elementwise_block<T, typename Op::FiniteVariant, kWeighted, kOut, kGrad, kRuntime>(
            a, finite, scale, begin, end);
    if (std::isfinite(sums.loss)) return sums;
  }
  return elementwise_loop<T, Op, kWeighted, kOut, kGrad, kRuntime>(a, op, scale, begin, end);
}

// The fused loop over one block with one Op variant.
template <class T, class Op, bool kWeighted, bool kOut, bool kGrad, bool kRuntime>
LossSums elementwise_loop(const ElementwiseArgs<T>& a, const Op& op, T scale, std::int64_t begin,
                          std::int64_t end) {
  constexpr bool kReadsWeights = kWeighted || kRuntime;  // weights may be there
  constexpr bool kTrackWeight = kReadsWeights || Op::kMasks;
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
  // One element of weight w_i: returns its (weighted, masked) loss and sets its gradients,
  // its weight and whether its data is invalid.
  auto element = [&](std::int64_t i, T w_i, T& wt, bool& invalid, T& g, T& g2) -> T {
    const T t = target(i);
    g = T(0);
    g2 = T(0);
    T l;
    if constexpr (Op::kPair) {
      l = op(t, yp[i], yp2[i], i, g, g2);
    } else {
      l = op(t, yp[i], i, g);
    }
    wt = T(1);
    if constexpr (kReadsWeights) {
      wt = w_i;
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
    return l;
  };
  // Losses with non-negative terms add in T lanes for kFlushEvery elements (64 per lane) at a
  // time, then move the partials into float64 lane totals: terms that cannot cancel lose at
  // most 63 float32 ulp in a partial (typically a few), and the float64 totals keep that
  // relative accuracy, while the hot loop skips widening every element (a conversion and a
  // double add per vector, as much as the rest of a memory-bound loss). Ops that say
  // kChunkSignedTerms add float32 terms 8 per lane at a time (compute-bound losses, where
  // the widening shows); other signed terms add in float64 lanes throughout (one chunk). The
  // sums live in local arrays updated in a spelled-out lane loop: accumulators that a closure
  // captures, or that share a loop with a staged output array, can stay in memory, and the
  // loop then runs at the speed of those store-to-load chains.
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
    if constexpr (kWeighted && !kRuntime) prefetch_ahead(w + i + kPrefetchDistance);
  };
  using Parts = Partial[kLanes];
  // One element into its lane's partials: loss, weight and validity; returns its loss and
  // sets its gradients.
  auto accumulate = [&](std::int64_t i, int lane, T w_i, Parts& loss_part, Parts& weight_part,
                        T& g, T& g2) -> T {
    T wt;
    bool invalid;
    const T l = element(i, w_i, wt, invalid, g, g2);
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
  // With kRuntime, the outputs a call does not want go to a per-vector sink and absent weights
  // are read as ones from a lane array, so one instantiation serves every combination.
  auto add_vector = [&](std::int64_t i, Parts& loss_part, Parts& weight_part) {
    prefetch_inputs(i);
    [[maybe_unused]] T sink[kLanes], sink2[kLanes], sink3[kLanes], ones[kLanes];
    [[maybe_unused]] T* __restrict out_v = sink;
    [[maybe_unused]] T* __restrict grad_v = sink2;
    [[maybe_unused]] T* __restrict grad2_v = sink3;
    [[maybe_unused]] const T* __restrict w_v = ones;
    if constexpr (kRuntime) {
      for (int lane = 0; lane < kLanes; ++lane) ones[lane] = T(1);
      if (out != nullptr) out_v = out + i;
      if (grad != nullptr) grad_v = grad + i;
      if (grad2 != nullptr) grad2_v = grad2 + i;
      if (w != nullptr) w_v = w + i;
    }
    FASTLOSS_SIMD
    for (int lane = 0; lane < kLanes; ++lane) {
      T w_i = T(1);
      if constexpr (kRuntime) {
        w_i = w_v[lane];
      } else if constexpr (kWeighted) {
        w_i = w[i + lane];
      }
      T g, g2;
      const T l = accumulate(i + lane, lane, w_i, loss_part, weight_part, g, g2);
      if constexpr (kRuntime) {
        out_v[lane] = l;
        grad_v[lane] = g;
        if constexpr (Op::kPair) grad2_v[lane] = g2;
      } else {
        if constexpr (kOut) out[i + lane] = l;
        if constexpr (kGrad) grad[i + lane] = g;
        if constexpr (kGrad && Op::kPair) grad2[i + lane] = g2;
      }
    }
  };
  // The rest of a block after whole chunks goes into one last partial, with the elements past
  // its last whole vector.
  auto add_tail = [&](std::int64_t i, Parts& loss_part, Parts& weight_part) {
    for (int lane = 0; i + lane < end; ++lane) {
      const std::int64_t k = i + lane;
      const T w_k = kReadsWeights && w != nullptr ? w[k] : T(1);
      T g, g2;
      const T l = accumulate(k, lane, w_k, loss_part, weight_part, g, g2);
      if (kRuntime ? out != nullptr : kOut) out[k] = l;
      if (kRuntime ? grad != nullptr : kGrad) {
        grad[k] = g;
        if constexpr (Op::kPair) grad2[k] = g2;
      }
    }
  };
  // Whole chunks, each a loop of known length; then the rest of the block into one last
  // partial. The 8 vectors of a kChunkSignedTerms chunk are unrolled (as a loop of run-time
  // length they lose most of their gain); the 64 of kNonNegativeTerms gain nothing from it
  // but code size.
  std::int64_t i = begin;
  if constexpr (kChunkVectors > 0) {
    for (; i + kChunkVectors * kLanes <= end; i += kChunkVectors * kLanes) {
      Parts loss_part = {}, weight_part = {};
      if constexpr (Op::kNonNegativeTerms) {
        for (int v = 0; v < kChunkVectors; ++v) {
          add_vector(i + v * kLanes, loss_part, weight_part);
        }
      } else {
        FASTLOSS_UNROLL(8)
        for (int v = 0; v < kChunkVectors; ++v) {
          add_vector(i + v * kLanes, loss_part, weight_part);
        }
      }
      flush(loss_part, weight_part);
    }
  }
  {
    Parts loss_part = {}, weight_part = {};
    for (; i + kLanes <= end; i += kLanes) add_vector(i, loss_part, weight_part);
    add_tail(i, loss_part, weight_part);
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

template <class T, class Op, bool kWeighted, bool kOut, bool kGrad, bool kRuntime>
LossSums elementwise_run(const ElementwiseArgs<T>& a, const Op& op) {
  T scale = T(1);
  if ((kRuntime ? a.grad != nullptr : kGrad) && a.grad_mean) {
    const double total = gradient_denominator(a, op);
    scale = total != 0.0 ? static_cast<T>(1.0 / total) : std::numeric_limits<T>::quiet_NaN();
  }
  return blocked_reduce<LossSums>(a.n, a.num_threads, [&](std::int64_t b, std::int64_t e) {
    return elementwise_block<T, Op, kWeighted, kOut, kGrad, kRuntime>(a, op, scale, b, e);
  });
}

// Picks the instantiation: one per combination of weights, per-element losses and gradient
// for the common Ops; one taking them at run time for rare Ops and for masking (ignore_index),
// whose calls pay a few lane copies per vector for an eighth of the code.
template <class T, class Op>
LossSums elementwise(const ElementwiseArgs<T>& a, const Op& op) {
  if constexpr (Op::kMasks) {
    if (!op.masking()) return elementwise(a, Unmasked<Op>{op});
    return elementwise_run<T, Op, false, false, false, true>(a, op);
  } else if constexpr (Op::kRare) {
    return elementwise_run<T, Op, false, false, false, true>(a, op);
  } else {
    return with_flags(
        [&](auto weighted, auto out, auto grad) {
          return elementwise_run<T, Op, decltype(weighted)::value, decltype(out)::value,
                                 decltype(grad)::value, false>(a, op);
        },
        a.weight != nullptr, a.out != nullptr, a.grad != nullptr);
  }
}

FASTLOSS_END_ISA_NAMESPACE
