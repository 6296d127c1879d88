"""poisson against the float64 NumPy baseline, finite differences, PyTorch (when installed),
special values and every documented error."""

from __future__ import annotations

import warnings
from typing import Any, Dict, List, Tuple

import numpy as np
import pytest

import fastloss
from conftest import DTYPES, SIZES, rtol_for
from fastloss import baselines

REDUCTIONS = ["mean", "sum", "none"]
OPTIONS: List[Dict[str, Any]] = [
    {}, {"full": True}, {"log_input": True}, {"log_input": True, "full": True},
    {"eps": 0.0}, {"eps": 1e-3, "full": True},
]


def oracle(*args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return baselines.poisson(*args, **kwargs)


def all_of(*parts: str) -> str:
    return "(?s)" + "".join(f"(?=.*{part})" for part in parts)


def make_data(rng: np.random.Generator, shape: Any, log_input: bool) -> Tuple[np.ndarray, ...]:
    """Counts (with 0 and 1, the Stirling term's boundary) and float32-exact rates."""
    rate = rng.gamma(2.0, 1.5, size=shape).astype(np.float32).astype(np.float64)
    y = rng.poisson(rate).astype(np.float64)
    y.reshape(-1)[::5] = 1.0
    y.reshape(-1)[1::7] = 2.5  # counts need not be integers
    if log_input:
        return y, np.log(rate).astype(np.float32).astype(np.float64)
    pred = (rate * rng.uniform(0.5, 1.5, size=shape)).astype(np.float32).astype(np.float64)
    return y, pred


def _cases() -> List[Tuple[np.ndarray, np.ndarray, Dict[str, Any], Dict[str, Any]]]:
    rng = np.random.default_rng(31)
    cases = []
    for n in SIZES + [(6, 5)]:
        for i, options in enumerate(OPTIONS):
            if isinstance(n, int) and n > 60_000 and i % 2:
                continue
            y, pred = make_data(rng, n, options.get("log_input", False))
            if i >= 2:  # weights, full or broadcast
                shape = pred.shape
                w_shape = shape if i % 2 else shape[:-1] + (1,)
                options = dict(options, sample_weight=rng.uniform(0.1, 2, size=w_shape).astype(
                    np.float32).astype(np.float64))
            want = {r: oracle(y, pred, reduction=r, return_grad=True, **options)
                    for r in REDUCTIONS}
            cases.append((y, pred, options, want))
    return cases


@pytest.fixture(scope="module")
def cases() -> List[Tuple[np.ndarray, np.ndarray, Dict[str, Any], Dict[str, Any]]]:
    return _cases()


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_baseline(isa: str, num_threads: int, cases: Any, dtype: Any) -> None:
    rtol = 10 * rtol_for(dtype)
    for y, pred, options, want in cases:
        options = dict(options)
        if "sample_weight" in options:
            options["sample_weight"] = options["sample_weight"].astype(dtype)
        for reduction in REDUCTIONS:
            what = f"n={pred.shape} {options.keys()} {reduction} {np.dtype(dtype).name}"
            loss, grad = fastloss.poisson(y.astype(dtype), pred.astype(dtype),
                                          reduction=reduction, return_grad=True, **options)
            want_loss, want_grad = want[reduction]
            assert grad.dtype == dtype and grad.shape == pred.shape, what
            # Terms of both signs cancel: compare against the size of what was summed.
            unweighted = {k: v for k, v in options.items() if k != "sample_weight"}
            w = np.broadcast_to(options.get("sample_weight", 1.0), pred.shape)
            size = w * (np.abs(oracle(y, pred, reduction="none", **unweighted))
                        + np.abs(pred) + 1)
            if reduction == "none":
                magnitude = size
                assert loss.dtype == dtype and loss.shape == pred.shape, what
            else:
                assert type(loss) is np.dtype(dtype).type, what
                magnitude = float(size.sum())
                if reduction == "mean":
                    magnitude /= max(float(w.sum()), 1e-300)
            with np.errstate(invalid="ignore"):
                ok = np.abs(loss - want_loss) <= rtol * (np.abs(want_loss) + magnitude)
            assert np.all(ok | (np.isnan(loss) & np.isnan(want_loss))), what
            np.testing.assert_allclose(grad, want_grad, rtol=5 * rtol, atol=5 * rtol,
                                       err_msg=what)
            again = fastloss.poisson(y.astype(dtype), pred.astype(dtype), reduction=reduction,
                                     **options)
            eps = float(np.finfo(dtype).eps)
            np.testing.assert_allclose(again, loss, rtol=4 * eps,
                                       atol=4 * eps * float(np.max(magnitude, initial=0)),
                                       err_msg=what)


@pytest.mark.parametrize("options", OPTIONS[:4])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradient_matches_finite_differences(isa: str, rng: np.random.Generator,
                                             options: Dict[str, Any], reduction: str) -> None:
    y, pred = make_data(rng, 17, options.get("log_input", False))
    w = rng.uniform(0.5, 2, size=17)
    _, grad = fastloss.poisson(y, pred, reduction=reduction, sample_weight=w, return_grad=True,
                               **options)
    h = 1e-6
    numeric = np.empty(17)
    for i in range(17):
        up, down = pred.copy(), pred.copy()
        up[i] += h
        down[i] -= h
        numeric[i] = (np.sum(fastloss.poisson(y, up, reduction=reduction, sample_weight=w,
                                              **options))
                      - np.sum(fastloss.poisson(y, down, reduction=reduction, sample_weight=w,
                                                **options))) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("full", [False, True])
def test_infinite_rate_redoes_its_block(isa: str, num_threads: int, dtype: Any,
                                        full: bool) -> None:
    # Blocks first run with a log that has no case for +inf (an infinite rate then gives +inf);
    # a block whose loss total is not finite runs again with the exact log. An infinite rate
    # gives NaN (inf - y·inf, or 0·inf at y = 0), as PyTorch and the baseline; everything
    # else is bit for bit the run without it, in that block and in the others.
    rng = np.random.default_rng(5)
    n = 100_000  # several blocks
    y = rng.poisson(2.0, n).astype(dtype)
    rate = rng.uniform(0.1, 5.0, n).astype(dtype)
    spots = [3, 40_000, 99_999]
    y[spots[0]] = 0.0  # 0·log(inf) is NaN too
    inf_rate = rate.copy()
    inf_rate[spots] = np.inf
    w = rng.uniform(0.5, 2.0, n).astype(dtype)
    with fastloss.threads(num_threads):
        for weights in (None, w):
            loss, grad = fastloss.poisson(y, inf_rate, full=full, reduction="none",
                                          sample_weight=weights, return_grad=True)
            clean, clean_grad = fastloss.poisson(y, rate, full=full, reduction="none",
                                                 sample_weight=weights, return_grad=True)
            want = oracle(y, inf_rate, full=full, reduction="none", sample_weight=weights)
            assert np.isnan(loss[spots]).all() and np.isnan(want[spots]).all()
            others = np.setdiff1d(np.arange(n), spots)
            np.testing.assert_array_equal(loss[others], clean[others])
            np.testing.assert_array_equal(grad[others], clean_grad[others])
            for reduction in ("mean", "sum"):
                assert np.isnan(fastloss.poisson(y, inf_rate, full=full, reduction=reduction,
                                                 sample_weight=weights))


@pytest.mark.parametrize("dtype", DTYPES)
def test_special_values(isa: str, dtype: Any) -> None:
    y = np.array([0.0, 0.0, 1.0, 1.0, 2.0, 0.5], dtype)
    rate = np.array([0.0, 2.0, 1.0, 0.0, 2.0, 0.5], dtype)
    loss = fastloss.poisson(y, rate, reduction="none", full=True)
    # A zero rate with a zero count costs 0; with a count, -y log(eps) (finite).
    assert loss[0] == 0 and np.isfinite(loss).all()
    np.testing.assert_allclose(loss[3], -np.log(np.float32(1e-8) if dtype == np.float32
                                                 else 1e-8), rtol=1e-6)
    # The Stirling term only for y > 1: y = 1 adds nothing; y = 2 adds 2 log 2 - 2 + log(4π)/2.
    base = fastloss.poisson(y, rate, reduction="none")
    np.testing.assert_array_equal((loss - base)[:4], 0.0)
    np.testing.assert_allclose((loss - base)[4], 2 * np.log(2) - 2 + 0.5 * np.log(4 * np.pi),
                               rtol=1e-5)
    # With eps = 0 a zero rate and a positive count is infinite, as PyTorch.
    assert fastloss.poisson(y[3:4], rate[3:4], eps=0.0) == np.inf
    # An eps below the dtype's normal range (subnormal) takes the log with subnormal support:
    # log(eps) at a zero rate, not the garbage of a log that assumes normal arguments.
    eps = float(np.finfo(dtype).tiny) / 4
    np.testing.assert_allclose(fastloss.poisson(y[3:4], rate[3:4], eps=eps),
                               -np.log(np.array(eps, dtype).astype(np.float64)), rtol=1e-6)
    # Log-rates accept any sign; a huge log-rate overflows to inf, never a crash.
    per = fastloss.poisson(y, np.array([-30, 0, 1, -2, 3, 1000], dtype), log_input=True,
                           reduction="none")
    assert np.isfinite(per[:5]).all() and per[5] == np.inf
    # NaN propagates.
    p = rate.copy()
    p[1] = np.nan
    per = fastloss.poisson(y, p, reduction="none")
    assert np.isnan(per[1]) and np.isfinite(np.delete(per, 1)).all()
    assert np.isnan(fastloss.poisson(np.array([np.nan], dtype), np.array([1.0], dtype)))


@pytest.mark.parametrize("log_input", [False, True])
def test_float32_sums_keep_float32_precision(isa: str, log_input: bool) -> None:
    # float32 terms add in float32 lanes, 8 per lane, before float64: rates spread over
    # e^(+-9), whose tiny terms vanish against large partials, stay within one ulp.
    rng = np.random.default_rng(7)
    n = 1_000_003
    rate = np.exp(rng.standard_normal(n) * 3.0)
    y = rng.poisson(np.minimum(rate, 1e6)).astype(np.float32)
    pred = (rate * np.exp(rng.standard_normal(n) * 0.1)).astype(np.float32)
    if log_input:
        pred = np.log(pred)
    for reduction in ["sum", "mean"]:
        got = fastloss.poisson(y, pred, log_input=log_input, reduction=reduction)
        want = oracle(y.astype(np.float64), pred.astype(np.float64), log_input=log_input,
                      reduction=reduction)
        assert abs(float(got) - want) <= np.spacing(np.float32(abs(want))), reduction


def test_bit_identical_across_threads_and_calls(isa: str) -> None:
    rng = np.random.default_rng(8)
    for dtype in DTYPES:
        for options in OPTIONS[:4]:
            y, pred = make_data(rng, 1_000_003, options.get("log_input", False))
            y, pred = y.astype(dtype), pred.astype(dtype)
            results = []
            for threads in (1, 2, 1, 2):
                with fastloss.threads(threads):
                    loss, grad = fastloss.poisson(y, pred, return_grad=True, **options)
                results.append((loss.tobytes(), grad.tobytes()))
            assert all(r == results[0] for r in results[1:]), options


def test_negative_rates_and_counts(num_threads: int) -> None:
    with pytest.raises(ValueError, match=all_of("y_pred", "rates", r"-0\.5\b", r"\(2,\)",
                                                "log_input=True")):
        fastloss.poisson(np.ones(4), np.array([1.0, 0.0, -0.5, 2.0]))
    with pytest.raises(ValueError, match=all_of("y_true", "counts", r"-1\.0\b", r"\(1, 0\)")):
        fastloss.poisson(np.array([[1.0, 2.0], [-1.0, 0.0]]), np.ones((2, 2)))
    with pytest.raises(ValueError, match=all_of("y_true", r"-3\b")):
        fastloss.poisson(np.array([0, -3]), np.array([-1.0, 1.0]), log_input=True)
    # Negative log-rates are fine; the first offending element on the parallel path.
    fastloss.poisson(np.ones(3), np.array([-1.0, -5.0, 2.0]), log_input=True)
    p = np.ones(300_000)
    p[[250_000, 70_001]] = [-2.0, -0.25]
    with pytest.raises(ValueError, match=all_of("y_pred", r"-0\.25", r"\(70001,\)")):
        fastloss.poisson(np.ones(300_000), p)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sign_screen_false_alarms_and_positions(isa: str, dtype: Any) -> None:
    # Validation ORs the inputs' sign bits and rescans a flagged block: -0 and negative NaNs
    # set that bit but are valid (a zero rate or count; NaN propagates), so they must give the
    # baseline's result, not an error.
    rng = np.random.default_rng(12)
    y, rate = make_data(rng, 1_000, False)
    y, rate = y.astype(dtype), rate.astype(dtype)
    negative_nan = np.array(-np.nan, dtype)
    assert np.signbit(negative_nan)
    y[[3, 500]] = -0.0
    rate[[4, 999]] = -0.0
    rate[77] = negative_nan
    per = fastloss.poisson(y, rate, reduction="none")
    want = oracle(y.astype(np.float64), np.abs(rate.astype(np.float64)), reduction="none")
    np.testing.assert_array_equal(np.isnan(per), np.isnan(want))
    keep = ~np.isnan(want)
    # per-element terms cancel (p - y log p near 0): absolute error ~ ulp of the parts (~1)
    np.testing.assert_allclose(per[keep], want[keep], rtol=rtol_for(dtype),
                               atol=10 * rtol_for(dtype))
    # A negative rate or count is found wherever it sits: in the two-vector paired loop,
    # in the single vectors after it, or in the scalar tail.
    n = 6 * 2 * 16 + 16 + 7  # six pairs of 16-lane vectors, one vector, a tail of 7
    for position in (0, 17, 63, 64, 191, 192, 200, n - 1):
        for name in ("y_true", "y_pred"):
            y, rate = np.ones(n, dtype), np.ones(n, dtype)
            (y if name == "y_true" else rate)[position] = -2.0
            with pytest.raises(ValueError, match=all_of(name, rf"\({position},\)")):
                fastloss.poisson(y, rate)


def test_option_checks() -> None:
    y = np.ones(3)
    for eps in (-1e-8, np.inf, np.nan):
        with pytest.raises(ValueError, match="eps must be a finite number >= 0"):
            fastloss.poisson(y, y, eps=eps)
    with pytest.raises(TypeError, match="eps must be a real number"):
        fastloss.poisson(y, y, eps="small")
    with pytest.raises(TypeError, match="log_input must be True or False"):
        fastloss.poisson(y, y, log_input=1)
    with pytest.raises(TypeError, match="full must be True or False"):
        fastloss.poisson(y, y, full=None)
    with pytest.raises(ValueError, match="same shape"):
        fastloss.poisson(np.ones((3, 1)), y)
    with pytest.raises(ValueError, match="reduction"):
        fastloss.poisson(y, y, reduction="avg")
    with pytest.raises(ValueError, match="sample_weight"):
        fastloss.poisson(y, y, sample_weight=np.ones(4))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_torch_poisson_nll_loss(rng: np.random.Generator, reduction: str) -> None:
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    for log_input in (False, True):
        y, pred = make_data(rng, (20, 3), log_input)
        y[0] = [0.0, 1.0, 2.0]
        if not log_input:
            pred[1] = [0.0, 0.0, 1e-9]
        for full in (False, True):
            for eps in (1e-8, 1e-2):
                t = torch.tensor(pred, requires_grad=True)
                out = F.poisson_nll_loss(t, torch.tensor(y), log_input=log_input, full=full,
                                         eps=eps, reduction=reduction)
                (out.sum() if reduction == "none" else out).backward()
                loss, grad = fastloss.poisson(y, pred, log_input=log_input, full=full, eps=eps,
                                              reduction=reduction, return_grad=True)
                what = f"log_input={log_input} full={full} eps={eps}"
                np.testing.assert_allclose(loss, out.detach().numpy(), rtol=1e-12, atol=1e-14,
                                           err_msg=what)
                np.testing.assert_allclose(grad, t.grad.numpy(), rtol=1e-12, atol=1e-14,
                                           err_msg=what)


def test_docstring_examples() -> None:
    import doctest

    failures, tried = doctest.testmod(fastloss.count, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0
