// Vectorizable transcendental helpers: exp, log, log1p, softplus, sigmoid, log_sigmoid.
//
// Scalar, inline, branch-free code that GCC auto-vectorizes in a plain loop: no libm calls,
// bit casts through std::memcpy, rounding with the 1.5*2^(p-1) magic constant, ternary
// selects instead of branches, unsigned integer lanes (no float<->int64 conversions, which
// AVX2 lacks). float is computed in float lanes, double in double lanes. Round-to-nearest
// only. The AVX2/AVX-512 copies contract a*b+c into FMA, so results may differ between ISAs
// by an ULP, never by more than the bounds below.
//
// API (T = float or double; inline, in namespace fastloss::<isa>):
//   T fl_exp(T x)   T fl_exp_nonpositive(T x)   T fl_log(T x)   T fl_log_positive(T x)
//   T fl_log_positive_finite(T x)
//   T fl_log_probability(T x, T floor)   T fl_log_complement(T q, T floor)
//   T fl_log1p(T x)   T fl_log1p_unit(T e)
//   T fl_softplus(T x) = log(1 + e^x)   T fl_log_sigmoid(T x) = -softplus(-x)
//   T fl_sigmoid(T x) = 1 / (1 + e^-x)
// Keep selects before divisions in loops that call them (see add_log1p_unit), do not select
// the argument of fl_log (GCC then computes the log once per case: kl_term), and check new
// loops with -fopt-info-vec-missed.
//
// Measured max error, in ULP of the exact result (subnormal results: ULP = 2^-149 / 2^-1074).
// float32: EVERY float32 input, against float64 libm. float64: 10^8 random inputs per function
// (log-uniform magnitudes over the whole domain, both signs) against long double libm.
// In brackets: max distance to the correctly rounded result, in representable values.
//
//   function   | float32 baseline  avx2      avx512    | float64 baseline  avx2      avx512
//   exp        |         0.895 [1] 0.875 [1] 0.875 [1] |         0.751 [1] 0.746 [1] 0.746 [1]
//   log        |         0.866 [1] 0.937 [1] 0.937 [1] |         0.809 [1] 0.737 [1] 0.737 [1]
//   log1p      |         0.842 [1] 0.756 [1] 0.756 [1] |         0.845 [1] 0.755 [1] 0.755 [1]
//   softplus   |         0.884 [1] 0.799 [1] 0.799 [1] |         0.860 [1] 0.782 [1] 0.782 [1]
//   sigmoid    |         0.802 [1] 0.799 [1] 0.799 [1] |         0.754 [1] 0.750 [1] 0.750 [1]
//
// So every helper's contract says "max error: 1 ULP", and tests/test_math.py asserts it under
// every ISA (float32: 1.05e7 inputs against NumPy float64; float64: 2*10^4 against mpmath).
// float exp is the one-word form (exp_single) and float log the division-free log_reduced:
// each is cheaper than its more accurate alternative (exp_parts; fdlibm's log with its
// division) and stays within 1 ULP. double exp's largest errors are in the subnormal range
// (normal results: <= 0.63 ULP).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "kernels/isa.hpp"

// Targets with a fused multiply-add compute some residuals exactly (std::fma is one
// instruction there; elsewhere it would be a libm call, so it is not used).
#if defined(__FMA__) || defined(__ARM_FEATURE_FMA)
#define FASTLOSS_MATH_HAVE_FMA 1
#else
#define FASTLOSS_MATH_HAVE_FMA 0
#endif

#if defined(_MSC_VER)
#define FASTLOSS_MATH_INLINE __forceinline
#else
#define FASTLOSS_MATH_INLINE inline __attribute__((always_inline))
#endif

FASTLOSS_BEGIN_ISA_NAMESPACE

namespace math_detail {

FASTLOSS_MATH_INLINE std::uint32_t to_bits(float x) {
  std::uint32_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}
FASTLOSS_MATH_INLINE std::uint64_t to_bits(double x) {
  std::uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}
FASTLOSS_MATH_INLINE float from_bits(std::uint32_t b) {
  float x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}
FASTLOSS_MATH_INLINE double from_bits(std::uint64_t b) {
  double x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}

template <class T>
struct Consts;

template <>
struct Consts<float> {
  using Bits = std::uint32_t;
  static constexpr int kMantissaBits = 23;
  static constexpr Bits kTwiceBias = 254;
  // ln2 split for Cody-Waite: k*kLn2Hi is exact for |k| < 2^9.
  static constexpr float kLn2Hi = 0x1.62e400p-1f;  // 0x3f317200
  static constexpr float kLn2Lo = 0x1.7f7d1cp-20f;
  static constexpr float kLn2 = 0x1.62e430p-1f;  // ln 2 rounded
  static constexpr float kLog2e = 0x1.715476p+0f;
  static constexpr float kRoundMagic = 0x1.8p23f;  // v + magic rounds v to an integer
  // exp clamps: below kExpMin the result rounds to 0, above kExpMax it overflows.
  static constexpr float kExpMin = -104.0f;
  static constexpr float kExpMax = 89.0f;
  static constexpr float kMinNormal = 0x1p-126f;
  static constexpr float kSubnormalScale = 0x1p23f;
  static constexpr int kSubnormalScaleLog2 = 23;
  static constexpr Bits kOne = 0x3f800000u;
  static constexpr Bits kSqrtHalf = 0x3f3504f3u;
  static constexpr Bits kMantissaMask = 0x007fffffu;

