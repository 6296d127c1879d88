// poisson: (loss_sum, weight_sum, first_invalid, out | None, grad | None), one pass.
#include <pybind11/pybind11.h>

#include <type_traits>

#include "bindings/arrays.hpp"
#include "bindings/elementwise.hpp"
#include "dispatch/dispatch.hpp"
#include "kernels/table.hpp"

namespace fastloss::bindings {

namespace {

py::tuple poisson(const py::array& y_true, const py::array& y_pred, const py::object& weight,
                  bool want_out, bool want_grad, bool grad_mean, bool log_input, bool full,
                  double eps) {
  const PoissonParams p{log_input, full, eps};
  return run_elementwise(y_true, y_pred, weight, want_out, want_grad, grad_mean,
                         [&p](const auto& args) {
                           using T = std::remove_cv_t<std::remove_pointer_t<decltype(args.y_pred)>>;
                           const auto fn = kernels().poisson.get<T>();
                           return [fn, &args, p] { return fn(args, p); };
                         });
}

}  // namespace

void register_count(py::module_& m) {
  using namespace pybind11::literals;
  m.def("poisson", &poisson, "y_true"_a, "y_pred"_a, "weight"_a, "want_out"_a, "want_grad"_a,
        "grad_mean"_a, "log_input"_a, "full"_a, "eps"_a);
}

}  // namespace fastloss::bindings
