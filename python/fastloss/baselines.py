"""Plain-NumPy versions of every loss, with the same signatures as the fast ones.

They are written the way a NumPy user would write them: the benchmark's baseline, and, run
in float64, the tests' oracle. They favour clarity over speed and do no input validation
beyond what NumPy does.
"""

from __future__ import annotations

from typing import Any, Optional, Tuple, Union

import numpy as np

__all__ = ["mse", "mae", "huber"]

Result = Union[Any, Tuple[Any, np.ndarray]]


def _finish(
    loss: np.ndarray,
    grad: np.ndarray,
    sample_weight: Optional[Any],
    reduction: str,
    return_grad: bool,
) -> Result:
    """Applies weights and the reduction to per-element losses and their gradients."""
    if sample_weight is not None:
        w = np.broadcast_to(np.asarray(sample_weight, dtype=loss.dtype), loss.shape)
        loss = w * loss
        grad = w * grad
    if reduction == "none":
        value = loss
    elif reduction == "sum":
        value = loss.sum()
    else:
        total = loss.size if sample_weight is None else w.sum()
        value = loss.sum() / total
        grad = grad / total
    return (value, grad) if return_grad else value


def mse(y_true: Any, y_pred: Any, *, reduction: str = "mean",
        sample_weight: Optional[Any] = None, return_grad: bool = False) -> Result:
    d = np.asarray(y_pred) - np.asarray(y_true)
    return _finish(d * d, 2 * d, sample_weight, reduction, return_grad)


def mae(y_true: Any, y_pred: Any, *, reduction: str = "mean",
        sample_weight: Optional[Any] = None, return_grad: bool = False) -> Result:
    d = np.asarray(y_pred) - np.asarray(y_true)
    return _finish(np.abs(d), np.sign(d), sample_weight, reduction, return_grad)


def huber(y_true: Any, y_pred: Any, *, delta: float = 1.0, reduction: str = "mean",
          sample_weight: Optional[Any] = None, return_grad: bool = False) -> Result:
    d = np.asarray(y_pred) - np.asarray(y_true)
    ad = np.abs(d)
    inside = ad <= delta
    loss = np.where(inside, 0.5 * d * d, delta * (ad - 0.5 * delta))
    grad = np.clip(d, -delta, delta)
    return _finish(loss, grad, sample_weight, reduction, return_grad)
