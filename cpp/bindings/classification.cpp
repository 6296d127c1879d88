// binary_cross_entropy, hinge (elementwise); categorical and sparse categorical
// cross-entropy, kl_divergence (over the rows of a 2-D matrix).
#include <pybind11/pybind11.h>

#include <type_traits>

#include "bindings/arrays.hpp"
#include "bindings/elementwise.hpp"
#include "bindings/rowwise.hpp"
#include "dispatch/dispatch.hpp"
#include "kernels/table.hpp"

namespace fastloss::bindings {

namespace {

template <class Args>
using ValueType = std::remove_cv_t<std::remove_pointer_t<decltype(Args::y_pred)>>;

py::tuple binary_cross_entropy(const py::array& y_true, const py::array& y_pred,
                               const py::object& weight, bool want_out, bool want_grad,
                               bool grad_mean, bool from_logits, double clip_low,
                               double clip_high, double pos_weight,
                               const py::object& pos_weight_array, double label_smoothing,
                               bool has_ignore, double ignore_value) {
  return run_elementwise(
      y_true, y_pred, weight, want_out, want_grad, grad_mean, [&](const auto& args) {
        using T = ValueType<std::decay_t<decltype(args)>>;
        BinaryCrossEntropyParams<T> p;
        p.from_logits = from_logits;
        p.clip_low = clip_low;
        p.clip_high = clip_high;
        p.pos_weight = pos_weight;
        p.pos_weight_array = optional_input<T>(pos_weight_array, "pos_weight", args.n);
        p.label_smoothing = label_smoothing;
        p.has_ignore = has_ignore;
        p.ignore_value = ignore_value;
        const auto fn = kernels().binary_cross_entropy.get<T>();
        return [fn, &args, p] { return fn(args, p); };
      });
}

py::tuple hinge(const py::array& y_true, const py::array& y_pred, const py::object& weight,
                bool want_out, bool want_grad, bool grad_mean) {
  return run_elementwise(y_true, y_pred, weight, want_out, want_grad, grad_mean,
                         [](const auto& args) {
                           using T = ValueType<std::decay_t<decltype(args)>>;
                           const auto fn = kernels().hinge.get<T>();
                           return [fn, &args] { return fn(args); };
                         });
}

template <PerDtype<CrossEntropyFn> KernelTable::*kEntry>
py::tuple cross_entropy(const py::object& y_true, const py::object& labels,
                        const py::array& y_pred, const py::object& sample_weight,
                        const py::object& class_weight, bool want_out, bool want_grad,
                        bool grad_mean, bool from_logits, double label_smoothing,
                        bool has_ignore, std::int64_t ignore_index) {
  const CrossEntropyParams p{from_logits, label_smoothing, has_ignore, ignore_index};
  const RowInputs in{y_pred, y_true, labels, sample_weight, class_weight,
                     want_out, want_grad, grad_mean};
  return run_rows(in, [&p](const auto& args) {
    using T = ValueType<std::decay_t<decltype(args)>>;
    const auto fn = (kernels().*kEntry).template get<T>();
    return [fn, &args, p] { return fn(args, p); };
  });
}

py::tuple kl_divergence(const py::array& y_true, const py::array& y_pred,
                        const py::object& sample_weight, bool want_out, bool want_grad,
                        bool grad_mean, bool log_input) {
  const KlDivergenceParams p{log_input};
  const RowInputs in{y_pred, y_true, py::none(), sample_weight, py::none(),
                     want_out, want_grad, grad_mean};
  return run_rows(in, [&p](const auto& args) {
    using T = ValueType<std::decay_t<decltype(args)>>;
    const auto fn = kernels().kl_divergence.get<T>();
    return [fn, &args, p] { return fn(args, p); };
  });
}

}  // namespace

void register_classification(py::module_& m) {
  using namespace pybind11::literals;
  m.def("binary_cross_entropy", &binary_cross_entropy, "y_true"_a, "y_pred"_a, "weight"_a,
        "want_out"_a, "want_grad"_a, "grad_mean"_a, "from_logits"_a, "clip_low"_a,
        "clip_high"_a, "pos_weight"_a, "pos_weight_array"_a, "label_smoothing"_a,
        "has_ignore"_a, "ignore_value"_a);
  m.def("hinge", &hinge, "y_true"_a, "y_pred"_a, "weight"_a, "want_out"_a, "want_grad"_a,
        "grad_mean"_a);
  m.def("categorical_cross_entropy", &cross_entropy<&KernelTable::categorical_cross_entropy>,
        "y_true"_a, "labels"_a, "y_pred"_a, "sample_weight"_a, "class_weight"_a, "want_out"_a,
        "want_grad"_a, "grad_mean"_a, "from_logits"_a, "label_smoothing"_a, "has_ignore"_a,
        "ignore_index"_a);
  m.def("sparse_categorical_cross_entropy",
        &cross_entropy<&KernelTable::sparse_categorical_cross_entropy>, "y_true"_a,
        "labels"_a, "y_pred"_a, "sample_weight"_a, "class_weight"_a, "want_out"_a,
        "want_grad"_a, "grad_mean"_a, "from_logits"_a, "label_smoothing"_a, "has_ignore"_a,
        "ignore_index"_a);
  m.def("kl_divergence", &kl_divergence, "y_true"_a, "y_pred"_a, "sample_weight"_a,
        "want_out"_a, "want_grad"_a, "grad_mean"_a, "log_input"_a);
}

}  // namespace fastloss::bindings
