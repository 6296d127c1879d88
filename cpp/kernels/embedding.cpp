#include "kernels/embedding.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "kernels/elementwise.hpp"
#include "kernels/reduce.hpp"
#include "kernels/rowwise.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

namespace {

// Per-row scalars (distances, norms, coefficients) are computed in double from sums kept in
// T lanes; only the loops over the embedding dimension run in T lanes, and they vectorize.

// The row engine's view of embedding inputs: it reads rows, dim (the work per row), weights,
// the per-row output and whether gradients are wanted; row functions read the matrices.
template <class T>
RowArgs<T> row_view(const EmbeddingArgs<T>& a) {
  RowArgs<T> v;
  v.y_pred = a.x[0];
  v.sample_weight = a.sample_weight;
  v.rows = a.rows;
  v.classes = a.dim;
  v.out = a.out;
  v.grad = a.grad[0];
  v.grad_mean = a.grad_mean;
  v.num_threads = a.num_threads;
  return v;
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The kLanes lanes of one accumulator folded into float64 in a fixed tree, spelled out so
// that it compiles to a few vector adds (and the accumulators stay in registers).
static_assert(kLanes == 16, "fold_lanes is written for 16 lanes");
template <class T>
inline double fold_lanes(const T (&lane)[kLanes]) {
  double v[8];
  for (int j = 0; j < 8; ++j) {
    v[j] = static_cast<double>(lane[j]) + static_cast<double>(lane[j + 8]);
  }
  for (int j = 0; j < 4; ++j) v[j] += v[j + 4];
  for (int j = 0; j < 2; ++j) v[j] += v[j + 2];
  return v[0] + v[1];
}

#if defined(__AVX512F__) || defined(__AVX2__)
FASTLOSS_INTRINSICS_BEGIN
// The same tree for float lanes in vector registers: GCC 12 compiles the loops above to 16
// scalar conversions and 15 scalar adds per accumulator, which on (10^5, 128) rows was most
// of a cosine row's time (three accumulators).
template <>
inline double fold_lanes<float>(const float (&lane)[kLanes]) {
#if defined(__AVX512F__)
  const __m512 x = _mm512_loadu_ps(lane);
  const __m512d v8 = _mm512_add_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(x)),
                                   _mm512_cvtps_pd(_mm512_extractf32x8_ps(x, 1)));
  const __m256d v4 = _mm256_add_pd(_mm512_castpd512_pd256(v8), _mm512_extractf64x4_pd(v8, 1));
#else
  const __m256d v8_low = _mm256_add_pd(_mm256_cvtps_pd(_mm_loadu_ps(lane)),
                                       _mm256_cvtps_pd(_mm_loadu_ps(lane + 8)));
  const __m256d v8_high = _mm256_add_pd(_mm256_cvtps_pd(_mm_loadu_ps(lane + 4)),
                                        _mm256_cvtps_pd(_mm_loadu_ps(lane + 12)));
  const __m256d v4 = _mm256_add_pd(v8_low, v8_high);
#endif
  const __m128d v2 = _mm_add_pd(_mm256_castpd256_pd128(v4), _mm256_extractf128_pd(v4, 1));
  return _mm_cvtsd_f64(v2) + _mm_cvtsd_f64(_mm_unpackhi_pd(v2, v2));
}
FASTLOSS_INTRINSICS_END
#endif

// Up to three sums over the D elements of a row: terms(c, lane, a0, a1, a2) adds element c's
// terms into a0[lane], a1[lane], a2[lane] (unused ones are optimized away). The lanes are T
// (cheap in the hot loop) and local to each chunk of kFlushEvery elements, then folded into
// the float64 totals, so float32 rows keep float64 accuracy; the order depends on D only.
// Three separate arrays, not one 2-D array: GCC 12 keeps those in registers.
template <class T, class Terms>
inline void row_sums(std::int64_t D, Terms&& terms, double (&total)[3]) {
  total[0] = total[1] = total[2] = 0.0;
  for (std::int64_t c0 = 0; c0 < D; c0 += kFlushEvery) {
    T a0[kLanes] = {}, a1[kLanes] = {}, a2[kLanes] = {};
    lane_loop(c0, std::min(D, c0 + kFlushEvery),
              [&](std::int64_t c, int lane) { terms(c, lane, a0, a1, a2); });
    total[0] += fold_lanes(a0);
    total[1] += fold_lanes(a1);
    total[2] += fold_lanes(a2);
  }
}

// max(x, 0) that keeps NaN.
inline double hinge_part(double x) { return x < 0.0 ? 0.0 : x; }

// ---- contrastive ------------------------------------------------------------------------

