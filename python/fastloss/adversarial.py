"""Adversarial losses: GAN (minimax and non-saturating), least-squares GAN, Wasserstein.

Inputs are discriminator (critic) outputs of any shape, one value per sample: ``d_real`` on
real data ``D(x)``, ``d_fake`` on generated data ``D(G(z))``; they may have different
shapes and lengths. Each loss is a sum of terms, one per input, computed by one fused pass
over that input (no target array is formed).

Reductions of the two-input (discriminator/critic) losses, one term per input:

- ``"mean"``: the mean over ``d_real`` plus the mean over ``d_fake`` — each expectation of
  the formula estimated on its own batch, as ``BCE(real, 1) + BCE(fake, 0)`` in PyTorch and
  Keras tutorials. With weights, each mean is weighted by its own weights
  (``Σ wᵢℓᵢ / Σ wᵢ`` per input). An empty input has no mean: the result is NaN.
- ``"sum"``: the sum over both inputs of the (weighted) per-sample terms.
- ``"none"``: a tuple ``(per_real, per_fake)`` of (weighted) per-sample terms with the
  shapes of the inputs; their total is the ``"sum"``.
- ``sample_weight``: ``None`` or a tuple ``(w_real, w_fake)``, each ``None`` or
  broadcastable to its input's shape (a tuple, not a list or array, so that weights of a
  two-element input are never mistaken for the pair).
- ``return_grad=True`` returns ``(loss, (grad_real, grad_fake))``, the gradients of the
  result (for ``"none"``: of the sum of both returned arrays) with respect to each input.

The generator losses take one input and reduce like every elementwise loss.
"""

from __future__ import annotations

import math
from typing import Any, List, NamedTuple, Optional, Tuple, Union

import numpy as np

from . import _args, _core
from ._args import ArrayLike, LossResult

__all__ = [
    "gan_discriminator",
    "gan_generator",
    "lsgan_discriminator",
    "lsgan_generator",
    "wasserstein_critic",
    "wasserstein_generator",
]

Result = Union[LossResult, Tuple[Any, ...], Tuple[Any, Any]]


class _Term(NamedTuple):
    loss_sum: float
    denominator: float  # of the term's mean: the weight total, or the element count
    per_sample: Optional[np.ndarray]
    grad: Optional[np.ndarray]


def _check_number(value: Any, name: str) -> float:
    number = _args.check_number(value, name)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {_args.show(value)}")
    return number


def _inputs(named: List[Tuple[ArrayLike, str]]) -> Tuple[List[np.ndarray], np.dtype]:
    """Discriminator outputs, checked; the compute dtype is NumPy's result type of them."""
    arrays = []
    for x, name in named:
        a = _args.as_array(x, name)
        _args.check_numeric(a, name)
        arrays.append(a)
    return arrays, _args.compute_dtype(*arrays)


def _pair_weights(sample_weight: Any) -> Tuple[Any, Any]:
    if sample_weight is None:
        return None, None
    if not isinstance(sample_weight, tuple) or len(sample_weight) != 2:
        raise TypeError("sample_weight of a loss over d_real and d_fake must be None or a tuple "
                        "(weights of d_real, weights of d_fake), either of which may be None; "
                        f"got {type(sample_weight).__name__}")
    return sample_weight


def _term(kind: str, d: np.ndarray, dtype: np.dtype, name: str, sample_weight: Any,
          weight_name: str, reduction: str, return_grad: bool, *, from_logits: bool = True,
          target: float = 0.0, sign: float = 1.0) -> _Term:
    """One input's term, computed in `dtype`; the gradient comes back in `d`'s dtype."""
    w = _args.prepare_weight(sample_weight, d.shape, dtype, weight_name)
    loss_sum, weight_sum, first_invalid, per, grad = _core.adversarial_term(
        kind, _args.as_kernel_input(d, dtype), w, reduction == "none", return_grad,
        reduction == "mean", from_logits, target, sign)
    if first_invalid >= 0:
        raise _args.DataError(f"{name} must hold probabilities in [0, 1] (pass from_logits=True "
                              f"for logits); found {_args.show(d.flat[first_invalid])} at index "
                              f"$index", index=_args.position(d.shape, first_invalid))
    if grad is not None:
        grad = _args.grad_like_input(grad, d.dtype)
    return _Term(loss_sum, weight_sum if w is not None else float(d.size), per, grad)


