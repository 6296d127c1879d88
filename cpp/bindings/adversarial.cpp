// One term of an adversarial loss over one discriminator output array, against a constant
// target: gan (sign * BCE), lsgan (0.5 (D - target)^2), wasserstein (sign * D). The Python
// layer adds the terms of two-input losses. Returns
// (loss_sum, weight_sum, first_invalid, out | None, grad | None).
#include <pybind11/pybind11.h>

#include <string>

#include "bindings/arrays.hpp"
#include "dispatch/dispatch.hpp"
#include "dispatch/threading.hpp"
#include "kernels/table.hpp"

namespace fastloss::bindings {

namespace {

template <class T>
py::tuple term_typed(AdversarialFn<T> kernel, const py::array& d, const py::object& weight,
                     bool want_out, bool want_grad, bool grad_mean,
                     const AdversarialParams& p) {
  ElementwiseArgs<T> args;
  args.n = static_cast<std::int64_t>(d.size());
  args.y_pred = input_data<T>(d, "d");
  args.weight = optional_input<T>(weight, "weight", args.n);
  args.grad_mean = grad_mean;
  args.num_threads = get_num_threads();
  const py::object out = optional_output(want_out, shape_of(d), args.out);
  const py::object grad = optional_output(want_grad, shape_of(d), args.grad);
  LossSums sums;
  {
    py::gil_scoped_release release;
    sums = kernel(args, p);
  }
  return py::make_tuple(sums.loss, sums.weight, sums.first_invalid, out, grad);
}

py::tuple adversarial_term(const std::string& kind, const py::array& d,
                           const py::object& weight, bool want_out, bool want_grad,
                           bool grad_mean, bool from_logits, double target, double sign) {
  PerDtype<AdversarialFn> KernelTable::*entry = nullptr;
  if (kind == "gan") entry = &KernelTable::gan;
  if (kind == "lsgan") entry = &KernelTable::lsgan;
  if (kind == "wasserstein") entry = &KernelTable::wasserstein;
  if (entry == nullptr) throw py::value_error("internal: unknown adversarial term '" + kind + "'");
  const AdversarialParams p{from_logits, target, sign};
  const auto& fns = kernels().*entry;
  if (is_float32(d)) {
    return term_typed<float>(fns.f32, d, weight, want_out, want_grad, grad_mean, p);
  }
  return term_typed<double>(fns.f64, d, weight, want_out, want_grad, grad_mean, p);
}

}  // namespace

void register_adversarial(py::module_& m) {
  using namespace pybind11::literals;
  m.def("adversarial_term", &adversarial_term, "kind"_a, "d"_a, "weight"_a, "want_out"_a,
        "want_grad"_a, "grad_mean"_a, "from_logits"_a, "target"_a, "sign"_a);
}

}  // namespace fastloss::bindings
