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

// A loss's options as numbers (flags are 0 or 1), one per name its LossKernel declares, in
// that order, and its optional per-element array option, in the kernel dtype.
constexpr int kMaxOptions = 8;
struct Options {
  const char* const* names = nullptr;  // the kernel's option names (LossKernel::options)
  double value[kMaxOptions] = {};
  const void* array = nullptr;  // LossKernel::array_option's data, or null
};

// The loops a loss runs on: they decide its inputs and the shapes of its outputs.
enum class Engine : int {
  elementwise = 0,  // same-shape y_true (or none), 1 or 2 predictions; per-element outputs
  rows = 1,         // a (rows, classes) prediction, targets or int64 labels; per-row outputs
  embedding = 2,    // 2 or 3 (rows, dim) predictions, labels per row (or none); per-row
};

template <class T>
using ElementwiseFn = LossSums (*)(const ElementwiseArgs<T>&, const Options&);
template <class T>
using RowFn = LossSums (*)(const RowArgs<T>&, const Options&);
template <class T>
using EmbeddingFn = LossSums (*)(const EmbeddingArgs<T>&, const Options&);
template <class T>
using SumFn = double (*)(const T* x, std::int64_t n, int num_threads);
template <class T>
using MathFn = void (*)(MathFunction f, const T* x, T* y, std::int64_t n);

// One entry per dtype, so callers can write entry.get<T>().
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

// One loss kernel as the bindings see it: its name, engine, option names and functions.
struct LossKernel {
  const char* name = nullptr;
  Engine engine = Engine::elementwise;
  const char* options[kMaxOptions + 1] = {};  // names, null-terminated
  const char* array_option = nullptr;         // name of a per-element array option, or null
  PerDtype<ElementwiseFn> elementwise;        // the one its engine uses is set
  PerDtype<RowFn> rows;
  PerDtype<EmbeddingFn> embedding;
};

constexpr int kMaxLosses = 64;

struct KernelTable {
  const char* isa = nullptr;
  PerDtype<SumFn> sum;
  PerDtype<MathFn> math;
  LossKernel losses[kMaxLosses];  // in registration order: the same in every ISA copy
  int num_losses = 0;
};

}  // namespace fastloss