// 0.5 [y d^2 + (1 - y) max(0, m - d)^2] with d = ||x1 - x2||; one pass for d, a second over
// the (cached) rows for the gradient coef * (x1 - x2), coef = y - (1 - y) h / d.
template <class T, bool kGrad>
RowLoss contrastive_row(const T* x1, const T* x2, std::int64_t D, T label, double margin,
                        T* g1, T* g2, T gs) {
  double sums[3];
  row_sums<T>(
      D,
      [&](std::int64_t c, int lane, T (&a0)[kLanes], T(&)[kLanes], T(&)[kLanes]) {
        const T u = x1[c] - x2[c];
        a0[lane] += u * u;
      },
      sums);
  const double d2 = sums[0];
  const double d = std::sqrt(d2);
  const double y = static_cast<double>(label);
  const double h = hinge_part(margin - d);
  // y == 0 selects the term away, so that an infinite distance between dissimilar rows is 0.
  const double similar = y != 0.0 ? y * d2 : 0.0;
  const double loss = 0.5 * (similar + (1.0 - y) * h * h);
  if constexpr (kGrad) {
    const double pull = d > 0.0 ? (1.0 - y) * h / d : 0.0;  // at d = 0: the 0 subgradient
    const T coef = static_cast<T>((y - pull) * static_cast<double>(gs));
    FASTLOSS_SIMD
    for (std::int64_t c = 0; c < D; ++c) {
      const T g = coef * (x1[c] - x2[c]);
      g1[c] = g;
      g2[c] = -g;
    }
  }
  const bool invalid = (label < T(0)) | (label > T(1));
  return {loss, 1.0, invalid};
}

template <class T>
LossSums contrastive(const EmbeddingArgs<T>& a, const ContrastiveParams& p) {
  const std::int64_t D = a.dim;
  const bool grad = a.grad[0] != nullptr;
  auto row = [&](std::int64_t r, T gs) -> RowLoss {
    const T* x1 = a.x[0] + r * D;
    const T* x2 = a.x[1] + r * D;
    const T y = a.y_true[r];
    prefetch_row_ahead(x1, D);
    prefetch_row_ahead(x2, D);
    if (grad) {
      return contrastive_row<T, true>(x1, x2, D, y, p.margin, a.grad[0] + r * D,
                                      a.grad[1] + r * D, gs);
    }
    return contrastive_row<T, false>(x1, x2, D, y, p.margin, nullptr, nullptr, gs);
  };
  return rowwise(row_view(a), row, [](std::int64_t) { return 1.0; });
}

// ---- triplet ----------------------------------------------------------------------------

// max(0, m + d(a, p) - d_neg) with d_neg = d(a, n), or min(d(a, n), d(p, n)) with swap.
// kSquared: d(u, v) = ||u - v||^2. Otherwise PyTorch's pairwise_distance ||u - v + eps||,
// whose gradient is (u - v + eps) / d (0 where d = 0, as PyTorch's norm). With swap, a tie
// d(a, n) == d(p, n) splits the gradient evenly between both (PyTorch's min). At the kink
// (argument exactly 0) the gradient is the linear piece's (PyTorch's clamp_min).
template <class T, bool kGrad, bool kSquared, bool kSwap>
RowLoss triplet_row(const T* a, const T* p, const T* n, std::int64_t D, T eps, double margin,
                    T* ga, T* gp, T* gn, T gs) {
  double sums[3];
  row_sums<T>(
      D,
      [&](std::int64_t c, int lane, T (&a0)[kLanes], T (&a1)[kLanes], T (&a2)[kLanes]) {
        const T u = a[c] - p[c] + eps;
        const T v = a[c] - n[c] + eps;
        a0[lane] += u * u;
        a1[lane] += v * v;
        if constexpr (kSwap) {
          const T w = p[c] - n[c] + eps;
          a2[lane] += w * w;
        }
      },
      sums);
  auto dist = [](double s) { return kSquared ? s : std::sqrt(s); };
  const double d_pos = dist(sums[0]);
  const double d_an = dist(sums[1]);
  double d_neg = d_an, w_an = 1.0, w_pn = 0.0, d_pn = 0.0;
  if constexpr (kSwap) {
    d_pn = dist(sums[2]);
    w_an = d_an < d_pn ? 1.0 : (d_an == d_pn ? 0.5 : 0.0);
    w_pn = 1.0 - w_an;
    d_neg = d_an <= d_pn ? d_an : d_pn;
    if (std::isnan(d_an) || std::isnan(d_pn)) d_neg = kNaN;
  }
  const double z = margin + d_pos - d_neg;
  const double loss = hinge_part(z);
  if constexpr (kGrad) {
    const double s = z < 0.0 ? 0.0 : static_cast<double>(gs);
    // d(grad of the distance)/d(difference): 2 for squared distances, 1/d otherwise.
    auto slope = [](double d) { return kSquared ? 2.0 : (d > 0.0 ? 1.0 / d : 0.0); };
    const T c_ap = static_cast<T>(s * slope(d_pos));
    const T c_an = static_cast<T>(s * w_an * slope(d_an));
    const T c_pn = static_cast<T>(s * w_pn * slope(d_pn));
    FASTLOSS_SIMD
    for (std::int64_t c = 0; c < D; ++c) {
      const T u = a[c] - p[c] + eps;
      const T v = a[c] - n[c] + eps;
      if constexpr (kSwap) {
        const T w = p[c] - n[c] + eps;
        ga[c] = c_ap * u - c_an * v;
        gp[c] = -c_ap * u - c_pn * w;
        gn[c] = c_an * v + c_pn * w;
      } else {
        ga[c] = c_ap * u - c_an * v;
        gp[c] = -c_ap * u;
        gn[c] = c_an * v;
      }
    }
  }
  return {loss, 1.0, false};
}

