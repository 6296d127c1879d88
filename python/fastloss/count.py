"""Count losses: the Poisson negative log-likelihood."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import numpy as np

from . import _args, _registry
from ._args import ArrayLike, Result


@_registry.loss
def poisson(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    log_input: bool = False,
    full: bool = False,
    eps: float = 1e-8,
    reduction: str = "mean",
    sample_weight: Optional[ArrayLike] = None,
    return_grad: bool = False,
) -> Result:
    """Poisson negative log-likelihood of counts ``y`` given predicted rates.

    - rates ``λ = y_pred`` (``log_input=False``, default): ``ℓ = λ - y·log(λ + eps)``,
      gradient ``1 - y/(λ + eps)``. Negative rates raise ``ValueError`` naming ``y_pred``,
      the first offending index and its value (checked inside the kernel, in the same pass).
    - log-rates ``x = y_pred`` (``log_input=True``): ``ℓ = exp(x) - y·x``, gradient
      ``exp(x) - y``.
    - ``full=True`` adds Stirling's approximation of ``log(y!)``,
      ``y·log y - y + ½·log(2πy)``, for ``y > 1`` (0 for ``y <= 1``), as PyTorch; it does not
      change the gradient.

    Counts ``y_true`` must be non-negative (they need not be integers); a negative count
    raises ``ValueError``. NaN propagates. Elementwise: ``"none"`` keeps the shape of the
    inputs, ``"mean"`` is over all elements (weighted with ``sample_weight``).

    Parameters
    ----------
    y_true, y_pred : array_like, same shape
        Observed counts (>= 0) and predicted rates (>= 0), or log-rates with
        ``log_input=True``.
    log_input : bool, default False
        ``y_pred`` holds log-rates.
    full : bool, default False
        Add the Stirling term.
    eps : float >= 0, default 1e-8
        Added to the rate inside the log (``log_input=False`` only); finite.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` is ``Σ wᵢℓᵢ / Σ wᵢ`` (unweighted: the mean over all elements),
        ``"sum"`` is ``Σ wᵢℓᵢ``, ``"none"`` returns ``wᵢℓᵢ`` with the shape of the inputs.
    sample_weight : array_like, optional
        Weights broadcastable to the shape of the inputs.
    return_grad : bool, default False
        Also return the gradient with respect to ``y_pred``, computed in the same pass.

    Returns
    -------
    loss : NumPy scalar, or ndarray for ``reduction="none"``
        ``"mean"`` and ``"sum"``: a NumPy scalar of the compute dtype (NaN and 0 for an
        empty input); ``"none"``: the array ``wᵢℓᵢ`` with the shape of the inputs.
    grad : ndarray, only with ``return_grad=True``
        The gradient of ``loss`` (for ``"none"``, of the sum of the returned losses) with
        respect to ``y_pred``, weights included, with the shape of ``y_pred`` (float16 for
        a float16 ``y_pred``, else the compute dtype). The call returns ``(loss, grad)``.

    Notes
    -----
    Equivalent to ``torch.nn.functional.poisson_nll_loss(y_pred, y_true, log_input=log_input,
    full=full, eps=eps)`` (note PyTorch's default is ``log_input=True``) and, with
    ``eps=1e-7``, to ``keras.losses.Poisson()``.

    Examples
    --------
    >>> import numpy as np, fastloss
    >>> y = np.array([0.0, 1.0, 3.0])
    >>> rate = np.array([0.5, 1.0, 2.0])
    >>> round(float(fastloss.poisson(y, rate)), 6)
    0.473519
    >>> round(float(fastloss.poisson(y, np.log(rate), log_input=True)), 6)
    0.473519
    >>> round(float(fastloss.poisson(y, rate, full=True)), 6)
    1.061547
    >>> loss, grad = fastloss.poisson(y, np.log(rate), log_input=True, reduction="sum",
    ...                               return_grad=True)
    >>> round(float(loss), 6), grad.round(6)  # grad: rate - y
    (1.420558, array([ 0.5,  0. , -1. ]))
    """
    log_input = _args.check_flag(log_input, "log_input")
    full = _args.check_flag(full, "full")
    eps_value = _args.check_finite(eps, "eps", minimum=0)

    def invalid(t: np.ndarray, p: np.ndarray, i: int) -> Exception:
        pos = _args.position(t.shape, i)
        if t.flat[i] < 0:
            return _args.DataError(f"y_true must hold counts >= 0; found {_args.show(t.flat[i])} "
                                   f"at index $index", index=pos)
        return _args.DataError(f"y_pred must hold rates >= 0 (pass log_input=True for "
                               f"log-rates); found {_args.show(p.flat[i])} at index $index",
                               index=pos)

    return _args.elementwise_loss("poisson", y_true, y_pred, sample_weight, reduction,
                                  return_grad, invalid=invalid, log_input=log_input, full=full,
                                  eps=eps_value)


if not TYPE_CHECKING:  # type checkers read the function above
    __all__ = _registry.exports(__name__)  # noqa: PLE0605 - built from the @loss declarations
