// Array plumbing shared by all bindings. The Python layer has already coerced dtypes and
// layouts; these checks only guard the private API against misuse.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <vector>

namespace fastloss::bindings {

namespace py = pybind11;

template <class T>
const T* input_data(const py::array& a, const char* name) {
  if (!py::isinstance<py::array_t<T>>(a) || !(a.flags() & py::array::c_style)) {
    throw py::type_error(std::string("internal: ") + name +
                         " must be a C-contiguous array of the kernel dtype");
  }
  return static_cast<const T*>(a.data());
}

// Optional input: None gives a null pointer.
template <class T>
const T* optional_input(const py::object& a, const char* name, std::int64_t expected_size) {
  if (a.is_none()) return nullptr;
  const auto arr = py::reinterpret_borrow<py::array>(a);
  if (static_cast<std::int64_t>(arr.size()) != expected_size) {
    throw py::value_error(std::string("internal: ") + name + " has the wrong size");
  }
  return input_data<T>(arr, name);
}

template <class T>
py::array_t<T> new_array(const std::vector<py::ssize_t>& shape) {
  return py::array_t<T>(shape);
}

inline std::vector<py::ssize_t> shape_of(const py::array& a) {
  return std::vector<py::ssize_t>(a.shape(), a.shape() + a.ndim());
}

// A new output array when `wanted` (its data pointer stored in `data`), else None.
template <class T>
py::object optional_output(bool wanted, const std::vector<py::ssize_t>& shape, T*& data) {
  if (!wanted) return py::none();
  auto arr = new_array<T>(shape);
  data = arr.mutable_data();
  return std::move(arr);
}

// The one way a binding calls a kernel: `prepare(args)` runs with the GIL held and turns
// every remaining Python object into pointers and sizes, then returns the kernel call, which
// runs with the GIL released. Nothing Python-facing can run without the GIL this way.
template <class Args, class Prepare>
auto call_released(const Args& args, const Prepare& prepare) {
  const auto kernel_call = prepare(args);
  py::gil_scoped_release release;
  return kernel_call();
}

// True for float32 arrays, false for float64; anything else is a Python-layer bug.
inline bool is_float32(const py::array& a) {
  if (py::isinstance<py::array_t<float>>(a)) return true;
  if (py::isinstance<py::array_t<double>>(a)) return false;
  throw py::type_error("internal: kernels take float32 or float64 arrays");
}

}  // namespace fastloss::bindings
