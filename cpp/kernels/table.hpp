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

// Elementwise math helpers, exposed so tests can measure their error.
enum class MathFunction : int { exp = 0, log = 1, log1p = 2, softplus = 3, sigmoid = 4 };

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
  PerDtype<MathFn> math;
};

}  // namespace fastloss
