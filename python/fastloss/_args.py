"""Argument handling shared by every loss: dtypes, shapes, reductions, weights, results.

Every public loss funnels its inputs through here, so the rules of DESIGN.md §3 live in one
place: float32/float64 are used natively, float16 becomes float32, integers and bools become
float64; C-contiguous arrays are used in place and other layouts copied once; shapes are
strict; `reduction` and `sample_weight` mean the same thing for every loss.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Optional, Tuple, Union

import numpy as np

from . import _core

REDUCTIONS = ("mean", "sum", "none")

ArrayLike = Any
LossResult = Union[np.floating, np.ndarray]

_FLOAT16 = np.dtype(np.float16)
_FLOAT32 = np.dtype(np.float32)
_FLOAT64 = np.dtype(np.float64)
_NATIVE = (_FLOAT32, _FLOAT64)


def check_reduction(reduction: str) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of 'mean', 'sum', 'none'; got {reduction!r}")
    return reduction


def _as_array(x: ArrayLike, name: str) -> np.ndarray:
    if isinstance(x, np.ndarray):
        return x
    try:
        return np.asarray(x)
    except Exception as exc:  # noqa: BLE001 - re-raised with the argument's name
        raise TypeError(f"{name} could not be converted to an array: {exc}") from exc


def compute_dtype(*arrays: np.ndarray) -> np.dtype:
    """The dtype a loss is computed in: NumPy's result type of the floating inputs.

    Integer and bool inputs (labels, counts) do not upcast float32 predictions; with no
    floating input at all the computation is float64. float16 is computed in float32.
    """
    first = arrays[0].dtype
    if first in _NATIVE and all(a.dtype is first for a in arrays):
        return first  # the common case, without np.result_type's cost
    floats = [a.dtype for a in arrays if a.dtype.kind == "f"]
    if not floats:
        return _FLOAT64
    dtype = np.result_type(*floats)
    if dtype == _FLOAT16:
        return _FLOAT32
    if dtype not in _NATIVE:  # long double
        return _FLOAT64
    return dtype


def _check_numeric(a: np.ndarray, name: str) -> None:
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a numeric array, got dtype {a.dtype}")


def as_kernel_input(a: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """C-contiguous array of `dtype`; no copy when it already is one."""
    return np.ascontiguousarray(a, dtype=dtype)


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape (no broadcasting); "
            f"got {name_a}.shape={a.shape} and {name_b}.shape={b.shape}"
        )


def prepare_pair(
    y_true: ArrayLike, y_pred: ArrayLike, names: Tuple[str, str] = ("y_true", "y_pred")
) -> Tuple[np.ndarray, np.ndarray, np.dtype]:
    """Two same-shape inputs of an elementwise loss, converted to the compute dtype."""
    t = _as_array(y_true, names[0])
    p = _as_array(y_pred, names[1])
    _check_numeric(t, names[0])
    _check_numeric(p, names[1])
    check_same_shape(t, p, *names)
    dtype = compute_dtype(t, p)
    return as_kernel_input(t, dtype), as_kernel_input(p, dtype), dtype


def prepare_weight(
    sample_weight: Optional[ArrayLike], shape: Tuple[int, ...], dtype: np.dtype
) -> Optional[np.ndarray]:
    """Weights broadcast to the per-sample loss shape, contiguous, in the compute dtype."""
    if sample_weight is None:
        return None
    w = _as_array(sample_weight, "sample_weight")
    _check_numeric(w, "sample_weight")
    try:
        broadcast = np.broadcast_shapes(w.shape, shape)
    except ValueError:
        broadcast = None
    if broadcast != shape:
        raise ValueError(
            f"sample_weight must be broadcastable to the per-sample loss shape {shape}; "
            f"got shape {w.shape}"
        )
    if w.shape != shape:
        w = np.broadcast_to(w, shape)
    return as_kernel_input(w, dtype)


def grad_scale(reduction: str, count: int, weight: Optional[np.ndarray]) -> float:
    """Factor applied to per-sample gradients: 1/n or 1/sum(w) for "mean", else 1."""
    if reduction != "mean":
        return 1.0
    total = float(count) if weight is None else _core._sum(weight)
    return 1.0 / total if total != 0 else math.nan


def reduce(
    loss_sum: float,
    weight_sum: float,
    count: int,
    per_sample: Optional[np.ndarray],
    reduction: str,
    dtype: np.dtype,
    weighted: bool,
) -> LossResult:
    """Turns a kernel's partial sums into the result of `reduction`."""
    if reduction == "mean":
        total = weight_sum if weighted else count
        # Empty input (or zero total weight) has no mean: NaN, as NumPy and PyTorch.
        return dtype.type(loss_sum / total if total != 0 else math.nan)
    if reduction == "sum":
        return dtype.type(loss_sum)
    assert per_sample is not None
    return per_sample


ElementwiseKernel = Callable[..., Tuple[float, float, Optional[np.ndarray], Optional[np.ndarray]]]


def elementwise_loss(
    kernel: ElementwiseKernel,
    y_true: ArrayLike,
    y_pred: ArrayLike,
    sample_weight: Optional[ArrayLike],
    reduction: str,
    return_grad: bool,
    **params: float,
) -> Union[LossResult, Tuple[LossResult, np.ndarray]]:
    """The whole call of an elementwise loss: validate, run the fused kernel once, reduce."""
    check_reduction(reduction)
    t, p, dtype = prepare_pair(y_true, y_pred)
    w = prepare_weight(sample_weight, p.shape, dtype)
    scale = grad_scale(reduction, p.size, w) if return_grad else 1.0
    loss_sum, weight_sum, per_sample, grad = kernel(
        t, p, w, reduction == "none", bool(return_grad), scale, **params
    )
    result = reduce(loss_sum, weight_sum, p.size, per_sample, reduction, dtype, w is not None)
    if return_grad:
        return result, grad
    return result


def check_positive(value: float, name: str) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {value!r}") from None
    if not value > 0 or not math.isfinite(value):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return value
