// Regression losses: elementwise ops on d = y_pred - y_true.
#pragma once

#include <cstdint>

#include "kernels/elementwise.hpp"
#include "kernels/isa.hpp"
#include "kernels/table.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

// sign(d) with sign(0) = 0 and sign(NaN) = NaN, branch-free.
template <class T>
inline T sign_or_nan(T d) {
  return d > T(0) ? T(1) : (d < T(0) ? T(-1) : d * T(0));
}

// (y_pred - y_true)^2; gradient 2 (y_pred - y_true).
struct MseOp : PlainOp {
  static constexpr bool kNonNegativeTerms = true;
  template <class T>
  T operator()(T t, T p, std::int64_t, T& g) const {
    const T d = p - t;
    g = T(2) * d;
    return d * d;
  }
};

// |y_pred - y_true|; gradient sign(d), 0 at d = 0 (as PyTorch).
struct MaeOp : PlainOp {
  static constexpr bool kNonNegativeTerms = true;
  template <class T>
  T operator()(T t, T p, std::int64_t, T& g) const {
    const T d = p - t;
    g = sign_or_nan(d);
    return d < T(0) ? -d : d;
  }
};

// 0.5 d^2 for |d| <= delta, delta (|d| - 0.5 delta) beyond; gradient clip(d, -delta, delta).
template <class T>
struct HuberOp : PlainOp {
  static constexpr bool kNonNegativeTerms = true;
  T delta;
  T operator()(T t, T p, std::int64_t, T& g) const {
    const T d = p - t;
    const T ad = d < T(0) ? -d : d;
    const bool inside = ad <= delta;
    g = inside ? d : delta * sign_or_nan(d);
    return inside ? T(0.5) * d * d : delta * (ad - T(0.5) * delta);
  }
};

void register_regression(KernelTable& table);

FASTLOSS_END_ISA_NAMESPACE
