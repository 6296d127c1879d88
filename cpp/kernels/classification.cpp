#include "kernels/classification.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "kernels/elementwise.hpp"
#include "kernels/math.hpp"
#include "kernels/reduce.hpp"
#include "kernels/rowwise.hpp"

// The group kernels' tiles are filled by rows_to_tile for every class they then read; GCC's
// flow analysis cannot follow that through the C-dependent loops of the portable copy.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

FASTLOSS_BEGIN_ISA_NAMESPACE

namespace {

// ---- elementwise ----------------------------------------------------------------------

template <class T, bool kLogits, bool kPosWeightArray, bool kClip = false>
LossSums bce_with(const ElementwiseArgs<T>& a, const BinaryCrossEntropyParams<T>& p) {
  BinaryCrossEntropyOp<T, kLogits, kPosWeightArray, kClip> op;
  op.target_scale = static_cast<T>(1.0 - p.label_smoothing);
  op.target_shift = static_cast<T>(0.5 * p.label_smoothing);
  op.clip_low = static_cast<T>(p.clip_low);
  op.clip_high = static_cast<T>(p.clip_high);
  op.pos_weight = static_cast<T>(p.pos_weight);
  op.pos_weight_array = p.pos_weight_array;
  op.has_ignore = p.has_ignore;
  op.ignore_value =
      p.has_ignore ? static_cast<T>(p.ignore_value) : std::numeric_limits<T>::quiet_NaN();
  return elementwise(a, op);
}

template <class T>
LossSums binary_cross_entropy(const ElementwiseArgs<T>& a, const BinaryCrossEntropyParams<T>& p) {
  const bool per_element = p.pos_weight_array != nullptr;
  if (p.from_logits) return per_element ? bce_with<T, true, true>(a, p) : bce_with<T, true, false>(a, p);
  if (p.clip_low > 0.0 || p.clip_high < 1.0) {
    return per_element ? bce_with<T, false, true, true>(a, p) : bce_with<T, false, false, true>(a, p);
  }
  return per_element ? bce_with<T, false, true>(a, p) : bce_with<T, false, false>(a, p);
}

template <class T>
LossSums binary_cross_entropy(const ElementwiseArgs<T>& a, const Options& o) {
  BinaryCrossEntropyParams<T> p;
  p.from_logits = flag(o, "from_logits");
  p.clip_low = option(o, "clip_low");
  p.clip_high = option(o, "clip_high");
  p.pos_weight = option(o, "pos_weight");
  p.pos_weight_array = static_cast<const T*>(o.array);
  p.label_smoothing = option(o, "label_smoothing");
  p.has_ignore = flag(o, "has_ignore");
  p.ignore_value = option(o, "ignore_value");
  return binary_cross_entropy(a, p);
}

template <class T>
LossSums hinge(const ElementwiseArgs<T>& a, const Options&) {
  return elementwise(a, HingeOp{});
}

// ---- cross-entropy over rows ----------------------------------------------------------
//
// Both cross-entropies are -sum_c a_c log p_c with per-class target coefficients a_c:
// a_c = w_c ((1 - eps) y_c + eps / C) for soft targets, and
// a_c = (1 - eps) w_k [c == k] + (eps / C) w_c for a label k (PyTorch's smoothing).
// From logits, log p_c = x_c - m - log s with m = max x and s = sum exp(x - m), so
// loss = sum_c a_c (m - x_c) + A log s and grad_c = softmax_c A - a_c, with A = sum a_c.

// A long row of logits in one pass over chunks of kFlushEvery classes: a chunk's max (the
// chunk is then in L1), then its exponentials and coefficient terms against the running max,
// with what was summed so far rescaled when the max grows. The next chunk of x (and of the
// soft targets, with kTargets) is prefetched meanwhile, so DRAM streams while the
// exponentials compute (a max pass over the whole row followed by a sum pass was slower).
// Returns the reference: the row's max, or
// 0 while every x is -inf or NaN (their terms, 0 or NaN exponentials and coef * inf, are then
// the same as against any finite max); against it s = sum exp(x - ref) and, with kCoef,
// a = sum coef(c) and b = sum coef(c) (ref - x_c). kStore: each chunk's exponentials are
// stored in `exps` (the gradient row) against that chunk's reference, kept in `chunk_refs`
// (one per chunk) for rescaled_exps. kTargets: `targets` are soft targets, each checked in
// [0, 1] on the same pass (`bad_targets` set when one is not).
template <class T, bool kCoef, bool kStore, bool kTargets, class Coef>
T online_softmax_sums(const T* x, const T* targets, std::int64_t C, Coef&& coef, double& s,
                      double& a, double& b, T* exps, T* chunk_refs, bool& bad_targets) {
  T m = -std::numeric_limits<T>::infinity();
  T ref = T(0);
  s = a = b = 0.0;
  for (std::int64_t c0 = 0; c0 < C; c0 += kFlushEvery) {
    const std::int64_t c1 = std::min(C, c0 + kFlushEvery);
    const T chunk_max = row_max(x + c0, c1 - c0);
    m = chunk_max > m ? chunk_max : m;
    const T new_ref = m == -std::numeric_limits<T>::infinity() ? T(0) : m;
    if (new_ref != ref) {  // s is 0 or NaN when ref was the placeholder 0 and new_ref < 0
      const double shift = static_cast<double>(new_ref) - static_cast<double>(ref);
      s = s == 0.0 ? s : s * fl_exp(-shift);
      b += a * shift;
      ref = new_ref;
    }
    T sl[kLanes] = {}, al[kLanes] = {}, bl[kLanes] = {}, bad[kLanes] = {};  // in registers
    if constexpr (kStore) chunk_refs[c0 / kFlushEvery] = ref;
    auto body = [&](std::int64_t c, int lane) {
      const T d = x[c] - ref;  // -(ref - x[c]) exactly: b's term reuses it
      const T e = fl_exp_nonpositive(d);
      sl[lane] += e;
      if constexpr (kStore) exps[c] = e;
      if constexpr (kCoef) {
        const T k = coef(c);
        al[lane] += k;
        bl[lane] -= k * d;
      }
      if constexpr (kTargets) {
        bad[lane] = ((targets[c] < T(0)) | (targets[c] > T(1))) ? T(1) : bad[lane];
      }
    };
    std::int64_t c = c0;
    for (; c + kLanes <= c1; c += kLanes) {
      prefetch_ahead(x + c + kFlushEvery);
      if constexpr (kTargets) prefetch_ahead(targets + c + kFlushEvery);
      FASTLOSS_SIMD
      for (int lane = 0; lane < kLanes; ++lane) body(c + lane, lane);
    }
    for (int lane = 0; c + lane < c1; ++lane) body(c + lane, lane);
    s += lane_total(sl);
    if constexpr (kCoef) {
      a += lane_total(al);
      b += lane_total(bl);
    }
    if constexpr (kTargets) bad_targets = bad_targets || any_lane_set(bad);
  }
  return ref;
}

// The gradient row from online_softmax_sums' stored exponentials: g[c] = e_c
// exp(chunk ref - ref) scale - minus(c), one factor per chunk.
template <class T, class Minus>
void rescaled_exps(T* g, std::int64_t C, const T* chunk_refs, T ref, T scale, Minus&& minus) {
  for (std::int64_t c0 = 0, chunk = 0; c0 < C; c0 += kFlushEvery, ++chunk) {
    // shift > 0 only for chunks before the first finite x (reference 0, the placeholder): their
    // exponentials are 0 or NaN, and e^shift could overflow T.
    const double shift = static_cast<double>(chunk_refs[chunk]) - static_cast<double>(ref);
    const T factor = shift >= 0.0 ? scale : static_cast<T>(fl_exp(shift)) * scale;
    lane_loop(c0, std::min(C, c0 + kFlushEvery),
              [&](std::int64_t c, int) { g[c] = g[c] * factor - minus(c); });
  }
}

// The chunk references of a gradient row: on the stack for rows of up to 64 chunks.
template <class T>
struct ChunkRefs {
  explicit ChunkRefs(std::int64_t C) {
    const std::int64_t chunks = (C + kFlushEvery - 1) / kFlushEvery;
    if (chunks > kOnStack) heap.resize(static_cast<std::size_t>(chunks));
  }
  T* data() { return heap.empty() ? stack : heap.data(); }
  static constexpr std::int64_t kOnStack = 64;
  T stack[kOnStack];
  std::vector<T> heap;
};

// Soft targets from logits: online_softmax_sums with the targets' coefficients. kPlain: no
// class weights and no smoothing, so each coefficient is the target itself.
template <class T, bool kGrad, bool kPlain>
RowLoss soft_logits_row(const T* x, const T* y, const T* cw, std::int64_t C, T keep, T add,
                        T* g, T gs) {
  auto coefficient = [&](std::int64_t c) { return kPlain ? y[c] : cw[c] * (y[c] * keep + add); };
  double s, total, b;
  bool bad_targets = false;
  ChunkRefs<T> refs(kGrad ? C : 0);
  const T ref = online_softmax_sums<T, true, kGrad, true>(x, y, C, coefficient, s, total, b,
                                                          g, refs.data(), bad_targets);
  if constexpr (kGrad) {
    const T softmax_scale = static_cast<T>(total / s) * gs;
    rescaled_exps(g, C, refs.data(), ref, softmax_scale,
                  [&](std::int64_t c) { return coefficient(c) * gs; });
  }
  return {b + total * fl_log(s), 1.0, bad_targets};
}

// kLanes short rows from logits at once, one row per lane (x, y, g point at the first row),
// on tiles of x and y. kPlain as for soft_logits_row.
template <class T, bool kGrad, bool kPlain>
void soft_logits_group_with(const T* x, const T* y, const T* cw, std::int64_t C, T keep,
                            T add, T* g, const T* gs, GroupLoss<T>& out) {
  auto coefficient = [&](std::int64_t c, T target) {
    return kPlain ? target : cw[c] * (target * keep + add);
  };
  GroupTile<T> xt, yt, gt;
  rows_to_tile(x, C, C, xt.v);
  rows_to_tile(y, C, C, yt.v);
  T m[kLanes], s[kLanes] = {}, total[kLanes] = {}, b[kLanes] = {}, bad[kLanes] = {};
  group_max(xt, C, m);
  for (std::int64_t c = 0; c < C; ++c) {
    prefetch_next_group<T, true>(x, C, c);
    prefetch_next_group<T, true>(y, C, c);
    FASTLOSS_SIMD
    for (int lane = 0; lane < kLanes; ++lane) {
      const T v = xt(c, lane);
      // fl_exp_nonpositive pays off only with the next group's x and y prefetched into L2:
      // with them into L1 it made this loop wait longer for DRAM than with fl_exp.
      const T d = v - m[lane];  // -(m - v) exactly: b's term reuses it
      const T e = fl_exp_nonpositive(d);
      const T target = yt(c, lane);
      const T coef = coefficient(c, target);
      bad[lane] = ((target < T(0)) | (target > T(1))) ? T(1) : bad[lane];
      s[lane] += e;
      total[lane] += coef;
      b[lane] -= coef * d;
      if constexpr (kGrad) gt(c, lane) = e;
    }
  }
  T ratio[kLanes];
  FASTLOSS_SIMD
  for (int lane = 0; lane < kLanes; ++lane) {
    out.loss[lane] = b[lane] + total[lane] * fl_log(s[lane]);
    out.weight[lane] = T(1);
    out.invalid[lane] = bad[lane];
    ratio[lane] = total[lane] / s[lane] * gs[lane];
  }
  if constexpr (kGrad) {
    for (std::int64_t c = 0; c < C; ++c) {
      FASTLOSS_SIMD
      for (int lane = 0; lane < kLanes; ++lane) {
        gt(c, lane) = gt(c, lane) * ratio[lane] - coefficient(c, yt(c, lane)) * gs[lane];
      }
    }
    tile_to_rows(gt.v, C, g, C);
  }
}

template <class T, bool kGrad>
void soft_logits_group(const T* x, const T* y, const T* cw, std::int64_t C, T keep, T add,
                       bool plain, T* g, const T* gs, GroupLoss<T>& out) {
  if (plain) {
    soft_logits_group_with<T, kGrad, true>(x, y, cw, C, keep, add, g, gs, out);
  } else {
    soft_logits_group_with<T, kGrad, false>(x, y, cw, C, keep, add, g, gs, out);
  }
}

// Soft targets on probabilities: one pass, logs clamped at -100, probabilities checked.
template <class T, bool kGrad>
RowLoss soft_probs_row(const T* p, const T* y, const T* cw, std::int64_t C, T keep, T add,
                       T* g, T gs) {
  double l_lane[kLanes] = {};
  T bad[kLanes] = {};
  lane_loop(0, C, [&](std::int64_t c, int lane) {
    const T coef = cw[c] * (y[c] * keep + add);
    l_lane[lane] -= static_cast<double>(coef * clamped_log(p[c]));
    const bool out_of_range = (p[c] < T(0)) | (p[c] > T(1)) | (y[c] < T(0)) | (y[c] > T(1));
    bad[lane] = out_of_range ? T(1) : bad[lane];
    if constexpr (kGrad) g[c] = -coef / at_least(p[c], T(kGradEps)) * gs;
  });
  bool invalid = false;
  for (int lane = 0; lane < kLanes; ++lane) invalid |= bad[lane] != T(0);
  return {pairwise_sum(l_lane, kLanes), 1.0, invalid};
}

template <class T>
LossSums categorical_cross_entropy(const RowArgs<T>& a, const CrossEntropyParams& p) {
  const std::int64_t C = a.classes;
  const T keep = static_cast<T>(1.0 - p.label_smoothing);
  const T add = static_cast<T>(p.label_smoothing / static_cast<double>(C));
  // A count, not `unit &= w == 1`: the compiler vectorizes this loop and may leave that one
  // scalar, a large share of a call on a single long row.
  std::int64_t non_unit_weights = 0;
  for (std::int64_t c = 0; c < C; ++c) non_unit_weights += a.class_weight[c] != T(1) ? 1 : 0;
  const bool plain = non_unit_weights == 0 && p.label_smoothing == 0.0;
  auto row = [&](std::int64_t r, T gs) -> RowLoss {
    const T* x = a.y_pred + r * C;
    const T* y = a.y_true + r * C;
    const T* cw = a.class_weight;
    T* g = a.grad != nullptr ? a.grad + r * C : nullptr;
    if (p.from_logits) {
      if (plain) {
        return g ? soft_logits_row<T, true, true>(x, y, cw, C, keep, add, g, gs)
                 : soft_logits_row<T, false, true>(x, y, cw, C, keep, add, g, gs);
      }
      return g ? soft_logits_row<T, true, false>(x, y, cw, C, keep, add, g, gs)
               : soft_logits_row<T, false, false>(x, y, cw, C, keep, add, g, gs);
    }
    return g ? soft_probs_row<T, true>(x, y, cw, C, keep, add, g, gs)
             : soft_probs_row<T, false>(x, y, cw, C, keep, add, g, gs);
  };
  auto group = [&](std::int64_t r, const T* gs, GroupLoss<T>& out) {
    const T* x = a.y_pred + r * C;
    const T* y = a.y_true + r * C;
    const T* cw = a.class_weight;
    if (a.grad != nullptr) {
      soft_logits_group<T, true>(x, y, cw, C, keep, add, plain, a.grad + r * C, gs, out);
    } else {
      soft_logits_group<T, false>(x, y, cw, C, keep, add, plain, nullptr, gs, out);
    }
  };
  const auto one = [](std::int64_t) { return 1.0; };
  return p.from_logits ? rowwise(a, row, group, one) : rowwise(a, row, one);
}

// A label k from logits. With smoothing (kSmooth) every class carries (eps / C) w_c.
template <class T, bool kGrad, bool kSmooth>
RowLoss label_logits_row(const T* x, std::int64_t k, const T* cw, double cw_total,
                         std::int64_t C, T keep, T add, T* g, T gs) {
  // s = sum exp(x - ref); with smoothing, the class weights' sum and sum w_c (ref - x_c)
  double s, cw_seen, b_smooth;
  const auto class_weight = [&](std::int64_t c) { return cw[c]; };
  ChunkRefs<T> refs(kGrad ? C : 0);
  bool no_targets = false;
  const T ref = online_softmax_sums<T, kSmooth, kGrad, false>(
      x, nullptr, C, class_weight, s, cw_seen, b_smooth, g, refs.data(), no_targets);
  const double wk = static_cast<double>(cw[k]);
  double total = static_cast<double>(keep) * wk;
  double b = total * static_cast<double>(ref - x[k]);
  if constexpr (kSmooth) {
    total += static_cast<double>(add) * cw_total;
    b += static_cast<double>(add) * b_smooth;
  }
  const double loss = b + total * fl_log(s);
  if constexpr (kGrad) {
    const T softmax_scale = static_cast<T>(total / s) * gs;
    rescaled_exps(g, C, refs.data(), ref, softmax_scale,
                  [&](std::int64_t c) { return kSmooth ? add * cw[c] * gs : T(0); });
    g[k] -= keep * cw[k] * gs;
  }
  return {loss, wk, false};
}

// kLanes short rows with labels from logits at once, one row per lane. Ignored rows and
// rows with an out-of-range label get loss 0 and gradient 0 (the latter are flagged).
template <class T, bool kGrad, bool kSmooth>
void label_logits_group(const T* x, const std::int64_t* labels, const T* cw, T cw_total,
                        std::int64_t C, T keep, T add, bool has_ignore, std::int64_t ignore,
                        T* g, const T* gs, GroupLoss<T>& out) {
  std::int64_t k[kLanes];
  T valid[kLanes];
  for (int lane = 0; lane < kLanes; ++lane) {
    const std::int64_t label = labels[lane];
    const bool ignored = has_ignore && label == ignore;
    const bool bad = !ignored && (label < 0 || label >= C);
    valid[lane] = ignored || bad ? T(0) : T(1);
    out.invalid[lane] = bad ? T(1) : T(0);
    k[lane] = ignored || bad ? 0 : label;
  }
  GroupTile<T> xt, gt;
  rows_to_tile(x, C, C, xt.v);
  T m[kLanes], s[kLanes] = {}, smooth[kLanes] = {};
  group_max(xt, C, m);
  for (std::int64_t c = 0; c < C; ++c) {
    prefetch_next_group(x, C, c);
    FASTLOSS_SIMD
    for (int lane = 0; lane < kLanes; ++lane) {
      const T v = xt(c, lane);
      const T d = v - m[lane];  // -(m - v) exactly
      const T e = fl_exp_nonpositive(d);
      s[lane] += e;
      if constexpr (kSmooth) smooth[lane] -= cw[c] * d;
      if constexpr (kGrad) gt(c, lane) = e;
    }
  }
  T ratio[kLanes], target[kLanes];
  FASTLOSS_SIMD
  for (int lane = 0; lane < kLanes; ++lane) {
    const T wk = cw[k[lane]];
    T total = keep * wk;
    T b = total * (m[lane] - xt(k[lane], lane));
    if constexpr (kSmooth) {
      total += add * cw_total;
      b += add * smooth[lane];
    }
    const bool use = valid[lane] != T(0);
    out.loss[lane] = use ? b + total * fl_log(s[lane]) : T(0);
    out.weight[lane] = use ? wk : T(0);
    ratio[lane] = total / s[lane] * gs[lane];
    target[lane] = keep * wk * gs[lane];
  }
  if constexpr (kGrad) {
    for (std::int64_t c = 0; c < C; ++c) {
      FASTLOSS_SIMD
      for (int lane = 0; lane < kLanes; ++lane) {
        T v = gt(c, lane) * ratio[lane] - (c == k[lane] ? target[lane] : T(0));
        if constexpr (kSmooth) v -= add * cw[c] * gs[lane];
        gt(c, lane) = valid[lane] != T(0) ? v : T(0);
      }
    }
    tile_to_rows(gt.v, C, g, C);
  }
}

// A label k on probabilities: every probability is checked; logs only where a_c != 0.
template <class T, bool kGrad, bool kSmooth>
RowLoss label_probs_row(const T* p, std::int64_t k, const T* cw, std::int64_t C, T keep, T add,
                        T* g, T gs) {
  double l_lane[kLanes] = {};
  T bad[kLanes] = {};
  lane_loop(0, C, [&](std::int64_t c, int lane) {
    bad[lane] = ((p[c] < T(0)) | (p[c] > T(1))) ? T(1) : bad[lane];
    if constexpr (kSmooth) {
      const T coef = add * cw[c];
      l_lane[lane] -= static_cast<double>(coef * clamped_log(p[c]));
      if constexpr (kGrad) g[c] = -coef / at_least(p[c], T(kGradEps)) * gs;
    } else if constexpr (kGrad) {
      g[c] = T(0);
    }
  });
  bool invalid = false;
  for (int lane = 0; lane < kLanes; ++lane) invalid |= bad[lane] != T(0);
  const T coef_k = keep * cw[k];
  const double loss = pairwise_sum(l_lane, kLanes) - static_cast<double>(coef_k * clamped_log(p[k]));
  if constexpr (kGrad) g[k] -= coef_k / at_least(p[k], T(kGradEps)) * gs;
  return {loss, static_cast<double>(cw[k]), invalid};
}

template <class T>
LossSums sparse_categorical_cross_entropy(const RowArgs<T>& a, const CrossEntropyParams& p) {
  const std::int64_t C = a.classes;
  const T keep = static_cast<T>(1.0 - p.label_smoothing);
  const T add = static_cast<T>(p.label_smoothing / static_cast<double>(C));
  const bool smooth = p.label_smoothing != 0.0;
  const double cw_total = sum(a.class_weight, C, 1);
  auto ignored = [&](std::int64_t k) { return p.has_ignore && k == p.ignore_index; };
  auto row = [&](std::int64_t r, T gs) -> RowLoss {
    const std::int64_t k = a.labels[r];
    T* g = a.grad != nullptr ? a.grad + r * C : nullptr;
    if (ignored(k) || k < 0 || k >= C) {  // no loss, no gradient; out-of-range is an error
      if (g != nullptr) {
        for (std::int64_t c = 0; c < C; ++c) g[c] = T(0);
      }
      return {0.0, 0.0, !ignored(k)};
    }
    const T* x = a.y_pred + r * C;
    const T* cw = a.class_weight;
    if (p.from_logits) {
      if (smooth) {
        return g ? label_logits_row<T, true, true>(x, k, cw, cw_total, C, keep, add, g, gs)
                 : label_logits_row<T, false, true>(x, k, cw, cw_total, C, keep, add, g, gs);
      }
      return g ? label_logits_row<T, true, false>(x, k, cw, cw_total, C, keep, add, g, gs)
               : label_logits_row<T, false, false>(x, k, cw, cw_total, C, keep, add, g, gs);
    }
    if (smooth) {
      return g ? label_probs_row<T, true, true>(x, k, cw, C, keep, add, g, gs)
               : label_probs_row<T, false, true>(x, k, cw, C, keep, add, g, gs);
    }
    return g ? label_probs_row<T, true, false>(x, k, cw, C, keep, add, g, gs)
             : label_probs_row<T, false, false>(x, k, cw, C, keep, add, g, gs);
  };
  auto row_weight = [&](std::int64_t r) {
    const std::int64_t k = a.labels[r];
    return ignored(k) || k < 0 || k >= C ? 0.0 : static_cast<double>(a.class_weight[k]);
  };
  const T cw_sum = static_cast<T>(cw_total);
  auto group = [&](std::int64_t r, const T* gs, GroupLoss<T>& out) {
    const T* x = a.y_pred + r * C;
    const std::int64_t* labels = a.labels + r;
    const T* cw = a.class_weight;
    T* g = a.grad != nullptr ? a.grad + r * C : nullptr;
    const bool hi = p.has_ignore;
    const std::int64_t ii = p.ignore_index;
    if (smooth) {
      if (g) label_logits_group<T, true, true>(x, labels, cw, cw_sum, C, keep, add, hi, ii, g, gs, out);
      else label_logits_group<T, false, true>(x, labels, cw, cw_sum, C, keep, add, hi, ii, g, gs, out);
    } else {
      if (g) label_logits_group<T, true, false>(x, labels, cw, cw_sum, C, keep, add, hi, ii, g, gs, out);
      else label_logits_group<T, false, false>(x, labels, cw, cw_sum, C, keep, add, hi, ii, g, gs, out);
    }
  };
  return p.from_logits ? rowwise(a, row, group, row_weight) : rowwise(a, row, row_weight);
}

// ---- KL divergence --------------------------------------------------------------------

// sum_c y_c (log y_c - log q_c), terms with y_c == 0 are 0; log q_c = x_c with log_input.
// For probabilities, y (log y - log q) = y log(y / q): one log instead of two, and the ratio
// is the gradient's -y / q as well (and more accurate: no cancellation of two large logs).
// That form needs y / q to be a normal number (or +inf from q = 0); `unsafe` is set where it
// is not (under- or overflow, negative or NaN input), and callers then redo the chunk in the
// two-log form. Checking on the same pass keeps the reads and the logs overlapped. `bad` is
// set where y is not a probability, or ŷ is not one (a log-probability above 0, log input).
template <class T, bool kLogInput, bool kRatio>
FASTLOSS_MATH_INLINE T kl_term(T yc, T xc, T& slope, T& unsafe, T& bad) {
  // Where y = 0 the terms below are NaN (0 * -inf, 0 / 0) and selected away at the end.
  // Selecting a safe argument first instead makes GCC compute each log (or division) once
  // per case.
  const bool zero = yc == T(0);
  const bool x_out = kLogInput ? xc > T(0) : (xc < T(0)) | (xc > T(1));
  bad = ((yc < T(0)) | (yc > T(1)) | x_out) ? T(1) : bad;
  T term;
  if constexpr (kLogInput) {
    term = yc * (fl_log(yc) - xc);
    slope = -yc;
  } else if constexpr (kRatio) {
    const T ratio = yc / xc;
    // y > 0 too: a ratio of two negatives is positive, and y < 0 over -0 is +inf.
    constexpr T kMinNormal = std::numeric_limits<T>::min();
    constexpr T kMax = std::numeric_limits<T>::max();
    const bool normal = (yc > T(0)) & (ratio >= kMinNormal) & ((ratio <= kMax) | (xc == T(0)));
    unsafe = (normal | zero) ? unsafe : T(1);
    term = yc * fl_log_positive(ratio);
    slope = -ratio;
  } else {
    term = yc * (fl_log(yc) - fl_log(xc));
    slope = -yc / xc;
  }
  slope = zero ? T(0) : slope;
  return zero ? T(0) : term;
}

// Classes [begin, end) of one row into `sum`; false if the ratio form hit an unsafe element.
template <class T, bool kGrad, bool kLogInput, bool kRatio>
bool kl_chunk(const T* x, const T* y, std::int64_t begin, std::int64_t end, T* g, T gs,
              T (&out)[kLanes], T (&bad)[kLanes]) {
  T sum[kLanes] = {};  // locals stay in registers
  T unsafe[kLanes] = {};
  // A spelled-out lane loop, not lane_loop: the compiler may not inline that closure for the
  // two-log form (two logs per element) and then runs it as a scalar call per element.
  std::int64_t c = begin;
  for (; c + kLanes <= end; c += kLanes) {
    prefetch_ahead(x + c + kPrefetchDistance);
    prefetch_ahead(y + c + kPrefetchDistance);
    FASTLOSS_SIMD
    for (int lane = 0; lane < kLanes; ++lane) {
      T slope;
      sum[lane] += kl_term<T, kLogInput, kRatio>(y[c + lane], x[c + lane], slope, unsafe[lane],
                                                 bad[lane]);
      if constexpr (kGrad) g[c + lane] = slope * gs;
    }
  }
  for (int lane = 0; c + lane < end; ++lane) {
    T slope;
    sum[lane] += kl_term<T, kLogInput, kRatio>(y[c + lane], x[c + lane], slope, unsafe[lane],
                                               bad[lane]);
    if constexpr (kGrad) g[c + lane] = slope * gs;
  }
  for (int lane = 0; lane < kLanes; ++lane) out[lane] = sum[lane];
  return !any_lane_set(unsafe);
}

template <class T, bool kGrad, bool kLogInput>
RowLoss kl_row(const T* x, const T* y, std::int64_t C, T* g, T gs) {
  double sums[1] = {};
  T bad[kLanes] = {};
  chunked_sums<T>(C, sums, [&](std::int64_t begin, std::int64_t end, T (&lanes)[1][kLanes]) {
    if constexpr (kLogInput) {
      kl_chunk<T, kGrad, true, false>(x, y, begin, end, g, gs, lanes[0], bad);
    } else if (!kl_chunk<T, kGrad, false, true>(x, y, begin, end, g, gs, lanes[0], bad)) {
      kl_chunk<T, kGrad, false, false>(x, y, begin, end, g, gs, lanes[0], bad);
    }
  });
  return {sums[0], 1.0, any_lane_set(bad)};
}

// kl_row with the options chosen at run time (a row, or the flat span of whole rows).
template <class T>
RowLoss kl_span(const T* x, const T* y, std::int64_t n, T* g, T gs, bool log_input) {
  if (log_input) {
    return g ? kl_row<T, true, true>(x, y, n, g, gs) : kl_row<T, false, true>(x, y, n, g, gs);
  }
  return g ? kl_row<T, true, false>(x, y, n, g, gs) : kl_row<T, false, false>(x, y, n, g, gs);
}

// kLanes short rows at once, one row per lane, on tiles of x and y (and the gradient);
// false if the ratio form hit an unsafe element.
template <class T, bool kGrad, bool kLogInput, bool kRatio>
bool kl_group_with(const GroupTile<T>& xt, const GroupTile<T>& yt, std::int64_t C, T* g,
                   const T* gs, GroupLoss<T>& out, const T* x, const T* y) {
  GroupTile<T> gt;
  T sum[kLanes] = {};
  T unsafe[kLanes] = {};
  T bad[kLanes] = {};
  for (std::int64_t c = 0; c < C; ++c) {
    prefetch_next_group(x, C, c);
    prefetch_next_group(y, C, c);
    FASTLOSS_SIMD
    for (int lane = 0; lane < kLanes; ++lane) {
      T slope;
      sum[lane] += kl_term<T, kLogInput, kRatio>(yt(c, lane), xt(c, lane), slope, unsafe[lane],
                                                 bad[lane]);
      if constexpr (kGrad) gt(c, lane) = slope * gs[lane];
    }
  }
  if (any_lane_set(unsafe)) return false;
  if constexpr (kGrad) tile_to_rows(gt.v, C, g, C);
  for (int lane = 0; lane < kLanes; ++lane) {
    out.loss[lane] = sum[lane];
    out.weight[lane] = T(1);
    out.invalid[lane] = bad[lane];
  }
  return true;
}

// (x, y, g point at the first row.)
template <class T, bool kGrad, bool kLogInput>
void kl_group(const T* x, const T* y, std::int64_t C, T* g, const T* gs, GroupLoss<T>& out) {
  GroupTile<T> xt, yt;
  rows_to_tile(x, C, C, xt.v);
  rows_to_tile(y, C, C, yt.v);
  if constexpr (kLogInput) {
    kl_group_with<T, kGrad, true, false>(xt, yt, C, g, gs, out, x, y);
  } else if (!kl_group_with<T, kGrad, false, true>(xt, yt, C, g, gs, out, x, y)) {
    kl_group_with<T, kGrad, false, false>(xt, yt, C, g, gs, out, x, y);
  }
}

// Without per-row losses or sample weights every row weighs 1 and only the total is
// needed: the rows' terms form one flat sum over rows * C contiguous elements, with no
// per-row bookkeeping and no tiles for short rows.
template <class T>
LossSums kl_divergence_total(const RowArgs<T>& a, const KlDivergenceParams& p) {
  const T gs = static_cast<T>(a.grad != nullptr && a.grad_mean ? 1.0 / static_cast<double>(a.rows)
                                                               : 1.0);
  LossSums total = blocked_reduce<LossSums>(
      a.rows * a.classes, a.num_threads, [&](std::int64_t begin, std::int64_t end) {
        T* g = a.grad != nullptr ? a.grad + begin : nullptr;
        const RowLoss part =
            kl_span(a.y_pred + begin, a.y_true + begin, end - begin, g, gs, p.log_input);
        return LossSums{part.loss, 0.0, part.invalid ? begin / a.classes : -1};
      });
  total.weight = static_cast<double>(a.rows);
  return total;
}

template <class T>
LossSums kl_divergence(const RowArgs<T>& a, const KlDivergenceParams& p) {
  if (a.out == nullptr && a.sample_weight == nullptr) return kl_divergence_total(a, p);
  const std::int64_t C = a.classes;
  auto row = [&](std::int64_t r, T gs) -> RowLoss {
    T* g = a.grad != nullptr ? a.grad + r * C : nullptr;
    return kl_span(a.y_pred + r * C, a.y_true + r * C, C, g, gs, p.log_input);
  };
  auto group = [&](std::int64_t r, const T* gs, GroupLoss<T>& out) {
    const T* x = a.y_pred + r * C;
    const T* y = a.y_true + r * C;
    T* g = a.grad != nullptr ? a.grad + r * C : nullptr;
    if (p.log_input) {
      if (g) kl_group<T, true, true>(x, y, C, g, gs, out);
      else kl_group<T, false, true>(x, y, C, g, gs, out);
    } else {
      if (g) kl_group<T, true, false>(x, y, C, g, gs, out);
      else kl_group<T, false, false>(x, y, C, g, gs, out);
    }
  };
  return rowwise(a, row, group, [](std::int64_t) { return 1.0; });
}

CrossEntropyParams cross_entropy_params(const Options& o) {
  CrossEntropyParams p;
  p.from_logits = flag(o, "from_logits");
  p.label_smoothing = option(o, "label_smoothing");
  p.has_ignore = flag(o, "has_ignore");
  p.ignore_index = static_cast<std::int64_t>(option(o, "ignore_index"));
  return p;
}

template <class T>
LossSums categorical_cross_entropy(const RowArgs<T>& a, const Options& o) {
  return categorical_cross_entropy(a, cross_entropy_params(o));
}

template <class T>
LossSums sparse_categorical_cross_entropy(const RowArgs<T>& a, const Options& o) {
  return sparse_categorical_cross_entropy(a, cross_entropy_params(o));
}

template <class T>
LossSums kl_divergence(const RowArgs<T>& a, const Options& o) {
  return kl_divergence(a, KlDivergenceParams{flag(o, "log_input")});
}

}  // namespace

void register_classification(KernelTable& table) {
  LossKernel bce = elementwise_loss(
      "binary_cross_entropy", {binary_cross_entropy<float>, binary_cross_entropy<double>},
      "from_logits", "clip_low", "clip_high", "pos_weight", "label_smoothing", "has_ignore",
      "ignore_value");
  bce.array_option = "pos_weight_array";
  add(table, bce);
  add(table, elementwise_loss("hinge", {hinge<float>, hinge<double>}));
  add(table, row_loss("categorical_cross_entropy",
                      {categorical_cross_entropy<float>, categorical_cross_entropy<double>},
                      "from_logits", "label_smoothing", "has_ignore", "ignore_index"));
  add(table, row_loss("sparse_categorical_cross_entropy",
                      {sparse_categorical_cross_entropy<float>,
                       sparse_categorical_cross_entropy<double>},
                      "from_logits", "label_smoothing", "has_ignore", "ignore_index"));
  add(table, row_loss("kl_divergence", {kl_divergence<float>, kl_divergence<double>},
                      "log_input"));
}

FASTLOSS_END_ISA_NAMESPACE