def _one(term: _Term, reduction: str, dtype: np.dtype, return_grad: bool) -> Result:
    """A one-input loss's result, reduced like every elementwise loss."""
    if reduction == _args.PARTIAL:
        value: Any = (term.loss_sum, term.denominator)
    elif reduction == "none":
        value = term.per_sample
    elif reduction == "sum":
        value = dtype.type(term.loss_sum)
    else:
        value = dtype.type(term.loss_sum / term.denominator if term.denominator != 0
                           else math.nan)
    return (value, term.grad) if return_grad else value


def _two(real: _Term, fake: _Term, reduction: str, dtype: np.dtype, return_grad: bool) -> Result:
    """A discriminator loss's result: see the module docstring for the reductions."""
    if reduction == "none":
        value: Any = (real.per_sample, fake.per_sample)
    elif reduction == "sum":
        value = dtype.type(real.loss_sum + fake.loss_sum)
    else:
        total = 0.0
        for t in (real, fake):
            total += t.loss_sum / t.denominator if t.denominator != 0 else math.nan
        value = dtype.type(total)
    return (value, (real.grad, fake.grad)) if return_grad else value


def _check_two_reduction(reduction: str, name: str) -> None:
    _args.check_reduction(reduction)
    if reduction == _args.PARTIAL:
        # The mean is a sum of two means over inputs of different lengths: not one ratio.
        raise ValueError(f"{name} cannot be accumulated over chunks: its mean is the sum of "
                         "a mean over d_real and a mean over d_fake")


def gan_discriminator(
    d_real: ArrayLike,
    d_fake: ArrayLike,
    *,
    from_logits: bool = True,
    label_smoothing: float = 0.0,
    reduction: str = "mean",
    sample_weight: Optional[Tuple[Optional[ArrayLike], Optional[ArrayLike]]] = None,
    return_grad: bool = False,
) -> Result:
    """The GAN discriminator's loss: binary cross-entropy of real against fake.

    .. math:: L_D = -\\mathbb{E}_x[\\log D(x)] - \\mathbb{E}_z[\\log(1 - D(G(z)))]
              = \\mathrm{BCE}(D(x), 1 - ε) + \\mathrm{BCE}(D(G(z)), 0)

    With one-sided label smoothing ``ε`` (Salimans et al., 2016) the real target is
    ``1 - ε``; the fake target stays 0. From logits (default) each term is the stable
    ``max(x, 0) - y·x + log1p(exp(-|x|))`` with gradient ``σ(x) - y``; from probabilities
    (``from_logits=False``) each log is clamped at -100 (PyTorch) and values outside [0, 1]
    raise ``ValueError`` naming the input, index and value.

    Parameters
    ----------
    d_real, d_fake : array_like, any shapes
        Discriminator outputs on real and generated samples (logits or probabilities).
    from_logits : bool
    label_smoothing : float in [0, 1]
    reduction : {"mean", "sum", "none"}
        ``"mean"`` is the mean over ``d_real`` plus the mean over ``d_fake``; ``"sum"`` the
        total; ``"none"`` the tuple ``(per_real, per_fake)``.
    sample_weight : tuple (w_real, w_fake), optional
        Each ``None`` or broadcastable to its input; each mean is weighted by its own weights.
    return_grad : bool
        Also return ``(grad_real, grad_fake)``.

    Equivalent to ``F.binary_cross_entropy_with_logits(d_real, torch.full_like(d_real, 1 - ε))
    + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))`` in PyTorch, and
    to the Keras DCGAN tutorial's ``BinaryCrossentropy(from_logits=True)(ones, real) +
    BinaryCrossentropy(from_logits=True)(zeros, fake)`` (without smoothing).

    Examples
    --------
    >>> import numpy as np, fastloss
    >>> real, fake = np.array([2.0, 0.5]), np.array([-1.0, 0.0, 1.0])
    >>> round(float(fastloss.gan_discriminator(real, fake)), 6)
    1.073726
    >>> per_real, per_fake = fastloss.gan_discriminator(real, fake, reduction="none")
    >>> per_fake.round(6)
    array([0.313262, 0.693147, 1.313262])
    """
    _check_two_reduction(reduction, "gan_discriminator")
    from_logits = _args.check_flag(from_logits, "from_logits")
    label_smoothing = _args.check_fraction(label_smoothing, "label_smoothing")
    w_real, w_fake = _pair_weights(sample_weight)
    (real, fake), dtype = _inputs([(d_real, "d_real"), (d_fake, "d_fake")])
    g = bool(return_grad)
    t_real = _term("gan", real, dtype, "d_real", w_real,
                   "sample_weight[0] (weights of d_real)", reduction, g,
                   from_logits=from_logits, target=1.0 - label_smoothing)
    t_fake = _term("gan", fake, dtype, "d_fake", w_fake,
                   "sample_weight[1] (weights of d_fake)", reduction, g,
                   from_logits=from_logits, target=0.0)
    return _two(t_real, t_fake, reduction, dtype, g)


