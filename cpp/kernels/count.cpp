#include "kernels/count.hpp"

#include <limits>

#include "kernels/elementwise.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

namespace {

template <class T, bool kLogInput, bool kFull, RateLog kRateLog = RateLog::kAny>
LossSums poisson_with(const ElementwiseArgs<T>& a, const PoissonParams& p) {
  PoissonOp<T, kLogInput, kFull, kRateLog> op;
  op.eps = static_cast<T>(p.eps);
  return elementwise(a, op);
}

template <class T>
LossSums poisson(const ElementwiseArgs<T>& a, const Options& o) {
  const PoissonParams p{flag(o, "log_input"), flag(o, "full"), option(o, "eps")};
  if (p.log_input) {
    return p.full ? poisson_with<T, true, true>(a, p) : poisson_with<T, true, false>(a, p);
  }
  if (static_cast<T>(p.eps) >= std::numeric_limits<T>::min()) {
    return p.full ? poisson_with<T, false, true, RateLog::kNormal>(a, p)
                  : poisson_with<T, false, false, RateLog::kNormal>(a, p);
  }
  return p.full ? poisson_with<T, false, true>(a, p) : poisson_with<T, false, false>(a, p);
}

}  // namespace

void register_count(KernelTable& table) {
  add(table, elementwise_loss("poisson", {poisson<float>, poisson<double>}, "log_input", "full",
                              "eps"));
}

FASTLOSS_END_ISA_NAMESPACE
