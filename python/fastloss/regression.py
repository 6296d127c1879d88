"""Regression losses: elementwise functions of d = y_pred - y_true."""

from __future__ import annotations

from typing import Optional, Tuple, Union

import numpy as np

from . import _args, _core
from ._args import ArrayLike, LossResult

__all__ = ["mse", "mae", "huber"]

Result = Union[LossResult, Tuple[LossResult, np.ndarray]]


def mse(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    reduction: str = "mean",
    sample_weight: Optional[ArrayLike] = None,
    return_grad: bool = False,
) -> Result:
    """Mean squared error.

    .. math:: \\ell_i = (\\hat y_i - y_i)^2, \\qquad
              \\partial \\ell_i / \\partial \\hat y_i = 2 (\\hat y_i - y_i)

    Parameters
    ----------
    y_true, y_pred : array_like, same shape
        Targets and predictions. float32 and float64 are computed natively.
    reduction : {"mean", "sum", "none"}
        ``"mean"`` is ``sum(w * l) / sum(w)`` (``sum(l) / n`` unweighted), ``"sum"`` is
        ``sum(w * l)``, ``"none"`` returns ``w * l`` with the shape of the inputs.
    sample_weight : array_like, optional
        Weights broadcastable to the shape of the inputs.
    return_grad : bool
        Also return the gradient of the result with respect to ``y_pred`` (same shape and
        dtype), computed in the same pass.

    Returns
    -------
    loss : NumPy scalar, or ndarray for ``reduction="none"``
    grad : ndarray, only with ``return_grad=True``

    Equivalent to ``torch.nn.functional.mse_loss(y_pred, y_true)`` and
    ``keras.losses.MeanSquaredError()`` over all elements.

    Examples
    --------
    >>> import numpy as np, fastloss
    >>> fastloss.mse(np.array([0.0, 1.0, 2.0]), np.array([0.5, 1.0, 4.0]))
    np.float64(1.4166666666666667)
    """
    return _args.elementwise_loss(_core.mse, y_true, y_pred, sample_weight, reduction, return_grad)


def mae(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    reduction: str = "mean",
    sample_weight: Optional[ArrayLike] = None,
    return_grad: bool = False,
) -> Result:
    """Mean absolute error.

    .. math:: \\ell_i = |\\hat y_i - y_i|, \\qquad
              \\partial \\ell_i / \\partial \\hat y_i = \\operatorname{sign}(\\hat y_i - y_i)

    The gradient at ``y_pred == y_true`` is 0, as in PyTorch. Parameters and returns as
    :func:`mse`. Equivalent to ``torch.nn.functional.l1_loss(y_pred, y_true)`` and
    ``keras.losses.MeanAbsoluteError()``.

    Examples
    --------
    >>> import numpy as np, fastloss
    >>> fastloss.mae(np.array([0.0, 1.0, 2.0]), np.array([0.5, 1.0, 4.0]))
    np.float64(0.8333333333333334)
    """
    return _args.elementwise_loss(_core.mae, y_true, y_pred, sample_weight, reduction, return_grad)


def huber(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    delta: float = 1.0,
    reduction: str = "mean",
    sample_weight: Optional[ArrayLike] = None,
    return_grad: bool = False,
) -> Result:
    """Huber loss: quadratic near zero, linear beyond ``delta``.

    .. math:: \\ell_i = \\begin{cases} \\tfrac12 d_i^2 & |d_i| \\le \\delta \\\\
              \\delta (|d_i| - \\tfrac12 \\delta) & \\text{otherwise} \\end{cases},
              \\quad d_i = \\hat y_i - y_i, \\qquad
              \\partial \\ell_i / \\partial \\hat y_i = \\operatorname{clip}(d_i, -\\delta, \\delta)

    ``delta`` must be positive and finite. Other parameters and returns as :func:`mse`.
    Equivalent to ``torch.nn.functional.huber_loss(y_pred, y_true, delta=delta)`` and
    ``keras.losses.Huber(delta)``.

    Examples
    --------
    >>> import numpy as np, fastloss
    >>> fastloss.huber(np.array([0.0, 1.0, 2.0]), np.array([0.5, 1.0, 4.0]))
    np.float64(0.5416666666666666)
    """
    delta = _args.check_positive(delta, "delta")
    return _args.elementwise_loss(
        _core.huber, y_true, y_pred, sample_weight, reduction, return_grad, delta=delta
    )