  // Minimax q(r) ~ (e^r - 1 - r)/r^2 on [-0.35, 0.35], degree 4: relative error 4e-9 (adds
  // < 0.07 ULP to exp; degree 5 gained too little accuracy for its cost).
  static FASTLOSS_MATH_INLINE float exp_poly(float r) {
    return 0x1.fffffcp-2f +
           r * (0x1.555492p-3f + r * (0x1.5558f2p-5f + r * (0x1.1239d4p-7f + r * 0x1.6a244cp-10f)));
  }
  // Minimax P(f) ~ (log(1+f) - f + f^2/2)/f^3 on [sqrt(1/2)-1, sqrt(2)-1] (degree 7, relative
  // error of log(1+f) below 2^-27): fl_log's form without a division.
  static FASTLOSS_MATH_INLINE float log1p_poly(float f) {
    return 0x1.555554p-2f +
           f * (-0x1.000226p-2f +
                f * (0x1.99a008p-3f +
                     f * (-0x1.547244p-3f +
                          f * (0x1.22da1ep-3f +
                               f * (-0x1.0d8542p-3f + f * (0x1.055b68p-3f + f * -0x1.38b576p-4f))))));
  }
  // R(z) ~ (log((1+s)/(1-s)) - 2s)/s for z = s^2 in [0, 0.0295] (musl/FreeBSD logf).
  static FASTLOSS_MATH_INLINE float log_poly(float z) {
    const float w = z * z;
    return z * (0x1.555554p-1f + w * 0x1.23d3dcp-2f) + w * (0x1.999c26p-2f + w * 0x1.f13c4cp-3f);
  }
};

template <>
struct Consts<double> {
  using Bits = std::uint64_t;
  static constexpr int kMantissaBits = 52;
  static constexpr Bits kTwiceBias = 2046;
  // k*kLn2Hi is exact for |k| < 2^21 (fdlibm's split).
  static constexpr double kLn2Hi = 0x1.62e42feep-1;  // 0x3fe62e42fee00000
  static constexpr double kLn2Lo = 0x1.a39ef35793c76p-33;
  static constexpr double kLog2e = 0x1.71547652b82fep+0;
  static constexpr double kRoundMagic = 0x1.8p52;
  static constexpr double kExpMin = -746.0;
  static constexpr double kExpMax = 710.0;
  static constexpr double kMinNormal = 0x1p-1022;
  static constexpr double kSubnormalScale = 0x1p54;
  static constexpr int kSubnormalScaleLog2 = 54;
  static constexpr Bits kOne = 0x3ff0000000000000ull;
  static constexpr Bits kSqrtHalf = 0x3fe6a09e667f3bcdull;
  static constexpr Bits kMantissaMask = 0x000fffffffffffffull;

