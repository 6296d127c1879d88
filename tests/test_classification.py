"""Classification losses against the float64 NumPy baselines, finite differences, special
values, PyTorch (when installed) and every documented error.

binary_cross_entropy, categorical_cross_entropy, sparse_categorical_cross_entropy,
kl_divergence and hinge. Test data is float32-representable, so one float64 oracle serves both
dtypes; it is computed once per loss family by a module-scoped fixture, which pytest runs
before every ISA/thread combination of that family.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Tuple

import numpy as np
import pytest

import fastloss
from conftest import DTYPES, SIZES, all_of, call, f32, oracle, rtol_for

REDUCTIONS = ["mean", "sum", "none"]
LOSSES = ["binary_cross_entropy", "categorical_cross_entropy",
          "sparse_categorical_cross_entropy", "kl_divergence", "hinge"]
ROW_LOSSES = ["categorical_cross_entropy", "sparse_categorical_cross_entropy", "kl_divergence"]


# --- helpers -------------------------------------------------------------------------------


def value_rtol(dtype: Any) -> float:
    return 10 * rtol_for(dtype)  # 2e-5 for float32 (computed in float32 lanes)


def grad_rtol(dtype: Any) -> float:
    return 50 * rtol_for(dtype)  # 1e-4 for float32


def assert_close(got: Any, want: Any, rtol: float, what: str, atol_fraction: float = 0.01) -> None:
    """|got - want| <= rtol·|want| + atol, atol a small fraction of rtol·max|want|.

    NaN must match NaN and infinities must match exactly. Cheap on success (assert_allclose
    is only called to format the failure).
    """
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    finite = np.isfinite(want)
    scale = float(np.max(np.abs(want[finite]), initial=0.0))
    atol = atol_fraction * rtol * scale
    with np.errstate(invalid="ignore"):
        ok = np.abs(got - want) <= atol + rtol * np.abs(want)
    ok |= got == want
    ok |= np.isnan(got) & np.isnan(want)
    if not ok.all():
        bad = np.flatnonzero(~ok.reshape(-1))[:5]
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=what)
        raise AssertionError(f"{what}: mismatch at flat indices {bad}: "
                             f"{got.reshape(-1)[bad]} vs {want.reshape(-1)[bad]}")


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    z = np.exp(x - x.max(axis=axis, keepdims=True))
    return z / z.sum(axis=axis, keepdims=True)


def row_shape(shape: Tuple[int, ...], axis: int) -> Tuple[int, ...]:
    return tuple(s for i, s in enumerate(shape) if i != axis % len(shape))


# --- the baseline comparison matrix --------------------------------------------------------
#
# Each loss family has option combinations; placeholders are filled per shape:
#   "W": sample weights with the per-sample loss shape; "W_b": weights that broadcast to it
#   (last axis 1); "PW": a pos_weight array over the last axis of y_pred; "CW": class weights.
# Keys starting with "_" steer the data instead of being options. Combinations marked large
# also run on the inputs above the parallel threshold.

ELEMENTWISE_SHAPES: List[Tuple[Tuple[int, ...], int]] = (
    [((n,), -1) for n in SIZES] + [((0, 3), -1), ((1, 3), -1), ((5, 3), -1), ((21, 3), -1),
                                    ((66_667, 3), -1)]
)
ROW_SHAPES: List[Tuple[Tuple[int, ...], int]] = [
    ((0, 5), -1), ((1, 4), -1), ((7, 3), -1), ((17, 10), -1), ((65, 100), -1),
    ((10, 7), 0), ((3, 17), 0), ((4, 5, 6), 1), ((2, 3, 33), -1), ((5, 3, 4), 0),
    ((0, 3, 4), 1),
    # Parallel path over rows, long rows (parallel inside a row), and a strided class axis.
    ((50_000, 10), -1), ((3, 40_000), -1), ((2, 70_001), -1), ((2, 10, 25_000), 1),
]
LARGE = 60_000  # inputs with at least this many elements only run the combos marked large

FAMILIES: Dict[str, Dict[str, Any]] = {
    "bce_probs": {"name": "binary_cross_entropy", "shapes": ELEMENTWISE_SHAPES, "combos": [
        ({}, True),
        ({"eps": 1e-7}, False),
        ({"pos_weight": 2.5, "label_smoothing": 0.1}, False),
        ({"eps": 1e-3, "ignore_index": -1, "sample_weight": "W", "_outside_eps": True}, True),
        ({"pos_weight": "PW", "ignore_index": -1, "label_smoothing": 0.2,
          "sample_weight": "W_b"}, True),
    ]},
    "bce_logits": {"name": "binary_cross_entropy", "shapes": ELEMENTWISE_SHAPES, "combos": [
        ({"from_logits": True}, True),
        ({"from_logits": True, "pos_weight": 0.7, "sample_weight": "W"}, False),
        ({"from_logits": True, "pos_weight": "PW", "label_smoothing": 0.1,
          "ignore_index": -1}, True),
        ({"from_logits": True, "ignore_index": 2, "sample_weight": "W_b",
          "label_smoothing": 0.05}, True),
    ]},
    "hinge": {"name": "hinge", "shapes": ELEMENTWISE_SHAPES, "combos": [
        ({"_labels": "01"}, True),
        ({"_labels": "pm1", "sample_weight": "W"}, True),
        ({"_labels": "mixed", "sample_weight": "W_b"}, False),
        ({"_labels": "01int"}, False),
    ]},
    "cce_logits": {"name": "categorical_cross_entropy", "shapes": ROW_SHAPES, "combos": [
        ({"from_logits": True, "_targets": "soft"}, True),
        ({"from_logits": True, "label_smoothing": 0.1, "_targets": "onehot"}, False),
        ({"from_logits": True, "class_weight": "CW", "_targets": "soft"}, False),
        ({"from_logits": True, "class_weight": "CW", "label_smoothing": 0.2,
          "sample_weight": "W", "_targets": "onehot"}, True),
        ({"from_logits": True, "sample_weight": "W_b", "_targets": "soft"}, False),
    ]},
    "cce_probs": {"name": "categorical_cross_entropy", "shapes": ROW_SHAPES, "combos": [
        ({"_targets": "onehot"}, True),
        ({"label_smoothing": 0.1, "_targets": "soft"}, False),
        ({"class_weight": "CW", "sample_weight": "W_b", "_targets": "onehot"}, False),
        ({"class_weight": "CW", "label_smoothing": 0.2, "sample_weight": "W",
          "_targets": "soft"}, True),
    ]},
    "scce_logits": {"name": "sparse_categorical_cross_entropy", "shapes": ROW_SHAPES, "combos": [
        ({"from_logits": True}, True),
        ({"from_logits": True, "ignore_index": -100}, False),
        ({"from_logits": True, "class_weight": "CW", "label_smoothing": 0.1}, False),
        ({"from_logits": True, "ignore_index": 1, "class_weight": "CW",
          "label_smoothing": 0.2, "sample_weight": "W"}, True),
        ({"from_logits": True, "ignore_index": -100, "sample_weight": "W_b"}, False),
    ]},
    "scce_probs": {"name": "sparse_categorical_cross_entropy", "shapes": ROW_SHAPES, "combos": [
        ({}, True),
        ({"ignore_index": -100, "class_weight": "CW"}, False),
        ({"label_smoothing": 0.1, "sample_weight": "W_b"}, False),
        ({"ignore_index": -100, "class_weight": "CW", "label_smoothing": 0.2,
          "sample_weight": "W"}, True),
    ]},
    "kl_probs": {"name": "kl_divergence", "shapes": ROW_SHAPES, "combos": [
        ({}, True),
        ({"sample_weight": "W"}, False),
        ({"sample_weight": "W_b"}, True),
    ]},
    "kl_log": {"name": "kl_divergence", "shapes": ROW_SHAPES, "combos": [
        ({"log_input": True}, True),
        ({"log_input": True, "sample_weight": "W"}, True),
    ]},
}


@dataclass
class Problem:
    name: str
    y_true: np.ndarray  # float64 holding float32 values, or integer labels
    y_pred: np.ndarray
    options: Dict[str, Any]
    label: str

    def cast(self, dtype: Any) -> Tuple[np.ndarray, np.ndarray, Dict[str, Any]]:
        """The inputs in `dtype`: y_true, y_pred and sample_weight; labels stay integers."""
        y_true = self.y_true if self.y_true.dtype.kind in "iu" else self.y_true.astype(dtype)
        options = dict(self.options)
        if options.get("sample_weight") is not None:
            options["sample_weight"] = options["sample_weight"].astype(dtype)
        return y_true, self.y_pred.astype(dtype), options


def _classes_last(shape: Tuple[int, ...], axis: int) -> Tuple[int, ...]:
    return row_shape(shape, axis) + (shape[axis],)


def _to_axis(a: np.ndarray, axis: int) -> np.ndarray:
    """Classes-last data moved to `axis`, C-contiguous (the in-place kernel path)."""
    return np.ascontiguousarray(np.moveaxis(a, -1, axis))


def _make_elementwise(family: str, rng: np.random.Generator, shape: Tuple[int, ...],
                      spec: Dict[str, Any]) -> Tuple[np.ndarray, np.ndarray]:
    if family == "hinge":
        style = spec["_labels"]
        values = {"01": [0, 1], "01int": [0, 1], "pm1": [-1, 1], "mixed": [-1, 0, 1]}[style]
        y = rng.choice(values, size=shape)
        p = f32(rng.normal(scale=1.5, size=shape))
        p[np.abs(np.abs(p) - 1) < 1e-3] += 0.01  # keep the margin away from its kink
        return (y.astype(np.int64) if style == "01int" else y.astype(np.float64)), p
    y = f32(rng.uniform(size=shape))
    y.reshape(-1)[::2] = np.round(y.reshape(-1)[::2])  # half hard, half soft targets
    if "ignore_index" in spec:
        y.reshape(-1)[3::7] = spec["ignore_index"]
    if family == "bce_logits":
        x = f32(rng.normal(scale=4.0, size=shape))
        return y, x
    p = f32(rng.uniform(0.02, 0.98, size=shape))
    if spec.get("_outside_eps"):
        p.reshape(-1)[::11] = 1e-5
        p.reshape(-1)[5::13] = 1 - 2.0**-17
    return y, p


def _make_rows(family: str, rng: np.random.Generator, shape: Tuple[int, ...], axis: int,
               spec: Dict[str, Any]) -> Tuple[np.ndarray, np.ndarray]:
    last = _classes_last(shape, axis)
    n_classes = shape[axis]
    if family.startswith("kl"):
        y = rng.gamma(1.0, size=last)
        y[rng.uniform(size=last) < 0.25] = 0.0  # 0·log 0 terms
        y /= np.maximum(y.sum(axis=-1, keepdims=True), 1e-300)
        q = softmax(rng.normal(scale=1.5, size=last))
        pred = np.log(q) if spec.get("log_input") else q
        return _to_axis(f32(y), axis), _to_axis(f32(pred), axis)
    if family.endswith("logits"):
        pred = rng.normal(scale=3.0, size=last)
    else:
        pred = softmax(rng.normal(scale=2.0, size=last))
    pred = _to_axis(f32(pred), axis)
    labels = rng.integers(0, n_classes, size=last[:-1])
    if family.startswith("scce"):
        if spec.get("ignore_index") is not None:
            labels.reshape(-1)[2::5] = spec["ignore_index"]
        return labels, pred
    if spec["_targets"] == "onehot":
        y = (labels[..., None] == np.arange(n_classes)).astype(np.float64)
    else:
        y = rng.gamma(1.0, size=last)
        y = f32(y / y.sum(axis=-1, keepdims=True))
    return _to_axis(y, axis), pred


def make_problems(family: str, rng: np.random.Generator) -> Iterator[Problem]:
    info = FAMILIES[family]
    for shape, axis in info["shapes"]:
        size = int(np.prod(shape))
        elementwise = info["shapes"] is ELEMENTWISE_SHAPES
        loss_shape = shape if elementwise else row_shape(shape, axis)
        for spec, large in info["combos"]:
            if size >= LARGE and not large:
                continue
            if elementwise:
                y_true, y_pred = _make_elementwise(family, rng, shape, spec)
            else:
                y_true, y_pred = _make_rows(family, rng, shape, axis, spec)
            options: Dict[str, Any] = {} if elementwise else {"axis": axis}
            for key, value in spec.items():
                if key.startswith("_"):
                    continue
                if value == "W":
                    value = f32(rng.uniform(0.1, 2.0, size=loss_shape))
                elif value == "W_b":
                    value = f32(rng.uniform(0.1, 2.0, size=loss_shape[:-1] + (1,)))
                elif value == "PW":
                    value = f32(rng.uniform(0.5, 3.0, size=shape[-1]))
                elif value == "CW":
                    value = f32(rng.uniform(0.2, 3.0, size=shape[axis]))
                options[key] = value
            label = f"{family} shape={shape} axis={axis} spec={spec}"
            yield Problem(info["name"], y_true, y_pred, options, label)


@pytest.fixture(scope="module", params=list(FAMILIES))
def family(request: pytest.FixtureRequest) -> List[Tuple[Problem, Dict[str, Any]]]:
    """Every problem of one family with its float64 oracle for each reduction."""
    rng = np.random.default_rng(1000 + list(FAMILIES).index(request.param))
    cases = []
    for problem in make_problems(request.param, rng):
        want = {r: oracle(problem.name, problem.y_true, problem.y_pred, reduction=r,
                          return_grad=True, **problem.options) for r in REDUCTIONS}
        cases.append((problem, want))
    return cases


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_baseline(isa: str, num_threads: int, family: List[Tuple[Problem, Dict[str, Any]]],
                          dtype: Any) -> None:
    scalar_type = np.dtype(dtype).type
    for problem, want in family:
        y_true, y_pred, options = problem.cast(dtype)
        axis = options.get("axis", -1)
        is_rows = problem.name in ROW_LOSSES
        loss_shape = row_shape(y_pred.shape, axis) if is_rows else y_pred.shape
        for reduction in REDUCTIONS:
            what = f"{problem.label} {reduction} {np.dtype(dtype).name}"
            loss, grad = call(problem.name, y_true, y_pred, reduction=reduction,
                              return_grad=True, **options)
            want_loss, want_grad = want[reduction]
            assert isinstance(grad, np.ndarray) and grad.dtype == dtype, what
            assert grad.shape == y_pred.shape, what
            if reduction == "none":
                assert isinstance(loss, np.ndarray) and loss.dtype == dtype, what
                assert loss.shape == loss_shape, what
            else:
                assert type(loss) is scalar_type, what
            assert_close(loss, want_loss, value_rtol(dtype), what + " loss")
            assert_close(grad, want_grad, grad_rtol(dtype), what + " grad")
            # The value without the gradient is the same number, up to an ULP: the kernels
            # with and without the gradient may contract a*b+c into an FMA differently.
            if y_pred.size < LARGE or reduction == "none":
                again = call(problem.name, y_true, y_pred, reduction=reduction, **options)
                eps = float(np.finfo(dtype).eps)
                np.testing.assert_allclose(again, loss, rtol=4 * eps, atol=4 * eps, err_msg=what)


# --- gradients against central finite differences ------------------------------------------


def _fd_problem(kind: str, rng: np.random.Generator) -> Tuple[str, np.ndarray, np.ndarray,
                                                             Dict[str, Any]]:
    """Small float64 problems with every option on, away from clamps and kinks."""
    if kind.startswith("bce"):
        y = rng.uniform(size=(4, 3))
        y[0] = [0, 1, 1]
        y[2, 1] = -1  # ignored
        options: Dict[str, Any] = {"pos_weight": rng.uniform(0.5, 3, size=3),
                                   "label_smoothing": 0.1, "ignore_index": -1,
                                   "sample_weight": rng.uniform(0.5, 2, size=(4, 1))}
        if kind == "bce_logits":
            return "binary_cross_entropy", y, rng.normal(scale=2, size=(4, 3)), dict(
                options, from_logits=True)
        if kind == "bce_eps":
            options["eps"] = 1e-3
        return "binary_cross_entropy", y, rng.uniform(0.05, 0.95, size=(4, 3)), options
    if kind == "hinge":
        y = rng.choice([-1.0, 0.0, 1.0], size=15)
        p = rng.choice([-1, 1], size=15) * rng.uniform(0.2, 2.5, size=15)
        p[np.abs(np.abs(p) - 1) < 0.1] += 0.2
        return "hinge", y, p, {"sample_weight": rng.uniform(0.5, 2, size=15)}
    shape, axis = (2, 4, 3), 1
    last = _classes_last(shape, axis)
    cw = rng.uniform(0.3, 3, size=4)
    sw = rng.uniform(0.5, 2, size=(2, 3))
    if kind.startswith("cce"):
        y = _to_axis(softmax(rng.normal(size=last)), axis)
        logits = kind == "cce_logits"
        x = rng.normal(size=shape) if logits else rng.uniform(0.05, 1.0, size=shape)
        return "categorical_cross_entropy", y, x, {
            "axis": axis, "from_logits": logits, "class_weight": cw, "label_smoothing": 0.15,
            "sample_weight": sw}
    if kind.startswith("scce"):
        labels = rng.integers(0, 4, size=(2, 3))
        labels[1, 1] = -100
        logits = kind == "scce_logits"
        x = rng.normal(size=shape) if logits else rng.uniform(0.05, 1.0, size=shape)
        return "sparse_categorical_cross_entropy", labels, x, {
            "axis": axis, "from_logits": logits, "class_weight": cw, "label_smoothing": 0.15,
            "ignore_index": -100, "sample_weight": sw}
    y = _to_axis(softmax(rng.normal(size=last)), axis)
    y[0, 1, 2] = 0.0
    y /= y.sum(axis=axis, keepdims=True)
    q = _to_axis(softmax(rng.normal(size=last)), axis)
    log_input = kind == "kl_log"
    return "kl_divergence", y, np.log(q) if log_input else q, {
        "axis": axis, "log_input": log_input, "sample_weight": sw}


FD_KINDS = ["bce_probs", "bce_eps", "bce_logits", "hinge", "cce_logits", "cce_probs",
            "scce_logits", "scce_probs", "kl_probs", "kl_log"]


@pytest.mark.parametrize("kind", FD_KINDS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradient_matches_finite_differences(isa: str, rng: np.random.Generator, kind: str,
                                             reduction: str) -> None:
    name, y_true, y_pred, options = _fd_problem(kind, rng)
    _, grad = call(name, y_true, y_pred, reduction=reduction, return_grad=True, **options)

    def total(p: np.ndarray) -> float:
        return float(np.sum(call(name, y_true, p, reduction=reduction, **options)))

    h = 1e-6
    numeric = np.empty(y_pred.size)
    for i in range(y_pred.size):
        up, down = y_pred.copy(), y_pred.copy()
        up.reshape(-1)[i] += h
        down.reshape(-1)[i] -= h
        numeric[i] = (total(up) - total(down)) / (2 * h)
    assert_close(grad.reshape(-1), numeric, 1e-6, f"{kind} {reduction}", atol_fraction=0.1)


# --- special values ------------------------------------------------------------------------

EXTREME = np.array([1e4, -1e4, 88.0, -88.0, 745.0, -745.0, 89.0, -104.0, 0.0, 20.0, -40.0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_extreme_logits_bce(isa: str, dtype: Any) -> None:
    x = EXTREME.astype(dtype)
    for target in (0.0, 1.0, 0.3):
        y = np.full_like(x, target)
        for pos_weight in (None, 2.0):
            for reduction in ("none", "sum"):
                loss, grad = fastloss.binary_cross_entropy(
                    y, x, from_logits=True, pos_weight=pos_weight, reduction=reduction,
                    return_grad=True)
                assert np.all(np.isfinite(loss)) and np.all(np.isfinite(grad))
                want, want_grad = oracle("binary_cross_entropy", y.astype(float),
                                         x.astype(float), from_logits=True,
                                         pos_weight=pos_weight, reduction=reduction,
                                         return_grad=True)
                what = f"y={target} pw={pos_weight} {reduction}"
                assert_close(loss, want, value_rtol(dtype), what)
                assert_close(grad, want_grad, grad_rtol(dtype), what)
    # The stable form, exactly: softplus(±1e4) is 1e4 or 0; the gradient saturates to ±1.
    loss, grad = fastloss.binary_cross_entropy(
        np.array([1.0, 1.0, 0.0, 0.0], dtype), np.array([-1e4, 1e4, 1e4, -745], dtype),
        from_logits=True, reduction="none", return_grad=True)
    np.testing.assert_array_equal(loss[:3], [1e4, 0.0, 1e4])
    assert 0 <= loss[3] < 1e-300 if dtype == np.float64 else loss[3] == 0
    np.testing.assert_array_equal(grad[:3], [-1.0, 0.0, 1.0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_extreme_logits_cross_entropy(isa: str, dtype: Any) -> None:
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0], [745.0, -745.0, 88.0], [88.0, 89.0, 90.0],
                  [-1e4, -1e4, -1e4], [1e4, 1e4, 1e4], [-745.0, -745.0, 745.0]])
    labels = np.array([1, 1, 1, 0, 2, 0, 0])
    one_hot = np.eye(3)[labels]
    soft = np.full((7, 3), 1 / 3)
    for reduction in ("none", "mean"):
        for name, y_true in (("sparse_categorical_cross_entropy", labels),
                             ("categorical_cross_entropy", one_hot),
                             ("categorical_cross_entropy", soft)):
            for smoothing in (0.0, 0.1):
                loss, grad = call(name, y_true if y_true.dtype.kind == "i" else
                                  y_true.astype(dtype), x.astype(dtype), from_logits=True,
                                  label_smoothing=smoothing, reduction=reduction,
                                  return_grad=True)
                assert np.all(np.isfinite(loss)) and np.all(np.isfinite(grad))
                want, want_grad = oracle(name, y_true, x, from_logits=True,
                                         label_smoothing=smoothing, reduction=reduction,
                                         return_grad=True)
                what = f"{name} ls={smoothing} {reduction}"
                assert_close(loss, want, value_rtol(dtype), what)
                assert_close(grad, want_grad, grad_rtol(dtype), what)
    loss, grad = fastloss.sparse_categorical_cross_entropy(
        labels[:1], x[:1].astype(dtype), from_logits=True, reduction="none", return_grad=True)
    np.testing.assert_array_equal(loss, [2e4])
    np.testing.assert_array_equal(grad, [[1.0, -1.0, 0.0]])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("classes", [3, 1500])
def test_sparse_negative_infinite_logit_off_the_label(isa: str, dtype: Any, classes: int) -> None:
    # A -inf logit on a class other than the label adds nothing, as in PyTorch's class-index
    # form (its probability form gives 0 * -inf = NaN); the baseline agrees. Short and long rows.
    x = np.zeros((2, classes))
    x[0, 0] = -np.inf
    x[1, 1] = -np.inf
    x[1, 2] = 1.0
    labels = np.array([1, 2])
    # -log softmax at the label, by hand: the other classes hold e^0 = 1 each
    expected = np.array([np.log(classes - 1), -1.0 + np.log(np.e + classes - 2)])
    loss = fastloss.sparse_categorical_cross_entropy(labels, x.astype(dtype), from_logits=True,
                                                     reduction="none")
    want = oracle("sparse_categorical_cross_entropy", labels, x, from_logits=True,
                  reduction="none")
    assert_close(loss, expected, value_rtol(dtype), "fastloss, -inf off the label")
    assert_close(want, expected, 1e-12, "baseline, -inf off the label")


@pytest.mark.parametrize("dtype", DTYPES)
def test_long_rows_running_max(isa: str, dtype: Any) -> None:
    # Long rows are summed in chunks of 1,024 classes against a running max that
    # rescales the chunks before it: the max in the last, partial chunk or rising in every
    # chunk; leading chunks far below the rest, or all -inf (+inf where a target is > 0,
    # NaN where it is 0, as 0 * log 0); a NaN or +inf after the first chunk; a row of -inf.
    rng = np.random.default_rng(11)
    rows, classes = 9, 4_100
    x = rng.normal(size=(rows, classes))
    x[0, -1] = 60.0
    x[1] = np.linspace(-50.0, 50.0, classes)
    x[2, :2048] = -1e4
    x[3, :1024] = -np.inf
    x[4, :1024] = -np.inf
    x[5, 3000] = np.nan
    x[6, 2000] = np.inf
    x[7] = -np.inf
    x[8, :3000] -= 80.0  # the max rises by 80 in the third chunk: e^-80 rescales
    soft = rng.uniform(0.1, 1.0, size=(rows, classes))
    soft /= soft.sum(axis=1, keepdims=True)
    soft[4, :1024] = 0.0
    one_hot = np.eye(classes)[rng.integers(0, classes, rows)]
    class_weight = rng.uniform(0.5, 2.0, classes)
    for y_true in (soft, one_hot):
        for options in ({}, {"label_smoothing": 0.1, "class_weight": class_weight}):
            loss, grad = fastloss.categorical_cross_entropy(
                y_true.astype(dtype), x.astype(dtype), from_logits=True, reduction="none",
                return_grad=True, **options)
            want, want_grad = oracle("categorical_cross_entropy", y_true, x, from_logits=True,
                                     reduction="none", return_grad=True, **options)
            what = f"long rows {options}"
            assert_close(loss, want, value_rtol(dtype), what)
            finite_rows = np.isfinite(want)
            assert_close(grad[finite_rows], want_grad[finite_rows], grad_rtol(dtype), what)
            assert np.all(np.isfinite(loss[[0, 1, 2, 8]]))
            if y_true is soft and not options:  # the cases above, as the baseline sees them
                assert np.isposinf(want[3]) and np.all(np.isnan(want[[4, 5, 6, 7]]))
    # Labels take the same pass; rows 3 and 4 have their label in the -inf chunk.
    labels = rng.integers(0, classes, rows)
    labels[[3, 4]] = [5, 1023]
    for options in ({}, {"label_smoothing": 0.1, "class_weight": class_weight}):
        loss, grad = fastloss.sparse_categorical_cross_entropy(
            labels, x.astype(dtype), from_logits=True, reduction="none", return_grad=True,
            **options)
        want, want_grad = oracle("sparse_categorical_cross_entropy", labels, x,
                                 from_logits=True, reduction="none", return_grad=True, **options)
        what = f"long rows, labels {options}"
        # -log p_k = +inf for a label in the -inf chunk, as PyTorch's nll (the classes with
        # a zero target add nothing there, in the baseline too).
        assert np.all(np.isposinf(loss[[3, 4]]))
        assert_close(loss, want, value_rtol(dtype), what)
        finite_rows = np.isfinite(want)
        assert_close(grad[finite_rows], want_grad[finite_rows], grad_rtol(dtype), what)
        assert np.all(np.isfinite(loss[[0, 1, 2, 8]]))
    # A leading -inf chunk before logits near -100 (the gradient's rescaling factor of that
    # chunk, e^100, overflows float): finite loss and gradient, 0 on the -inf classes.
    z = np.full(classes, -np.inf)
    z[1024:] = -100.0 + rng.normal(size=classes - 1024)
    label = 2000
    loss, grad = fastloss.sparse_categorical_cross_entropy(
        np.array([label]), z[None].astype(dtype), from_logits=True, reduction="none",
        return_grad=True)
    finite = z[1024:].astype(dtype).astype(np.float64)
    lse = finite.max() + np.log(np.sum(np.exp(finite - finite.max())))
    want_grad = np.concatenate([np.zeros(1024), np.exp(finite - lse)])
    want_grad[label] -= 1.0
    assert_close(loss, [lse - finite[label - 1024]], value_rtol(dtype), "-inf chunk, -100")
    assert_close(grad[0], want_grad, grad_rtol(dtype), "-inf chunk, -100")
    assert np.all(grad[0, :1024] == 0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("classes", [7, 100, 130, 1000, 2100])
def test_row_max_finds_every_position(isa: str, dtype: Any, classes: int) -> None:
    # The running max runs in several interleaved chains (and lanes): a logit 200 above the
    # rest, at any position, must become the reference, or e^200 overflows float. Rows of
    # up to 128 classes take the grouped path (full groups of 16 rows: at least 48 rows
    # here), longer ones the long-row path.
    rng = np.random.default_rng(classes)
    positions = np.unique(np.concatenate([np.arange(min(classes, 80)),
                                          rng.integers(0, classes, 40), [classes - 1]]))
    positions = np.resize(positions, max(positions.size, 48))
    x = rng.normal(size=(positions.size, classes))
    x[np.arange(positions.size), positions] += 200.0
    labels = rng.integers(0, classes, positions.size)
    soft = rng.uniform(size=x.shape)
    soft /= soft.sum(axis=1, keepdims=True)
    for name, y_true in (("sparse_categorical_cross_entropy", labels),
                         ("categorical_cross_entropy", soft.astype(dtype))):
        loss, grad = call(name, y_true, x.astype(dtype), from_logits=True, reduction="none",
                          return_grad=True)
        want, want_grad = oracle(name, y_true, x, from_logits=True, reduction="none",
                                 return_grad=True)
        assert np.all(np.isfinite(loss)) and np.all(np.isfinite(grad)), name
        assert_close(loss, want, value_rtol(dtype), f"{name}, spike")
        assert_close(grad, want_grad, grad_rtol(dtype), f"{name}, spike")


@pytest.mark.parametrize("dtype", DTYPES)
def test_probabilities_zero_and_one_bce(isa: str, dtype: Any) -> None:
    y = np.array([1.0, 0.0, 1.0, 0.0, 0.5, 0.5])
    p = np.array([0.0, 1.0, 1.0, 0.0, 0.0, 1.0])
    loss, grad = fastloss.binary_cross_entropy(y.astype(dtype), p.astype(dtype),
                                               reduction="none", return_grad=True)
    # PyTorch clamps each log at -100.
    np.testing.assert_array_equal(loss, np.array([100, 100, 0, 0, 50, 50], dtype))
    want = oracle("binary_cross_entropy", y, p, reduction="none", return_grad=True)[1]
    assert_close(grad, want, grad_rtol(dtype), "clamped grad")
    assert np.isclose(grad[0], -1e12, rtol=1e-6) and np.isclose(grad[1], 1e12, rtol=1e-6)
    # With eps the probabilities are clipped to [eps, 1 - eps] and the gradient is 0 outside.
    eps = 1e-7 if dtype == np.float64 else 1e-3
    for reduction in REDUCTIONS:
        loss, grad = fastloss.binary_cross_entropy(y.astype(dtype), p.astype(dtype), eps=eps,
                                                   reduction=reduction, return_grad=True)
        want = oracle("binary_cross_entropy", y, p, eps=eps, reduction=reduction)
        assert_close(loss, want, value_rtol(dtype), f"eps {reduction}")
        np.testing.assert_array_equal(grad, 0.0)
    assert np.isclose(fastloss.binary_cross_entropy(np.array([1.0]), np.array([0.0]), eps=1e-7),
                      -np.log(1e-7), rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_probabilities_zero_and_one_cross_entropy(isa: str, dtype: Any) -> None:
    p = np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    labels = np.array([0, 0, 1])
    for name, y_true in (("sparse_categorical_cross_entropy", labels),
                         ("categorical_cross_entropy", np.eye(3)[labels].astype(dtype))):
        loss, grad = call(name, y_true, p.astype(dtype), reduction="none", return_grad=True)
        np.testing.assert_array_equal(loss, np.array([100, 0, 100], dtype))
        want_grad = oracle(name, labels if name.startswith("sparse") else np.eye(3)[labels], p,
                           reduction="none", return_grad=True)[1]
        assert_close(grad, want_grad, grad_rtol(dtype), name)
        assert grad[1, 0] == -1 and grad[1, 1] == 0 and np.isclose(grad[0, 0], -1e12, rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_zero_targets(isa: str, dtype: Any) -> None:
    y = np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]], dtype)
    q = np.array([[0.0, 0.5, 0.5], [0.5, 0.5, 0.0]], dtype)
    loss, grad = fastloss.kl_divergence(y, q, reduction="none", return_grad=True)
    np.testing.assert_allclose(loss, [0.0, np.log(2.0)], rtol=value_rtol(dtype))
    np.testing.assert_array_equal(grad, np.array([[0, -1, -1], [-2, 0, 0]], dtype))
    log_q = np.array([[-np.inf, np.log(0.5), np.log(0.5)], [np.log(0.5), np.log(0.5), -np.inf]],
                     dtype)
    loss, grad = fastloss.kl_divergence(y, log_q, log_input=True, reduction="none",
                                        return_grad=True)
    np.testing.assert_allclose(loss, [0.0, np.log(2.0)], rtol=value_rtol(dtype), atol=1e-7)
    np.testing.assert_array_equal(grad, -y)
    # The mean is over rows (PyTorch's batchmean), not over elements.
    np.testing.assert_allclose(fastloss.kl_divergence(y, q), np.log(2.0) / 2, rtol=1e-6)


def normalized_except(a: np.ndarray, fixed: np.ndarray) -> np.ndarray:
    """Rows scaled to sum to 1, with the entries where `fixed` holds kept as they are."""
    a = a.astype(np.float64)
    free = np.where(fixed, 0.0, a)
    kept = np.where(fixed, a, 0.0).sum(axis=1, keepdims=True)
    return np.where(fixed, a, free * (1 - kept) / free.sum(axis=1, keepdims=True))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("classes", [10, 200])  # short-row groups and the per-row path
def test_kl_tiny_and_huge_values(isa: str, dtype: Any, classes: int) -> None:
    # KL takes log(y / q) with one log where every ratio is a normal number; chunks, rows or
    # groups with a ratio that under- or overflows take log y - log q instead. Per-row losses
    # go through rows and groups, sums through one flat pass: all must match the oracle.
    rng = np.random.default_rng(classes)
    y = rng.uniform(0.01, 1.0, size=(40, classes))
    q = rng.uniform(0.01, 1.0, size=(40, classes))
    tiny = 1e-40 if dtype == np.float32 else 1e-310  # subnormal
    fixed_y, fixed_q = np.zeros_like(y, bool), np.zeros_like(q, bool)
    specials_y = {(3, 1): tiny, (20, 0): tiny * 1e-3, (8, 3): 0.9}
    specials_q = {(5, 2): tiny, (20, 0): 0.9, (8, 3): tiny, (33, 4): 0.0}  # 8: ratio overflows
    for (r, c), v in specials_y.items():
        y[r, c], fixed_y[r, c] = v, True
    for (r, c), v in specials_q.items():
        q[r, c], fixed_q[r, c] = v, True
    y = normalized_except(y, fixed_y).astype(dtype)
    q = normalized_except(q, fixed_q).astype(dtype)
    loss, grad = fastloss.kl_divergence(y, q, reduction="none", return_grad=True)
    want_loss, want_grad = oracle("kl_divergence", y, q, reduction="none", return_grad=True)
    assert np.isinf(loss[33]) and np.isinf(want_loss[33])
    finite = np.isfinite(want_loss)
    assert_close(loss[finite], want_loss[finite], value_rtol(dtype), "kl loss")
    with np.errstate(over="ignore"):
        want_grad = want_grad.astype(dtype)  # -y / q overflows where q is subnormal
    ok = np.isfinite(want_grad)
    np.testing.assert_allclose(grad[ok], want_grad[ok], rtol=grad_rtol(dtype))
    np.testing.assert_array_equal(np.isinf(grad), np.isinf(want_grad))
    total, flat_grad = fastloss.kl_divergence(y, q, reduction="sum", return_grad=True)
    assert total == np.inf  # the q = 0 term
    np.testing.assert_array_equal(flat_grad, grad)
    q[33, 4], q[33, 5] = q[33, 5] / 2, q[33, 5] / 2
    total, grad = fastloss.kl_divergence(y, q, reduction="sum", return_grad=True)
    want_total, want_grad = oracle("kl_divergence", y, q, reduction="sum", return_grad=True)
    assert_close(total, want_total, value_rtol(dtype), "kl sum")
    with np.errstate(over="ignore"):
        want_grad = want_grad.astype(dtype)
    ok = np.isfinite(want_grad)
    np.testing.assert_allclose(grad[ok], want_grad[ok], rtol=grad_rtol(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("classes", [10, 200])  # short-row groups and the per-row path
@pytest.mark.parametrize("reduction", ["none", "sum"])  # rows, and the flat pass
@pytest.mark.parametrize("which, value, log_input", [
    ("y_true", -0.5, False), ("y_true", 1.5, False), ("y_pred", -0.25, False),
    ("y_pred", 1.25, False), ("y_pred", 0.5, True), ("y_true", -0.5, True)])
def test_kl_values_that_are_not_probabilities_raise(
        isa: str, dtype: Any, classes: int, reduction: str, which: str, value: float,
        log_input: bool) -> None:
    rng = np.random.default_rng(5)
    y = normalized_except(rng.uniform(0.1, 1.0, size=(20, classes)), np.zeros((20, classes), bool))
    q = normalized_except(rng.uniform(0.1, 1.0, size=(20, classes)), np.zeros((20, classes), bool))
    y, q = y.astype(dtype), (np.log(q) if log_input else q).astype(dtype)
    (y if which == "y_true" else q)[16, 3] = value
    (y if which == "y_true" else q)[18, 1] = value  # a later one is not the one named
    with pytest.raises(ValueError, match=all_of(f"{which} must hold", "row \\(16,\\), class 3",
                                               f"found {value:g}")):
        fastloss.kl_divergence(y, q, log_input=log_input, reduction=reduction)


@pytest.mark.parametrize("log_input", [False, True])
@pytest.mark.parametrize("which", ["y_true", "y_pred"])
def test_kl_a_bad_value_in_a_later_block_is_named(isa: str, num_threads: int, log_input: bool,
                                                  which: str) -> None:
    # Sums run as one flat pass over blocks of 16,384+ elements, which report the block's first
    # row: the row named must still be the one holding the value.
    rows, classes = 30_000, 3
    rng = np.random.default_rng(7)
    y = rng.dirichlet(np.ones(classes), size=rows).astype(np.float32)
    q = rng.dirichlet(np.ones(classes), size=rows).astype(np.float32)
    if log_input:
        q = np.log(q)
    (y if which == "y_true" else q)[25_001, 1] = 1.5
    with pytest.raises(ValueError, match=all_of(f"{which} must hold", "row \\(25001,\\), class 1",
                                               "found 1.5")):
        fastloss.kl_divergence(y, q, log_input=log_input, reduction="sum")


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_kl_rows_that_are_not_normalized_raise_where_the_divergence_is_negative(
        reduction: str) -> None:
    # y = [.5, .5] against ŷ = [.9, .9] gives Σ y log(y/ŷ) = -0.59: PyTorch returns that.
    y = np.array([[0.5, 0.5], [0.25, 0.75]])
    q = np.array([[0.5, 0.5], [0.9, 0.9]])
    with pytest.raises(ValueError, match=all_of("rows of y_pred that sum to 1",
                                               "row \\(1,\\) sums to 1.8")):
        fastloss.kl_divergence(y, q, reduction=reduction)
    with pytest.raises(ValueError, match="row \\(1,\\) sums to 1.8"):
        fastloss.kl_divergence(y, np.log(q), log_input=True, reduction=reduction)
    # Normalised rows whose divergence is 0 up to rounding pass, float32 rows read as float64
    # too; a row scaled by 1.04 over many classes is named.
    p = np.random.default_rng(0).dirichlet(np.ones(1000), size=50).astype(np.float32)
    assert abs(float(fastloss.kl_divergence(p, p.copy(), reduction="sum"))) < 1e-4
    y32 = np.float32([[0.23198403, 0.55470204, 0.21331389]])
    q32 = np.float32([[0.23198414, 0.55470204, 0.21331382]])
    assert abs(fastloss.kl_divergence(y32.astype(np.float64), q32.astype(np.float64))) < 1e-6
    wide = np.random.default_rng(1).dirichlet(np.ones(50_000), size=2)
    with pytest.raises(ValueError, match="row \\(1,\\) sums to 1.04"):
        fastloss.kl_divergence(wide, wide * [[1.0], [1.04]], reduction=reduction)


def test_hinge_labels_and_kink() -> None:
    p = np.array([0.5, -0.5, 1.0, -1.0, 2.0, -3.0])
    for zero_one in (np.array([1, 0, 1, 0, 0, 1]), np.array([1.0, 0.0, 1.0, 0.0, 0.0, 1.0])):
        loss, grad = fastloss.hinge(zero_one, p, reduction="none", return_grad=True)
        np.testing.assert_array_equal(loss, [0.5, 0.5, 0.0, 0.0, 3.0, 4.0])
        # At the kink (margin exactly 0) the gradient is 0.
        np.testing.assert_array_equal(grad, [-1, 1, 0, 0, 1, -1])
        same = fastloss.hinge(2 * zero_one - 1, p, reduction="none", return_grad=True)
        np.testing.assert_array_equal(same[0], loss)
        np.testing.assert_array_equal(same[1], grad)


def test_soft_targets(rng: np.random.Generator) -> None:
    # BCE with logits at y = sigmoid(x): the minimum, gradient 0, loss the binary entropy.
    x = rng.normal(scale=3, size=50)
    y = 1 / (1 + np.exp(-x))
    loss, grad = fastloss.binary_cross_entropy(y, x, from_logits=True, reduction="none",
                                               return_grad=True)
    entropy = -(y * np.log(y) + (1 - y) * np.log1p(-y))
    np.testing.assert_allclose(loss, entropy, rtol=1e-10)
    np.testing.assert_allclose(grad, 0.0, atol=1e-12)
    # Probabilities and logits describe the same model.
    np.testing.assert_allclose(fastloss.binary_cross_entropy(y[::-1], y),
                               fastloss.binary_cross_entropy(y[::-1], x, from_logits=True),
                               rtol=1e-10)
    # Cross-entropy = entropy + KL, for soft targets, on probabilities and logits.
    logits = rng.normal(size=(20, 6))
    p = softmax(logits)
    t = softmax(rng.normal(size=(20, 6)))
    h = -(t * np.log(t)).sum(axis=-1)
    kl = fastloss.kl_divergence(t, p, reduction="none")
    np.testing.assert_allclose(fastloss.categorical_cross_entropy(t, p, reduction="none"), h + kl,
                               rtol=1e-10)
    np.testing.assert_allclose(fastloss.categorical_cross_entropy(
        t, logits, from_logits=True, reduction="none"), h + kl, rtol=1e-10)
    # One-hot targets: categorical equals sparse categorical.
    labels = rng.integers(0, 6, size=20)
    for from_logits, pred in ((True, logits), (False, p)):
        dense = fastloss.categorical_cross_entropy(np.eye(6)[labels], pred, label_smoothing=0.1,
                                                   from_logits=from_logits, return_grad=True)
        sparse = fastloss.sparse_categorical_cross_entropy(labels, pred, label_smoothing=0.1,
                                                           from_logits=from_logits,
                                                           return_grad=True)
        np.testing.assert_allclose(dense[0], sparse[0], rtol=1e-12)
        np.testing.assert_allclose(dense[1], sparse[1], rtol=1e-12, atol=1e-15)


def test_probabilities_are_used_as_given(rng: np.random.Generator) -> None:
    # Rows need not sum to 1 (no Keras-style renormalisation): -Σ y log p as written.
    p = rng.uniform(0.1, 0.5, size=(5, 4))
    y = np.eye(4)[rng.integers(0, 4, size=5)]
    want = -(y * np.log(p)).sum(axis=-1)
    np.testing.assert_allclose(fastloss.categorical_cross_entropy(y, p, reduction="none"), want,
                               rtol=1e-12)


def test_all_ignored_targets() -> None:
    x = np.random.default_rng(3).normal(size=(6, 4))
    labels = np.full(6, -100)
    for from_logits in (True, False):
        pred = x if from_logits else softmax(x)
        for class_weight in (None, np.array([1.0, 2.0, 3.0, 4.0])):
            kw = {"from_logits": from_logits, "ignore_index": -100, "class_weight": class_weight,
                  "label_smoothing": 0.1, "return_grad": True}
            loss, grad = fastloss.sparse_categorical_cross_entropy(labels, pred, **kw)
            assert np.isnan(loss)
            np.testing.assert_array_equal(grad, 0.0)
            loss, grad = fastloss.sparse_categorical_cross_entropy(labels, pred, reduction="sum",
                                                                   **kw)
            assert loss == 0
            np.testing.assert_array_equal(grad, 0.0)
            loss, grad = fastloss.sparse_categorical_cross_entropy(labels, pred, reduction="none",
                                                                   **kw)
            np.testing.assert_array_equal(loss, np.zeros(6))
            np.testing.assert_array_equal(grad, 0.0)
    # The same for binary cross-entropy with every target ignored.
    y = np.full(9, -1.0)
    loss, grad = fastloss.binary_cross_entropy(y, np.full(9, 0.3), ignore_index=-1,
                                               return_grad=True)
    assert np.isnan(loss)
    np.testing.assert_array_equal(grad, 0.0)
    assert fastloss.binary_cross_entropy(y, np.full(9, 0.3), ignore_index=-1,
                                         reduction="sum") == 0


def test_nan_propagates() -> None:
    p = np.full(20, 0.4)
    p[7] = np.nan
    loss = fastloss.binary_cross_entropy(np.ones(20), p, reduction="none")
    assert np.isnan(loss[7]) and np.all(np.isfinite(np.delete(loss, 7)))
    assert np.isnan(fastloss.binary_cross_entropy(np.ones(20), p))
    assert np.isnan(fastloss.binary_cross_entropy(np.ones(20), p, from_logits=True))
    assert np.isnan(fastloss.hinge(np.ones(20), p))
    x = np.zeros((5, 3))
    x[2, 1] = np.nan
    for name, y_true, y_pred, options in (
            ("categorical_cross_entropy", np.eye(3)[[0, 1, 2, 0, 1]], x, {"from_logits": True}),
            ("sparse_categorical_cross_entropy", np.array([0, 1, 2, 0, 1]), x,
             {"from_logits": True}),
            ("kl_divergence", np.full((5, 3), 1 / 3), np.exp(x) / 3, {})):
        per = call(name, y_true, y_pred, reduction="none", **options)
        assert np.isnan(per[2]) and np.all(np.isfinite(np.delete(per, 2))), name
        assert np.isnan(call(name, y_true, y_pred, **options)), name


def test_layouts_axes_and_label_dtypes(rng: np.random.Generator) -> None:
    x = rng.normal(size=(30, 7))
    y = softmax(rng.normal(size=(30, 7)))
    labels = rng.integers(0, 7, size=30)
    for name, target in (("categorical_cross_entropy", y),
                         ("sparse_categorical_cross_entropy", labels)):
        want, want_grad = call(name, target, x, from_logits=True, return_grad=True)
        # The transposed view with axis=0 is the same problem (Fortran-ordered input).
        t = target.T if target.ndim == 2 else target
        got, grad = call(name, t, x.T, axis=0, from_logits=True, return_grad=True)
        np.testing.assert_allclose(got, want, rtol=1e-12)
        np.testing.assert_allclose(grad, want_grad.T, rtol=1e-12, atol=1e-15)
        # Lists work.
        np.testing.assert_allclose(call(name, target.tolist(), x.tolist(), from_logits=True),
                                   want, rtol=1e-12)
        # float32 predictions stay float32 with float32 targets or integer labels.
        t32 = target.astype(np.float32) if target.dtype.kind == "f" else target
        assert call(name, t32, x.astype(np.float32), from_logits=True).dtype == np.float32
    want = fastloss.sparse_categorical_cross_entropy(labels, x, from_logits=True)
    for dtype in (np.int8, np.uint8, np.int16, np.int32, np.uint32, np.uint64):
        got = fastloss.sparse_categorical_cross_entropy(labels.astype(dtype), x, from_logits=True)
        assert got == want, dtype


def test_sample_weight_broadcasts_over_rows(rng: np.random.Generator) -> None:
    x = rng.normal(size=(4, 5, 6))
    labels = rng.integers(0, 5, size=(4, 6))
    row_w = rng.uniform(size=(4, 1))
    for reduction in REDUCTIONS:
        got = fastloss.sparse_categorical_cross_entropy(labels, x, axis=1, from_logits=True,
                                                        sample_weight=row_w,
                                                        reduction=reduction)
        want = fastloss.sparse_categorical_cross_entropy(labels, x, axis=1, from_logits=True,
                                                         sample_weight=np.broadcast_to(row_w,
                                                                                       (4, 6)),
                                                         reduction=reduction)
        np.testing.assert_allclose(got, want, rtol=1e-14)


# --- short-row groups --------------------------------------------------------------------------

# Rows of up to 128 classes go through kernels that transpose 16 rows at a time into tiles
# (16x16 float / 8x8 double register blocks with masked edges): every class count around the
# block widths, with full groups, a partial last group and a non-contiguous class axis.
TILE_CLASSES = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("classes", TILE_CLASSES)
def test_short_row_groups(isa: str, dtype: Any, classes: int) -> None:
    rng = np.random.default_rng(classes)
    rows = 16 * 3 + 5
    x = f32(rng.normal(scale=3.0, size=(rows, classes)))
    labels = rng.integers(0, classes, size=rows)
    soft = f32(softmax(rng.normal(size=(rows, classes))))
    probs = f32(softmax(rng.normal(size=(rows, classes))))
    cw = f32(rng.uniform(0.5, 2.0, size=classes))
    problems = [
        ("categorical_cross_entropy", soft, x, {"from_logits": True}),
        ("categorical_cross_entropy", soft, x, {"from_logits": True, "class_weight": cw,
                                                "label_smoothing": 0.1}),
        ("sparse_categorical_cross_entropy", labels, x, {"from_logits": True}),
        ("sparse_categorical_cross_entropy", labels, x, {"from_logits": True, "class_weight": cw,
                                                         "label_smoothing": 0.2}),
        ("kl_divergence", soft, probs, {}),
        ("kl_divergence", soft, np.log(probs), {"log_input": True}),
    ]
    for name, y_true, y_pred, options in problems:
        what = f"{name} {options} C={classes}"
        y_t = y_true.astype(dtype) if y_true.dtype.kind == "f" else y_true
        for layout in ("rows", "columns"):  # the class axis last, then first (copied)
            axis = -1 if layout == "rows" else 0
            yt = y_t if layout == "rows" or y_t.ndim == 1 else np.ascontiguousarray(y_t.T)
            yp = y_pred.astype(dtype) if layout == "rows" else np.ascontiguousarray(
                y_pred.T.astype(dtype))
            kw = dict(options, axis=axis)
            loss, grad = call(name, yt, yp, return_grad=True, **kw)
            none = call(name, yt, yp, reduction="none", **kw)
            yt64 = yt.astype(np.float64) if yt.dtype.kind == "f" else yt
            yp64 = yp.astype(np.float64)
            want_loss, want_grad = oracle(name, yt64, yp64, return_grad=True, **kw)
            want_none = oracle(name, yt64, yp64, reduction="none", **kw)
            assert_close(loss, want_loss, value_rtol(dtype), what)
            assert_close(none, want_none, value_rtol(dtype), what + " none")
            # gradients are O(1/rows); with one class they cancel to 0 up to rounding
            np.testing.assert_allclose(grad, want_grad, rtol=grad_rtol(dtype),
                                       atol=grad_rtol(dtype) / rows, err_msg=what + " grad")


# --- determinism -------------------------------------------------------------------------------


def _large_problems(rng: np.random.Generator) -> Iterator[Tuple[str, Any, Any, Dict[str, Any]]]:
    n = 1_000_003
    y = rng.uniform(size=n)
    y[::9] = -1
    yield "binary_cross_entropy", y, rng.normal(size=n), {
        "from_logits": True, "pos_weight": 1.5, "ignore_index": -1,
        "sample_weight": rng.uniform(size=n)}
    yield "binary_cross_entropy", y, rng.uniform(0.01, 0.99, size=n), {"ignore_index": -1}
    yield "hinge", rng.choice([-1.0, 1.0], size=n), rng.normal(size=n), {}
    x = rng.normal(size=(100_000, 10))
    labels = rng.integers(0, 10, size=100_000)
    labels[::7] = -100
    yield "sparse_categorical_cross_entropy", labels, x, {
        "from_logits": True, "ignore_index": -100, "class_weight": rng.uniform(size=10),
        "label_smoothing": 0.1}
    yield "categorical_cross_entropy", softmax(rng.normal(size=(100_000, 10))), x, {
        "from_logits": True, "sample_weight": rng.uniform(size=100_000)}
    yield "categorical_cross_entropy", softmax(rng.normal(size=(3, 300_000))), softmax(
        rng.normal(size=(3, 300_000))), {"label_smoothing": 0.1}
    yield "kl_divergence", softmax(rng.normal(size=(100_000, 10))), softmax(x), {}


@pytest.mark.parametrize("dtype", DTYPES)
def test_bit_identical_across_threads_and_calls(isa: str, dtype: Any) -> None:
    for name, y_true, y_pred, options in _large_problems(np.random.default_rng(99)):
        if y_true.dtype.kind == "f":
            y_true = y_true.astype(dtype)
        y_pred = y_pred.astype(dtype)
        if "sample_weight" in options:
            options = dict(options, sample_weight=options["sample_weight"].astype(dtype))
        results = []
        for threads in (1, 2, 1, 2):
            with fastloss.threads(threads):
                loss, grad = call(name, y_true, y_pred, return_grad=True, **options)
                none = call(name, y_true, y_pred, reduction="none", **options)
            results.append((loss.tobytes(), grad.tobytes(), none.tobytes()))
        assert all(r == results[0] for r in results[1:]), name


# --- errors --------------------------------------------------------------------------------


def test_bce_probabilities_outside_unit_interval() -> None:
    p = np.array([0.5, 0.2, 1.5, -0.3])
    with pytest.raises(ValueError, match=all_of(r"y_pred", r"\[0, 1\]", r"\b1\.5\b", r"\(2,\)")):
        fastloss.binary_cross_entropy(np.zeros(4), p)
    with pytest.raises(ValueError, match=all_of(r"y_pred", r"-0\.3\b", r"\(1, 0\)")):
        fastloss.binary_cross_entropy(np.zeros((2, 2)), np.array([[0.5, 0.1], [-0.3, 2.0]]),
                                      eps=1e-7)
    # Logits are unconstrained.
    fastloss.binary_cross_entropy(np.zeros(4), p, from_logits=True)


@pytest.mark.parametrize("from_logits", [False, True])
def test_bce_targets_outside_unit_interval(from_logits: bool) -> None:
    with pytest.raises(ValueError, match=all_of(r"y_true", r"\[0, 1\]", r"\b2\b", r"\(2,\)")):
        fastloss.binary_cross_entropy(np.array([0.0, 1.0, 2.0]), np.full(3, 0.5),
                                      from_logits=from_logits)
    with pytest.raises(ValueError, match=all_of("y_true", r"-1\b")):
        fastloss.binary_cross_entropy(np.array([0.0, -1.0]), np.full(2, 0.5),
                                      from_logits=from_logits, ignore_index=-2)
    # The ignored value is allowed.
    fastloss.binary_cross_entropy(np.array([0.0, -1.0]), np.full(2, 0.5),
                                  from_logits=from_logits, ignore_index=-1)


@pytest.mark.parametrize("from_logits", [False, True])
def test_categorical_targets_outside_unit_interval(from_logits: bool) -> None:
    y = np.array([[0.5, 0.5], [1.5, -0.5]], dtype=np.float32)
    with pytest.raises(ValueError, match=all_of(r"y_true must hold targets in \[0, 1\]",
                                                r"found 1\.5 in row \(1,\), class 0")):
        fastloss.categorical_cross_entropy(y, np.full((2, 2), 0.5, np.float32),
                                           from_logits=from_logits)


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("shape", [(40, 3), (40, 10), (3, 300), (2, 5000)])  # groups; rows
@pytest.mark.parametrize("value", [1.5, -0.25])
def test_categorical_targets_are_checked_on_every_path(isa: str, from_logits: bool,
                                                      shape: Tuple[int, int], value: float,
                                                      num_threads: int) -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=shape) if from_logits else softmax(rng.normal(size=shape))
    y = softmax(rng.normal(size=shape))
    for row, cls in [(0, 0), (shape[0] - 1, shape[1] - 1), (1, shape[1] // 2)]:
        bad = y.copy()
        bad[row, cls] = value
        bad[-1, 0] = value  # a later one is not the one named
        first = min((row, cls), (shape[0] - 1, 0))
        for return_grad, reduction in [(False, "mean"), (True, "none")]:
            with pytest.raises(ValueError, match=all_of(
                    r"y_true must hold targets in \[0, 1\]", f"found {value:g} in row "
                    f"\\({first[0]},\\), class {first[1]}")):
                fastloss.categorical_cross_entropy(bad, x, from_logits=from_logits,
                                                   reduction=reduction, return_grad=return_grad)


def test_categorical_arguments_in_pytorch_order_raise() -> None:
    # F.cross_entropy(input, target) takes logits first; fastloss takes y_true first.
    logits = np.array([[2.0, -1.0, 0.5], [0.1, 0.2, -3.0]])
    onehot = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    for from_logits in (False, True):
        with pytest.raises(ValueError, match="y_true must hold targets in"):
            fastloss.categorical_cross_entropy(logits, onehot, from_logits=from_logits)


@pytest.mark.parametrize("name", ["categorical_cross_entropy", "sparse_categorical_cross_entropy",
                                  "kl_divergence", "cosine_proximity"])
def test_no_rows_of_many_classes_allocate_nothing(name: str) -> None:
    # (0, 2**40) float32 takes no memory, and neither may anything sized by its classes (ones
    # as class weights took 4 TiB). The address-space cap turns such a try into a MemoryError.
    resource = pytest.importorskip("resource")
    if fastloss.build_info()["sanitize"] or not os.path.exists("/proc/self/statm"):
        pytest.skip("needs Linux, without sanitizer shadow memory")
    x = np.empty((0, 2**40), np.float32)
    y_true = np.empty(0, np.int64) if name.startswith("sparse") else x
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as statm:
        used = int(statm.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (used + (1 << 30), hard))
    try:
        assert np.isnan(call(name, y_true, x))
        per_row, grad = call(name, y_true, x, reduction="none", return_grad=True)
        assert per_row.shape == (0,) and grad.shape == x.shape and grad.dtype == np.float32
        assert call(name, y_true, x, reduction="sum") == 0
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def test_sparse_labels_out_of_range() -> None:
    x = np.zeros((5, 4))
    with pytest.raises(ValueError, match=all_of(r"y_true", r"\(3,\)", r"\b7\b")):
        fastloss.sparse_categorical_cross_entropy(np.array([0, 1, 3, 7, 9]), x)
    with pytest.raises(ValueError, match=all_of(r"y_true", r"\(1,\)", r"-1\b")):
        fastloss.sparse_categorical_cross_entropy(np.array([0, -1, 1, 2, 3]), x)
    with pytest.raises(ValueError, match=all_of(r"y_true", r"\(4,\)", r"\b4\b")):
        fastloss.sparse_categorical_cross_entropy(np.array([0, 1, 2, 3, 4]), x,
                                                  ignore_index=-100)
    labels = np.zeros((2, 3), dtype=np.int64)
    labels[1, 2] = 5
    with pytest.raises(ValueError, match=all_of(r"y_true", r"\(1, 2\)", r"\b5\b")):
        fastloss.sparse_categorical_cross_entropy(labels, np.zeros((2, 4, 3)), axis=1,
                                                  from_logits=True)
    # The ignored value may be out of range.
    fastloss.sparse_categorical_cross_entropy(np.array([0, -100, 1, 2, 3]), x + 0.25,
                                              ignore_index=-100)


def test_first_offending_element_on_the_parallel_path(num_threads: int) -> None:
    # The error names the first bad element, whichever block or thread saw it first.
    p = np.full(300_000, 0.5)
    p[[250_000, 70_001, 180_000]] = [2.0, -0.5, 3.0]
    with pytest.raises(ValueError, match=all_of("y_pred", r"-0\.5\b", r"\(70001,\)")):
        fastloss.binary_cross_entropy(np.zeros(300_000), p)
    labels = np.zeros((40_000, 3), dtype=np.int64)
    labels[[39_000, 20_000], [2, 1]] = [9, 7]
    with pytest.raises(ValueError, match=all_of("y_true", r"\(20000, 1\)", r"\b7\b")):
        fastloss.sparse_categorical_cross_entropy(labels, np.zeros((40_000, 4, 3)), axis=1,
                                                  from_logits=True)


def test_sparse_labels_must_be_integers() -> None:
    with pytest.raises(TypeError, match="y_true"):
        fastloss.sparse_categorical_cross_entropy(np.array([0.0, 1.0]), np.full((2, 3), 0.3))
    with pytest.raises(TypeError, match="y_true"):
        fastloss.sparse_categorical_cross_entropy(np.array([0.5, 1.0]), np.zeros((2, 3)),
                                                  from_logits=True)


@pytest.mark.parametrize("classes", [37, 1000])
def test_one_non_unit_class_weight_is_seen(isa: str, rng: np.random.Generator,
                                           classes: int) -> None:
    # Unit class weights take a cheaper path; a single other weight, wherever it sits (first
    # class, middle, the vector loop's tail), must leave it.
    x = rng.normal(scale=2, size=(20, classes)).astype(np.float32)
    y = softmax(rng.normal(size=(20, classes))).astype(np.float32)
    for position in (0, classes // 2, classes - 1):
        for weight in (2.0, np.nan):
            cw = np.ones(classes, dtype=np.float32)
            cw[position] = weight
            got = fastloss.categorical_cross_entropy(y, x, from_logits=True, class_weight=cw)
            want = oracle("categorical_cross_entropy", y.astype(np.float64),
                          x.astype(np.float64), from_logits=True,
                          class_weight=cw.astype(np.float64))
            np.testing.assert_allclose(got, want, rtol=rtol_for(np.float32))


@pytest.mark.parametrize("name", ["categorical_cross_entropy", "sparse_categorical_cross_entropy"])
def test_class_weight_length(name: str) -> None:
    y_true = np.eye(3)[[0, 1]] if name == "categorical_cross_entropy" else np.array([0, 1])
    for bad in (np.ones(2), np.ones(4), np.ones((3, 1))):
        with pytest.raises(ValueError, match=all_of("class_weight", r"\(3,\)")):
            call(name, y_true, np.zeros((2, 3)), from_logits=True, class_weight=bad)


def test_hinge_labels() -> None:
    for bad, where in ((np.array([1.0, 0.5]), r"\(1,\)"), (np.array([1, 2]), r"\(1,\)"),
                       (np.array([-2.0, 1.0]), r"\(0,\)")):
        with pytest.raises(ValueError, match=all_of("y_true", where)):
            fastloss.hinge(bad, np.zeros(2))
    # Next to the valid labels, tiny, huge and non-finite values, in both dtypes
    for dtype in (np.float32, np.float64):
        one = dtype(1)
        near = [np.nextafter(one, dtype(2)), np.nextafter(one, dtype(0)),
                -np.nextafter(one, dtype(2)), np.finfo(dtype).smallest_subnormal,
                np.finfo(dtype).tiny, dtype(2.0**-75), np.finfo(dtype).max, np.inf, -np.inf,
                np.nan]
        for value in near:
            y = np.ones(40, dtype=dtype)
            y[37] = value
            with pytest.raises(ValueError, match=all_of("y_true", r"\(37,\)")):
                fastloss.hinge(y, np.zeros(40, dtype=dtype))
        signed_zero = np.array([-0.0, 0.0, 1.0, -1.0], dtype=dtype)
        np.testing.assert_array_equal(
            fastloss.hinge(signed_zero, np.full(4, 0.5, dtype=dtype), reduction="none"),
            [1.5, 1.5, 0.5, 1.5])


@pytest.mark.parametrize("name", LOSSES)
def test_shape_mismatch(name: str) -> None:
    if name == "sparse_categorical_cross_entropy":
        cases = [(np.zeros(5, int), np.zeros((4, 3))), (np.zeros((4, 1), int), np.zeros((4, 3))),
                 (np.zeros((2, 4), int), np.zeros((2, 3, 4))),  # axis=-1 leaves (2, 3)
                 (np.zeros(4, int), np.zeros(4))]
        for y_true, y_pred in cases:
            with pytest.raises(ValueError, match="shape"):
                call(name, y_true, y_pred, from_logits=True)
        return
    for y_true, y_pred in ((np.zeros((4, 1)), np.zeros(4)), (np.zeros((4, 3)), np.zeros((3, 4)))):
        with pytest.raises(ValueError, match="shape"):
            call(name, y_true, y_pred + 0.5)


@pytest.mark.parametrize("name", ["binary_cross_entropy", "categorical_cross_entropy",
                                  "sparse_categorical_cross_entropy"])
@pytest.mark.parametrize("smoothing", [-0.1, 1.5, np.nan])
def test_label_smoothing_range(name: str, smoothing: float) -> None:
    y_true = np.array([0, 1]) if name.startswith("sparse") else np.eye(2)
    with pytest.raises(ValueError, match="label_smoothing"):
        call(name, y_true, np.full((2, 2), 0.5), label_smoothing=smoothing)


@pytest.mark.parametrize("name", ROW_LOSSES)
@pytest.mark.parametrize("axis", [2, -3, 5])
def test_axis_out_of_range(name: str, axis: int) -> None:
    y_true = np.zeros(2, int) if name.startswith("sparse") else np.full((2, 3), 1 / 3)
    with pytest.raises(ValueError):
        call(name, y_true, np.full((2, 3), 1 / 3), axis=axis)


@pytest.mark.parametrize("name", LOSSES)
def test_reduction_and_sample_weight_checks(name: str) -> None:
    y_true = np.array([0, 1]) if name.startswith("sparse") else np.full((2, 3), 1.0)
    y_pred = np.full((2, 3), 0.25)
    with pytest.raises(ValueError, match="reduction"):
        call(name, y_true, y_pred, reduction="avg")
    # Row losses weigh rows: weights with y_pred's full shape do not fit.
    bad = np.ones((2, 3)) if name in ROW_LOSSES else np.ones((2, 4))
    with pytest.raises(ValueError, match="sample_weight"):
        call(name, y_true, y_pred, sample_weight=bad)


def test_pos_weight_shape() -> None:
    with pytest.raises(ValueError, match="pos_weight"):
        fastloss.binary_cross_entropy(np.zeros((2, 3)), np.zeros((2, 3)), from_logits=True,
                                      pos_weight=np.ones(4))


# --- PyTorch -------------------------------------------------------------------------------


def _t(a: Any, grad: bool = False) -> Any:
    torch = pytest.importorskip("torch")
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def _torch_reduce(loss: Any, reduction: str) -> Any:
    return loss.sum() if reduction == "none" else loss


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_torch_binary_cross_entropy(rng: np.random.Generator, reduction: str) -> None:
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    y = rng.uniform(size=(30, 4))
    y[::2] = np.round(y[::2])
    w = rng.uniform(0.2, 2, size=(30, 4))
    p = rng.uniform(0.001, 0.999, size=(30, 4))
    pt = _t(p, True)
    out = F.binary_cross_entropy(pt, _t(y), weight=_t(w), reduction="sum" if reduction == "mean"
                                 else reduction)
    _torch_reduce(out, reduction).backward()
    # PyTorch's weighted "mean" divides by the element count, fastloss by the summed weights.
    scale = w.sum() if reduction == "mean" else 1.0
    loss, grad = fastloss.binary_cross_entropy(y, p, sample_weight=w, reduction=reduction,
                                               return_grad=True)
    np.testing.assert_allclose(loss, out.detach().numpy() / scale, rtol=1e-10)
    # PyTorch's backward is (p - y) / (p (1 - p)): the same up to rounding.
    assert_close(grad, pt.grad.numpy() / scale, 1e-8, "bce grad")
    # Probabilities 0 and 1: each log is clamped at -100.
    y01 = np.array([1.0, 0.0, 0.5, 1.0])
    p01 = np.array([0.0, 1.0, 0.0, 1.0])
    want = F.binary_cross_entropy(_t(p01), _t(y01), reduction=reduction).numpy()
    np.testing.assert_allclose(fastloss.binary_cross_entropy(y01, p01, reduction=reduction), want,
                               rtol=1e-12)
    # With logits, pos_weight per class and sample weights.
    x = rng.normal(scale=4, size=(30, 4))
    x[0] = [1e4, -1e4, 745, -745]
    pos_weight = rng.uniform(0.5, 3, size=4)
    xt = _t(x, True)
    out = F.binary_cross_entropy_with_logits(xt, _t(y), weight=_t(w), pos_weight=_t(pos_weight),
                                             reduction="sum" if reduction == "mean" else reduction)
    _torch_reduce(out, reduction).backward()
    loss, grad = fastloss.binary_cross_entropy(y, x, from_logits=True, pos_weight=pos_weight,
                                               sample_weight=w, reduction=reduction,
                                               return_grad=True)
    # (softplus(-745) is the subnormal 5e-324; PyTorch rounds it to 0.)
    assert_close(loss, out.detach().numpy() / scale, 1e-10, "bce logits loss")
    assert_close(grad, xt.grad.numpy() / scale, 1e-8, "bce logits grad")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(40, 6), (3, 6, 7)])
def test_torch_cross_entropy_class_indices(rng: np.random.Generator, reduction: str,
                                           shape: Tuple[int, ...]) -> None:
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x = rng.normal(scale=3, size=shape)
    labels = rng.integers(0, 6, size=row_shape(shape, 1))
    labels.reshape(-1)[::5] = 2  # ignored
    weight = rng.uniform(0.2, 3, size=6)
    for smoothing in (0.0, 0.15):
        xt = _t(x, True)
        out = F.cross_entropy(xt, torch.tensor(labels), weight=_t(weight), ignore_index=2,
                              label_smoothing=smoothing, reduction=reduction)
        _torch_reduce(out, reduction).backward()
        loss, grad = fastloss.sparse_categorical_cross_entropy(
            labels, x, axis=1, from_logits=True, class_weight=weight, ignore_index=2,
            label_smoothing=smoothing, reduction=reduction, return_grad=True)
        np.testing.assert_allclose(loss, out.detach().numpy(), rtol=1e-10)
        np.testing.assert_allclose(grad, xt.grad.numpy(), rtol=1e-8, atol=1e-15)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_torch_cross_entropy_probability_targets(rng: np.random.Generator,
                                                 reduction: str) -> None:
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x = rng.normal(scale=3, size=(4, 5, 7))
    y = _to_axis(softmax(rng.normal(size=(4, 7, 5))), 1)
    weight = rng.uniform(0.2, 3, size=5)
    for smoothing in (0.0, 0.2):
        xt = _t(x, True)
        out = F.cross_entropy(xt, _t(y), weight=_t(weight), label_smoothing=smoothing,
                              reduction=reduction)
        _torch_reduce(out, reduction).backward()
        loss, grad = fastloss.categorical_cross_entropy(
            y, x, axis=1, from_logits=True, class_weight=weight, label_smoothing=smoothing,
            reduction=reduction, return_grad=True)
        np.testing.assert_allclose(loss, out.detach().numpy(), rtol=1e-10)
        np.testing.assert_allclose(grad, xt.grad.numpy(), rtol=1e-8, atol=1e-15)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_torch_kl_div(rng: np.random.Generator, reduction: str) -> None:
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    log_q = np.log(softmax(rng.normal(size=(25, 8))))
    y = softmax(rng.normal(size=(25, 8)))
    y[3, 4] = 0.0
    qt = _t(log_q, True)
    out = F.kl_div(qt, _t(y), reduction="batchmean" if reduction == "mean" else reduction)
    if reduction == "none":
        out = out.sum(dim=-1)
    _torch_reduce(out, reduction).backward()
    loss, grad = fastloss.kl_divergence(y, log_q, log_input=True, reduction=reduction,
                                        return_grad=True)
    np.testing.assert_allclose(loss, out.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(grad, qt.grad.numpy(), rtol=1e-10, atol=1e-15)
    # On probabilities the gradient is with respect to q (chain rule through log q).
    loss_p, grad_p = fastloss.kl_divergence(y, np.exp(log_q), reduction=reduction,
                                            return_grad=True)
    np.testing.assert_allclose(loss_p, loss, rtol=1e-10)
    np.testing.assert_allclose(grad_p * np.exp(log_q), grad, rtol=1e-10, atol=1e-15)