def gan_generator(
    d_fake: ArrayLike,
    *,
    from_logits: bool = True,
    saturating: bool = False,
    reduction: str = "mean",
    sample_weight: Optional[ArrayLike] = None,
    return_grad: bool = False,
) -> Result:
    """The GAN generator's loss, non-saturating by default.

    - ``saturating=False``: ``-E[log D(G(z))] = BCE(D(G(z)), 1)``, the non-saturating
      heuristic of Goodfellow et al. (2014), with strong gradients early in training.
    - ``saturating=True``: ``E[log(1 - D(G(z)))] = -BCE(D(G(z)), 0)``, the minimax game's
      generator objective (to minimise; it saturates when D rejects the samples).

    From logits (default) in the stable softplus form, gradient ``σ(x) - 1`` and ``-σ(x)``
    respectively; from probabilities each log is clamped at -100 and values outside [0, 1]
    raise ``ValueError``. Elementwise: ``"none"`` keeps the shape of ``d_fake``.

    Equivalent to ``F.binary_cross_entropy_with_logits(d_fake, torch.ones_like(d_fake))``
    (non-saturating) and ``-F.binary_cross_entropy_with_logits(d_fake,
    torch.zeros_like(d_fake))`` (saturating); Keras: ``BinaryCrossentropy(from_logits=True)
    (ones, fake)``.

    Examples
    --------
    >>> import numpy as np, fastloss
    >>> fake = np.array([-1.0, 0.0, 1.0])
    >>> round(float(fastloss.gan_generator(fake)), 6)
    0.773224
    >>> round(float(fastloss.gan_generator(fake, saturating=True)), 6)
    -0.773224
    """
    _args.check_reduction(reduction)
    from_logits = _args.check_flag(from_logits, "from_logits")
    saturating = _args.check_flag(saturating, "saturating")
    (fake,), dtype = _inputs([(d_fake, "d_fake")])
    g = bool(return_grad)
    term = _term("gan", fake, dtype, "d_fake", sample_weight, "sample_weight", reduction, g,
                 from_logits=from_logits, target=0.0 if saturating else 1.0,
                 sign=-1.0 if saturating else 1.0)
    return _one(term, reduction, dtype, g)


def lsgan_discriminator(
    d_real: ArrayLike,
    d_fake: ArrayLike,
    *,
    real_label: float = 1.0,
    fake_label: float = 0.0,
    reduction: str = "mean",
    sample_weight: Optional[Tuple[Optional[ArrayLike], Optional[ArrayLike]]] = None,
    return_grad: bool = False,
) -> Result:
    """The least-squares GAN discriminator's loss (Mao et al., 2017).

    .. math:: L_D = \\tfrac12 \\mathbb{E}_x[(D(x) - b)^2] + \\tfrac12 \\mathbb{E}_z[(D(G(z)) - a)^2]

    with ``b = real_label`` and ``a = fake_label``; gradients ``D(x) - b`` and
    ``D(G(z)) - a`` (per sample, before the reduction). Reductions, weights and gradients of
    the two inputs as :func:`gan_discriminator`.

    Equivalent to ``0.5 * F.mse_loss(d_real, torch.full_like(d_real, b)) + 0.5 *
    F.mse_loss(d_fake, torch.full_like(d_fake, a))`` and to Keras'
    ``0.5 * MeanSquaredError()`` on each part.

    Examples
    --------
    >>> import numpy as np, fastloss
    >>> fastloss.lsgan_discriminator(np.array([0.5, 1.5]), np.array([0.0, 1.0, 2.0]))
    np.float64(0.9583333333333334)
    """
    _check_two_reduction(reduction, "lsgan_discriminator")
    real_label = _check_number(real_label, "real_label")
    fake_label = _check_number(fake_label, "fake_label")
    w_real, w_fake = _pair_weights(sample_weight)
    (real, fake), dtype = _inputs([(d_real, "d_real"), (d_fake, "d_fake")])
    g = bool(return_grad)
    t_real = _term("lsgan", real, dtype, "d_real", w_real,
                   "sample_weight[0] (weights of d_real)", reduction, g, target=real_label)
    t_fake = _term("lsgan", fake, dtype, "d_fake", w_fake,
                   "sample_weight[1] (weights of d_fake)", reduction, g, target=fake_label)
    return _two(t_real, t_fake, reduction, dtype, g)


