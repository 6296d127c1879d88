// Adversarial losses: each GAN, LSGAN and Wasserstein loss is a sum of terms sign * f(D)
// over one discriminator output array against a constant target, so every term is one
// elementwise pass with no target array (kReadsTarget = false).
#pragma once

#include <cstdint>

#include "kernels/classification.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/isa.hpp"
#include "kernels/math.hpp"
#include "kernels/table.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

// One term of an adversarial loss: sign * f(D) against a constant target, for one input.
struct AdversarialParams {
  bool from_logits = true;  // gan only
  double target = 1.0;      // gan: BCE target; lsgan: the label D is pulled to
  double sign = 1.0;        // gan, wasserstein: +1 or -1
};

// sign * BCE(x, y) from logits, the stable form max(x, 0) - y x + log1p(e^-|x|);
// gradient sign * (sigmoid(x) - y), the sigmoid from the same e^-|x|.
template <class T>
struct GanLogitsOp : PlainOp {
  static constexpr bool kReadsTarget = false;
  T y, sign;

  T operator()(T, T x, std::int64_t, T& g) const {
    const T yy = y, s = sign;  // unconditional loads keep the selects vectorizable
    const T ax = x < T(0) ? -x : x;
    const T e = fl_exp(-ax);
    const T inv = T(1) / (T(1) + e);
    const T sig = x >= T(0) ? inv : e * inv;
    g = s * (sig - yy);
    return s * ((x > T(0) ? x : T(0)) - yy * x + fl_log1p_unit(e));
  }
};

// Which logs a constant target needs on probabilities: y = 1 only log D, y = 0 only
// log(1 - D), anything else (label smoothing) both.
enum class ProbTarget { one, zero, soft };

// sign * BCE(p, y) on probabilities, each log clamped at -100 and gradients divided by at
// least 1e-12 (as binary_cross_entropy); probabilities outside [0, 1] are invalid.
template <class T, ProbTarget kTarget>
struct GanProbsOp : PlainOp {
  static constexpr bool kReadsTarget = false;
  static constexpr bool kValidates = true;
  static constexpr bool kRare = kTarget == ProbTarget::soft;  // one-sided label smoothing
  T y, sign;

  bool invalid(T, T p) const { return (p < T(0)) | (p > T(1)); }

  T operator()(T, T p, std::int64_t, T& g) const {
    const T yy = y, s = sign;
    if constexpr (kTarget == ProbTarget::one) {
      g = -s / at_least(p, T(kGradEps));
      return -s * clamped_log(p);
    } else if constexpr (kTarget == ProbTarget::zero) {
      g = s / at_least(T(1) - p, T(kGradEps));
      return -s * fl_log_complement(p, T(kLogFloor));
    } else {
      g = s * ((T(1) - yy) / at_least(T(1) - p, T(kGradEps)) - yy / at_least(p, T(kGradEps)));
      return -s * (yy * clamped_log(p) + (T(1) - yy) * fl_log_complement(p, T(kLogFloor)));
    }
  }
};

// 0.5 (D - c)^2; gradient D - c.
template <class T>
struct LeastSquaresOp : PlainOp {
  static constexpr bool kNonNegativeTerms = true;
  static constexpr bool kReadsTarget = false;
  T target;

  T operator()(T, T x, std::int64_t, T& g) const {
    const T d = x - target;
    g = d;
    return T(0.5) * d * d;
  }
};

// sign * D; gradient sign (whatever D is, as autograd's).
template <class T>
struct LinearOp : PlainOp {
  static constexpr bool kReadsTarget = false;
  T sign;

  T operator()(T, T x, std::int64_t, T& g) const {
    const T s = sign;
    g = s;
    return s * x;
  }
};

void register_adversarial(KernelTable& table);

FASTLOSS_END_ISA_NAMESPACE
