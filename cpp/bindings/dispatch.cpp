// build_info, ISA selection and thread controls.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "bindings/arrays.hpp"
#include "dispatch/dispatch.hpp"
#include "dispatch/threading.hpp"
#include "kernels/table.hpp"

namespace fastloss::bindings {

namespace {

std::vector<std::string> names(const std::vector<Isa>& isas) {
  std::vector<std::string> out;
  for (Isa isa : isas) out.emplace_back(isa_name(isa));
  return out;
}

template <class T>
double sum_array(const py::array& x) {
  const T* p = input_data<T>(x, "x");
  const auto n = static_cast<std::int64_t>(x.size());
  const int threads = get_num_threads();
  py::gil_scoped_release release;
  return kernels().sum.get<T>()(p, n, threads);
}

}  // namespace

void register_dispatch(py::module_& m) {
  m.def("build_info", [] {
    py::dict info;
    info["version"] = FASTLOSS_VERSION;
    info["compiled_isas"] = names(compiled_isas());
    info["supported_isas"] = names(supported_isas());
    info["active_isa"] = std::string(isa_name(active_isa()));
    info["best_isa"] = std::string(isa_name(best_isa()));
    info["openmp"] = openmp_enabled();
    info["num_threads"] = get_num_threads();
    info["compiler"] = FASTLOSS_COMPILER;
    info["sanitize"] = FASTLOSS_SANITIZE;
#if defined(PYBIND11_ASSERT_GIL_HELD_INCREF_DECREF)
    info["assert_gil"] = true;  // reference counts changed without the GIL abort the process
#else
    info["assert_gil"] = false;
#endif
    return info;
  });
  m.def("get_num_threads", &get_num_threads);
  m.def("max_threads", &max_threads);
  m.def("set_num_threads", [](int n) {
    if (!set_num_threads(n)) {
      throw py::value_error("n must be an integer from 1 to " + std::to_string(max_threads()) +
                            ", got " + std::to_string(n));
    }
  });
  m.def("_threads_env_warning", [] { return threads_env_warning(); });
  m.def("_forked_after_threads", &forked_after_threads);
  m.def("_set_isa", [](const std::string& name) {
    Isa isa;
    if (!parse_isa(name, isa) || !set_active_isa(isa)) {
      throw py::value_error("ISA '" + name + "' is not available; available: " +
                            py::str(py::cast(names(supported_isas()))).cast<std::string>());
    }
  });
  m.def("_isa_env_warning", [] { return isa_env_warning(); });
  m.def("_sum", [](const py::array& x) {
    return is_float32(x) ? sum_array<float>(x) : sum_array<double>(x);
  });
}

}  // namespace fastloss::bindings
