// The kernel table: the ISA-independent interface between dispatch and kernels.
// Each ISA copy fills one table with pointers to its own functions; dispatch picks one.
#pragma once

#include <cstdint>

namespace fastloss {

// Inputs and caller-owned outputs of an elementwise loss over n elements.
template <class T>
struct ElementwiseArgs {
  const T* y_true = nullptr;
  const T* y_pred = nullptr;
  const T* weight = nullptr;  // per-element weights, or null
  std::int64_t n = 0;
  T* out = nullptr;           // per-element (weighted) losses, or null
  T* grad = nullptr;          // d(result)/d(y_pred), or null
  bool grad_mean = false;     // the result is the mean: divide gradients by the weight total
  int num_threads = 1;
  const T* y_pred2 = nullptr;  // a second prediction (pair Ops: margin_ranking's x2), or null
  T* grad2 = nullptr;          // d(result)/d(y_pred2) (pair Ops), or null
};

// Partial sums every reduction is built from (and that streaming accumulators merge).
struct LossSums {
  double loss = 0.0;    // sum of (weighted) losses
  double weight = 0.0;  // sum of weights (x mask); 0 when unweighted and unmasked
  std::int64_t first_invalid = -1;  // first element (or row) with invalid data, -1 if none
};

struct RegressionParams {
  double delta = 1.0;  // huber
};

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

// Inputs and outputs of a loss over the rows of a (rows, classes) C-contiguous matrix.
template <class T>
struct RowArgs {
  const T* y_pred = nullptr;             // rows x classes
  const T* y_true = nullptr;             // rows x classes (targets), or null
  const std::int64_t* labels = nullptr;  // rows (class ids), or null
  const T* sample_weight = nullptr;      // rows, or null
  const T* class_weight = nullptr;       // classes, or null
  std::int64_t rows = 0;
  std::int64_t classes = 0;
  T* out = nullptr;   // per-row (weighted) losses, or null
  T* grad = nullptr;  // rows x classes, or null
  bool grad_mean = false;
  int num_threads = 1;
};

struct CrossEntropyParams {
  bool from_logits = false;
  double label_smoothing = 0.0;
  bool has_ignore = false;          // sparse targets only
  std::int64_t ignore_index = 0;
};

struct KlDivergenceParams {
  bool log_input = false;
};

// Inputs and outputs of a loss over the rows of up to three (rows, dim) C-contiguous
// embedding matrices read side by side (contrastive: x1, x2; triplet: anchor, positive,
// negative).
template <class T>
struct EmbeddingArgs {
  const T* x[3] = {nullptr, nullptr, nullptr};
  const T* y_true = nullptr;         // one label per row (contrastive), or null
  const T* sample_weight = nullptr;  // rows, or null
  std::int64_t rows = 0;
  std::int64_t dim = 0;
  T* out = nullptr;                          // per-row (weighted) losses, or null
  T* grad[3] = {nullptr, nullptr, nullptr};  // d(result)/d(x[k]), rows x dim; all or none
  bool grad_mean = false;
  int num_threads = 1;
};

struct ContrastiveParams {
  double margin = 1.0;
};

struct TripletParams {
  double margin = 1.0;
  bool squared = true;  // squared distances, no eps; false: PyTorch's ||u - v + eps||
  bool swap = false;
  double eps = 1e-6;
};

struct CosineParams {
  double eps = 1e-8;  // each norm clamped below at eps (PyTorch)
};

struct MarginRankingParams {
  double margin = 0.0;
};

// One term of an adversarial loss: sign * f(D) against a constant target, for one input.
struct AdversarialParams {
  bool from_logits = true;  // gan only
  double target = 1.0;      // gan: BCE target; lsgan: the label D is pulled to
  double sign = 1.0;        // gan, wasserstein: +1 or -1
};

struct PoissonParams {
  bool log_input = false;
  bool full = false;
  double eps = 1e-8;
};

// Elementwise math helpers, exposed so tests can measure their error.
enum class MathFunction : int {
  exp = 0,
  log = 1,
  log1p = 2,
  softplus = 3,
  sigmoid = 4,
  log_positive = 5,
  exp_nonpositive = 6,
  log_probability = 7,  // with the cross-entropies' floor, -100
  log1p_unit = 8,
  log_complement = 9,  // with the cross-entropies' floor, -100
};

template <class T>
using RegressionFn = LossSums (*)(const ElementwiseArgs<T>&, const RegressionParams&);
template <class T>
using PlainElementwiseFn = LossSums (*)(const ElementwiseArgs<T>&);
template <class T>
using BinaryCrossEntropyFn = LossSums (*)(const ElementwiseArgs<T>&,
                                          const BinaryCrossEntropyParams<T>&);
template <class T>
using CrossEntropyFn = LossSums (*)(const RowArgs<T>&, const CrossEntropyParams&);
template <class T>
using KlDivergenceFn = LossSums (*)(const RowArgs<T>&, const KlDivergenceParams&);
template <class T>
using ContrastiveFn = LossSums (*)(const EmbeddingArgs<T>&, const ContrastiveParams&);
template <class T>
using TripletFn = LossSums (*)(const EmbeddingArgs<T>&, const TripletParams&);
template <class T>
using CosineFn = LossSums (*)(const RowArgs<T>&, const CosineParams&);
template <class T>
using MarginRankingFn = LossSums (*)(const ElementwiseArgs<T>&, const MarginRankingParams&);
template <class T>
using AdversarialFn = LossSums (*)(const ElementwiseArgs<T>&, const AdversarialParams&);
template <class T>
using PoissonFn = LossSums (*)(const ElementwiseArgs<T>&, const PoissonParams&);
template <class T>
using SumFn = double (*)(const T* x, std::int64_t n, int num_threads);
template <class T>
using MathFn = void (*)(MathFunction f, const T* x, T* y, std::int64_t n);

// One entry per dtype, so bindings can write table.mse.get<T>().
template <template <class> class Fn>
struct PerDtype {
  Fn<float> f32 = nullptr;
  Fn<double> f64 = nullptr;
  template <class T>
  Fn<T> get() const {
    if constexpr (sizeof(T) == 4) {
      return f32;
    } else {
      return f64;
    }
  }
};

struct KernelTable {
  const char* isa = nullptr;
  PerDtype<SumFn> sum;
  PerDtype<RegressionFn> mse;
  PerDtype<RegressionFn> mae;
  PerDtype<RegressionFn> huber;
  PerDtype<BinaryCrossEntropyFn> binary_cross_entropy;
  PerDtype<CrossEntropyFn> categorical_cross_entropy;
  PerDtype<CrossEntropyFn> sparse_categorical_cross_entropy;
  PerDtype<KlDivergenceFn> kl_divergence;
  PerDtype<PlainElementwiseFn> hinge;
  PerDtype<ContrastiveFn> contrastive;
  PerDtype<TripletFn> triplet;
  PerDtype<CosineFn> cosine_proximity;
  PerDtype<MarginRankingFn> margin_ranking;
  PerDtype<AdversarialFn> gan;          // -sign * [y log D + (1 - y) log(1 - D)]
  PerDtype<AdversarialFn> lsgan;        // 0.5 (D - target)^2
  PerDtype<AdversarialFn> wasserstein;  // sign * D
  PerDtype<PoissonFn> poisson;
  PerDtype<MathFn> math;
};

}  // namespace fastloss
