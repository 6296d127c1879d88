"""Count losses: the Poisson negative log-likelihood."""

from __future__ import annotations

import math
from typing import Any, Optional, Tuple, Union

import numpy as np

from . import _args, _core
from ._args import ArrayLike, LossResult

__all__ = ["poisson"]

Result = Union[LossResult, Tuple[LossResult, np.ndarray]]


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
    log_input, full : bool
    eps : float >= 0
        Added to the rate inside the log (``log_input=False`` only).
    reduction, sample_weight, return_grad
        As for every loss.

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
    """
    _args.check_reduction(reduction)
    log_input = _args.check_flag(log_input, "log_input")
    full = _args.check_flag(full, "full")
    eps_value = _args.check_number(eps, "eps")
    if not (eps_value >= 0 and math.isfinite(eps_value)):
        raise ValueError(f"eps must be a finite number >= 0, got {_args.show(eps)}")

    def kernel(t: np.ndarray, p: np.ndarray, w: Any, want_out: bool, want_grad: bool,
               grad_mean: bool) -> _args.KernelResult:
        return _core.poisson(t, p, w, want_out, want_grad, grad_mean, log_input, full, eps_value)

    def invalid(t: np.ndarray, p: np.ndarray, i: int) -> Exception:
        pos = _args.position(t.shape, i)
        if t.flat[i] < 0:
            return _args.DataError(f"y_true must hold counts >= 0; found {_args.show(t.flat[i])} "
                                   f"at index $index", index=pos)
        return _args.DataError(f"y_pred must hold rates >= 0 (pass log_input=True for "
                               f"log-rates); found {_args.show(p.flat[i])} at index $index",
                               index=pos)

    return _args.elementwise_loss(kernel, y_true, y_pred, sample_weight, reduction, return_grad,
                                  invalid=invalid)
