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

FASTLOSS_BEGIN_ISA_NAMESPACE

struct RowLoss {
  double loss = 0.0;    // the row's loss, before its sample weight
  double weight = 1.0;  // the row's share of the mean's denominator, before its sample weight
  bool invalid = false;
};

// Maximum of x[0..n) (n > 0) in kLanes independent lanes; NaN entries are skipped (they
// propagate through the exponentials that follow).
template <class T>
T row_max(const T* x, std::int64_t n) {
  T m[kLanes];
  for (int lane = 0; lane < kLanes; ++lane) m[lane] = -std::numeric_limits<T>::infinity();
  lane_loop(0, n, [&](std::int64_t c, int lane) { m[lane] = x[c] > m[lane] ? x[c] : m[lane]; });
  T result = m[0];
  for (int lane = 1; lane < kLanes; ++lane) result = m[lane] > result ? m[lane] : result;
  return result;
}

// Runs row_fn(r, grad_scale) -> RowLoss over all rows. `row_weight(r)` is the row's share of
// the mean's denominator, needed before the pass when the mean's gradient is requested.
template <class T, class RowFn, class RowWeightFn>
LossSums rowwise(const RowArgs<T>& a, RowFn&& row_fn, RowWeightFn&& row_weight) {
  const T* sw = a.sample_weight;
  double scale = 1.0;
  if (a.grad != nullptr && a.grad_mean) {
    const double total = blocked_reduce<double>(
        a.rows, a.num_threads, [&](std::int64_t begin, std::int64_t end) {
          double acc = 0.0;
          for (std::int64_t r = begin; r < end; ++r) {
            acc += (sw != nullptr ? static_cast<double>(sw[r]) : 1.0) * row_weight(r);
          }
          return acc;
        });
    scale = total != 0.0 ? 1.0 / total : std::numeric_limits<double>::quiet_NaN();
  }
  return blocked_reduce<LossSums>(
      a.rows, a.num_threads,
      [&](std::int64_t begin, std::int64_t end) {
        LossSums acc;
        for (std::int64_t r = begin; r < end; ++r) {
          const double w = sw != nullptr ? static_cast<double>(sw[r]) : 1.0;
          const RowLoss row = row_fn(r, static_cast<T>(w * scale));
          const double loss = w * row.loss;
          if (a.out != nullptr) a.out[r] = static_cast<T>(loss);
          acc.loss += loss;
          acc.weight += w * row.weight;
          if (row.invalid && acc.first_invalid < 0) acc.first_invalid = r;
        }
        return acc;
      },
      a.classes);
}

FASTLOSS_END_ISA_NAMESPACE
