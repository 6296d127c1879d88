"""The one argument layer: options, dtypes, shapes, weights, the kernel call and results.

Every public loss funnels its inputs through here, so the rules of DESIGN.md §3 live in one
place: options are checked by the same rules with the same messages (flags are bools, numbers
are real numbers, fractions lie in [0, 1]); float32/float64 are used natively, float16 becomes
float32 (its gradients go back to float16), integers and bools become float64; C-contiguous
arrays are used in place and other layouts copied once; shapes are strict; every loss calls
its kernel through `run_kernel` and finishes through `finish`, so `reduction` and
`sample_weight` mean the same thing for every loss, and `partial_sums` (the streaming
accumulators' entry point) works for every loss that can be split.
"""

from __future__ import annotations

import contextvars
import functools
import math
import numbers
import operator
import string
from typing import Any, Callable, Dict, Optional, Tuple, Union

import numpy as np

from . import _core

REDUCTIONS = ("mean", "sum", "none")

ArrayLike = Any
# A loss's value: the reduced number, the per-sample losses, or (a loss over two inputs of their
# own lengths, reduction="none") the pair of per-sample arrays.
LossResult = Union[np.floating, np.ndarray, Tuple[np.ndarray, np.ndarray]]

_FLOAT16 = np.dtype(np.float16)
_FLOAT32 = np.dtype(np.float32)
_FLOAT64 = np.dtype(np.float64)
_NATIVE = (_FLOAT32, _FLOAT64)
NATIVE = _NATIVE  # the dtypes kernels compute in
Result = Union[LossResult, Tuple[LossResult, Any]]


class DataError(ValueError):
    """A ValueError about a call's data that keeps the positions and shapes it names as values.

    The message is `template` with ``$index`` replaced by the first offending position (an
    index tuple), ``$per_sample`` by the per-sample loss shape and ``$<argument>`` by that
    argument's shape. A caller that passed part of larger arrays restates the error in their
    coordinates with `replace` (``fastloss eval`` does, for its chunks of rows).
    """

    def __init__(self, template: str, /, **fields: Tuple[int, ...]) -> None:
        super().__init__(string.Template(template).safe_substitute(fields))
        self.template = template
        self.fields: Dict[str, Tuple[int, ...]] = fields

    def replace(self, **fields: Tuple[int, ...]) -> DataError:
        """The same error with some positions or shapes replaced."""
        return DataError(self.template, **{**self.fields, **fields})


def show(value: Any, dtype: Optional[np.dtype] = None) -> str:
    """A value for a message; numbers as the shortest text that reads back in `dtype`.

    `dtype` defaults to the value's own: a float32 0.1 shows as 0.1, not as np.float32(0.1)
    (NumPy 2's repr) nor as 0.10000000149011612 (its float64 digits).
    """
    if dtype is not None and dtype.kind in "biuf":
        value = dtype.type(value)
    return str(value) if isinstance(value, np.generic) else repr(value)


# ---- options ---------------------------------------------------------------------------


def check_reduction(reduction: Any) -> str:
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of 'mean', 'sum', 'none'; got {reduction!r}")
    return reduction


def check_flag(value: Any, name: str) -> bool:
    if value is True or value is False:
        return value
    if not isinstance(value, np.bool_):
        raise TypeError(f"{name} must be True or False, got {show(value)}")
    return bool(value)


def check_number(value: Any, name: str) -> float:
    """A real number: int, float or a NumPy one (also 0-d); not a bool, string or complex."""
    if type(value) is float or type(value) is int:  # the common case, before the ABC check
        return float(value)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {show(value)}")
    return float(value)


def check_finite(value: Any, name: str, minimum: Optional[float] = None) -> float:
    """A finite real number, at least `minimum` when given."""
    number = check_number(value, name)
    if not math.isfinite(number) or (minimum is not None and number < minimum):
        what = "a finite number" + (f" >= {minimum:g}" if minimum is not None else "")
        raise ValueError(f"{name} must be {what}, got {show(value)}")
    return number


def check_positive(value: Any, name: str) -> float:
    number = check_number(value, name)
    if not number > 0 or not math.isfinite(number):
        raise ValueError(f"{name} must be a positive finite number, got {show(value)}")
    return number


def check_fraction(value: Any, name: str) -> float:
    """A number in [0, 1] (label smoothing)."""
    number = check_number(value, name)
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {show(value)}")
    return number


