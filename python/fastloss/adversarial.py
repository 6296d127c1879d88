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

from typing import TYPE_CHECKING, Any, List, NamedTuple, Optional, Tuple

import numpy as np

from . import _args, _registry
from ._args import ArrayLike, Result


class _Term(NamedTuple):
    """One input's kernel result, and how its mean and gradient are formed."""

    result: _args.KernelResult
    size: int  # elements ("count" would shadow tuple.count)
    weighted: bool
    input_dtype: np.dtype


def _inputs(named: List[Tuple[ArrayLike, str]]) -> Tuple[List[np.ndarray], np.dtype]:
    """Discriminator outputs, checked; the compute dtype is NumPy's result type of them."""
    first = named[0][0]
    if type(first) is np.ndarray and first.dtype in _args.NATIVE and all(
            type(x) is np.ndarray and x.dtype is first.dtype for x, _ in named):
        return [x for x, _ in named], first.dtype  # float32/float64 arrays: nothing to check
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


def _term(kernel: str, d: np.ndarray, dtype: np.dtype, name: str, sample_weight: Any,
          weight_name: str, reduction: str, return_grad: bool, **options: float) -> _Term:
    """One input's term, computed in `dtype`."""
    w = None
    if sample_weight is not None:
        w = _args.prepare_weight(sample_weight, d.shape, dtype, weight_name)
    result = _args.run_kernel(kernel, (_args.as_kernel_input(d, dtype),), None, w, reduction,
                              return_grad, options)
    i = result[2]
    if i >= 0:
        raise _args.DataError(f"{name} must hold probabilities in [0, 1] (pass from_logits=True "
                              f"for logits); found {_args.show(d.flat[i])} at index $index",
                              index=_args.position(d.shape, i))
    return _Term(result, d.size, w is not None, d.dtype)


def _one(term: _Term, reduction: str, dtype: np.dtype, return_grad: bool) -> Result:
    """A one-input loss's result, finished like every elementwise loss."""
    grads = None
    if return_grad and term.input_dtype != dtype:  # float16 input: its gradient in float16
        grads = lambda g: _args.grad_like_input(g[0], term.input_dtype)
    return _args.finish(term.result, reduction, dtype, return_grad, count=term.size,
                        weighted=term.weighted, grads=grads)


def _two(real: _Term, fake: _Term, reduction: str, dtype: np.dtype, return_grad: bool,
         name: str) -> Result:
    """A discriminator loss's result: see the module docstring for the reductions."""
    return _args.finish_two(
        real.result, fake.result, reduction, dtype, return_grad,
        counts=(real.size, fake.size), weighted=(real.weighted, fake.weighted),
        grads=lambda g_real, g_fake: (_args.grad_like_input(g_real[0], real.input_dtype),
                                      _args.grad_like_input(g_fake[0], fake.input_dtype)),
        name=name)


