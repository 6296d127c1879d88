// Shared call path of losses over rows: unpack the (rows, classes) arrays, allocate
// outputs, release the GIL, run the kernel, return
// (loss_sum, weight_sum, first_invalid_row, out (rows,) | None, grad | None).
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "bindings/arrays.hpp"
#include "dispatch/threading.hpp"
#include "kernels/table.hpp"

namespace fastloss::bindings {

struct RowInputs {
  py::array y_pred;         // (rows, classes), float32 or float64
  py::object y_true;        // (rows, classes) of the same dtype, or None
  py::object labels;        // (rows,) int64, or None
  py::object sample_weight; // (rows,) or None
  py::object class_weight;  // (classes,) or None
  bool want_out = false;
  bool want_grad = false;
  bool grad_mean = false;
};

template <class T, class Kernel>
py::tuple run_rows_typed(const RowInputs& in, const Kernel& kernel) {
  if (in.y_pred.ndim() != 2) throw py::value_error("internal: y_pred must be 2-D");
  RowArgs<T> args;
  args.rows = static_cast<std::int64_t>(in.y_pred.shape(0));
  args.classes = static_cast<std::int64_t>(in.y_pred.shape(1));
  const std::int64_t n = args.rows * args.classes;
  args.y_pred = input_data<T>(in.y_pred, "y_pred");
  args.y_true = optional_input<T>(in.y_true, "y_true", n);
  if (!in.labels.is_none()) {
    const auto labels = py::reinterpret_borrow<py::array>(in.labels);
    if (!py::isinstance<py::array_t<std::int64_t>>(labels) || labels.size() != in.y_pred.shape(0) ||
        !(labels.flags() & py::array::c_style)) {
      throw py::type_error("internal: labels must be C-contiguous int64 with one per row");
    }
    args.labels = static_cast<const std::int64_t*>(labels.data());
  }
  args.sample_weight = optional_input<T>(in.sample_weight, "sample_weight", args.rows);
  args.class_weight = optional_input<T>(in.class_weight, "class_weight", args.classes);
  args.grad_mean = in.grad_mean;
  args.num_threads = get_num_threads();
  const py::object out =
      optional_output(in.want_out, {static_cast<py::ssize_t>(args.rows)}, args.out);
  const py::object grad = optional_output(in.want_grad, shape_of(in.y_pred), args.grad);
  const LossSums sums = call_released(args, kernel);
  return py::make_tuple(sums.loss, sums.weight, sums.first_invalid, out, grad);
}

template <class Kernel>
py::tuple run_rows(const RowInputs& in, const Kernel& kernel) {
  return is_float32(in.y_pred) ? run_rows_typed<float>(in, kernel)
                               : run_rows_typed<double>(in, kernel);
}

}  // namespace fastloss::bindings
