#include "kernels/adversarial.hpp"

#include "kernels/elementwise.hpp"
#include "kernels/reduce.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

namespace {

AdversarialParams params(const Options& o) {
  return {flag(o, "from_logits"), option(o, "target"), option(o, "sign")};
}

template <class T, ProbTarget kTarget>
LossSums gan_probs(const ElementwiseArgs<T>& a, T y, T sign) {
  GanProbsOp<T, kTarget> op;
  op.y = y;
  op.sign = sign;
  return elementwise(a, op);
}

// sign * BCE(D, target): from logits, or from probabilities with the logs the target needs.
template <class T>
LossSums gan(const ElementwiseArgs<T>& a, const Options& o) {
  const AdversarialParams p = params(o);
  const T y = static_cast<T>(p.target);
  const T sign = static_cast<T>(p.sign);
  if (p.from_logits) {
    GanLogitsOp<T> op;
    op.y = y;
    op.sign = sign;
    return elementwise(a, op);
  }
  if (p.target == 1.0) return gan_probs<T, ProbTarget::one>(a, y, sign);
  if (p.target == 0.0) return gan_probs<T, ProbTarget::zero>(a, y, sign);
  return gan_probs<T, ProbTarget::soft>(a, y, sign);
}

template <class T>
LossSums lsgan(const ElementwiseArgs<T>& a, const Options& o) {
  const AdversarialParams p = params(o);
  LeastSquaresOp<T> op;
  op.target = static_cast<T>(p.target);
  return elementwise(a, op);
}

template <class T>
LossSums wasserstein(const ElementwiseArgs<T>& a, const Options& o) {
  const AdversarialParams p = params(o);
  if (a.weight == nullptr && a.out == nullptr && a.grad == nullptr) {
    // Only the sum: sign (+-1) times the plain sum, the same lanes and blocks as below, so
    // the same bits, without the loss loop's per-element multiply and per-block overhead.
    // (+ 0.0: the loop's sums start at +0, so they never end at -0.)
    return {p.sign * sum(a.y_pred, a.n, a.num_threads) + 0.0, 0.0, -1};
  }
  LinearOp<T> op;
  op.sign = static_cast<T>(p.sign);
  return elementwise(a, op);
}

}  // namespace

void register_adversarial(KernelTable& table) {
  // Terms of one input each: the Python layer adds a discriminator's two.
  add(table, elementwise_loss("gan_term", {gan<float>, gan<double>}, "from_logits", "target",
                              "sign"));
  add(table, elementwise_loss("lsgan_term", {lsgan<float>, lsgan<double>}, "target"));
  add(table, elementwise_loss("wasserstein_term", {wasserstein<float>, wasserstein<double>},
                              "sign"));
}

FASTLOSS_END_ISA_NAMESPACE