  // Minimax q(r) ~ (e^r - 1 - r)/r^2 on [-0.35, 0.35] (degree 10, error 2e-19), as even and
  // odd halves in r^2 for a shorter dependency chain.
  static FASTLOSS_MATH_INLINE double exp_poly(double r) {
    const double r2 = r * r;
    const double even =
        0x1p-1 +
        r2 * (0x1.5555555555556p-5 +
              r2 * (0x1.6c16c16c16214p-10 +
                    r2 * (0x1.a01a01a74077ap-16 +
                          r2 * (0x1.27e4da1e12fb1p-22 + r2 * 0x1.1f75a3caadff5p-29))));
    const double odd =
        0x1.5555555555557p-3 +
        r2 * (0x1.111111110ff8bp-7 +
              r2 * (0x1.a01a01ac9de9ep-13 +
                    r2 * (0x1.71ddfff6573d6p-19 + r2 * 0x1.af5282aacdb2ep-26)));
    return even + r * odd;
  }
  // fdlibm e_log.c: R(z) ~ (log((1+s)/(1-s)) - 2s)/s for z = s^2 in [0, 0.0295].
  static FASTLOSS_MATH_INLINE double log_poly(double z) {
    const double w = z * z;
    const double t1 = w * (3.999999999940941908e-01 +
                           w * (2.222219843214978396e-01 + w * 1.531383769920937332e-01));
    const double t2 =
        z * (6.666666666666735130e-01 +
             w * (2.857142874366239149e-01 +
                  w * (1.818357216161805012e-01 + w * 1.479819860511658591e-01)));
    return t1 + t2;
  }
  // Biased exponent field as double without an int64 conversion: (2^52 + e) - 2^52.
  static FASTLOSS_MATH_INLINE double exponent_field(Bits ix) {
    return from_bits(static_cast<Bits>(0x4330000000000000ull | (ix >> 52))) - 0x1p52;
  }
};

// p * 2^n for n + 2*bias = n_biased_twice in [2, 4*bias]: 2^n is applied as two normal powers
// of two, so the product rounds once, also when the result is subnormal or overflows.
template <class T, class Bits>
FASTLOSS_MATH_INLINE T scale_by_pow2(T p, Bits n_biased_twice) {
  const Bits ea = n_biased_twice >> 1;
  const Bits eb = n_biased_twice - ea;
  return p * from_bits(ea << Consts<T>::kMantissaBits) * from_bits(eb << Consts<T>::kMantissaBits);
}

// Cody-Waite reduction for exp, unclamped: x = n*ln2 + r + dr with |r| <= ln2/2, dr the
// rounding error of r; t holds n in its low mantissa bits (to_bits(t) - to_bits(magic) = n).
template <class T>
FASTLOSS_MATH_INLINE void split_exp(T x, T& t, T& n, T& r, T& dr) {
  using C = Consts<T>;
  t = x * C::kLog2e + C::kRoundMagic;
  n = t - C::kRoundMagic;
  const T r_hi = x - n * C::kLn2Hi;  // exact
  r = r_hi - n * C::kLn2Lo;
  dr = (r_hi - r) - n * C::kLn2Lo;
}

// split_exp after clamping x to where e^x rounds to 0 or overflows (NaN passes both clamps);
// n is returned as n + 2*bias, the argument scale_by_pow2 takes.
template <class T>
FASTLOSS_MATH_INLINE void reduce_exp(T& x, T& r, T& dr, typename Consts<T>::Bits& n_biased_twice) {
  using C = Consts<T>;
  x = x < C::kExpMin ? C::kExpMin : x;
  x = x > C::kExpMax ? C::kExpMax : x;
  T t, n;
  split_exp(x, t, n, r, dr);
  n_biased_twice = static_cast<typename C::Bits>(to_bits(t) - to_bits(C::kRoundMagic) +
                                                 C::kTwiceBias);
}

// e^(r + dr) in one word, 1 + (r + (r^2 q(r) + dr)) rounded as it goes.
template <class T>
FASTLOSS_MATH_INLINE T exp_reduced_single(T r, T dr) {
  return T(1) + (r + (r * r * Consts<T>::exp_poly(r) + dr));
}

// e^x as hi + lo: |lo| <= ulp(hi)/2, and for normal results hi + lo is within 0.13 ULP of e^x
// (measured), so hi is e^x rounded with at most 0.63 ULP error. e^(r+dr) = 1 + r + r^2 q(r)
// (+ dr terms) summed as a double-word, 2^n via exponent bits. hi handles NaN/inf/overflow/
// underflow as documented at fl_exp; lo is then meaningless.
template <class T>
FASTLOSS_MATH_INLINE void exp_parts(T x, T& hi, T& lo) {
  using C = Consts<T>;
  T r, dr;
  typename C::Bits n_biased_twice;
  reduce_exp(x, r, dr, n_biased_twice);
  const T tail = r * r * C::exp_poly(r) + (dr + dr * r);  // e^(r+dr) - 1 - r
  const T y_hi = r + tail;
  const T y_lo = (r - y_hi) + tail;  // Fast2Sum, |tail| <= |r|
  const T p0 = T(1) + y_hi;
  const T p0_lo = ((T(1) - p0) + y_hi) + y_lo;  // Fast2Sum, |y_hi| < 1
  const T p = p0 + p0_lo;
  const T p_lo = (p0 - p) + p0_lo;
  hi = scale_by_pow2(p, n_biased_twice);
  lo = scale_by_pow2(p_lo, n_biased_twice);
}

// e^x in one word, 1 + (r + (r^2 q(r) + dr)) rounded as it goes: fewer operations than
// exp_parts. Used for float, where it measured 0.90 ULP at most over every input (see
// the table at the top); double keeps exp_parts.
template <class T>
FASTLOSS_MATH_INLINE T exp_single(T x) {
  using C = Consts<T>;
  T r, dr;
  typename C::Bits n_biased_twice;
  reduce_exp(x, r, dr, n_biased_twice);
  return scale_by_pow2(exp_reduced_single(r, dr), n_biased_twice);
}

template <class T>
FASTLOSS_MATH_INLINE T abs_(T x) {
  return x < T(0) ? -x : x;
}

// Splits positive normal x into 2^k * (1 + f), 1 + f in [sqrt(1/2), sqrt(2)); returns f.
// extra_scale_log2: x arrives multiplied by 2^extra_scale_log2, which k then leaves out.
// float: d = bits(x) - bits(sqrt(1/2)) holds k in its high bits as a signed integer, so one
// arithmetic shift and a conversion give k, with the extra scale inside the same subtraction
// (one vector operation fewer than shifting the biased field and subtracting the bias).
template <class T>
FASTLOSS_MATH_INLINE T reduce_log(T x, T& k, int extra_scale_log2 = 0) {
  using C = Consts<T>;
  using Bits = typename C::Bits;
  if constexpr (sizeof(T) == 4) {
    const Bits offset = C::kSqrtHalf + (static_cast<Bits>(extra_scale_log2) << C::kMantissaBits);
    const Bits d = to_bits(x) - offset;
    // >> of a negative int32 shifts in sign bits: GCC, Clang and MSVC do, C++20 requires it.
    k = static_cast<T>(static_cast<std::int32_t>(d) >> C::kMantissaBits);
    return from_bits((d & C::kMantissaMask) + C::kSqrtHalf) - T(1);
  } else {
    const auto ix = static_cast<Bits>(to_bits(x) + (C::kOne - C::kSqrtHalf));
    k = C::exponent_field(ix) - static_cast<T>(C::kTwiceBias / 2 + extra_scale_log2);
    return from_bits(static_cast<Bits>((ix & C::kMantissaMask) + C::kSqrtHalf)) - T(1);
  }
}

// fdlibm's log(1+f) for f in [sqrt(1/2)-1, sqrt(2)-1] and s = f/(2+f):
// log(1+f) = f - f^2/2 + s*(f^2/2 + R(s^2)). Returns -(log(1+f) + lo_terms), so that
// k*ln2_hi minus it is the logarithm plus the small terms lo_terms (k*ln2_lo + corrections).
template <class T>
FASTLOSS_MATH_INLINE T neg_log1p_reduced(T f, T s, T lo_terms) {
  const T r = Consts<T>::log_poly(s * s);
  const T hfsq = T(0.5) * f * f;
  return (hfsq - (s * (hfsq + r) + lo_terms)) - f;
}

// log(2^k (1 + f)) for f and k from reduce_log. float: k ln2 + log1p(f), with
// log1p(f) = f + f^2 Q(f), Q(f) = f P(f) - 1/2; no division (one costs as much as the
// polynomial). With FMA, f + f^2 Q and k ln2 + log1p(f) round once each (std::fma: GCC moves
// a product of k into the selects that choose k and would not fuse it otherwise): fewer vector
// operations than the compensated form below, at a larger error still within 1 ULP (see the
// table at the top). Without FMA those roundings would add up, so there it is
// s + (f^3 P(f) + k ln2_lo - f^2/2 + s_err) with s + s_err = k ln2_hi + f exactly.
// double: fdlibm's form.
// kPlusLo (float only): returns the logarithm plus lo, a term below the result's ulp that is
// added with the other low-order terms, before the last rounding.
template <class T, bool kPlusLo = false>
FASTLOSS_MATH_INLINE T log_reduced(T f, T k, T lo = T(0)) {
  using C = Consts<T>;
  if constexpr (sizeof(T) == 4) {
    const T f2 = f * f;
#if FASTLOSS_MATH_HAVE_FMA
    const T q = f * C::log1p_poly(f) - T(0.5);
    const T log1p_f = kPlusLo ? f + std::fma(f2, q, lo) : std::fma(f2, q, f);
    return std::fma(k, C::kLn2, log1p_f);
#else
    const T hi = k * C::kLn2Hi;  // exact
    const T s = hi + f;
    // Fast2Sum (|hi| >= |f| unless k = 0): s may round in a higher binade than the result.
    T s_err = f - (s - hi);
    if constexpr (kPlusLo) s_err += lo;
    return s + ((f2 * (f * C::log1p_poly(f)) + (k * C::kLn2Lo + s_err)) - T(0.5) * f2);
#endif
  } else {
    static_assert(!kPlusLo, "float only");
    return k * C::kLn2Hi - neg_log1p_reduced(f, f / (T(2) + f), k * C::kLn2Lo);
  }
}

// log(1 + x) for x >= -1, before special values. Near 0 (1 + x in (sqrt(1/2), sqrt(2))) the
// reduced argument is x itself, exact. Elsewhere u = 1 + x is rounded and split as
// 2^k (1 + f); the exact rounding error of u, divided by u, is the correction c
// (log(1+x) = log(u) + log1p(c) ~ log(u) + c).
template <class T>
FASTLOSS_MATH_INLINE T log1p_core(T x) {
  using C = Consts<T>;
  const T u = T(1) + x;
  T k;
  T f = reduce_log(u, k);
  // Sterbenz: for u >= 2, u - x is exact; otherwise u - 1 is.
  T u_err = u >= T(2) ? T(1) - (u - x) : x - (u - T(1));
  // x in (-0.29, 0.41), inside (sqrt(1/2) - 1, sqrt(2) - 1); one compare (a && of two
  // compares here can keep the compiler from vectorizing softplus).
  const bool near_zero = abs_(x - T(0.06)) < T(0.35);
  f = near_zero ? x : f;
  k = near_zero ? T(0) : k;
  u_err = near_zero ? T(0) : u_err;
  const T c = u_err / u;
  const T neg_rest = neg_log1p_reduced(f, f / (T(2) + f), k * C::kLn2Lo + c);
  return k * C::kLn2Hi - neg_rest;
}

// a + log(1 + e + e_lo) for e in [0, 1], e_lo <= ulp(e) (softplus). u = 1 + e is in [1, 2],
// so no exponent bits are needed: k = 1, f = u/2 - 1 (exact) for e > sqrt(2) - 1, else
// k = 0, f = e (exact). The correction c = (rounding error of u + e_lo)/u only needs a few
// bits, so 1/u comes from s: 1/(1+f) = (1-s)/(1+s) ~ 1 - 2s(1 - s(1 - s)) (error < 0.3%),
// saving a division. a is added with one rounding at the end (TwoSum with k*ln2_hi).
template <class T>
FASTLOSS_MATH_INLINE T add_log1p_unit(T e, T e_lo, T a) {
  using C = Consts<T>;
  const T u = T(1) + e;
  // Every select on k1 comes before the division: GCC threads repeated tests of one
  // condition and would otherwise duplicate the division into both arms.
  const bool k1 = e > T(0.41421356);
  const T f = k1 ? T(0.5) * u - T(1) : e;
  const T u_err = k1 ? e - (u - T(1)) : T(0);
  const T inv_2k = k1 ? T(0.5) : T(1);
  const T k_hi = k1 ? C::kLn2Hi : T(0);
  const T k_lo = k1 ? C::kLn2Lo : T(0);
  const T s = f / (T(2) + f);
  const T inv_u = inv_2k * (T(1) - T(2) * s * (T(1) - s * (T(1) - s)));
  const T c = (u_err + e_lo) * inv_u;
  const T neg_rest = neg_log1p_reduced(f, s, k_lo + c);
  const T sum = k_hi + a;
  const T bb = sum - k_hi;
  const T err = (k_hi - (sum - bb)) + (a - bb);  // TwoSum: sum + err = k_hi + a exactly
  return sum - (neg_rest - err);
}

// c - a*b, exact when a*b is within a few ULP of c.
template <class T>
FASTLOSS_MATH_INLINE T mul_residual(T a, T b, T c) {
#if FASTLOSS_MATH_HAVE_FMA
  return std::fma(-a, b, c);
#else
  // Dekker's product: Veltkamp-split a and b into halves whose products are exact.
  constexpr T kSplit = sizeof(T) == 4 ? T(4097) : T(134217729);  // 2^12 + 1, 2^27 + 1
  const T ta = kSplit * a;
  const T a_hi = ta - (ta - a);
  const T a_lo = a - a_hi;
  const T tb = kSplit * b;
  const T b_hi = tb - (tb - b);
  const T b_lo = b - b_hi;
  const T p = a * b;
  const T p_err = ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo;
  return (c - p) - p_err;
#endif
}

}  // namespace math_detail