def check_integer(value: Any, name: str) -> int:
    """An integer (Python or NumPy), not a bool."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer, got {show(value)}")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {show(value)}") from None


# ---- arrays ----------------------------------------------------------------------------


def as_array(x: ArrayLike, name: str) -> np.ndarray:
    if isinstance(x, np.ndarray):
        return x
    try:
        return np.asarray(x)
    except Exception as exc:  # re-raised with the argument's name
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


def check_numeric(a: np.ndarray, name: str) -> None:
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a numeric array, got dtype {a.dtype}")


def as_kernel_input(a: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """C-contiguous array of `dtype`, of `a`'s shape; no copy when it already is one."""
    out = np.ascontiguousarray(a, dtype=dtype)
    return out if out.ndim == a.ndim else out.reshape(a.shape)  # 0-d comes back as (1,)


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape != b.shape:
        raise DataError(
            f"{name_a} and {name_b} must have the same shape (no broadcasting); "
            f"got {name_a}.shape=${name_a} and {name_b}.shape=${name_b}",
            **{name_a: a.shape, name_b: b.shape},
        )


def prepare_pair(
    y_true: ArrayLike, y_pred: ArrayLike, names: Tuple[str, str] = ("y_true", "y_pred")
) -> Tuple[np.ndarray, np.ndarray, np.dtype]:
    """Two same-shape inputs of an elementwise loss, converted to the compute dtype."""
    if (type(y_true) is np.ndarray and type(y_pred) is np.ndarray
            and y_true.dtype is y_pred.dtype and y_true.dtype in _NATIVE
            and y_true.ndim and y_true.shape == y_pred.shape):
        # A minibatch's common case, checked in a fraction of the general path's time.
        return np.ascontiguousarray(y_true), np.ascontiguousarray(y_pred), y_true.dtype
    t = as_array(y_true, names[0])
    p = as_array(y_pred, names[1])
    check_numeric(t, names[0])
    check_numeric(p, names[1])
    check_same_shape(t, p, *names)
    dtype = compute_dtype(t, p)
    return as_kernel_input(t, dtype), as_kernel_input(p, dtype), dtype


def prepare_weight(
    sample_weight: Optional[ArrayLike],
    shape: Tuple[int, ...],
    dtype: np.dtype,
    name: str = "sample_weight",
) -> Optional[np.ndarray]:
    """Weights broadcast to the per-sample loss shape, contiguous, in the compute dtype."""
    if sample_weight is None:
        return None
    w = as_array(sample_weight, name)
    check_numeric(w, name)
    try:
        broadcast = np.broadcast_shapes(w.shape, shape)
    except ValueError:
        broadcast = None
    if broadcast != shape:
        argument = name.partition("[")[0]  # "sample_weight" for "sample_weight[0] (...)"
        raise DataError(
            f"{name} must be broadcastable to the per-sample loss shape $per_sample; "
            f"got shape ${argument}",
            per_sample=shape, **{argument: w.shape},
        )
    if w.shape != shape:
        w = np.broadcast_to(w, shape)
    return as_kernel_input(w, dtype)


# ---- the kernel call and the result --------------------------------------------------------

KernelResult = Tuple[float, float, int, Optional[np.ndarray], Optional[Tuple[np.ndarray, ...]]]


# The kernel table's indices by name, as the compiled module declares them (the binding checks
# each call's options against the kernel's declared names).
_KERNELS: Dict[str, int] = {name: index for index, (name, *_) in enumerate(_core.kernels())}


_NO_OPTIONS: Dict[str, float] = {}


def run_kernel(
    name: str,
    predictions: Tuple[np.ndarray, ...],
    y_true: Optional[np.ndarray],
    sample_weight: Optional[np.ndarray],
    reduction: str,
    return_grad: bool,
    options: Dict[str, float] = _NO_OPTIONS,
    labels: Optional[np.ndarray] = None,
    class_weight: Optional[np.ndarray] = None,
    array_option: Optional[np.ndarray] = None,
) -> KernelResult:
    """Runs kernel `name` once over prepared arrays (C-contiguous, of the compute dtype).

    `options` holds the numbers the kernel declares, by name (flags as bools). The result is
    (loss_sum, weight_sum, first_invalid, per_sample | None, gradients | None), one gradient
    per prediction.
    """
    return _core.loss(_KERNELS[name], predictions, y_true, sample_weight, options,
                      reduction == "none", return_grad, reduction == "mean", labels,
                      class_weight, array_option)


# Set while `partial_sums` runs a loss: `finish` then returns the sums a mean divides.
_PARTIAL_SUMS: contextvars.ContextVar[bool] = contextvars.ContextVar("partial_sums",
                                                                     default=False)


def partial_sums(loss: Callable[..., Any], *args: Any, **kwargs: Any) -> Tuple[float, float]:
    """(loss_sum, denominator) of `loss` over these inputs: the numbers its mean divides,
    which streaming accumulators add over chunks and divide once at the end."""
    token = _PARTIAL_SUMS.set(True)
    try:
        sums = loss(*args, reduction="sum", **kwargs)
    finally:
        _PARTIAL_SUMS.reset(token)
    assert isinstance(sums, tuple)
    return sums


