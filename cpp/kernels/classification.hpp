// Classification losses: binary cross-entropy and hinge (elementwise), categorical and
// sparse categorical cross-entropy and KL divergence (over rows).
#pragma once

#include <cstdint>

#include "kernels/elementwise.hpp"
#include "kernels/isa.hpp"
#include "kernels/math.hpp"
#include "kernels/table.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

// PyTorch clamps each log of a probability at -100 and divides gradients by at least 1e-12.
constexpr double kLogFloor = -100.0;
constexpr double kGradEps = 1e-12;

// log(p) clamped at kLogFloor, for probabilities p in [0, 1] (others give unspecified values).
template <class T>
inline T clamped_log(T p) {
  return fl_log_probability(p, T(kLogFloor));
}

template <class T>
inline T at_least(T x, T floor) {
  return x < floor ? floor : x;
}

// Conditions use | and & (not || and &&) so loops stay branch-free and vectorize.

template <class T>
struct BinaryCrossEntropyParams {
  bool from_logits = false;
  double clip_low = 0.0, clip_high = 1.0;  // probabilities clipped to [eps, 1 - eps]
  double pos_weight = 1.0;
  const T* pos_weight_array = nullptr;     // per element, overrides pos_weight
  double label_smoothing = 0.0;
  bool has_ignore = false;
  double ignore_value = 0.0;
};

struct CrossEntropyParams {
  bool from_logits = false;
  double label_smoothing = 0.0;
  bool has_ignore = false;  // sparse targets only
  std::int64_t ignore_index = 0;
};

struct KlDivergenceParams {
  bool log_input = false;
};

template <class T, bool kPosWeightArray, bool kClip>
struct HardBinaryCrossEntropyOp;

// Binary cross-entropy on probabilities (kLogits = false) or logits, with soft targets,
// label smoothing, pos_weight (scalar or per element) and ignore_index. kClip: probabilities
// are clipped to [clip_low, clip_high] (Keras' eps); without it they are used as given (any
// outside [0, 1] is invalid), which saves the clip's selects.
template <class T, bool kLogits, bool kPosWeightArray, bool kClip = false>
struct BinaryCrossEntropyOp : PlainOp {
  static constexpr bool kNonNegativeTerms = true;
  static constexpr bool kValidates = true;
  static constexpr bool kMasks = true;
  static constexpr bool kRare = kPosWeightArray || kClip;  // pos_weight arrays, Keras' eps
  T target_scale, target_shift;  // y = y_true * (1 - smoothing) + smoothing / 2
  T clip_low, clip_high;
  T pos_weight;
  const T* pos_weight_array;
  bool has_ignore;
  T ignore_value;  // NaN when there is none, so that keep() is always true

  // Probabilities with hard targets have a cheaper form (HardBinaryCrossEntropyOp).
  static constexpr bool kHasHardVariant = !kLogits;
  using HardVariant = HardBinaryCrossEntropyOp<T, kPosWeightArray, kClip>;
  bool block_is_hard(const T* t, std::int64_t n) const;

  T clip(T p) const {
    if constexpr (!kClip) return p;
    const T lo = clip_low, hi = clip_high;  // unconditional loads keep the selects vectorizable
    return p < lo ? lo : (p > hi ? hi : p);
  }
  bool clipped(T p) const {
    if constexpr (!kClip) return false;
    return (p < clip_low) | (p > clip_high);
  }

  bool masking() const { return has_ignore; }
  bool keep(T t) const { return t != ignore_value; }
  bool invalid(T t, T p) const {
    const bool bad_target = keep(t) & ((t < T(0)) | (t > T(1)));
    if constexpr (kLogits) {
      return bad_target;
    } else {
      return bad_target | (p < T(0)) | (p > T(1));
    }
  }

