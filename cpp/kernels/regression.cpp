#include "kernels/regression.hpp"

#include "kernels/elementwise.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

namespace {

template <class T>
LossSums mse(const ElementwiseArgs<T>& a, const RegressionParams&) {
  return elementwise(a, MseOp{});
}

template <class T>
LossSums mae(const ElementwiseArgs<T>& a, const RegressionParams&) {
  return elementwise(a, MaeOp{});
}

template <class T>
LossSums huber(const ElementwiseArgs<T>& a, const RegressionParams& params) {
  HuberOp<T> op;
  op.delta = static_cast<T>(params.delta);
  return elementwise(a, op);
}

}  // namespace

void register_regression(KernelTable& table) {
  table.mse = {mse<float>, mse<double>};
  table.mae = {mae<float>, mae<double>};
  table.huber = {huber<float>, huber<double>};
}

FASTLOSS_END_ISA_NAMESPACE