def _reduced(result: KernelResult, reduction: str, count: int, weighted: bool) -> float:
    """The mean or sum of a kernel result, in float64."""
    loss_sum, weight_sum = result[0], result[1]
    if reduction == "sum":
        return loss_sum
    total = weight_sum if weighted else count
    # Empty input (or zero total weight) has no mean: NaN, as NumPy and PyTorch.
    return loss_sum / total if total != 0 else math.nan


def finish(
    result: KernelResult,
    reduction: str,
    dtype: np.dtype,
    return_grad: bool,
    *,
    count: int,
    weighted: bool,
    per_sample: Optional[Callable[[np.ndarray], Any]] = None,
    grads: Optional[Callable[[Tuple[np.ndarray, ...]], Any]] = None,
    invalid: Optional[Callable[[int], Exception]] = None,
) -> Result:
    """Every loss's result from its kernel's: the reduction, or the per-sample losses, and the
    gradients when asked.

    `count`: samples in the mean when unweighted; `weighted`: the kernel's weight total is the
    mean's denominator (weights, masks, class weights). `per_sample` and `grads` shape the
    kernel's outputs for the caller (default: as returned; the first gradient alone).
    `invalid(first_invalid)` builds the error for data the kernel found invalid.
    """
    loss_sum, weight_sum, first_invalid, out, raw = result
    if first_invalid >= 0:
        assert invalid is not None
        raise invalid(first_invalid)
    if _PARTIAL_SUMS.get():
        # The sums partial_sums expects, which the public Result type does not advertise.
        return (loss_sum, weight_sum if weighted else float(count))  # type: ignore[return-value]
    value: LossResult
    if reduction == "none":
        assert out is not None  # the kernel ran with want_out
        value = out if per_sample is None else per_sample(out)
    else:
        value = dtype.type(_reduced(result, reduction, count, weighted))
    if not return_grad:
        return value
    assert raw is not None
    return value, (raw[0] if grads is None else grads(raw))


def finish_two(
    first: KernelResult,
    second: KernelResult,
    reduction: str,
    dtype: np.dtype,
    return_grad: bool,
    *,
    counts: Tuple[int, int],
    weighted: Tuple[bool, bool],
    grads: Callable[[Tuple[np.ndarray, ...], Tuple[np.ndarray, ...]], Any],
    name: str,
) -> Result:
    """A loss of two inputs of their own lengths (a discriminator's real and fake outputs):
    its mean is the sum of each input's mean, its sum the sum of both, ``"none"`` the pair of
    per-sample arrays; gradients are ``grads(first's, second's)``."""
    if _PARTIAL_SUMS.get():
        # The mean is a sum of two means over inputs of different lengths: not one ratio.
        raise ValueError(f"{name} cannot be accumulated over chunks: its mean is the sum of "
                         "a mean over d_real and a mean over d_fake")
    value: LossResult
    if reduction == "none":
        assert first[3] is not None and second[3] is not None  # the kernels ran with want_out
        value = (first[3], second[3])
    else:
        value = dtype.type(_reduced(first, reduction, counts[0], weighted[0]) +
                           _reduced(second, reduction, counts[1], weighted[1]))
    if not return_grad:
        return value
    assert first[4] is not None and second[4] is not None
    return value, grads(first[4], second[4])


def elementwise_loss(
    kernel: str,
    y_true: ArrayLike,
    y_pred: ArrayLike,
    sample_weight: Optional[ArrayLike],
    reduction: str,
    return_grad: bool,
    *,
    masked: bool = False,
    invalid: Optional[Callable[[np.ndarray, np.ndarray, int], Exception]] = None,
    array_option: Optional[Callable[[np.ndarray], np.ndarray]] = None,
    **options: float,
) -> Result:
    """The whole call of an elementwise loss: check, run its fused kernel once, finish.

    `masked`: the kernel masks some elements out (ignore_index), so its weight total is the
    mean's denominator. `invalid(y_true, y_pred, flat_index)` builds the exception for data
    the kernel found invalid; it gets the caller's arrays, so values show in their own dtypes.
    `array_option(y_pred)` gives the kernel's per-element array option for the prepared
    prediction, when the loss has one.
    """
    reduction = check_reduction(reduction)
    if return_grad is not False and return_grad is not True:
        return_grad = check_flag(return_grad, "return_grad")
    t_in, p_in = as_array(y_true, "y_true"), as_array(y_pred, "y_pred")
    t, p, dtype = prepare_pair(t_in, p_in)
    w = None if sample_weight is None else prepare_weight(sample_weight, p.shape, dtype)
    result = run_kernel(kernel, (p,), t, w, reduction, return_grad, options,
                        array_option=None if array_option is None else array_option(p))
    if result[2] >= 0 and invalid is not None:
        raise invalid(t_in, p_in, result[2])
    grads = None
    if return_grad and p_in.dtype == _FLOAT16:
        grads = lambda g: grad_like_input(g[0], p_in.dtype)
    return finish(result, reduction, dtype, return_grad, count=p.size,
                  weighted=w is not None or masked, grads=grads)


