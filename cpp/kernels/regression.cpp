// Regression losses: elementwise ops on d = y_pred - y_true, and their declarations.
#include "kernels/regression.hpp"

#include <cstdint>

#include "kernels/declare.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/math.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

namespace {

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
  explicit HuberOp(const Options& o) : delta(static_cast<T>(option(o, "delta"))) {}
  T operator()(T t, T p, std::int64_t, T& g) const {
    const T d = p - t;
    const T ad = d < T(0) ? -d : d;
    const bool inside = ad <= delta;
    g = inside ? d : delta * sign_or_nan(d);
    return inside ? T(0.5) * d * d : delta * (ad - T(0.5) * delta);
  }
};

// log(cosh(d)), gradient tanh(d). For |d| >= 0.5: |d| + log1p(e) - log 2 and (1 - e) / (1 + e)
// with e = exp(-2|d|), finite for every finite d (cosh itself overflows past |d| ~ 89 in
// float32). Below, where those forms cancel, their Taylor series in z = d^2 (terms through
// d^32: below float64's rounding at |d| = 0.5; float stops at d^16). Max error: 8 ulp float64,
// 6 float32, just above |d| = 0.5 (tests/test_regression.py measures it).
constexpr double kLogCoshSeries[] = {  // c_k of log cosh d = sum_k c_k d^(2k), k = 16 .. 1
    -3.31164635003270448466e-8, 8.71590383763584851421e-8, -2.30417471987693955828e-7,
    6.12265579589575566952e-7,  -1.63659682847153475222e-6, 4.40524452587702287527e-6,
    -1.19564557121776240743e-5, 3.27793022747547767432e-5, -9.09896491907073917656e-5,
    2.56580574040891501209e-4,  -7.38602960825183047405e-4, 2.18694885361552028219e-3,
    -6.74603174603174603175e-3, 2.22222222222222222222e-2, -8.33333333333333333333e-2,
    0.5};

// log cosh d ~ z P(z) and tanh(d) / d ~ Q(z) = sum_k 2k c_k z^(k-1), for z = d^2 < 0.25.
template <class T>
inline void log_cosh_series(T z, T& log_cosh, T& tanh_over_d) {
  constexpr int kTerms = 16;
  constexpr int kFirst = sizeof(T) == 4 ? 8 : 0;  // float: the last 8 terms
  T p = T(kLogCoshSeries[kFirst]);
  T q = T(2 * (kTerms - kFirst) * kLogCoshSeries[kFirst]);
  for (int i = kFirst + 1; i < kTerms; ++i) {
    p = p * z + T(kLogCoshSeries[i]);
    q = q * z + T(2 * (kTerms - i) * kLogCoshSeries[i]);
  }
  log_cosh = p * z;
  tanh_over_d = q;
}

struct LogCoshOp : PlainOp {
  static constexpr bool kNonNegativeTerms = true;
  template <class T>
  T operator()(T t, T p, std::int64_t, T& g) const {
    const T d = p - t;
    const T ad = d < T(0) ? -d : d;
    const bool near = ad < T(0.5);
    const T e = fl_exp_nonpositive(T(-2) * ad);  // in [0, 1]
    const T far_tanh = (T(1) - e) / (T(1) + e);
    const T far = ad + fl_log1p_unit(e) - T(0.693147180559945309417);
    T near_loss, tanh_over_d;
    log_cosh_series(near ? d * d : T(0), near_loss, tanh_over_d);
    const T tanh_ad = near ? ad * tanh_over_d : far_tanh;
    g = d < T(0) ? -tanh_ad : (d > T(0) ? tanh_ad : d * T(0));  // 0 at 0, NaN with d
    return near ? near_loss : far;
  }
};

// Kernels of Ops that take no options, or read them from Options themselves.
template <class T, class Op>
LossSums plain(const ElementwiseArgs<T>& a, const Options&) {
  return elementwise(a, Op{});
}

template <class T, template <class> class Op>
LossSums with_options(const ElementwiseArgs<T>& a, const Options& o) {
  return elementwise(a, Op<T>(o));
}

}  // namespace

void register_regression(KernelTable& table) {
  add(table, elementwise_loss("mse", {plain<float, MseOp>, plain<double, MseOp>}));
  add(table, elementwise_loss("mae", {plain<float, MaeOp>, plain<double, MaeOp>}));
  add(table, elementwise_loss("huber", {with_options<float, HuberOp>,
                                        with_options<double, HuberOp>}, "delta"));
  add(table, elementwise_loss("log_cosh", {plain<float, LogCoshOp>, plain<double, LogCoshOp>}));
}

FASTLOSS_END_ISA_NAMESPACE
