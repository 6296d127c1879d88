"""Regression losses: elementwise functions of d = y_pred - y_true."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from . import _args, _registry
from ._args import ArrayLike, Result


@_registry.loss
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
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` is ``sum(w * l) / sum(w)`` (``sum(l) / n`` unweighted), ``"sum"`` is
        ``sum(w * l)``, ``"none"`` returns ``w * l`` with the shape of the inputs.
    sample_weight : array_like, optional
        Weights broadcastable to the shape of the inputs.
    return_grad : bool, default False
        Also return the gradient of the result with respect to ``y_pred`` (same shape),
        computed in the same pass.

    Returns
    -------
    loss : NumPy scalar, or ndarray for ``reduction="none"``
        ``"mean"`` and ``"sum"``: a NumPy scalar of the compute dtype (float32 and float64
        as given, float16 computed in float32, integer-only inputs in float64); an empty
        input gives NaN for ``"mean"`` and 0 for ``"sum"``. ``"none"``: the array
        ``w * l`` with the shape of the inputs.
    grad : ndarray, only with ``return_grad=True``
        The gradient of ``loss`` (for ``"none"``, of the sum of the returned losses) with
        respect to ``y_pred``, weights included, with the shape of ``y_pred`` (float16 for a
        float16 ``y_pred``, else the compute dtype). The call returns ``(loss, grad)``.

    Notes
    -----
    Equivalent to ``torch.nn.functional.mse_loss(y_pred, y_true)`` and
    ``keras.losses.MeanSquaredError()`` over all elements.

    Examples
    --------
    >>> import numpy as np, fastloss
    >>> fastloss.mse(np.array([0.0, 1.0, 2.0]), np.array([0.5, 1.0, 4.0]))
    np.float64(1.4166666666666667)
    >>> loss, grad = fastloss.mse(np.array([0.0, 1.0]), np.array([1.0, 3.0]), return_grad=True)
    >>> loss, grad
    (np.float64(2.5), array([1., 2.]))
    """
    return _args.elementwise_loss("mse", y_true, y_pred, sample_weight, reduction, return_grad)