def grad_like_input(grad: np.ndarray, input_dtype: np.dtype) -> np.ndarray:
    """The gradient in its input's dtype when that is float16 (computed in float32)."""
    return grad.astype(_FLOAT16) if input_dtype == _FLOAT16 else grad


def position(shape: Tuple[int, ...], flat_index: int) -> Tuple[int, ...]:
    """The index tuple of a flat C-order position, for error messages."""
    return tuple(int(i) for i in np.unravel_index(flat_index, shape))


def normalize_axis(axis: Any, ndim: int, name: str = "y_pred") -> int:
    try:
        index = operator.index(axis)
    except TypeError:
        raise TypeError(f"axis must be an integer, got {show(axis)}") from None
    if ndim == 0:
        raise ValueError(f"{name} must have at least 1 dimension (the class axis), got a scalar")
    if not -ndim <= index < ndim:
        raise ValueError(f"axis {index} is out of bounds for {name} with {ndim} dimension(s)")
    return index % ndim


class Rows:
    """An array viewed as (rows, classes) with the class axis last, and the way back.

    A class axis other than the last is moved with one copy; the gradient is returned in
    the caller's layout (and dtype) as a view.
    """

    def __init__(self, a: np.ndarray, axis: int, dtype: np.dtype) -> None:
        self.axis = axis
        self.input_dtype = a.dtype
        moved = a if axis == a.ndim - 1 else np.moveaxis(a, axis, -1)
        self.moved_shape = moved.shape
        self.batch_shape: Tuple[int, ...] = moved.shape[:-1]
        self.classes = int(moved.shape[-1])
        self.matrix = np.ascontiguousarray(moved, dtype=dtype).reshape(-1, self.classes)
        self.count = self.matrix.shape[0]

    def like(self, other: np.ndarray, dtype: np.dtype) -> np.ndarray:
        """Another array of the same shape, laid out the same way."""
        moved = other if self.axis == other.ndim - 1 else np.moveaxis(other, self.axis, -1)
        return np.ascontiguousarray(moved, dtype=dtype).reshape(-1, self.classes)

    def per_sample(self, out: np.ndarray) -> np.ndarray:
        """Per-row losses in the shape of the rows' batch."""
        return out.reshape(self.batch_shape)

    def gradient(self, grads: Tuple[np.ndarray, ...]) -> np.ndarray:
        """The kernel's (one) gradient in the caller's layout and dtype."""
        return self.restore(grads[0])

    def restore(self, grad: np.ndarray) -> np.ndarray:
        g = grad_like_input(grad, self.input_dtype).reshape(self.moved_shape)
        return g if self.axis == len(self.moved_shape) - 1 else np.moveaxis(g, -1, self.axis)

    def no_rows(self, want_out: bool, want_grad: bool) -> KernelResult:
        """A row kernel's result for no rows, without the call: the kernels read every class
        weight first, and default ones for 2**40 classes would take 4 TiB in float32."""
        out = np.empty(0, self.matrix.dtype) if want_out else None
        grad = (np.empty(self.matrix.shape, self.matrix.dtype),) if want_grad else None
        return 0.0, 0.0, -1, out, grad


@functools.lru_cache(maxsize=8)
def _unit_class_weights(classes: int, dtype: np.dtype) -> np.ndarray:
    """Read-only ones kept between calls (new ones cost 0.8 of 6.3 us over (10, 100) logits)."""
    ones = np.ones(classes, dtype=dtype)
    ones.flags.writeable = False
    return ones


def prepare_class_weight(class_weight: Optional[ArrayLike], rows: Rows,
                         dtype: np.dtype) -> Optional[np.ndarray]:
    """Per-class weights of shape (classes,); ones when not given, None if there are no rows
    (no kernel call then: see `Rows.no_rows`)."""
    classes = rows.classes
    if class_weight is None:
        return _unit_class_weights(classes, dtype) if rows.count else None
    cw = as_array(class_weight, "class_weight")
    check_numeric(cw, "class_weight")
    if cw.shape != (classes,):
        raise ValueError(
            f"class_weight must have shape ({classes},), one weight per class; got {cw.shape}"
        )
    return as_kernel_input(cw, dtype)


def row_result(
    result: KernelResult,
    rows: Rows,
    reduction: str,
    dtype: np.dtype,
    return_grad: bool,
    invalid: Optional[Callable[[int], Exception]] = None,
) -> Result:
    """Finishes a row kernel's result; its weight total is the mean's denominator."""
    return finish(result, reduction, dtype, return_grad, count=rows.count, weighted=True,
                  per_sample=rows.per_sample, grads=rows.gradient, invalid=invalid)
