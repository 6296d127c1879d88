#include "kernels/embedding.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "kernels/elementwise.hpp"
#include "kernels/math.hpp"
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

// Up to three sums over the D elements of kRows rows: terms(v, s0, s1, s2) adds the terms of
// one position (v[k]: row k's element there) into s0, s1, s2 (unused ones are optimized
// away). The terms are generic: over T for one element, over a register-wide vector of T for
// as many. Sums run in kLanes T lanes (element c in lane c % kLanes) for chunks of
// kFlushEvery elements, then fold into float64 totals, so float32 rows keep float64 accuracy;
// the order depends on D only.
// With GCC vector types (AVX2, AVX-512) the sums are vector variables, each vector prefetches
// its own lines kPrefetchDistance ahead (a prefetch loop per row cost more instructions than
// the row's arithmetic), and a chunk's tail of fewer than kLanes elements adds into one scalar
// sum per quantity. Vector variables stay in registers, where the lane arrays of an
// `omp simd` loop may be kept partly in memory.
template <class T, int kRows, class Terms>
inline void row_sums(const T* const (&rows)[kRows], std::int64_t D, Terms&& terms,
                     double (&total)[3]) {
  total[0] = total[1] = total[2] = 0.0;
  for (std::int64_t c0 = 0; c0 < D; c0 += kFlushEvery) {
    const std::int64_t end = std::min(D, c0 + kFlushEvery);
#if FASTLOSS_VECTOR_TYPES
    // kLanes lanes as kParts register-wide vectors per sum.
    using V = SimdVector<T>;
    constexpr int kWidth = static_cast<int>(sizeof(V) / sizeof(T));
    constexpr int kParts = kLanes / kWidth;
    V v0[kParts] = {}, v1[kParts] = {}, v2[kParts] = {};
    std::int64_t c = c0;
    // (Unrolled: otherwise the compiler may keep v0..v2 and the loaded vectors in memory.)
    for (; c + kLanes <= end; c += kLanes) {
      FASTLOSS_UNROLL(4)
      for (int k = 0; k < kRows; ++k) prefetch_ahead(rows[k] + c + kPrefetchDistance);
      FASTLOSS_UNROLL(4)
      for (int j = 0; j < kParts; ++j) {
        V v[kRows];
        FASTLOSS_UNROLL(4)
        for (int k = 0; k < kRows; ++k) std::memcpy(&v[k], rows[k] + c + j * kWidth, sizeof(V));
        terms(v, v0[j], v1[j], v2[j]);
      }
    }
    // The tail, fewer than kLanes elements, in one scalar sum each (in lanes, written in
    // pieces and read back whole, it would wait out failed store forwarding).
    T t0 = T(0), t1 = T(0), t2 = T(0);
    for (; c < end; ++c) {
      T v[kRows];
      for (int k = 0; k < kRows; ++k) v[k] = rows[k][c];
      terms(v, t0, t1, t2);
    }
    auto total_of = [](const V (&v)[kParts], T tail) {
      T lanes[kLanes];
      std::memcpy(lanes, v, sizeof lanes);
      return lane_total(lanes) + static_cast<double>(tail);
    };
    total[0] += total_of(v0, t0);
    total[1] += total_of(v1, t1);
    total[2] += total_of(v2, t2);
#else
    T s0[kLanes] = {}, s1[kLanes] = {}, s2[kLanes] = {};
    for (int k = 0; k < kRows; ++k) {
      for (std::int64_t c = c0; c < end; c += kLanes) {
        prefetch_ahead(rows[k] + c + kPrefetchDistance);
      }
    }
    lane_loop(c0, end, [&](std::int64_t c, int lane) {
      T v[kRows];
      for (int k = 0; k < kRows; ++k) v[k] = rows[k][c];
      terms(v, s0[lane], s1[lane], s2[lane]);
    });
    total[0] += lane_total(s0);
    total[1] += lane_total(s1);
    total[2] += lane_total(s2);
#endif
  }
}

// v where keep holds, else +0, by a mask: a scalar select on a label may compile to a
// branch, which random labels mispredict.
inline double zero_unless(bool keep, double v) {
  const std::uint64_t mask = std::uint64_t{0} - static_cast<std::uint64_t>(keep);
  return math_detail::from_bits(math_detail::to_bits(v) & mask);
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
  row_sums<T, 2>(
      {x1, x2}, D,
      [](const auto& v, auto& s0, auto&, auto&) {
        const auto u = v[0] - v[1];
        s0 += u * u;
      },
      sums);
  const double d2 = sums[0];
  const double d = std::sqrt(d2);
  const double y = static_cast<double>(label);
  const double h = hinge_part(margin - d);
  // y = 0 selects the term away, so that an infinite distance between dissimilar rows is 0.
  const double similar = zero_unless(y != 0.0, y * d2);
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
LossSums contrastive(const EmbeddingArgs<T>& a, const Options& o) {
  const ContrastiveParams p{option(o, "margin")};
  const std::int64_t D = a.dim;
  const bool grad = a.grad[0] != nullptr;
  auto row = [&](std::int64_t r, T gs) -> RowLoss {
    const T* x1 = a.x[0] + r * D;
    const T* x2 = a.x[1] + r * D;
    const T y = a.y_true[r];
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
  row_sums<T, 3>(
      {a, p, n}, D,
      [eps](const auto& x, auto& s0, auto& s1, auto& s2) {
        const auto u = x[0] - x[1] + eps;
        const auto v = x[0] - x[2] + eps;
        s0 += u * u;
        s1 += v * v;
        if constexpr (kSwap) {
          const auto w = x[1] - x[2] + eps;
          s2 += w * w;
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
LossSums triplet(const EmbeddingArgs<T>& a, const Options& o) {
  const TripletParams p{option(o, "margin"), flag(o, "squared"), flag(o, "swap"), option(o, "eps")};
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
  row_sums<T, 2>(
      {x, y}, D,
      [](const auto& v, auto& s0, auto& s1, auto& s2) {
        s0 += v[0] * v[1];
        s1 += v[0] * v[0];
        s2 += v[1] * v[1];
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
LossSums cosine_proximity(const RowArgs<T>& a, const Options& o) {
  const double eps = option(o, "eps");  // each norm clamped below at eps (PyTorch)
  const std::int64_t D = a.classes;
  auto row = [&](std::int64_t r, T gs) -> RowLoss {
    const T* x = a.y_true + r * D;
    const T* y = a.y_pred + r * D;
    if (a.grad != nullptr) return cosine_row<T, true>(x, y, D, eps, a.grad + r * D, gs);
    return cosine_row<T, false>(x, y, D, eps, nullptr, gs);
  };
  return rowwise(a, row, [](std::int64_t) { return 1.0; });
}

// ---- margin ranking -----------------------------------------------------------------------

template <class T>
LossSums margin_ranking(const ElementwiseArgs<T>& a, const Options& o) {
  MarginRankingOp<T> op;
  op.margin = static_cast<T>(option(o, "margin"));
  return elementwise(a, op);
}

}  // namespace

void register_embedding(KernelTable& table) {
  add(table, embedding_loss("contrastive", {contrastive<float>, contrastive<double>}, "margin"));
  add(table, embedding_loss("triplet", {triplet<float>, triplet<double>}, "margin", "squared",
                            "swap", "eps"));
  add(table, elementwise_loss("margin_ranking", {margin_ranking<float>, margin_ranking<double>},
                              "margin"));
  add(table, row_loss("cosine_proximity", {cosine_proximity<float>, cosine_proximity<double>},
                      "eps"));
}

FASTLOSS_END_ISA_NAMESPACE
