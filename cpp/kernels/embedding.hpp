// Ranking and embedding losses: contrastive, triplet and cosine proximity (over the rows of
// embedding matrices) and margin ranking (elementwise, two predictions).
#pragma once

#include <cstdint>

#include "kernels/elementwise.hpp"
#include "kernels/isa.hpp"
#include "kernels/table.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

struct ContrastiveParams {
  double margin = 1.0;
};

struct TripletParams {
  double margin = 1.0;
  bool squared = true;  // squared distances, no eps; false: PyTorch's ||u - v + eps||
  bool swap = false;
  double eps = 1e-6;
};

// max(0, -y (x1 - x2) + margin) with labels y in {-1, +1}. The gradient is -y (x1) and +y
// (x2) where the hinge argument is >= 0: at the kink it is the linear piece's, as PyTorch's
// clamp_min.
template <class T>
struct MarginRankingOp : PlainOp {
  static constexpr bool kNonNegativeTerms = true;
  static constexpr bool kValidates = true;
  static constexpr bool kPair = true;
  T margin;

  bool invalid(T t, T) const { return !((t == T(-1)) | (t == T(1))); }

  T operator()(T t, T x1, T x2, std::int64_t, T& g1, T& g2) const {
    const T z = margin - t * (x1 - x2);
    const bool flat = z < T(0);  // NaN z is not flat: its gradient stays NaN below
    const T slope = z * T(0) - t;  // -y, or NaN with z
    g1 = flat ? T(0) : slope;
    g2 = flat ? T(0) : -slope;
    return flat ? T(0) : z;
  }
};

void register_embedding(KernelTable& table);

FASTLOSS_END_ISA_NAMESPACE