@_registry.loss
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
    from_logits : bool, default True
        The inputs are logits (True) or probabilities in [0, 1] (False).
    label_smoothing : float in [0, 1], default 0.0
        ``ε``: the real target becomes ``1 - ε`` (one-sided).
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` is the mean over ``d_real`` plus the mean over ``d_fake``; ``"sum"`` the
        total; ``"none"`` the tuple ``(per_real, per_fake)``.
    sample_weight : tuple (w_real, w_fake), optional
        Each ``None`` or broadcastable to its input; each mean is weighted by its own weights.
    return_grad : bool, default False
        Also return ``(grad_real, grad_fake)``.

    Returns
    -------
    loss : NumPy scalar, or tuple of two ndarrays for ``reduction="none"``
        ``"mean"`` and ``"sum"``: a NumPy scalar of the compute dtype (a mean over an empty
        input is NaN); ``"none"``: ``(per_real, per_fake)``, the weighted per-sample terms
        with the shapes of ``d_real`` and ``d_fake``.
    grads : tuple of two ndarrays, only with ``return_grad=True``
        ``(grad_real, grad_fake)``, the gradients of ``loss`` (for ``"none"``, of the sum of
        both returned arrays) with respect to ``d_real`` and ``d_fake``, with their shapes.
        The call returns ``(loss, (grad_real, grad_fake))``.

    Notes
    -----
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
    >>> loss, (grad_real, grad_fake) = fastloss.gan_discriminator(real, fake, return_grad=True)
    >>> grad_real.round(6)  # (σ(x) - 1) / 2: the mean over d_real's 2 samples
    array([-0.059601, -0.18877 ])
    """
    reduction = _args.check_reduction(reduction)
    return_grad = _args.check_flag(return_grad, "return_grad")
    from_logits = _args.check_flag(from_logits, "from_logits")
    label_smoothing = _args.check_fraction(label_smoothing, "label_smoothing")
    w_real, w_fake = _pair_weights(sample_weight)
    (real, fake), dtype = _inputs([(d_real, "d_real"), (d_fake, "d_fake")])
    t_real = _term("gan_term", real, dtype, "d_real", w_real,
                   "sample_weight[0] (weights of d_real)", reduction, return_grad,
                   from_logits=from_logits, target=1.0 - label_smoothing, sign=1.0)
    t_fake = _term("gan_term", fake, dtype, "d_fake", w_fake,
                   "sample_weight[1] (weights of d_fake)", reduction, return_grad,
                   from_logits=from_logits, target=0.0, sign=1.0)
    return _two(t_real, t_fake, reduction, dtype, return_grad, "gan_discriminator")


@_registry.loss
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

    Parameters
    ----------
    d_fake : array_like, any shape
        Discriminator outputs on generated samples (logits or probabilities).
    from_logits : bool, default True
        ``d_fake`` holds logits (True) or probabilities in [0, 1] (False).
    saturating : bool, default False
        Use the minimax (saturating) objective instead of the non-saturating one.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` is ``Σ wᵢℓᵢ / Σ wᵢ`` (unweighted: the mean over all elements),
        ``"sum"`` is ``Σ wᵢℓᵢ``, ``"none"`` returns ``wᵢℓᵢ`` with the shape of ``d_fake``.
    sample_weight : array_like, optional
        Weights broadcastable to the shape of ``d_fake``.
    return_grad : bool, default False
        Also return the gradient with respect to ``d_fake``, computed in the same pass.

    Returns
    -------
    loss : NumPy scalar, or ndarray for ``reduction="none"``
        ``"mean"`` and ``"sum"``: a NumPy scalar of the compute dtype (NaN and 0 for an
        empty input); ``"none"``: the array ``wᵢℓᵢ`` with the shape of ``d_fake``.
    grad : ndarray, only with ``return_grad=True``
        The gradient of ``loss`` (for ``"none"``, of the sum of the returned losses) with
        respect to ``d_fake``, weights included, with its shape. The call returns
        ``(loss, grad)``.

    Notes
    -----
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
    >>> fastloss.gan_generator(np.array([0.5, 0.8]), from_logits=False, reduction="none",
    ...                        return_grad=True)  # -log p and -1/p
    (array([0.69314718, 0.22314355]), array([-2.  , -1.25]))
    """
    reduction = _args.check_reduction(reduction)
    return_grad = _args.check_flag(return_grad, "return_grad")
    from_logits = _args.check_flag(from_logits, "from_logits")
    saturating = _args.check_flag(saturating, "saturating")
    (fake,), dtype = _inputs([(d_fake, "d_fake")])
    term = _term("gan_term", fake, dtype, "d_fake", sample_weight, "sample_weight", reduction,
                 return_grad, from_logits=from_logits, target=0.0 if saturating else 1.0,
                 sign=-1.0 if saturating else 1.0)
    return _one(term, reduction, dtype, return_grad)


@_registry.loss
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

    Parameters
    ----------
    d_real, d_fake : array_like, any shapes
        Discriminator outputs on real and generated samples.
    real_label : float, default 1.0
        ``b``, the target of real samples; finite (else ``ValueError``).
    fake_label : float, default 0.0
        ``a``, the target of generated samples; finite (else ``ValueError``).
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` is the mean over ``d_real`` plus the mean over ``d_fake``; ``"sum"`` the
        total; ``"none"`` the tuple ``(per_real, per_fake)``.
    sample_weight : tuple (w_real, w_fake), optional
        Each ``None`` or broadcastable to its input; each mean is weighted by its own weights.
    return_grad : bool, default False
        Also return ``(grad_real, grad_fake)``.

    Returns
    -------
    loss : NumPy scalar, or tuple of two ndarrays for ``reduction="none"``
        ``"mean"`` and ``"sum"``: a NumPy scalar of the compute dtype (a mean over an empty
        input is NaN); ``"none"``: ``(per_real, per_fake)``, the weighted per-sample terms
        ``½(D - target)²`` with the shapes of ``d_real`` and ``d_fake``.
    grads : tuple of two ndarrays, only with ``return_grad=True``
        ``(grad_real, grad_fake)``, the gradients of ``loss`` (for ``"none"``, of the sum of
        both returned arrays) with respect to ``d_real`` and ``d_fake``, with their shapes.
        The call returns ``(loss, (grad_real, grad_fake))``.

    Notes
    -----
    Equivalent to ``0.5 * F.mse_loss(d_real, torch.full_like(d_real, b)) + 0.5 *
    F.mse_loss(d_fake, torch.full_like(d_fake, a))`` and to Keras'
    ``0.5 * MeanSquaredError()`` on each part.

    Examples
    --------
    >>> import numpy as np, fastloss
    >>> fastloss.lsgan_discriminator(np.array([0.5, 1.5]), np.array([0.0, 1.0, 2.0]))
    np.float64(0.9583333333333334)
    >>> fastloss.lsgan_discriminator(np.array([0.5, 1.5]), np.array([0.0, 1.0, 2.0]),
    ...                              real_label=0.5, fake_label=-0.5, reduction="none")
    (array([0. , 0.5]), array([0.125, 1.125, 3.125]))
    """
    reduction = _args.check_reduction(reduction)
    return_grad = _args.check_flag(return_grad, "return_grad")
    real_label = _args.check_finite(real_label, "real_label")
    fake_label = _args.check_finite(fake_label, "fake_label")
    w_real, w_fake = _pair_weights(sample_weight)
    (real, fake), dtype = _inputs([(d_real, "d_real"), (d_fake, "d_fake")])
    t_real = _term("lsgan_term", real, dtype, "d_real", w_real,
                   "sample_weight[0] (weights of d_real)", reduction, return_grad,
                   target=real_label)
    t_fake = _term("lsgan_term", fake, dtype, "d_fake", w_fake,
                   "sample_weight[1] (weights of d_fake)", reduction, return_grad,
                   target=fake_label)
    return _two(t_real, t_fake, reduction, dtype, return_grad, "lsgan_discriminator")


