// Shared call path of elementwise losses: unpack arrays, allocate outputs, release the GIL,
// run the kernel, return (loss_sum, weight_sum, first_invalid, out | None, grad | None).
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "bindings/arrays.hpp"
#include "dispatch/threading.hpp"
#include "kernels/table.hpp"

namespace fastloss::bindings {

template <class T, class Kernel>
py::tuple run_elementwise_typed(const py::object& y_true, const py::array& y_pred,
                                const py::object& weight, bool want_out, bool want_grad,
                                bool grad_mean, const Kernel& kernel) {
  ElementwiseArgs<T> args;
  args.n = static_cast<std::int64_t>(y_pred.size());
  args.y_true = optional_input<T>(y_true, "y_true", args.n);
  args.y_pred = input_data<T>(y_pred, "y_pred");
  args.weight = optional_input<T>(weight, "weight", args.n);
  args.grad_mean = grad_mean;
  args.num_threads = get_num_threads();
  const py::object out = optional_output(want_out, shape_of(y_pred), args.out);
  const py::object grad = optional_output(want_grad, shape_of(y_pred), args.grad);
  const LossSums sums = call_released(args, kernel);
  return py::make_tuple(sums.loss, sums.weight, sums.first_invalid, out, grad);
}

template <class Kernel>
py::tuple run_elementwise(const py::object& y_true, const py::array& y_pred,
                          const py::object& weight, bool want_out, bool want_grad,
                          bool grad_mean, const Kernel& kernel) {
  if (is_float32(y_pred)) {
    return run_elementwise_typed<float>(y_true, y_pred, weight, want_out, want_grad, grad_mean,
                                        kernel);
  }
  return run_elementwise_typed<double>(y_true, y_pred, weight, want_out, want_grad, grad_mean,
                                       kernel);
}

}  // namespace fastloss::bindings
