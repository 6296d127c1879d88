// Every loss kernel through one call: `_core.loss(kernel, predictions, y_true, sample_weight,
// options, ...)` runs the kernel table's entry `kernel` (an index into `_core.kernels()`), with
// `options` a dict holding exactly the option names the kernel declares, and returns
// (loss_sum, weight_sum, first_invalid, out | None, grads | None), grads a tuple with one
// gradient per prediction. The Python layer has already checked shapes and coerced dtypes and
// layouts; the checks here only guard the private API.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bindings/arrays.hpp"
#include "dispatch/dispatch.hpp"
#include "dispatch/threading.hpp"
#include "kernels/table.hpp"

namespace fastloss::bindings {

namespace {

struct Call {
  const LossKernel* kernel = nullptr;
  py::tuple predictions;   // 1 to 3 arrays of the kernel dtype
  py::object y_true;       // targets of the kernel dtype, or None
  py::object labels;       // int64 class ids, one per row, or None
  py::object sample_weight;
  py::object class_weight;
  py::object array_option;  // the kernel's per-element array option, or None
  py::dict options;         // the kernel's option names -> numbers (flags as bools)
  const py::str* option_names = nullptr;  // the kernel's option names as Python strings
  bool want_out = false;
  bool want_grad = false;
  bool grad_mean = false;
};

const char* engine_name(Engine e) {
  switch (e) {
    case Engine::elementwise: return "elementwise";
    case Engine::rows: return "rows";
    case Engine::embedding: return "embedding";
  }
  return "?";
}

py::array prediction(const Call& c, std::size_t k) {
  return py::reinterpret_borrow<py::array>(c.predictions[k]);
}

// The element counts and output shapes of one call, and where its outputs go.
template <class T>
struct Layout {
  std::int64_t n = 0;                  // elements of each prediction
  std::vector<py::ssize_t> out_shape;  // per-sample losses
  T* out = nullptr;
  T* grad[3] = {nullptr, nullptr, nullptr};
};

template <class T>
void fill(ElementwiseArgs<T>& a, const Call& c, Layout<T>& layout) {
  const py::array first = prediction(c, 0);
  a.n = static_cast<std::int64_t>(first.size());
  a.y_pred = input_data<T>(first, "y_pred");
  if (c.predictions.size() == 2) a.y_pred2 = input_data<T>(prediction(c, 1), "y_pred2");
  a.y_true = optional_input<T>(c.y_true, "y_true", a.n);
  a.weight = optional_input<T>(c.sample_weight, "sample_weight", a.n);
  layout.n = a.n;
  if (c.want_out) layout.out_shape = shape_of(first);
}

template <class T>
void fill(RowArgs<T>& a, const Call& c, Layout<T>& layout) {
  const py::array first = prediction(c, 0);
  if (first.ndim() != 2) throw py::value_error("internal: y_pred must be 2-D");
  a.rows = static_cast<std::int64_t>(first.shape(0));
  a.classes = static_cast<std::int64_t>(first.shape(1));
  a.y_pred = input_data<T>(first, "y_pred");
  a.y_true = optional_input<T>(c.y_true, "y_true", a.rows * a.classes);
  if (!c.labels.is_none()) {
    const auto labels = py::reinterpret_borrow<py::array>(c.labels);
    if (!py::isinstance<py::array_t<std::int64_t>>(labels) || labels.size() != a.rows ||
        !(labels.flags() & py::array::c_style)) {
      throw py::type_error("internal: labels must be C-contiguous int64 with one per row");
    }
    a.labels = static_cast<const std::int64_t*>(labels.data());
  }
  a.sample_weight = optional_input<T>(c.sample_weight, "sample_weight", a.rows);
  a.class_weight = optional_input<T>(c.class_weight, "class_weight", a.classes);
  layout.n = a.rows * a.classes;
  if (c.want_out) layout.out_shape = {static_cast<py::ssize_t>(a.rows)};
}

template <class T>
void fill(EmbeddingArgs<T>& a, const Call& c, Layout<T>& layout) {
  const py::array first = prediction(c, 0);
  if (first.ndim() != 2) throw py::value_error("internal: embeddings must be 2-D");
  a.rows = static_cast<std::int64_t>(first.shape(0));
  a.dim = static_cast<std::int64_t>(first.shape(1));
  a.y_true = optional_input<T>(c.y_true, "y_true", a.rows);
  a.sample_weight = optional_input<T>(c.sample_weight, "sample_weight", a.rows);
  layout.n = a.rows * a.dim;
  if (c.want_out) layout.out_shape = {static_cast<py::ssize_t>(a.rows)};
  for (std::size_t k = 0; k < c.predictions.size(); ++k) {
    a.x[k] = input_data<T>(prediction(c, k), "embeddings");
  }
}

template <class T>
void set_outputs(ElementwiseArgs<T>& a, const Layout<T>& layout) {
  a.out = layout.out;
  a.grad = layout.grad[0];
  a.grad2 = layout.grad[1];
}

template <class T>
void set_outputs(RowArgs<T>& a, const Layout<T>& layout) {
  a.out = layout.out;
  a.grad = layout.grad[0];
}

template <class T>
void set_outputs(EmbeddingArgs<T>& a, const Layout<T>& layout) {
  a.out = layout.out;
  for (int k = 0; k < 3; ++k) a.grad[k] = layout.grad[k];
}

std::size_t option_count(const LossKernel& k) {
  std::size_t n = 0;
  while (n < static_cast<std::size_t>(kMaxOptions) && k.options[n] != nullptr) ++n;
  return n;
}

// Every kernel's option names as Python strings, by kernel index: made once, when the module
// registers (with the GIL), and never freed, so no Python object is released after the
// interpreter has gone. The calls look options up with them.
std::vector<std::vector<py::str>>& option_names() {
  static auto* names = [] {
    auto* all = new std::vector<std::vector<py::str>>();
    const KernelTable& table = kernels();
    for (int i = 0; i < table.num_losses; ++i) {
      std::vector<py::str> kernel_names;
      for (std::size_t j = 0; j < option_count(table.losses[i]); ++j) {
        kernel_names.emplace_back(table.losses[i].options[j]);
      }
      all->push_back(std::move(kernel_names));
    }
    return all;
  }();
  return *names;
}

// The one runner: inputs to pointers and options to numbers (with the GIL), outputs
// allocated, then the kernel without the GIL.
template <class T, class Args, class Fn>
py::tuple run(const Call& c, Fn fn) {
  Args args;
  Layout<T> layout;
  fill(args, c, layout);
  for (std::size_t k = 1; k < c.predictions.size(); ++k) {
    if (static_cast<std::int64_t>(prediction(c, k).size()) != static_cast<std::int64_t>(
                                                                   prediction(c, 0).size())) {
      throw py::value_error("internal: predictions of different sizes");
    }
  }
  Options options;
  options.names = c.kernel->options;
  for (std::size_t k = 0; k < option_count(*c.kernel); ++k) {
    PyObject* value = PyDict_GetItem(c.options.ptr(), c.option_names[k].ptr());  // borrowed
    if (value == nullptr) {
      throw py::value_error(std::string("internal: ") + c.kernel->name + " needs option " +
                            c.kernel->options[k]);
    }
    options.value[k] = PyFloat_AsDouble(value);  // floats, ints, bools, NumPy scalars
    if (options.value[k] == -1.0 && PyErr_Occurred()) throw py::error_already_set();
  }
  options.array = optional_input<T>(c.array_option, "array option", layout.n);
  const py::object out = optional_output(c.want_out, layout.out_shape, layout.out);
  py::object grads = py::none();
  if (c.want_grad) {
    py::tuple g(c.predictions.size());
    for (std::size_t k = 0; k < c.predictions.size(); ++k) {
      g[k] = optional_output(true, shape_of(prediction(c, k)), layout.grad[k]);
    }
    grads = std::move(g);
  }
  set_outputs(args, layout);
  args.grad_mean = c.grad_mean;
  args.num_threads = get_num_threads();
  const LossSums sums = call_released(args, [&](const Args& a) {
    return [fn, &a, &options] { return fn(a, options); };
  });
  return py::make_tuple(sums.loss, sums.weight, sums.first_invalid, out, grads);
}

template <class T>
py::tuple run_typed(const Call& c) {
  const LossKernel& k = *c.kernel;
  switch (k.engine) {
    case Engine::elementwise:
      return run<T, ElementwiseArgs<T>>(c, k.elementwise.get<T>());
    case Engine::rows:
      return run<T, RowArgs<T>>(c, k.rows.get<T>());
    case Engine::embedding:
      return run<T, EmbeddingArgs<T>>(c, k.embedding.get<T>());
  }
  throw py::value_error("internal: unknown engine");
}

py::tuple loss(int kernel, const py::tuple& predictions, const py::object& y_true,
               const py::object& sample_weight, const py::dict& options, bool want_out,
               bool want_grad, bool grad_mean, const py::object& labels,
               const py::object& class_weight, const py::object& array_option) {
  const KernelTable& table = kernels();
  if (kernel < 0 || kernel >= table.num_losses) throw py::value_error("internal: no such kernel");
  const LossKernel& k = table.losses[kernel];
  const std::size_t max_predictions = k.engine == Engine::embedding ? 3 : 2;
  if (predictions.empty() || predictions.size() > max_predictions) {
    throw py::value_error("internal: wrong number of predictions");
  }
  if (options.size() != option_count(k)) {
    throw py::value_error(std::string("internal: ") + k.name + " takes " +
                          std::to_string(option_count(k)) + " options, not " +
                          std::to_string(options.size()));
  }
  if (!array_option.is_none() && k.array_option == nullptr) {
    throw py::value_error(std::string("internal: ") + k.name + " takes no array option");
  }
  const Call c{&k,          predictions, y_true,   labels,    sample_weight, class_weight,
               array_option, options,    option_names()[static_cast<std::size_t>(kernel)].data(),
               want_out,     want_grad,  grad_mean};
  return is_float32(prediction(c, 0)) ? run_typed<float>(c) : run_typed<double>(c);
}

// (name, engine, option names, array option name | None) of every kernel, by index.
py::list kernel_list() {
  const KernelTable& table = kernels();
  py::list out;
  for (int i = 0; i < table.num_losses; ++i) {
    const LossKernel& k = table.losses[i];
    const std::vector<py::str>& kernel_names = option_names()[static_cast<std::size_t>(i)];
    py::tuple names(kernel_names.size());
    for (std::size_t j = 0; j < kernel_names.size(); ++j) names[j] = kernel_names[j];
    const py::object array =
        k.array_option != nullptr ? py::object(py::str(k.array_option)) : py::object(py::none());
    out.append(py::make_tuple(k.name, engine_name(k.engine), names, array));
  }
  return out;
}

}  // namespace

void register_losses(py::module_& m) {
  using namespace pybind11::literals;
  m.def("loss", &loss, "kernel"_a, "predictions"_a, "y_true"_a, "sample_weight"_a, "options"_a,
        "want_out"_a, "want_grad"_a, "grad_mean"_a, "labels"_a = py::none(),
        "class_weight"_a = py::none(), "array_option"_a = py::none());
  m.def("kernels", &kernel_list);
  option_names();  // now, with the GIL, not inside a call
}

}  // namespace fastloss::bindings
