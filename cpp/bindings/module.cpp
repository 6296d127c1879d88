// The private extension fastloss._core: wires each family's bindings.
#include <pybind11/pybind11.h>

namespace fastloss::bindings {
void register_dispatch(pybind11::module_& m);
void register_regression(pybind11::module_& m);
void register_classification(pybind11::module_& m);
void register_embedding(pybind11::module_& m);
void register_adversarial(pybind11::module_& m);
void register_count(pybind11::module_& m);
void register_math(pybind11::module_& m);
}  // namespace fastloss::bindings

PYBIND11_MODULE(_core, m) {
  m.doc() = "fastloss compiled kernels (private: use the fastloss package)";
  fastloss::bindings::register_dispatch(m);
  fastloss::bindings::register_regression(m);
  fastloss::bindings::register_classification(m);
  fastloss::bindings::register_embedding(m);
  fastloss::bindings::register_adversarial(m);
  fastloss::bindings::register_count(m);
  fastloss::bindings::register_math(m);
}