// ---------------------------------------------------------------------------------------
// fl_exp(x) = e^x   (float and double overloads)
//   domain: all x. Cody-Waite reduction x = n*ln2 + r, |r| <= ln2/2; minimax polynomial of
//   degree 6 (float) / 12 (double); 2^n applied in two exact steps.
//   max error: 1 ULP float, 1 ULP double (measured: see the table at the top).
//   special values: NaN -> NaN; +inf -> +inf; -inf -> +0; exp(+-0) = 1; overflow
//   (x > 88.72284 f32, x > 709.78271 f64) -> +inf; results below the normal range are
//   gradual (subnormal, rounded once), and +0 below about -103.97 (f32) / -745.13 (f64).
template <class T>
FASTLOSS_MATH_INLINE T fl_exp(T x) {
  if constexpr (sizeof(T) == 4) {
    return math_detail::exp_single(x);
  } else {
    T hi, lo;
    math_detail::exp_parts(x, hi, lo);
    return hi;
  }
}

// fl_exp_nonpositive(x) ~ e^x for x <= 0 (and NaN) wherever e^x >= 2^-126.5, +0 below:
// softmax's e^(x - max), where results that small vanish in a sum that holds e^0 = 1.
//   float with FMA: fl_exp's reduction and polynomial, without the rounding error dr of r and
//   evaluated in plain Horner form, 1 + r(1 + r q(r)); 2^n comes from t's bits in one shift
//   (the rounding constant carries the exponent bias) and is applied in one multiplication,
//   with no clamps: fewer vector operations than fl_exp; 0.882 ULP max over every float32
//   x in [-87.3, 0] (fl_exp: 0.875). Without FMA those roundings would reach 1.16 ULP, so
//   there it is fl_exp's one-word form, with 2^n applied in one multiplication.
//   double: fl_exp.
// NaN -> NaN; -inf -> +0; x < -87.67 (n = round(x log2 e) < -126) -> +0, where fl_exp gives a
// subnormal number or +0. x > 0 is outside the domain (unspecified).
template <class T>
FASTLOSS_MATH_INLINE T fl_exp_nonpositive(T x) {
  if constexpr (sizeof(T) == 4) {
    using C = math_detail::Consts<T>;
    using Bits = typename C::Bits;
#if FASTLOSS_MATH_HAVE_FMA
    constexpr T kBiasedMagic = C::kRoundMagic + T(127);  // to_bits(t) = magic bits + n + 127
    const T t = x * C::kLog2e + kBiasedMagic;
    const T n = t - kBiasedMagic;
    const T r = (x - n * C::kLn2Hi) - n * C::kLn2Lo;
    const T y = T(1) + r * (T(1) + r * C::exp_poly(r));
    // The shift drops the magic's bits and leaves n + 127 in the exponent field.
    const auto exponent_bits = static_cast<Bits>(math_detail::to_bits(t) << C::kMantissaBits);
    const T scale = math_detail::from_bits(exponent_bits);
#else
    T t, n, r, dr;
    math_detail::split_exp(x, t, n, r, dr);
    // n + 127, the biased exponent of 2^n (meaningful where it is kept: n >= -126).
    const auto biased = static_cast<Bits>(math_detail::to_bits(t) -
                                          math_detail::to_bits(C::kRoundMagic) + Bits{127});
    const T y = math_detail::exp_reduced_single(r, dr);
    const T scale = math_detail::from_bits(static_cast<Bits>(biased << C::kMantissaBits));
#endif
    return n < T(-126) ? T(0) : y * scale;
  } else {
    return fl_exp(x);
  }
}