  T operator()(T t, T p, std::int64_t i, T& g) const {
    const T y = t * target_scale + target_shift;
    T pw = pos_weight;
    if constexpr (kPosWeightArray) pw = pos_weight_array[i];
    if constexpr (kLogits) {
      // softplus(+-x) = max(+-x, 0) + log1p(e), e = exp(-|x|); sigmoid from the same e.
      const T ax = p < T(0) ? -p : p;
      const T e = fl_exp(-ax);
      const T common = fl_log1p_unit(e);
      const T sp_pos = (p > T(0) ? p : T(0)) + common;   // softplus(x)
      const T sp_neg = (p < T(0) ? -p : T(0)) + common;  // softplus(-x)
      const T inv = T(1) / (T(1) + e);
      const T sig_pos = p >= T(0) ? inv : e * inv;       // sigmoid(x)
      const T sig_neg = p >= T(0) ? e * inv : inv;       // sigmoid(-x)
      g = (T(1) - y) * sig_pos - pw * y * sig_neg;
      return pw * y * sp_neg + (T(1) - y) * sp_pos;
    } else {
      const T q = clip(p);
      const T log_q = clamped_log(q);
      const T log_1mq = fl_log_complement(q, T(kLogFloor));
      const T slope = (T(1) - y) / at_least(T(1) - q, T(kGradEps)) -
                      pw * y / at_least(q, T(kGradEps));
      g = clipped(p) ? T(0) : slope;  // flat where clipping is active
      return -(pw * y * log_q + (T(1) - y) * log_1mq);
    }
  }
};

// Binary cross-entropy on probabilities for a block whose targets are all exactly 0 or 1
// (the common case): one log per element instead of two. Same fields, checks and results.
template <class T, bool kPosWeightArray, bool kClip>
struct HardBinaryCrossEntropyOp : BinaryCrossEntropyOp<T, false, kPosWeightArray, kClip> {
  static constexpr bool kHasHardVariant = false;
  bool invalid(T, T p) const { return (p < T(0)) | (p > T(1)); }  // targets checked hard
  T operator()(T t, T p, std::int64_t i, T& g) const {
    T pw = this->pos_weight;
    if constexpr (kPosWeightArray) pw = this->pos_weight_array[i];
    const bool positive = t > T(0.5);
    const T q = this->clip(p);
    const T z = positive ? q : T(1) - q;  // the probability of the observed class
    const T coef = positive ? pw : T(1);
    const T slope = coef / at_least(z, T(kGradEps));
    g = this->clipped(p) ? T(0) : (positive ? -slope : slope);
    return -coef * clamped_log(z);
  }
};

template <class T, bool kLogits, bool kPosWeightArray, bool kClip>
bool BinaryCrossEntropyOp<T, kLogits, kPosWeightArray, kClip>::block_is_hard(
    const T* t, std::int64_t n) const {
  // Label smoothing makes every target soft (even one whose 1 - eps rounds to 1).
  if (target_scale != T(1) || target_shift != T(0)) return false;
  T soft[kLanes] = {};
  const T ignore = ignore_value;
  lane_loop(0, n, [&](std::int64_t i, int lane) {
    const bool hard = (t[i] == T(0)) | (t[i] == T(1)) | (t[i] == ignore);
    soft[lane] = hard ? soft[lane] : T(1);
  });
  return !any_lane_set(soft);
}

// Hinge: max(0, 1 - y * y_pred) with labels in {-1, +1}, or {0, 1} with 0 read as -1.
struct HingeOp : PlainOp {
  static constexpr bool kNonNegativeTerms = true;
  static constexpr bool kValidates = true;

  // t is -1, 0 or 1 exactly when t^2 - |t| is 0 (any other t, inf and NaN included, leaves
  // a nonzero or NaN difference, with or without FMA). One compare: with three, the compiler
  // may move the masks through general registers, which slows the loop down.
  template <class T>
  bool invalid(T t, T) const {
    return !(t * t - (t < T(0) ? -t : t) == T(0));
  }

  template <class T>
  T operator()(T t, T p, std::int64_t, T& g) const {
    const T y = t > T(0) ? T(1) : T(-1);  // 0/1 labels: 0 is the negative class
    const T margin = T(1) - y * p;
    g = margin > T(0) ? -y : margin * T(0);  // NaN margins stay NaN
    return margin < T(0) ? T(0) : margin;
  }
};

void register_classification(KernelTable& table);

FASTLOSS_END_ISA_NAMESPACE
