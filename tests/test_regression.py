"""mse, mae, huber, log_cosh against the float64 NumPy baselines, finite differences, mpmath
and edge cases."""

from __future__ import annotations

import warnings
from typing import Any, Callable, Dict

import numpy as np
import pytest

import fastloss
from conftest import DTYPES, SIZES, rtol_for
from fastloss import baselines

LOSSES: Dict[str, Dict[str, Any]] = {
    "mse": {},
    "mae": {},
    "huber": {"delta": 0.7},
    "log_cosh": {},
}
REDUCTIONS = ["mean", "sum", "none"]


def call(name: str, *args: Any, impl: Any = fastloss, **kwargs: Any) -> Any:
    fn: Callable[..., Any] = getattr(impl, name)
    return fn(*args, **LOSSES[name], **kwargs)


def oracle(name: str, y_true: np.ndarray, y_pred: np.ndarray, **kwargs: Any) -> Any:
    """The float64 baseline on the same (possibly float32) data."""
    w = kwargs.pop("sample_weight", None)
    if w is not None:
        w = np.asarray(w, dtype=np.float64)
    with warnings.catch_warnings(), np.errstate(all="ignore"):  # the empty mean is 0/0
        warnings.simplefilter("ignore", RuntimeWarning)
        return call(name, y_true.astype(np.float64), y_pred.astype(np.float64),
                    impl=baselines, sample_weight=w, **kwargs)


def make_data(rng: np.random.Generator, n: int, dtype: type) -> tuple:
    y_true = rng.normal(size=n).astype(dtype)
    y_pred = (y_true + rng.normal(scale=1.5, size=n)).astype(dtype)
    return y_true, y_pred


@pytest.mark.parametrize("name", list(LOSSES))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_matches_baseline(isa: str, num_threads: int, rng: np.random.Generator, name: str,
                          dtype: type, reduction: str, weighted: bool) -> None:
    for n in SIZES:
        y_true, y_pred = make_data(rng, n, dtype)
        w = rng.uniform(0.1, 2.0, size=n).astype(dtype) if weighted else None
        loss, grad = call(name, y_true, y_pred, reduction=reduction, sample_weight=w,
                          return_grad=True)
        want_loss, want_grad = oracle(name, y_true, y_pred, reduction=reduction,
                                      sample_weight=w, return_grad=True)
        assert grad.dtype == dtype and grad.shape == y_pred.shape
        rtol = rtol_for(dtype)
        if reduction == "none":
            assert isinstance(loss, np.ndarray) and loss.dtype == dtype and loss.shape == (n,)
            np.testing.assert_allclose(loss, want_loss, rtol=rtol, atol=rtol)
        else:
            assert type(loss) is np.dtype(dtype).type
            if n == 0 and reduction == "mean":
                assert np.isnan(loss)
                continue
            np.testing.assert_allclose(loss, want_loss, rtol=rtol, atol=rtol)
        np.testing.assert_allclose(grad, want_grad, rtol=rtol, atol=rtol * 1e-3)
        # The value without the gradient is the same number.
        again = call(name, y_true, y_pred, reduction=reduction, sample_weight=w)
        np.testing.assert_array_equal(again, loss)


@pytest.mark.parametrize("name", list(LOSSES))
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradient_matches_finite_differences(isa: str, rng: np.random.Generator, name: str,
                                             reduction: str) -> None:
    n = 23
    y_true = rng.normal(size=n)
    # Keep d = y_pred - y_true away from the kinks at 0 and ±delta.
    d = rng.choice([-1, 1], size=n) * rng.uniform(0.1, 0.6, size=n)
    d[::3] *= 4.0
    y_pred = y_true + d
    w = rng.uniform(0.5, 2.0, size=n)
    _, grad = call(name, y_true, y_pred, reduction=reduction, sample_weight=w, return_grad=True)

    def total(p: np.ndarray) -> float:
        return float(np.sum(call(name, y_true, p, reduction=reduction, sample_weight=w)))

    h = 1e-6
    numeric = np.empty(n)
    for i in range(n):
        up, down = y_pred.copy(), y_pred.copy()
        up[i] += h
        down[i] -= h
        numeric[i] = (total(up) - total(down)) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", list(LOSSES))
