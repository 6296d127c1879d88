// mse, mae, huber: (loss_sum, weight_sum, first_invalid, out | None, grad | None), one pass.
#include <pybind11/pybind11.h>

#include "bindings/arrays.hpp"
#include "bindings/elementwise.hpp"
#include "dispatch/dispatch.hpp"
#include "kernels/table.hpp"

namespace fastloss::bindings {

namespace {

template <PerDtype<RegressionFn> KernelTable::*kEntry>
py::tuple regression(const py::array& y_true, const py::array& y_pred,
                     const py::object& weight, bool want_out, bool want_grad,
                     bool grad_mean, double delta) {
  const RegressionParams params{delta};
  return run_elementwise(
      y_true, y_pred, weight, want_out, want_grad, grad_mean,
      [&params](const auto& args) {
        using T = std::remove_cv_t<std::remove_pointer_t<decltype(args.y_pred)>>;
        const auto fn = (kernels().*kEntry).template get<T>();
        return [fn, &args, params] { return fn(args, params); };
      });
}

}  // namespace

void register_regression(py::module_& m) {
  using namespace pybind11::literals;
  m.def("mse", &regression<&KernelTable::mse>, "y_true"_a, "y_pred"_a, "weight"_a,
        "want_out"_a, "want_grad"_a, "grad_mean"_a, "delta"_a = 0.0);
  m.def("mae", &regression<&KernelTable::mae>, "y_true"_a, "y_pred"_a, "weight"_a,
        "want_out"_a, "want_grad"_a, "grad_mean"_a, "delta"_a = 0.0);
  m.def("huber", &regression<&KernelTable::huber>, "y_true"_a, "y_pred"_a, "weight"_a,
        "want_out"_a, "want_grad"_a, "grad_mean"_a, "delta"_a = 1.0);
}

}  // namespace fastloss::bindings