// ---------------------------------------------------------------------------------------
// fl_log(x) = natural logarithm   (float and double)
//   x = 2^k (1 + f), 1 + f in [sqrt(1/2), sqrt(2)); log(1 + f) from a degree-7 polynomial in f
//   (float) or fdlibm's degree-14 form in s = f/(2+f) (double).
//   domain: x >= 0, including subnormal x (scaled by 2^23 / 2^54 first, so exact too).
//   max error: 1 ULP float, 1 ULP double (measured: see the table at the top).
//   special values: NaN -> NaN; +inf -> +inf; +-0 -> -inf; x < 0 (incl. -inf) -> NaN;
//   log(1) = +0.
template <class T>
FASTLOSS_MATH_INLINE T fl_log(T x) {
  using C = math_detail::Consts<T>;
  const bool subnormal = x < C::kMinNormal;
  const T k_adjust = subnormal ? -static_cast<T>(C::kSubnormalScaleLog2) : T(0);
  T k;
  const T f = math_detail::reduce_log(subnormal ? x * C::kSubnormalScale : x, k);
  T y = math_detail::log_reduced(f, k + k_adjust);
  y = x < std::numeric_limits<T>::infinity() ? y : x;  // +inf, NaN
  y = x < T(0) ? std::numeric_limits<T>::quiet_NaN() : y;
  y = x == T(0) ? -std::numeric_limits<T>::infinity() : y;
  return y;
}

