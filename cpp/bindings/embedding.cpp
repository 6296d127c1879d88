// contrastive, triplet (rows of 2 or 3 embedding matrices), cosine_proximity (rows of a
// matrix), margin_ranking (elementwise, two predictions). Each returns
// (loss_sum, weight_sum, first_invalid, out | None, grads | None), grads a tuple with one
// gradient per predicted input (cosine_proximity: the y_pred gradient alone).
#include <pybind11/pybind11.h>

#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>

#include "bindings/arrays.hpp"
#include "bindings/rowwise.hpp"
#include "dispatch/dispatch.hpp"
#include "dispatch/threading.hpp"
#include "kernels/table.hpp"

namespace fastloss::bindings {

namespace {

template <class Args>
using ValueType = std::remove_cv_t<std::remove_pointer_t<decltype(Args::sample_weight)>>;

struct Named {
  py::array array;
  const char* name;
};

// Two or three (rows, dim) matrices of one dtype read side by side.
template <class T, class Kernel>
py::tuple run_embedding_typed(const std::vector<Named>& xs, const py::object& y_true,
                              const py::object& sample_weight, bool want_out, bool want_grad,
                              bool grad_mean, const Kernel& kernel) {
  const py::array& first = xs[0].array;
  if (first.ndim() != 2) throw py::value_error("internal: embeddings must be 2-D");
  EmbeddingArgs<T> args;
  args.rows = static_cast<std::int64_t>(first.shape(0));
  args.dim = static_cast<std::int64_t>(first.shape(1));
  for (std::size_t k = 0; k < xs.size(); ++k) {
    const py::array& x = xs[k].array;
    if (x.ndim() != 2 || x.shape(0) != first.shape(0) || x.shape(1) != first.shape(1)) {
      throw py::value_error(std::string("internal: ") + xs[k].name + " has another shape");
    }
    args.x[k] = input_data<T>(x, xs[k].name);
  }
  args.y_true = optional_input<T>(y_true, "y_true", args.rows);
  args.sample_weight = optional_input<T>(sample_weight, "sample_weight", args.rows);
  args.grad_mean = grad_mean;
  args.num_threads = get_num_threads();
  const py::object out =
      optional_output(want_out, {static_cast<py::ssize_t>(args.rows)}, args.out);
  py::object grads = py::none();
  if (want_grad) {
    py::tuple g(xs.size());
    for (std::size_t k = 0; k < xs.size(); ++k) {
      g[k] = optional_output(true, shape_of(first), args.grad[k]);
    }
    grads = std::move(g);
  }
  const LossSums sums = call_released(args, kernel);
  return py::make_tuple(sums.loss, sums.weight, sums.first_invalid, out, grads);
}

template <class Kernel>
py::tuple run_embedding(const std::vector<Named>& xs, const py::object& y_true,
                        const py::object& sample_weight, bool want_out, bool want_grad,
                        bool grad_mean, const Kernel& kernel) {
  if (is_float32(xs[0].array)) {
    return run_embedding_typed<float>(xs, y_true, sample_weight, want_out, want_grad,
                                      grad_mean, kernel);
  }
  return run_embedding_typed<double>(xs, y_true, sample_weight, want_out, want_grad, grad_mean,
                                     kernel);
}

py::tuple contrastive(const py::array& y_true, const py::array& x1, const py::array& x2,
                      const py::object& sample_weight, bool want_out, bool want_grad,
                      bool grad_mean, double margin) {
  const ContrastiveParams p{margin};
  return run_embedding({{x1, "x1"}, {x2, "x2"}}, y_true, sample_weight, want_out, want_grad,
                       grad_mean, [&p](const auto& args) {
                         using T = ValueType<std::decay_t<decltype(args)>>;
                         const auto fn = kernels().contrastive.get<T>();
                         return [fn, &args, p] { return fn(args, p); };
                       });
}

py::tuple triplet(const py::array& anchor, const py::array& positive,
                  const py::array& negative, const py::object& sample_weight, bool want_out,
                  bool want_grad, bool grad_mean, double margin, bool squared, bool swap,
                  double eps) {
  const TripletParams p{margin, squared, swap, eps};
  return run_embedding({{anchor, "anchor"}, {positive, "positive"}, {negative, "negative"}},
                       py::none(), sample_weight, want_out, want_grad, grad_mean,
                       [&p](const auto& args) {
                         using T = ValueType<std::decay_t<decltype(args)>>;
                         const auto fn = kernels().triplet.get<T>();
                         return [fn, &args, p] { return fn(args, p); };
                       });
}

py::tuple cosine_proximity(const py::array& y_true, const py::array& y_pred,
                           const py::object& sample_weight, bool want_out, bool want_grad,
                           bool grad_mean, double eps) {
  const CosineParams p{eps};
  const RowInputs in{y_pred, y_true, py::none(), sample_weight, py::none(),
                     want_out, want_grad, grad_mean};
  return run_rows(in, [&p](const auto& args) {
    using T = ValueType<std::decay_t<decltype(args)>>;
    const auto fn = kernels().cosine_proximity.get<T>();
    return [fn, &args, p] { return fn(args, p); };
  });
}

template <class T>
py::tuple margin_ranking_typed(const py::array& y_true, const py::array& x1,
                               const py::array& x2, const py::object& weight, bool want_out,
                               bool want_grad, bool grad_mean, double margin) {
  ElementwiseArgs<T> args;
  args.n = static_cast<std::int64_t>(x1.size());
  args.y_true = input_data<T>(y_true, "y_true");
  args.y_pred = input_data<T>(x1, "x1");
  args.y_pred2 = input_data<T>(x2, "x2");
  args.weight = optional_input<T>(weight, "weight", args.n);
  args.grad_mean = grad_mean;
  args.num_threads = get_num_threads();
  const py::object out = optional_output(want_out, shape_of(x1), args.out);
  py::object grads = py::none();
  if (want_grad) {
    grads = py::make_tuple(optional_output(true, shape_of(x1), args.grad),
                           optional_output(true, shape_of(x1), args.grad2));
  }
  const MarginRankingParams p{margin};
  const LossSums sums = call_released(args, [&p](const ElementwiseArgs<T>& a) {
    const auto fn = kernels().margin_ranking.get<T>();
    return [fn, &a, p] { return fn(a, p); };
  });
  return py::make_tuple(sums.loss, sums.weight, sums.first_invalid, out, grads);
}

py::tuple margin_ranking(const py::array& y_true, const py::array& x1, const py::array& x2,
                         const py::object& weight, bool want_out, bool want_grad,
                         bool grad_mean, double margin) {
  if (y_true.size() != x1.size() || x2.size() != x1.size()) {
    throw py::value_error("internal: y_true, x1 and x2 sizes differ");
  }
  if (is_float32(x1)) {
    return margin_ranking_typed<float>(y_true, x1, x2, weight, want_out, want_grad, grad_mean,
                                       margin);
  }
  return margin_ranking_typed<double>(y_true, x1, x2, weight, want_out, want_grad, grad_mean,
                                      margin);
}

}  // namespace

void register_embedding(py::module_& m) {
  using namespace pybind11::literals;
  m.def("contrastive", &contrastive, "y_true"_a, "x1"_a, "x2"_a, "sample_weight"_a,
        "want_out"_a, "want_grad"_a, "grad_mean"_a, "margin"_a);
  m.def("triplet", &triplet, "anchor"_a, "positive"_a, "negative"_a, "sample_weight"_a,
        "want_out"_a, "want_grad"_a, "grad_mean"_a, "margin"_a, "squared"_a, "swap"_a,
        "eps"_a);
  m.def("cosine_proximity", &cosine_proximity, "y_true"_a, "y_pred"_a, "sample_weight"_a,
        "want_out"_a, "want_grad"_a, "grad_mean"_a, "eps"_a);
  m.def("margin_ranking", &margin_ranking, "y_true"_a, "x1"_a, "x2"_a, "weight"_a,
        "want_out"_a, "want_grad"_a, "grad_mean"_a, "margin"_a);
}

}  // namespace fastloss::bindings