def lsgan_generator(
    d_fake: ArrayLike,
    *,
    target: float = 1.0,
    reduction: str = "mean",
    sample_weight: Optional[ArrayLike] = None,
    return_grad: bool = False,
) -> Result:
    """The least-squares GAN generator's loss ``½·E[(D(G(z)) - c)²]``, ``c = target``.

    Gradient ``D(G(z)) - c`` per sample. Elementwise: ``"none"`` keeps the shape of
    ``d_fake``. Equivalent to ``0.5 * F.mse_loss(d_fake, torch.full_like(d_fake, c))``.

    Examples
    --------
    >>> import numpy as np, fastloss
    >>> fastloss.lsgan_generator(np.array([0.0, 1.0, 2.0]))
    np.float64(0.3333333333333333)
    """
    _args.check_reduction(reduction)
    target = _check_number(target, "target")
    (fake,), dtype = _inputs([(d_fake, "d_fake")])
    g = bool(return_grad)
    term = _term("lsgan", fake, dtype, "d_fake", sample_weight, "sample_weight", reduction, g,
                 target=target)
    return _one(term, reduction, dtype, g)


def wasserstein_critic(
    d_real: ArrayLike,
    d_fake: ArrayLike,
    *,
    reduction: str = "mean",
    sample_weight: Optional[Tuple[Optional[ArrayLike], Optional[ArrayLike]]] = None,
    return_grad: bool = False,
) -> Result:
    """The Wasserstein GAN critic's loss (Arjovsky et al., 2017), to minimise.

    .. math:: L_C = \\mathbb{E}_z[D(G(z))] - \\mathbb{E}_x[D(x)]

    Per-sample terms are ``-D(x)`` for real and ``+D(G(z))`` for fake samples (so
    ``"none"`` returns ``(-w·d_real, w·d_fake)``); gradients ``-1`` and ``+1`` per sample
    before the reduction. Reductions, weights and gradients of the two inputs as
    :func:`gan_discriminator`. The Lipschitz constraint (clipping, gradient penalty) is not
    part of the loss.

    Equivalent to ``d_fake.mean() - d_real.mean()`` on ``torch`` tensors, or
    ``keras.ops.mean(d_fake) - keras.ops.mean(d_real)``.

    Examples
    --------
    >>> import numpy as np, fastloss
    >>> fastloss.wasserstein_critic(np.array([1.0, 3.0]), np.array([-1.0, 0.5, 0.0]))
    np.float64(-2.1666666666666665)
    """
    _check_two_reduction(reduction, "wasserstein_critic")
    w_real, w_fake = _pair_weights(sample_weight)
    (real, fake), dtype = _inputs([(d_real, "d_real"), (d_fake, "d_fake")])
    g = bool(return_grad)
    t_real = _term("wasserstein", real, dtype, "d_real", w_real,
                   "sample_weight[0] (weights of d_real)", reduction, g, sign=-1.0)
    t_fake = _term("wasserstein", fake, dtype, "d_fake", w_fake,
                   "sample_weight[1] (weights of d_fake)", reduction, g, sign=1.0)
    return _two(t_real, t_fake, reduction, dtype, g)


def wasserstein_generator(
    d_fake: ArrayLike,
    *,
    reduction: str = "mean",
    sample_weight: Optional[ArrayLike] = None,
    return_grad: bool = False,
) -> Result:
    """The Wasserstein GAN generator's loss ``-E[D(G(z))]``.

    Per-sample terms ``-D(G(z))``, gradient -1 per sample before the reduction.
    Elementwise: ``"none"`` keeps the shape of ``d_fake``. Equivalent to
    ``-d_fake.mean()`` on ``torch`` tensors, or ``-keras.ops.mean(d_fake)``.

    Examples
    --------
    >>> import numpy as np, fastloss
    >>> fastloss.wasserstein_generator(np.array([-1.0, 0.5, 3.0]))
    np.float64(-0.8333333333333334)
    """
    _args.check_reduction(reduction)
    (fake,), dtype = _inputs([(d_fake, "d_fake")])
    g = bool(return_grad)
    term = _term("wasserstein", fake, dtype, "d_fake", sample_weight, "sample_weight",
                 reduction, g, sign=-1.0)
    return _one(term, reduction, dtype, g)