// fl_log_positive_finite(x) = fl_log(x) for x that the caller knows to be a positive normal
// finite number; other x (+inf and NaN too) give unspecified finite values. For loops that
// redo the rare blocks where that matters (PoissonOp): one select fewer than fl_log_positive.
template <class T>
FASTLOSS_MATH_INLINE T fl_log_positive_finite(T x) {
  T k;
  const T f = math_detail::reduce_log(x, k);
  return math_detail::log_reduced(f, k);
}

// fl_log_positive(x) = fl_log(x) for x that the caller knows to be a positive normal number,
// +inf or NaN (same results there); other x give unspecified values. Without the selects for
// zero, negative and subnormal x it is cheaper.
template <class T>
FASTLOSS_MATH_INLINE T fl_log_positive(T x) {
  const T y = fl_log_positive_finite(x);
  return x < std::numeric_limits<T>::infinity() ? y : x;  // +inf, NaN
}

// fl_log_probability(x, floor) = max(fl_log(x), floor) for x in [0, 1], bit for bit, and
// NaN -> NaN: the logs of probabilities in cross-entropies, which PyTorch clamps at -100.
// For float the floor must be at least -103. Cheaper than fl_log and the max: every x is
// scaled by 2^23 first, so subnormal x needs no path of its own (fl_log scales those the
// same way), and x = 0 comes out as -150 ln 2, below any allowed floor, without a select.
// x outside [0, 1] is outside the domain (unspecified). double: fl_log and the max (the
// scaled form rounded some results differently there, by FMA contraction).
template <class T>
FASTLOSS_MATH_INLINE T fl_log_probability(T x, T floor) {
  if constexpr (sizeof(T) == 4) {
    using C = math_detail::Consts<T>;
    T k;
    // + 0 turns -0 into +0 (inside the same FMA); -0's sign bit would read as an exponent.
    const T scaled = x * C::kSubnormalScale + T(0);
    const T f = math_detail::reduce_log(scaled, k, C::kSubnormalScaleLog2);
    T y = math_detail::log_reduced(f, k);
    y = y < floor ? floor : y;
    return x == x ? y : x;  // NaN
  } else {
    const T y = fl_log(x);
    return y < floor ? floor : y;
  }
}

