// Placeholder until math.hpp lands: evaluates the math helpers elementwise for tests.
#include <cmath>

#include "kernels/isa.hpp"
#include "kernels/table.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

namespace {
template <class T>
void math_eval(MathFunction f, const T* x, T* y, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) y[i] = f == MathFunction::exp ? std::exp(x[i]) : x[i];
}
}  // namespace

void register_math(KernelTable& table) { table.math = {math_eval<float>, math_eval<double>}; }

FASTLOSS_END_ISA_NAMESPACE
