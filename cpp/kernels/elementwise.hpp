// The fused one-pass loop behind every elementwise loss.
//
// A loss is an Op with `T operator()(T y_true, T y_pred, T& dloss_dpred) const`. One pass
// reads y_true, y_pred (and weights), writes per-element losses and/or the gradient when
// asked, and returns the deterministic partial sums. Each output combination is its own
// instantiation, so the hot loop has no branches on options.
#pragma once

#include <cstdint>

#include "kernels/isa.hpp"
#include "kernels/reduce.hpp"
#include "kernels/table.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

template <class T, class Op, bool kWeighted, bool kOut, bool kGrad>
LossSums elementwise_block(const ElementwiseArgs<T>& a, const Op& op, std::int64_t begin,
                           std::int64_t end) {
  LaneSums acc;
  const T scale = static_cast<T>(a.grad_scale);
  const T* __restrict yt = a.y_true;
  const T* __restrict yp = a.y_pred;
  const T* __restrict w = a.weight;
  T* __restrict out = a.out;
  T* __restrict grad = a.grad;
  auto body = [&](std::int64_t i, int lane) {
    T g = T(0);
    T l = op(yt[i], yp[i], g);
    if constexpr (kWeighted) {
      l *= w[i];
      g *= w[i];
      acc.weight[lane] += static_cast<double>(w[i]);
    }
    if constexpr (kOut) out[i] = l;
    if constexpr (kGrad) grad[i] = g * scale;
    acc.loss[lane] += static_cast<double>(l);
  };
  std::int64_t i = begin;
  for (; i + kLanes <= end; i += kLanes) {
    for (int lane = 0; lane < kLanes; ++lane) body(i + lane, lane);
  }
  for (int lane = 0; i + lane < end; ++lane) body(i + lane, lane);
  return acc.total();
}

template <class T, class Op, bool kWeighted, bool kOut, bool kGrad>
LossSums elementwise_run(const ElementwiseArgs<T>& a, const Op& op) {
  return blocked_reduce<LossSums>(a.n, a.num_threads, [&](std::int64_t b, std::int64_t e) {
    return elementwise_block<T, Op, kWeighted, kOut, kGrad>(a, op, b, e);
  });
}

// Picks the instantiation for the requested outputs.
template <class T, class Op>
LossSums elementwise(const ElementwiseArgs<T>& a, const Op& op) {
  const bool w = a.weight != nullptr, o = a.out != nullptr, g = a.grad != nullptr;
  if (w) {
    if (o) return g ? elementwise_run<T, Op, true, true, true>(a, op)
                    : elementwise_run<T, Op, true, true, false>(a, op);
    return g ? elementwise_run<T, Op, true, false, true>(a, op)
             : elementwise_run<T, Op, true, false, false>(a, op);
  }
  if (o) return g ? elementwise_run<T, Op, false, true, true>(a, op)
                  : elementwise_run<T, Op, false, true, false>(a, op);
  return g ? elementwise_run<T, Op, false, false, true>(a, op)
           : elementwise_run<T, Op, false, false, false>(a, op);
}

FASTLOSS_END_ISA_NAMESPACE
