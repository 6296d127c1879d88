// Count losses: the Poisson negative log-likelihood (PyTorch's poisson_nll_loss).
#pragma once

#include <cstdint>

#include "kernels/elementwise.hpp"
#include "kernels/isa.hpp"
#include "kernels/math.hpp"
#include "kernels/table.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

struct PoissonParams {
  bool log_input = false;
  bool full = false;
  double eps = 1e-8;
};

// 0.5 log(2 pi)
constexpr double kHalfLog2Pi = 0.91893853320467274178;

// How PoissonOp takes the log of a rate y_pred + eps (kLogInput = false).
enum class RateLog {
  kAny,     // fl_log: eps may be 0 or subnormal
  kNormal,  // eps is a normal number, so every valid rate is one too (or +inf, NaN):
            // fl_log_positive skips the selects for zero and subnormal arguments
  kFinite,  // kNormal's FiniteVariant, fl_log_positive_finite: no select for +inf either;
            // an infinite rate gives an infinite loss (PyTorch and kNormal: NaN), so its
            // block's total is not finite and the block runs again with kNormal. Float only:
            // without the select GCC contracts double's log into FMAs differently, and the
            // other rates of a block run again could change by an ulp.
};

// Rates (kLogInput = false): y_pred - y log(y_pred + eps), gradient 1 - y / (y_pred + eps).
// Log-rates: exp(y_pred) - y y_pred, gradient exp(y_pred) - y.
// kFull adds Stirling's approximation of log(y!), y log y - y + 0.5 log(2 pi y), where y > 1
// (0 elsewhere, as PyTorch); it does not depend on y_pred.
// Invalid: negative counts, and negative rates when they are not logs.
template <class T, bool kLogInput, bool kFull, RateLog kRateLog = RateLog::kAny>
struct PoissonOp : PlainOp {
  static constexpr bool kValidates = true;
  static constexpr bool kScreensBySign = true;
  static constexpr bool kChunkSignedTerms = true;
  static constexpr bool kRare = kFull || kRateLog == RateLog::kAny;  // Stirling; eps = 0
  static constexpr bool kHasFiniteVariant =
      !kLogInput && kRateLog == RateLog::kNormal && sizeof(T) == 4;
  using FiniteVariant = PoissonOp<T, kLogInput, kFull, RateLog::kFinite>;
  T eps;

  PoissonOp() = default;
  template <RateLog kOther>
  explicit PoissonOp(const PoissonOp<T, kLogInput, kFull, kOther>& other) : eps(other.eps) {}

  bool invalid(T t, T p) const {
    if constexpr (kLogInput) {
      return t < T(0);
    } else {
      return (t < T(0)) | (p < T(0));
    }
  }

  auto screen_bits(T t, T p) const {
    if constexpr (kLogInput) {
      return math_detail::to_bits(t);
    } else {
      return math_detail::to_bits(t) | math_detail::to_bits(p);
    }
  }

  static T log_rate(T rate) {
    if constexpr (kRateLog == RateLog::kFinite) {
      return fl_log_positive_finite(rate);
    } else if constexpr (kRateLog == RateLog::kNormal) {
      return fl_log_positive(rate);
    } else {
      return fl_log(rate);
    }
  }

  T operator()(T t, T p, std::int64_t, T& g) const {
    T l;
    if constexpr (kLogInput) {
      const T e = fl_exp(p);
      g = e - t;
      l = e - t * p;
    } else {
      const T rate = p + eps;
      g = T(1) - t / rate;
      l = p - t * log_rate(rate);
    }
    if constexpr (kFull) {
      // NaN at t = 0 (0 * -inf), selected away. (A select on fl_log's argument instead makes
      // GCC compute the log once per case.)
      const bool counted = t > T(1);
      const T log_t = fl_log(t);
      const T stirling = t * log_t - t + (T(0.5) * log_t + T(kHalfLog2Pi));
      l += counted ? stirling : T(0);
    }
    return l;
  }
};

void register_count(KernelTable& table);

FASTLOSS_END_ISA_NAMESPACE
