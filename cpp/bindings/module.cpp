// The private extension fastloss._core: the loss call, dispatch and test hooks.
#include <pybind11/pybind11.h>

namespace fastloss::bindings {
void register_dispatch(pybind11::module_& m);
void register_losses(pybind11::module_& m);
void register_math(pybind11::module_& m);
}  // namespace fastloss::bindings

PYBIND11_MODULE(_core, m) {
  m.doc() = "fastloss compiled kernels (private: use the fastloss package)";
  fastloss::bindings::register_dispatch(m);
  fastloss::bindings::register_losses(m);
  fastloss::bindings::register_math(m);
}