// ---------------------------------------------------------------------------------------
// fl_log1p(x) = log(1 + x), accurate for tiny x   (float and double)
//   domain: x >= -1. For x in (-0.29, 0.41) the polynomial runs on x itself (no 1 + x
//   rounding), elsewhere the exact rounding error of u = 1 + x is added back as c/u.
//   log1p(x) = x (rounded) for |x| below about 2^-24 (f32) / 2^-53 (f64).
//   max error: 1 ULP float, 1 ULP double (measured: see the table at the top).
//   special values: NaN -> NaN; +inf -> +inf; -1 -> -inf; x < -1 (incl. -inf) -> NaN;
//   +-0 -> +-0 (sign kept); subnormal x -> x.
template <class T>
FASTLOSS_MATH_INLINE T fl_log1p(T x) {
  T y = math_detail::log1p_core(x);
  y = x < std::numeric_limits<T>::infinity() ? y : x;  // +inf, NaN
  y = x < T(-1) ? std::numeric_limits<T>::quiet_NaN() : y;
  y = x == T(-1) ? -std::numeric_limits<T>::infinity() : y;
  y = x == T(0) ? x : y;  // keep the sign of zero
  return y;
}

// fl_log_complement(q, floor) = max(log(1 - q), floor) for a probability q in [0, 1], NaN ->
// NaN, with floor >= -103 (float). float: no division (fl_log1p(-q) takes two); the reduced
// argument is exact in each of three ranges, so no rounding error of 1 - q needs adding back:
// q <= 1 - sqrt(1/2): f = -q, k = 0; q < 1/2: f = 1 - 2q, k = -1; q >= 1/2: 1 - q is exact
// and split as fl_log_probability splits its argument (q = 1 gives -150 ln 2, below the floor).
//   max error: 1 ULP float (every float in [0, 1] against float64 log1p(-q): see
//   tests/test_math.py). q outside [0, 1] is outside the domain (unspecified). double:
//   max(fl_log1p(-q), floor).
template <class T>
FASTLOSS_MATH_INLINE T fl_log_complement(T q, T floor) {
  if constexpr (sizeof(T) == 4) {
    using C = math_detail::Consts<T>;
    T k_high;  // q >= 1/2
    const T f_high =
        math_detail::reduce_log((T(1) - q) * C::kSubnormalScale, k_high, C::kSubnormalScaleLog2);
    const bool low = q <= T(0.29289320);  // 1 - q >= sqrt(1/2)
    const bool high = q >= T(0.5);
    T f = low ? -q : T(1) - T(2) * q;  // both exact
    T k = low ? T(0) : T(-1);
    f = high ? f_high : f;
    k = high ? k_high : k;
    T y = math_detail::log_reduced(f, k);
    y = y < floor ? floor : y;
    return q == q ? y : q;  // NaN
  } else {
    const T y = fl_log1p(-q);
    return y < floor ? floor : y;
  }
}

