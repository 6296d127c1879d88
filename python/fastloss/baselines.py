"""Plain-NumPy versions of every loss, with the same signatures as the fast ones.

They are written the way a NumPy user would write them: the benchmark's baseline, and, run
in float64, the tests' oracle. They favour clarity over speed and do no input validation
beyond what NumPy does.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Tuple, Union

import numpy as np

__all__ = ["mse", "mae", "huber"]

Result = Union[Any, Tuple[Any, np.ndarray]]


def _finish(
    loss: np.ndarray,
    grad: Optional[Callable[[], np.ndarray]],
    sample_weight: Optional[Any],
    reduction: str,
) -> Result:
    """Applies weights and the reduction to per-element losses (and gradients, if asked)."""
    w = None
    if sample_weight is not None:
        w = np.broadcast_to(np.asarray(sample_weight, dtype=loss.dtype), loss.shape)
        loss = w * loss
    if reduction == "none":
        value = loss
    elif reduction == "sum":
        value = loss.sum()
    else:
        value = loss.mean() if w is None else loss.sum() / w.sum()
    if grad is None:
        return value
    g = grad() if w is None else w * grad()
    if reduction == "mean":
        g = g / (loss.size if w is None else w.sum())
    return value, g


def mse(y_true: Any, y_pred: Any, *, reduction: str = "mean",
        sample_weight: Optional[Any] = None, return_grad: bool = False) -> Result:
    d = np.asarray(y_pred) - np.asarray(y_true)
    return _finish(d * d, (lambda: 2 * d) if return_grad else None, sample_weight, reduction)


def mae(y_true: Any, y_pred: Any, *, reduction: str = "mean",
        sample_weight: Optional[Any] = None, return_grad: bool = False) -> Result:
    d = np.asarray(y_pred) - np.asarray(y_true)
    return _finish(np.abs(d), (lambda: np.sign(d)) if return_grad else None, sample_weight,
                   reduction)


def huber(y_true: Any, y_pred: Any, *, delta: float = 1.0, reduction: str = "mean",
          sample_weight: Optional[Any] = None, return_grad: bool = False) -> Result:
    d = np.asarray(y_pred) - np.asarray(y_true)
    ad = np.abs(d)
    loss = np.where(ad <= delta, 0.5 * d * d, delta * (ad - 0.5 * delta))
    return _finish(loss, (lambda: np.clip(d, -delta, delta)) if return_grad else None,
                   sample_weight, reduction)
