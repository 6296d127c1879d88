// Test hook: evaluates one math helper of the active ISA elementwise.
#include <pybind11/pybind11.h>

#include <string>

#include "bindings/arrays.hpp"
#include "dispatch/dispatch.hpp"
#include "kernels/table.hpp"

namespace fastloss::bindings {

namespace {

MathFunction parse_function(const std::string& name) {
  if (name == "exp") return MathFunction::exp;
  if (name == "log") return MathFunction::log;
  if (name == "log1p") return MathFunction::log1p;
  if (name == "softplus") return MathFunction::softplus;
  if (name == "sigmoid") return MathFunction::sigmoid;
  if (name == "log_positive") return MathFunction::log_positive;
  if (name == "exp_nonpositive") return MathFunction::exp_nonpositive;
  if (name == "log_probability") return MathFunction::log_probability;
  if (name == "log1p_unit") return MathFunction::log1p_unit;
  if (name == "log_complement") return MathFunction::log_complement;
  throw py::value_error("unknown math function '" + name + "'");
}

template <class T>
py::array eval(MathFunction f, const py::array& x) {
  const T* in = input_data<T>(x, "x");
  auto y = new_array<T>(shape_of(x));
  T* out = y.mutable_data();
  const auto n = static_cast<std::int64_t>(x.size());
  {
    py::gil_scoped_release release;
    kernels().math.get<T>()(f, in, out, n);
  }
  return std::move(y);
}

}  // namespace

void register_math(py::module_& m) {
  m.def("_math", [](const std::string& name, const py::array& x) {
    const MathFunction f = parse_function(name);
    return is_float32(x) ? eval<float>(f, x) : eval<double>(f, x);
  });
}

}  // namespace fastloss::bindings
