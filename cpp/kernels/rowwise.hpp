// The blocked loop behind losses over the rows of a (rows, classes) matrix.
//
// A row function computes one row's loss, writes its gradient row (already multiplied by
// the row's gradient scale) and says how much the row weighs in the mean's denominator.
// Rows are grouped in blocks of at least kMinBlock elements; per-row losses are summed in
// row order inside a block and blocks are combined pairwise, so results do not depend on
// the thread count.
#pragma once

#include <cstdint>
#include <limits>

#include "kernels/isa.hpp"
#include "kernels/reduce.hpp"
#include "kernels/table.hpp"
#include "kernels/tile.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

struct RowLoss {
  double loss = 0.0;    // the row's loss, before its sample weight
  double weight = 1.0;  // the row's share of the mean's denominator, before its sample weight
  bool invalid = false;
};

// Independent running maxima per lane in row_max and group_max: one chain would wait out the
// max's latency at every vector, a large share of what the exponential pass after it spends.
constexpr int kMaxChains = 4;

// The larger of a running max m and v; a NaN v fails the compare and is skipped. (By value:
// with m by reference the compiler may turn the scalar uses into compares and integer moves.)
template <class T>
inline T max_skipping_nan(T m, T v) {
  return v > m ? v : m;
}

// kMaxChains running maxima per lane, all -inf to start.
template <class T>
struct MaxChains {
  MaxChains() {
    for (auto& chain : v) {
      for (auto& x : chain) x = -std::numeric_limits<T>::infinity();
    }
  }
  // Folds the chains into the first, in vector steps; returns it (the per-lane maxima).
  T (&fold())[kLanes] {
    for (int j = 1; j < kMaxChains; ++j) {
      FASTLOSS_SIMD
      for (int lane = 0; lane < kLanes; ++lane) {
        v[0][lane] = max_skipping_nan(v[0][lane], v[j][lane]);
      }
    }
    return v[0];
  }
  T v[kMaxChains][kLanes];
};

// Maximum of x[0..n) (n > 0) in kLanes x kMaxChains independent lanes; NaN entries are
// skipped (they propagate through the exponentials that follow).
template <class T>
T row_max(const T* x, std::int64_t n) {
  MaxChains<T> chains;
  T* running = &chains.v[0][0];  // as one row of kMaxChains x kLanes: GCC unrolls that loop
  std::int64_t c = 0;
  for (; c + kMaxChains * kLanes <= n; c += kMaxChains * kLanes) {
    FASTLOSS_SIMD
    for (int lane = 0; lane < kMaxChains * kLanes; ++lane) {
      running[lane] = max_skipping_nan(running[lane], x[c + lane]);
    }
  }
  T(&m)[kLanes] = chains.fold();
  lane_loop(c, n, [&](std::int64_t k, int lane) { m[lane] = max_skipping_nan(m[lane], x[k]); });
  T result = m[0];
  for (int lane = 1; lane < kLanes; ++lane) result = max_skipping_nan(result, m[lane]);
  return result;
}

// Rows of at most this many classes are processed kLanes rows at a time, one row per SIMD
// lane (a row of a few classes is too short to vectorize along), through tiles (tile.hpp).
// A loss may pass a lower limit.
constexpr std::int64_t kShortRowClasses = kMaxTileClasses;

// A column-major tile of one group's rows (see tile.hpp), on the stack.
template <class T>
struct alignas(64) GroupTile {
  T v[tile_capacity(kShortRowClasses)];
  T& operator()(std::int64_t c, int lane) { return v[c * kLanes + lane]; }
  const T& operator()(std::int64_t c, int lane) const { return v[c * kLanes + lane]; }
};

// Results of a group of kLanes rows, one per lane, in T lanes so the group loops vectorize.
template <class T>
struct GroupLoss {
  T loss[kLanes];
  T weight[kLanes];
  T invalid[kLanes];  // nonzero for rows with invalid data
};

// Per-lane maxima of the C classes of a group's tile (one row per lane), over kMaxChains
// interleaved class sequences.
template <class T>
void group_max(const GroupTile<T>& x, std::int64_t C, T (&m)[kLanes]) {
  MaxChains<T> chains;
  auto& v = chains.v;
  std::int64_t c = 0;
  for (; c + kMaxChains <= C; c += kMaxChains) {
    for (int j = 0; j < kMaxChains; ++j) {
      FASTLOSS_SIMD
      for (int lane = 0; lane < kLanes; ++lane) {
        v[j][lane] = max_skipping_nan(v[j][lane], x(c + j, lane));
      }
    }
  }
  for (; c < C; ++c) {
    FASTLOSS_SIMD
    for (int lane = 0; lane < kLanes; ++lane) v[0][lane] = max_skipping_nan(v[0][lane], x(c, lane));
  }
  const T(&folded)[kLanes] = chains.fold();
  for (int lane = 0; lane < kLanes; ++lane) m[lane] = folded[lane];
}