@pytest.mark.parametrize("dtype", DTYPES)
def test_bit_identical_across_threads_and_calls(isa: str, rng: np.random.Generator, name: str,
                                                dtype: type) -> None:
    y_true, y_pred = make_data(rng, 1_000_003, dtype)
    w = rng.uniform(0.1, 2.0, size=y_true.size).astype(dtype)
    results = []
    for threads in (1, 2, 1, 2):
        with fastloss.threads(threads):
            results.append(call(name, y_true, y_pred, sample_weight=w, return_grad=True))
    for loss, grad in results[1:]:
        assert loss.tobytes() == results[0][0].tobytes()
        assert grad.tobytes() == results[0][1].tobytes()


def test_float32_mean_of_ten_million_keeps_float32_precision(rng: np.random.Generator) -> None:
    y_true, y_pred = make_data(rng, 10_000_000, np.float32)
    for name in LOSSES:
        got = call(name, y_true, y_pred)
        want = oracle(name, y_true, y_pred)
        assert abs(float(got) - want) <= 1e-6 * abs(want), name


@pytest.mark.parametrize("name", list(LOSSES))
def test_nan_and_inf_propagate(isa: str, name: str) -> None:
    y_true = np.zeros(40)
    y_pred = np.ones(40)
    y_pred[17] = np.nan
    loss, grad = call(name, y_true, y_pred, return_grad=True)
    assert np.isnan(loss)
    assert np.isnan(grad[17]) and np.all(np.isfinite(np.delete(grad, 17)))
    per = call(name, y_true, y_pred, reduction="none")
    assert np.isnan(per[17]) and np.all(np.isfinite(np.delete(per, 17)))
    y_pred[17] = np.inf
    assert call(name, y_true, y_pred) == np.inf
    y_true[17] = np.inf
    assert np.isnan(call(name, y_true, y_pred))


@pytest.mark.parametrize("name", list(LOSSES))
def test_layouts_and_dtypes_are_converted(rng: np.random.Generator, name: str) -> None:
    y_true = rng.normal(size=(30, 20))
    y_pred = rng.normal(size=(30, 20))
    want = oracle(name, y_true, y_pred)
    # Strided, transposed (Fortran-ordered) and list inputs give the same value.
    np.testing.assert_allclose(call(name, y_true.T, y_pred.T), want, rtol=1e-12)
    strided_t = np.repeat(y_true, 2, axis=1)[:, ::2]
    np.testing.assert_allclose(call(name, strided_t, y_pred), want, rtol=1e-12)
    np.testing.assert_allclose(call(name, y_true.tolist(), y_pred.tolist()), want, rtol=1e-12)
    # Integer and bool inputs are computed in float64; they do not upcast float32 predictions.
    labels = rng.integers(0, 3, size=(30, 20))
    assert call(name, labels, labels.astype(np.int8)).dtype == np.float64
    assert call(name, labels > 0, y_pred > 0).dtype == np.float64
    assert call(name, labels, y_pred.astype(np.float32)).dtype == np.float32
    # float16 is computed in float32; mixed float widths use NumPy's result type.
    assert call(name, y_true.astype(np.float16), y_pred.astype(np.float16)).dtype == np.float32
    assert call(name, y_true.astype(np.float32), y_pred).dtype == np.float64
    # none keeps the input shape; the gradient follows y_pred's shape and dtype.
    per, grad = call(name, y_true.T, y_pred.T, reduction="none", return_grad=True)
    assert per.shape == (20, 30) and grad.shape == (20, 30)


@pytest.mark.parametrize("name", list(LOSSES))
def test_empty_input(name: str) -> None:
    empty = np.zeros(0, dtype=np.float32)
    assert call(name, empty, empty, reduction="sum") == 0
    assert np.isnan(call(name, empty, empty))
    assert call(name, empty, empty, reduction="none").shape == (0,)
    loss, grad = call(name, empty, empty, return_grad=True)
    assert np.isnan(loss) and grad.shape == (0,) and grad.dtype == np.float32