// fl_log1p_unit(e) = log(1 + e) for e in [0, 1]: the log1p(e^-|x|) of softplus forms (BCE and
// GAN losses from logits). float: no division (fl_log1p takes two), from the division-free
// log of 1 + e: for e <= sqrt(2) - 1 the reduced argument is e itself, exact; above, 1 + e is
// rounded and halved (k = 1, f = (1 + e)/2 - 1, exact) and its exact rounding error, divided
// by 1 + e, is added back. That quotient is at most 2^-25.5 against a result of at least 0.53,
// so 1/(1 + e) from a line (3% off) moves the result by less than 0.01 ULP.
//   max error: 1 ULP float (every float in [0, 1] against float64 log1p: 0.872 ULP baseline,
//   0.939 AVX2 and AVX-512; tests/test_math.py checks a sweep).
//   special values: NaN -> NaN; log1p_unit(0) = +0. e outside [0, 1] is outside the domain
//   (unspecified). double: fl_log1p.
template <class T>
FASTLOSS_MATH_INLINE T fl_log1p_unit(T e) {
  if constexpr (sizeof(T) == 4) {
    const bool k1 = e > T(0.41421356);
    const T u = T(1) + e;
    const T f = k1 ? T(0.5) * u - T(1) : e;
    const T k = k1 ? T(1) : T(0);
    const T u_err = k1 ? e - (u - T(1)) : T(0);  // exact (Sterbenz: u - 1 is, for u in [1, 2])
    const T inv_u = T(1.2071068) - T(0.35355339) * u;  // the chord of 1/u over [sqrt(2), 2]
    return math_detail::log_reduced<T, true>(f, k, u_err * inv_u);
  } else {
    return fl_log1p(e);
  }
}

// ---------------------------------------------------------------------------------------
// fl_softplus(x) = log(1 + e^x)   (float and double)
//   Computed as max(x, 0) + log1p(e^-|x|) (never overflows), with e^-|x| kept as a double-word
//   and max(x, 0) added inside log1p's last rounding.
//   domain: all x.
//   max error: 1 ULP float, 1 ULP double (measured: see the table at the top).
//   special values: NaN -> NaN; +inf -> +inf; -inf -> +0; softplus(0) = ln 2; large
//   negative x -> e^x (subnormal below -87.3 f32 / -708.4 f64, +0 below the fl_exp limits);
//   x >= 14.56 (f32) / 33.27 (f64) -> x.
template <class T>
FASTLOSS_MATH_INLINE T fl_softplus(T x) {
  T e, e_lo;
  math_detail::exp_parts(-math_detail::abs_(x), e, e_lo);
  const T y = math_detail::add_log1p_unit(e, e_lo, x > T(0) ? x : T(0));
  return x < std::numeric_limits<T>::infinity() ? y : x;  // +inf (TwoSum gives NaN)
}

// fl_log_sigmoid(x) = log(1 / (1 + e^-x)) = -softplus(-x): same error bound as fl_softplus.
//   special values: NaN -> NaN; +inf -> -0; -inf -> -inf.
template <class T>
FASTLOSS_MATH_INLINE T fl_log_sigmoid(T x) {
  return -fl_softplus(-x);
}

// ---------------------------------------------------------------------------------------
// fl_sigmoid(x) = 1 / (1 + e^-x)   (float and double)
//   From e = e^-|x| <= 1 (a double-word; never overflows): 1/(1+e) for x >= 0, e/(1+e) for
//   x < 0, with one division and a first-order correction for the low parts.
//   domain: all x.
//   max error: 1 ULP float, 1 ULP double (measured: see the table at the top).
//   special values: NaN -> NaN; +inf -> 1; -inf -> +0; sigmoid(+-0) = 0.5; large negative
//   x -> e^x (subnormal, then +0, like fl_exp); 1 from 17.33 (f32) / 37.43 (f64) up.
template <class T>
FASTLOSS_MATH_INLINE T fl_sigmoid(T x) {
  T e, e_lo;
  math_detail::exp_parts(-math_detail::abs_(x), e, e_lo);
  const T d = T(1) + e;
  const T d_lo = ((T(1) - d) + e) + e_lo;  // Fast2Sum, e <= 1
  // All selects on the sign come before the division (see add_log1p_unit).
  const bool neg = x < T(0);
  const T num = neg ? e : T(1);
  const T num_lo = neg ? e_lo : T(0);
  // 1/d = y (x >= 0) or 1 - y (x < 0), as inv_d0 + inv_d1 * y
  const T inv_d0 = neg ? T(1) : T(0);
  const T inv_d1 = neg ? T(-1) : T(1);
  const T y = num / d;
  const T div_err = math_detail::mul_residual(y, d, num);  // num = y*d + div_err
  // (num + num_lo)/(d + d_lo) ~ y + (div_err + num_lo - y*d_lo)/d
  return y + ((div_err + num_lo) - y * d_lo) * (inv_d0 + inv_d1 * y);
}

FASTLOSS_END_ISA_NAMESPACE