// Group kernels call this once per class step c (of C) of their exponential loop, so the
// next group's rows (kLanes * C elements: C lines of floats, 2C of doubles) arrive while this
// group computes; the hardware prefetchers fall behind a group's bursty reads. kIntoL2: the
// lines stop in L2 (chosen per kernel: it helps the soft-target kernel, which streams two
// arrays, and not sparse CE).
template <class T, bool kIntoL2 = false>
inline void prefetch_next_group(const T* rows, std::int64_t C, std::int64_t c) {
  prefetch_ahead<T, kIntoL2>(rows + kLanes * C + c * kLanes);
}

// The mean's gradient denominator: sum over rows of sample_weight x row_weight(r).
template <class T, class RowWeightFn>
double gradient_scale(const RowArgs<T>& a, RowWeightFn&& row_weight) {
  if (a.grad == nullptr || !a.grad_mean) return 1.0;
  const T* sw = a.sample_weight;
  const double total = blocked_reduce<double>(
      a.rows, a.num_threads, [&](std::int64_t begin, std::int64_t end) {
        double acc = 0.0;
        for (std::int64_t r = begin; r < end; ++r) {
          acc += (sw != nullptr ? static_cast<double>(sw[r]) : 1.0) * row_weight(r);
        }
        return acc;
      });
  return total != 0.0 ? 1.0 / total : std::numeric_limits<double>::quiet_NaN();
}

// Runs row_fn(r, grad_scale) -> RowLoss over all rows; with short rows, full groups of kLanes
// rows go to group_fn(r0, grad_scales, GroupLoss&) instead. `row_weight(r)` is the row's share
// of the mean's denominator, needed before the pass when the mean's gradient is requested.
template <class T, class RowFn, class GroupFn, class RowWeightFn>
LossSums rowwise(const RowArgs<T>& a, RowFn&& row_fn, GroupFn&& group_fn,
                 RowWeightFn&& row_weight, std::int64_t group_max_classes = kShortRowClasses) {
  const T* sw = a.sample_weight;
  const double scale = gradient_scale(a, row_weight);
  const bool grouped = a.classes <= group_max_classes && a.classes <= kShortRowClasses;
  return blocked_reduce<LossSums>(
      a.rows, a.num_threads,
      [&](std::int64_t begin, std::int64_t end) {
        LossSums acc;
        auto add = [&](std::int64_t r, double w, double loss, double weight, bool invalid) {
          if (a.out != nullptr) a.out[r] = static_cast<T>(w * loss);
          acc.loss += w * loss;
          acc.weight += w * weight;
          if (invalid && acc.first_invalid < 0) acc.first_invalid = r;
        };
        auto weight_of = [&](std::int64_t r) {
          return sw != nullptr ? static_cast<double>(sw[r]) : 1.0;
        };
        std::int64_t r = begin;
        if (grouped) {
          for (; r + kLanes <= end; r += kLanes) {
            T gs[kLanes];
            for (int lane = 0; lane < kLanes; ++lane) {
              gs[lane] = static_cast<T>(weight_of(r + lane) * scale);
            }
            GroupLoss<T> group{};
            group_fn(r, gs, group);
            for (int lane = 0; lane < kLanes; ++lane) {
              add(r + lane, weight_of(r + lane), static_cast<double>(group.loss[lane]),
                  static_cast<double>(group.weight[lane]), group.invalid[lane] != T(0));
            }
          }
        }
        for (; r < end; ++r) {
          const double w = weight_of(r);
          const RowLoss row = row_fn(r, static_cast<T>(w * scale));
          add(r, w, row.loss, row.weight, row.invalid);
        }
        return acc;
      },
      a.classes);
}

// rowwise without a group path.
template <class T, class RowFn, class RowWeightFn>
LossSums rowwise(const RowArgs<T>& a, RowFn&& row_fn, RowWeightFn&& row_weight) {
  const auto no_groups = [](std::int64_t, const T*, GroupLoss<T>&) {};
  return rowwise(a, row_fn, no_groups, row_weight, 0);
}

FASTLOSS_END_ISA_NAMESPACE