@_registry.loss
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
    ``d_fake``.

    Parameters
    ----------
    d_fake : array_like, any shape
        Discriminator outputs on generated samples.
    target : float, default 1.0
        ``c``, the value the generator wants D to output; finite (else ``ValueError``).
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` is ``Σ wᵢℓᵢ / Σ wᵢ`` (unweighted: the mean over all elements),
        ``"sum"`` is ``Σ wᵢℓᵢ``, ``"none"`` returns ``wᵢℓᵢ`` with the shape of ``d_fake``.
    sample_weight : array_like, optional
        Weights broadcastable to the shape of ``d_fake``.
    return_grad : bool, default False
        Also return the gradient with respect to ``d_fake``, computed in the same pass.

    Returns
    -------
    loss : NumPy scalar, or ndarray for ``reduction="none"``
        ``"mean"`` and ``"sum"``: a NumPy scalar of the compute dtype (NaN and 0 for an
        empty input); ``"none"``: the array ``wᵢℓᵢ`` with the shape of ``d_fake``.
    grad : ndarray, only with ``return_grad=True``
        The gradient of ``loss`` (for ``"none"``, of the sum of the returned losses) with
        respect to ``d_fake``, weights included, with its shape. The call returns
        ``(loss, grad)``.

    Notes
    -----
    Equivalent to ``0.5 * F.mse_loss(d_fake, torch.full_like(d_fake, c))``, and to Keras'
    ``0.5 * MeanSquaredError()(c * ones, fake)``.

    Examples
    --------
    >>> import numpy as np, fastloss
    >>> fastloss.lsgan_generator(np.array([0.0, 1.0, 2.0]))
    np.float64(0.3333333333333333)
    >>> fastloss.lsgan_generator(np.array([0.0, 1.0, 2.0]), target=0.5, reduction="sum",
    ...                          return_grad=True)
    (np.float64(1.375), array([-0.5,  0.5,  1.5]))
    """
    reduction = _args.check_reduction(reduction)
    return_grad = _args.check_flag(return_grad, "return_grad")
    target = _args.check_finite(target, "target")
    (fake,), dtype = _inputs([(d_fake, "d_fake")])
    term = _term("lsgan_term", fake, dtype, "d_fake", sample_weight, "sample_weight", reduction,
                 return_grad, target=target)
    return _one(term, reduction, dtype, return_grad)


@_registry.loss
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

    Parameters
    ----------
    d_real, d_fake : array_like, any shapes
        Critic outputs (unbounded scores) on real and generated samples.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` is the mean over ``d_fake`` minus the mean over ``d_real``; ``"sum"`` the
        total of the per-sample terms; ``"none"`` the tuple ``(per_real, per_fake)``.
    sample_weight : tuple (w_real, w_fake), optional
        Each ``None`` or broadcastable to its input; each mean is weighted by its own weights.
    return_grad : bool, default False
        Also return ``(grad_real, grad_fake)``.

    Returns
    -------
    loss : NumPy scalar, or tuple of two ndarrays for ``reduction="none"``
        ``"mean"`` and ``"sum"``: a NumPy scalar of the compute dtype (a mean over an empty
        input is NaN); ``"none"``: ``(-w·d_real, w·d_fake)`` with the inputs' shapes.
    grads : tuple of two ndarrays, only with ``return_grad=True``
        ``(grad_real, grad_fake)``, the gradients of ``loss`` (for ``"none"``, of the sum of
        both returned arrays) with respect to ``d_real`` and ``d_fake``, with their shapes:
        ``-w/Σw`` and ``w/Σw`` for ``"mean"``. The call returns
        ``(loss, (grad_real, grad_fake))``.

    Notes
    -----
    Equivalent to ``d_fake.mean() - d_real.mean()`` on ``torch`` tensors, or
    ``keras.ops.mean(d_fake) - keras.ops.mean(d_real)``.

    Examples
    --------
    >>> import numpy as np, fastloss
    >>> fastloss.wasserstein_critic(np.array([1.0, 3.0]), np.array([-1.0, 0.5, 0.0]))
    np.float64(-2.1666666666666665)
    >>> fastloss.wasserstein_critic(np.array([1.0, 3.0]), np.array([-1.0, 0.5, 0.0]),
    ...                             reduction="none", sample_weight=(np.array([2.0, 1.0]), None))
    (array([-2., -3.]), array([-1. ,  0.5,  0. ]))
    """
    reduction = _args.check_reduction(reduction)
    return_grad = _args.check_flag(return_grad, "return_grad")
    w_real, w_fake = _pair_weights(sample_weight)
    (real, fake), dtype = _inputs([(d_real, "d_real"), (d_fake, "d_fake")])
    t_real = _term("wasserstein_term", real, dtype, "d_real", w_real,
                   "sample_weight[0] (weights of d_real)", reduction, return_grad, sign=-1.0)
    t_fake = _term("wasserstein_term", fake, dtype, "d_fake", w_fake,
                   "sample_weight[1] (weights of d_fake)", reduction, return_grad, sign=1.0)
    return _two(t_real, t_fake, reduction, dtype, return_grad, "wasserstein_critic")


@_registry.loss
def wasserstein_generator(
    d_fake: ArrayLike,
    *,
    reduction: str = "mean",
    sample_weight: Optional[ArrayLike] = None,
    return_grad: bool = False,
) -> Result:
    """The Wasserstein GAN generator's loss ``-E[D(G(z))]``.

    Per-sample terms ``-D(G(z))``, gradient -1 per sample before the reduction.
    Elementwise: ``"none"`` keeps the shape of ``d_fake``.

    Parameters
    ----------
    d_fake : array_like, any shape
        Critic outputs (unbounded scores) on generated samples.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` is ``Σ wᵢℓᵢ / Σ wᵢ`` (unweighted: the mean over all elements),
        ``"sum"`` is ``Σ wᵢℓᵢ``, ``"none"`` returns ``wᵢℓᵢ = -wᵢ·d_fakeᵢ`` with the shape
        of ``d_fake``.
    sample_weight : array_like, optional
        Weights broadcastable to the shape of ``d_fake``.
    return_grad : bool, default False
        Also return the gradient with respect to ``d_fake``, computed in the same pass.

    Returns
    -------
    loss : NumPy scalar, or ndarray for ``reduction="none"``
        ``"mean"`` and ``"sum"``: a NumPy scalar of the compute dtype (NaN and 0 for an
        empty input); ``"none"``: the array ``wᵢℓᵢ`` with the shape of ``d_fake``.
    grad : ndarray, only with ``return_grad=True``
        The gradient of ``loss`` (for ``"none"``, of the sum of the returned losses) with
        respect to ``d_fake``, weights included (``-w/Σw`` for ``"mean"``), with its shape.
        The call returns ``(loss, grad)``.

    Notes
    -----
    Equivalent to ``-d_fake.mean()`` on ``torch`` tensors, or ``-keras.ops.mean(d_fake)``.

    Examples
    --------
    >>> import numpy as np, fastloss
    >>> fastloss.wasserstein_generator(np.array([-1.0, 0.5, 3.0]))
    np.float64(-0.8333333333333334)
    >>> fastloss.wasserstein_generator(np.array([-1.0, 0.5, 3.0]),
    ...                                sample_weight=np.array([1.0, 1.0, 2.0]), return_grad=True)
    (np.float64(-1.375), array([-0.25, -0.25, -0.5 ]))
    """
    reduction = _args.check_reduction(reduction)
    return_grad = _args.check_flag(return_grad, "return_grad")
    (fake,), dtype = _inputs([(d_fake, "d_fake")])
    term = _term("wasserstein_term", fake, dtype, "d_fake", sample_weight, "sample_weight",
                 reduction, return_grad, sign=-1.0)
    return _one(term, reduction, dtype, return_grad)


if not TYPE_CHECKING:  # type checkers read the functions above
    __all__ = _registry.exports(__name__)  # noqa: PLE0605 - built from the @loss declarations