@_registry.loss
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

    The gradient at ``y_pred == y_true`` is 0, as in PyTorch.

    Parameters
    ----------
    y_true, y_pred : array_like, same shape
        Targets and predictions. float32 and float64 are computed natively.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` is ``sum(w * l) / sum(w)`` (``sum(l) / n`` unweighted), ``"sum"`` is
        ``sum(w * l)``, ``"none"`` returns ``w * l`` with the shape of the inputs.
    sample_weight : array_like, optional
        Weights broadcastable to the shape of the inputs.
    return_grad : bool, default False
        Also return the gradient of the result with respect to ``y_pred`` (same shape),
        computed in the same pass.

    Returns
    -------
    loss : NumPy scalar, or ndarray for ``reduction="none"``
        ``"mean"`` and ``"sum"``: a NumPy scalar of the compute dtype (float32 and float64
        as given, float16 computed in float32, integer-only inputs in float64); an empty
        input gives NaN for ``"mean"`` and 0 for ``"sum"``. ``"none"``: the array
        ``w * l`` with the shape of the inputs.
    grad : ndarray, only with ``return_grad=True``
        ``w * sign(y_pred - y_true)`` scaled by the reduction (divided by ``sum(w)`` for
        ``"mean"``), with the shape of ``y_pred`` (float16 for a float16 ``y_pred``, else
        the compute dtype). The call returns ``(loss, grad)``.

    Notes
    -----
    Equivalent to ``torch.nn.functional.l1_loss(y_pred, y_true)`` and
    ``keras.losses.MeanAbsoluteError()``.

    Examples
    --------
    >>> import numpy as np, fastloss
    >>> fastloss.mae(np.array([0.0, 1.0, 2.0]), np.array([0.5, 1.0, 4.0]))
    np.float64(0.8333333333333334)
    >>> fastloss.mae(np.array([0.0, 1.0, 2.0]), np.array([0.5, 1.0, 4.0]),
    ...              sample_weight=np.array([1.0, 1.0, 2.0]), return_grad=True)
    (np.float64(1.125), array([0.25, 0.  , 0.5 ]))
    """
    return _args.elementwise_loss("mae", y_true, y_pred, sample_weight, reduction, return_grad)


@_registry.loss
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

    Parameters
    ----------
    y_true, y_pred : array_like, same shape
        Targets and predictions. float32 and float64 are computed natively.
    delta : float, default 1.0
        Where the quadratic piece turns linear; must be positive and finite (else
        ``ValueError``).
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` is ``sum(w * l) / sum(w)`` (``sum(l) / n`` unweighted), ``"sum"`` is
        ``sum(w * l)``, ``"none"`` returns ``w * l`` with the shape of the inputs.
    sample_weight : array_like, optional
        Weights broadcastable to the shape of the inputs.
    return_grad : bool, default False
        Also return the gradient of the result with respect to ``y_pred`` (same shape),
        computed in the same pass.

    Returns
    -------
    loss : NumPy scalar, or ndarray for ``reduction="none"``
        ``"mean"`` and ``"sum"``: a NumPy scalar of the compute dtype (float32 and float64
        as given, float16 computed in float32, integer-only inputs in float64); an empty
        input gives NaN for ``"mean"`` and 0 for ``"sum"``. ``"none"``: the array
        ``w * l`` with the shape of the inputs.
    grad : ndarray, only with ``return_grad=True``
        ``w * clip(y_pred - y_true, -delta, delta)`` scaled by the reduction (divided by
        ``sum(w)`` for ``"mean"``), with the shape of ``y_pred`` (float16 for a float16
        ``y_pred``, else the compute dtype). The call returns ``(loss, grad)``.

    Notes
    -----
    Equivalent to ``torch.nn.functional.huber_loss(y_pred, y_true, delta=delta)`` and
    ``keras.losses.Huber(delta)``.

    Examples
    --------
    >>> import numpy as np, fastloss
    >>> fastloss.huber(np.array([0.0, 1.0, 2.0]), np.array([0.5, 1.0, 4.0]))
    np.float64(0.5416666666666666)
    >>> fastloss.huber(np.array([0.0, 1.0, 2.0]), np.array([0.5, 1.0, 4.0]), delta=2.0,
    ...                reduction="none")
    array([0.125, 0.   , 2.   ])
    >>> fastloss.huber(np.array([0.0, 1.0, 2.0]), np.array([0.5, 1.0, 4.0]), reduction="sum",
    ...                return_grad=True)
    (np.float64(1.625), array([0.5, 0. , 1. ]))
    """
    delta = _args.check_positive(delta, "delta")
    return _args.elementwise_loss(
        "huber", y_true, y_pred, sample_weight, reduction, return_grad, delta=delta
    )


@_registry.loss
def log_cosh(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    reduction: str = "mean",
    sample_weight: Optional[ArrayLike] = None,
    return_grad: bool = False,
) -> Result:
    """Log-cosh loss: quadratic near zero, ``|d| - log 2`` far from it, smooth everywhere.

    .. math:: \\ell_i = \\log \\cosh(\\hat y_i - y_i), \\qquad
              \\partial \\ell_i / \\partial \\hat y_i = \\tanh(\\hat y_i - y_i)

    Computed as ``|d| + log1p(exp(-2|d|)) - log 2`` (finite for every finite ``d``: ``cosh``
    itself overflows past ``|d| ~ 89`` in float32), and from its Taylor series for
    ``|d| < 0.5``, where that form cancels, so small differences keep full relative accuracy.

    Parameters
    ----------
    y_true, y_pred : array_like, same shape
        Targets and predictions. float32 and float64 are computed natively.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` is ``sum(w * l) / sum(w)`` (``sum(l) / n`` unweighted), ``"sum"`` is
        ``sum(w * l)``, ``"none"`` returns ``w * l`` with the shape of the inputs.
    sample_weight : array_like, optional
        Weights broadcastable to the shape of the inputs.
    return_grad : bool, default False
        Also return the gradient of the result with respect to ``y_pred`` (same shape and
        dtype), computed in the same pass.

    Returns
    -------
    loss : NumPy scalar, or ndarray for ``reduction="none"``
        ``"mean"`` and ``"sum"``: a NumPy scalar of the compute dtype (NaN and 0 for an
        empty input); ``"none"``: the array ``w * l`` with the shape of the inputs.
    grad : ndarray, only with ``return_grad=True``
        The gradient of ``loss`` (for ``"none"``, of the sum of the returned losses) with
        respect to ``y_pred``, weights included. The call returns ``(loss, grad)``.

    Notes
    -----
    Equivalent to ``keras.losses.LogCosh()`` (which averages over the last axis, then the
    batch: the same mean over all elements) and to ``torch.log(torch.cosh(y_pred - y_true))
    .mean()`` where that does not overflow.

    Examples
    --------
    >>> import numpy as np, fastloss
    >>> round(float(fastloss.log_cosh(np.array([0.0, 1.0, 2.0]), np.array([0.5, 1.0, 4.0]))), 6)
    0.481706
    >>> loss, grad = fastloss.log_cosh(np.array([0.0]), np.array([100.0]), return_grad=True)
    >>> round(float(loss), 6), grad
    (99.306853, array([1.]))
    """
    return _args.elementwise_loss("log_cosh", y_true, y_pred, sample_weight, reduction,
                                  return_grad)


if not TYPE_CHECKING:  # type checkers read the functions above
    __all__ = _registry.exports(__name__)  # noqa: PLE0605 - built from the @loss declarations