template <class T, bool kSquared, bool kSwap>
LossSums triplet_with(const EmbeddingArgs<T>& a, const TripletParams& p) {
  const std::int64_t D = a.dim;
  const bool grad = a.grad[0] != nullptr;
  const T eps = kSquared ? T(0) : static_cast<T>(p.eps);
  auto row = [&](std::int64_t r, T gs) -> RowLoss {
    const std::int64_t o = r * D;
    for (int k = 0; k < 3; ++k) prefetch_row_ahead(a.x[k] + o, D);
    if (grad) {
      return triplet_row<T, true, kSquared, kSwap>(a.x[0] + o, a.x[1] + o, a.x[2] + o, D, eps,
                                                   p.margin, a.grad[0] + o, a.grad[1] + o,
                                                   a.grad[2] + o, gs);
    }
    return triplet_row<T, false, kSquared, kSwap>(a.x[0] + o, a.x[1] + o, a.x[2] + o, D, eps,
                                                  p.margin, nullptr, nullptr, nullptr, gs);
  };
  return rowwise(row_view(a), row, [](std::int64_t) { return 1.0; });
}

template <class T>
LossSums triplet(const EmbeddingArgs<T>& a, const TripletParams& p) {
  if (p.squared) {
    return p.swap ? triplet_with<T, true, true>(a, p) : triplet_with<T, true, false>(a, p);
  }
  return p.swap ? triplet_with<T, false, true>(a, p) : triplet_with<T, false, false>(a, p);
}

// ---- cosine proximity -------------------------------------------------------------------

// -x.y / (max(||x||, eps) max(||y||, eps)) for x = y_true, y = y_pred (PyTorch's clamps; 0
// for a zero vector, never NaN). Gradient with respect to y: -(x / (nx ny) - k y) with
// k = cos / ny^2 where ||y|| >= eps, and k = 0 below (there the clamped norm is constant).
template <class T, bool kGrad>
RowLoss cosine_row(const T* x, const T* y, std::int64_t D, double eps, T* g, T gs) {
  double sums[3];
  row_sums<T>(
      D,
      [&](std::int64_t c, int lane, T (&a0)[kLanes], T (&a1)[kLanes], T (&a2)[kLanes]) {
        a0[lane] += x[c] * y[c];
        a1[lane] += x[c] * x[c];
        a2[lane] += y[c] * y[c];
      },
      sums);
  // max(||x||, eps) max(||y||, eps) = sqrt(max(xx, eps^2) max(yy, eps^2)): one square root
  // and one division per row (NaN stays NaN through the selects).
  const double eps2 = eps * eps;
  const double xx = sums[1] < eps2 ? eps2 : sums[1];
  const double yy = sums[2] < eps2 ? eps2 : sums[2];
  const double cos = sums[0] / std::sqrt(xx * yy);
  if constexpr (kGrad) {
    const double ny_raw = std::sqrt(sums[2]);
    const double nx = std::sqrt(xx), ny = std::sqrt(yy);
    const double k = ny_raw >= eps ? cos / (ny * ny) : 0.0;
    const double w = static_cast<double>(gs);
    const T cx = static_cast<T>(-w / nx / ny);
    const T cy = static_cast<T>(w * k);
    FASTLOSS_SIMD
    for (std::int64_t c = 0; c < D; ++c) g[c] = cx * x[c] + cy * y[c];
  }
  return {0.0 - cos, 1.0, false};  // 0 - cos: orthogonal rows give +0
}

template <class T>
LossSums cosine_proximity(const RowArgs<T>& a, const CosineParams& p) {
  const std::int64_t D = a.classes;
  auto row = [&](std::int64_t r, T gs) -> RowLoss {
    const T* x = a.y_true + r * D;
    const T* y = a.y_pred + r * D;
    prefetch_row_ahead(x, D);
    prefetch_row_ahead(y, D);
    if (a.grad != nullptr) return cosine_row<T, true>(x, y, D, p.eps, a.grad + r * D, gs);
    return cosine_row<T, false>(x, y, D, p.eps, nullptr, gs);
  };
  return rowwise(a, row, [](std::int64_t) { return 1.0; });
}

// ---- margin ranking -----------------------------------------------------------------------

template <class T>
LossSums margin_ranking(const ElementwiseArgs<T>& a, const MarginRankingParams& p) {
  MarginRankingOp<T> op;
  op.margin = static_cast<T>(p.margin);
  return elementwise(a, op);
}

}  // namespace

void register_embedding(KernelTable& table) {
  table.contrastive = {contrastive<float>, contrastive<double>};
  table.triplet = {triplet<float>, triplet<double>};
  table.cosine_proximity = {cosine_proximity<float>, cosine_proximity<double>};
  table.margin_ranking = {margin_ranking<float>, margin_ranking<double>};
}

FASTLOSS_END_ISA_NAMESPACE
