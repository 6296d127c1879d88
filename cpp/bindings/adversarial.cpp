// One term of an adversarial loss over one discriminator output array, against a constant
// target: gan (sign * BCE), lsgan (0.5 (D - target)^2), wasserstein (sign * D). The Python
// layer adds the terms of two-input losses. Returns
// (loss_sum, weight_sum, first_invalid, out | None, grad | None).
#include <pybind11/pybind11.h>

#include <string>
#include <type_traits>

#include "bindings/arrays.hpp"
#include "bindings/elementwise.hpp"
#include "dispatch/dispatch.hpp"
#include "kernels/table.hpp"

namespace fastloss::bindings {

namespace {

py::tuple adversarial_term(const std::string& kind, const py::array& d,
                           const py::object& weight, bool want_out, bool want_grad,
                           bool grad_mean, bool from_logits, double target, double sign) {
  PerDtype<AdversarialFn> KernelTable::*entry = nullptr;
  if (kind == "gan") entry = &KernelTable::gan;
  if (kind == "lsgan") entry = &KernelTable::lsgan;
  if (kind == "wasserstein") entry = &KernelTable::wasserstein;
  if (entry == nullptr) throw py::value_error("internal: unknown adversarial term '" + kind + "'");
  const AdversarialParams p{from_logits, target, sign};
  // The target is a constant: no y_true array.
  return run_elementwise(py::none(), d, weight, want_out, want_grad, grad_mean,
                         [&](const auto& args) {
                           using T = std::remove_cv_t<std::remove_pointer_t<decltype(args.y_pred)>>;
                           const auto fn = (kernels().*entry).template get<T>();
                           return [fn, &args, p] { return fn(args, p); };
                         });
}

}  // namespace

void register_adversarial(py::module_& m) {
  using namespace pybind11::literals;
  m.def("adversarial_term", &adversarial_term, "kind"_a, "d"_a, "weight"_a, "want_out"_a,
        "want_grad"_a, "grad_mean"_a, "from_logits"_a, "target"_a, "sign"_a);
}

}  // namespace fastloss::bindings
