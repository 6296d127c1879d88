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
  T* grad = nullptr;          // d(loss)/d(y_pred) times grad_scale, or null
  double grad_scale = 1.0;    // 1 for "sum"/"none", 1/n or 1/sum(w) for "mean"
  int num_threads = 1;
};

// Partial sums every reduction is built from (and that streaming accumulators merge).
struct LossSums {
  double loss = 0.0;    // sum of (weighted) losses
  double weight = 0.0;  // sum of weights; 0 when unweighted (the count is known)
};

struct RegressionParams {
  double delta = 1.0;  // huber
};

// Elementwise math helpers, exposed so tests can measure their error.
enum class MathFunction : int { exp = 0, log = 1, log1p = 2, softplus = 3, sigmoid = 4 };

template <class T>
using RegressionFn = LossSums (*)(const ElementwiseArgs<T>&, const RegressionParams&);
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
  PerDtype<MathFn> math;
};

}  // namespace fastloss