@pytest.mark.parametrize("name", list(LOSSES))
def test_sample_weight_broadcasts_to_the_loss_shape(rng: np.random.Generator, name: str) -> None:
    y_true = rng.normal(size=(6, 5))
    y_pred = rng.normal(size=(6, 5))
    row_w = rng.uniform(size=(6, 1))
    full_w = np.broadcast_to(row_w, (6, 5))
    for reduction in REDUCTIONS:
        got = call(name, y_true, y_pred, sample_weight=row_w, reduction=reduction)
        want = call(name, y_true, y_pred, sample_weight=full_w, reduction=reduction)
        np.testing.assert_allclose(got, want, rtol=1e-14)
    scalar = call(name, y_true, y_pred, sample_weight=3.0, reduction="sum")
    np.testing.assert_allclose(scalar, 3.0 * call(name, y_true, y_pred, reduction="sum"))
    # All-zero weights have no mean.
    assert np.isnan(call(name, y_true, y_pred, sample_weight=np.zeros((6, 5))))


def test_huber_limits(rng: np.random.Generator) -> None:
    y_true = rng.normal(size=100)
    y_pred = y_true + rng.normal(scale=0.01, size=100)
    # Inside delta Huber is half the squared error; far outside it is delta*|d| - delta²/2.
    np.testing.assert_allclose(fastloss.huber(y_true, y_pred, delta=10.0),
                               0.5 * fastloss.mse(y_true, y_pred), rtol=1e-12)
    far = y_true + 100.0
    np.testing.assert_allclose(fastloss.huber(y_true, far, delta=0.5), 0.5 * 100 - 0.125,
                               rtol=1e-12)


def _log_cosh_exact(d: np.ndarray) -> tuple:
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    loss = np.array([float(mpmath.log(mpmath.cosh(mpmath.mpf(float(x))))) for x in d])
    grad = np.array([float(mpmath.tanh(mpmath.mpf(float(x)))) for x in d])
    return loss, grad


@pytest.mark.parametrize("dtype, max_ulp", [(np.float64, 8), (np.float32, 6)])
def test_log_cosh_is_accurate_at_every_magnitude(isa: str, dtype: type, max_ulp: int) -> None:
    """Error in ulp of the exact result, over |d| from 1e-6 to 1e4 (both signs): the Taylor
    branch keeps small differences accurate where |d| + log1p(e) - log 2 cancels, and large
    ones stay finite where cosh overflows. The largest errors are just above the switch at
    |d| = 0.5, where the far form still cancels a little (measured: 7 ulp float64, 5 float32;
    at most 2 ulp below 0.5 and far above)."""
    magnitudes = np.geomspace(1e-6, 1e4, 2001)
    d = np.concatenate([magnitudes, -magnitudes, [0.49999, 0.5, 0.50001]]).astype(dtype)
    loss, grad = fastloss.log_cosh(np.zeros_like(d), d, reduction="none", return_grad=True)
    want_loss, want_grad = _log_cosh_exact(d)
    ulp_loss = np.abs(loss - want_loss) / np.spacing(np.abs(want_loss).astype(dtype))
    assert ulp_loss.max() <= max_ulp, (d[ulp_loss.argmax()], ulp_loss.max())
    # tanh from (1 - e) / (1 + e): a few ulp, and exactly +-1 far out
    ulp_grad = np.abs(grad - want_grad) / np.spacing(np.abs(want_grad).astype(dtype))
    assert np.all(np.abs(grad - want_grad) <= 4 * np.spacing(np.abs(want_grad).astype(dtype))
                  + 4 * np.finfo(dtype).eps * np.abs(d)), ulp_grad.max()
    assert fastloss.log_cosh(np.zeros(1, dtype), np.array([1e30], dtype)) == dtype(1e30)
