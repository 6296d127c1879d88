// Evaluates one math helper elementwise, so tests can measure its error under every ISA.
// The function is chosen once; each loop is a plain loop that the compiler vectorizes.
#include <cstdint>

#include "kernels/isa.hpp"
#include "kernels/math.hpp"
#include "kernels/table.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

namespace {

template <class T, class F>
void apply(const T* __restrict x, T* __restrict y, std::int64_t n, F f) {
  for (std::int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
}

template <class T>
void math_eval(MathFunction f, const T* x, T* y, std::int64_t n) {
  switch (f) {
    case MathFunction::exp:
      apply(x, y, n, [](T v) { return fl_exp(v); });
      break;
    case MathFunction::log:
      apply(x, y, n, [](T v) { return fl_log(v); });
      break;
    case MathFunction::log1p:
      apply(x, y, n, [](T v) { return fl_log1p(v); });
      break;
    case MathFunction::softplus:
      apply(x, y, n, [](T v) { return fl_softplus(v); });
      break;
    case MathFunction::sigmoid:
      apply(x, y, n, [](T v) { return fl_sigmoid(v); });
      break;
    case MathFunction::log_positive:
      apply(x, y, n, [](T v) { return fl_log_positive(v); });
      break;
    case MathFunction::exp_nonpositive:
      apply(x, y, n, [](T v) { return fl_exp_nonpositive(v); });
      break;
    case MathFunction::log_probability:
      apply(x, y, n, [](T v) { return fl_log_probability(v, T(-100)); });
      break;
    case MathFunction::log1p_unit:
      apply(x, y, n, [](T v) { return fl_log1p_unit(v); });
      break;
    case MathFunction::log_complement:
      apply(x, y, n, [](T v) { return fl_log_complement(v, T(-100)); });
      break;
  }
}

}  // namespace

void register_math(KernelTable& table) { table.math = {math_eval<float>, math_eval<double>}; }

FASTLOSS_END_ISA_NAMESPACE
