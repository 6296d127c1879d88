"""Accuracy of the vectorized math helpers (cpp/kernels/math.hpp), under every supported ISA.

float32: every 409th float32 bit pattern (~1.05e7 inputs: all binades, both signs, subnormals,
inf, NaN) against float64 NumPy rounded to float32, as a distance in representable values.
float64: 20,000 inputs per function against mpmath at 60 digits, as the error in ULP of the
exact value. Special values are checked exactly.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np
import pytest

from fastloss import _core

FUNCTIONS = ("exp", "log", "log1p", "softplus", "sigmoid")

# The "max error" bound stated for every helper in cpp/kernels/math.hpp (measured: < 0.9 ULP).
MAX_ULP = {np.float32: 1, np.float64: 1}

F32_STRIDE = 409  # odd, so every mantissa pattern mod small powers of two is visited
F64_SAMPLES_PER_PIECE = 4000


def ulp_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """How many representable values lie between a and b (same float dtype), as int64.

    +0 and -0 are 0 apart, as are two NaNs; a NaN and a number are 2**62 apart.
    """
    a = np.asarray(a)
    b = np.asarray(b)
    assert a.dtype == b.dtype and a.dtype in (np.float32, np.float64)
    itype = np.int32 if a.dtype == np.float32 else np.int64
    ia = a.view(itype).astype(np.int64)
    ib = b.view(itype).astype(np.int64)
    magnitude_mask = np.int64(np.iinfo(itype).max)
    am = ia & magnitude_mask  # the bit patterns of |a| and |b| are ordered like the values
    bm = ib & magnitude_mask
    big = np.int64(1) << 61
    same_sign = (ia < 0) == (ib < 0)
    dist = np.where(same_sign, np.abs(am - bm), np.minimum(am, big) + np.minimum(bm, big))
    nan_a = np.isnan(a)
    nan_b = np.isnan(b)
    return np.where(nan_a | nan_b, np.where(nan_a & nan_b, 0, 2 * big), dist)


def test_ulp_distance_helper() -> None:
    one = np.float32(1.0)
    x = np.array([one, 0.0, -0.0, np.nan, np.inf, 1e-45], dtype=np.float32)
    y = np.array(
        [np.nextafter(one, np.float32(2)), -0.0, 1e-45, np.nan, 3.4028235e38, -1e-45],
        dtype=np.float32,
    )
    np.testing.assert_array_equal(ulp_distance(x, y), [1, 0, 1, 0, 1, 2])
    d = np.array([1.0, -np.inf, 5e-324], dtype=np.float64)
    e = np.array([np.nextafter(1.0, 0.0), np.inf, -5e-324], dtype=np.float64)
    assert ulp_distance(d, e).tolist() == [1, 2**62, 2]  # far apart: clipped
    assert ulp_distance(np.array([np.nan]), np.array([1.0])).item() == 2**62


def evaluate(name: str, x: np.ndarray) -> np.ndarray:
    y = _core._math(name, np.ascontiguousarray(x))
    assert y.dtype == x.dtype and y.shape == x.shape
    return y


# ---------------------------------------------------------------------------------------
# float32: dense sweep over the bit patterns against float64 NumPy


@functools.lru_cache(maxsize=1)
def f32_sweep() -> np.ndarray:
    bits = np.arange(0, 2**32, F32_STRIDE, dtype=np.uint64).astype(np.uint32)
    return bits.view(np.float32)


def reference64(name: str, x: np.ndarray) -> np.ndarray:
    """float64 NumPy reference (NaN where the function is undefined)."""
    with np.errstate(all="ignore"):
        if name == "exp":
            return np.exp(x)
        if name == "log":
            return np.log(x)
        if name == "log1p":
            return np.log1p(x)
        if name == "softplus":
            return np.logaddexp(0.0, x)
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def reference32(name: str, x: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return reference64(name, x.astype(np.float64)).astype(np.float32)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_float32_max_ulp(isa: str, name: str) -> None:
    x = f32_sweep()
    assert x.size > 10**7
    dist = ulp_distance(evaluate(name, x), reference32(name, x))
    worst = int(np.argmax(dist))
    assert dist[worst] <= MAX_ULP[np.float32], (
        f"{name} float32 [{isa}]: {dist[worst]} ULP at x={x[worst]!r}"
    )


# ---------------------------------------------------------------------------------------
# float64: samples against mpmath


def _bit_uniform(rng: np.random.Generator, lo: float, hi: float, n: int) -> np.ndarray:
    """Positive doubles uniform in bit pattern between lo and hi: log-uniform magnitudes."""
    lo_bits = np.array(lo, dtype=np.float64).view(np.int64)
    hi_bits = np.array(hi, dtype=np.float64).view(np.int64)
    return rng.integers(lo_bits, hi_bits, size=n, endpoint=True).view(np.float64)


def _signed(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    return np.where(rng.random(x.size) < 0.5, -x, x)


def f64_inputs(name: str) -> np.ndarray:
    rng = np.random.default_rng(2024 + FUNCTIONS.index(name))
    n = F64_SAMPLES_PER_PIECE
    tiny = float.fromhex("0x1p-1074")
    big = float.fromhex("0x1.fffffffffffffp+1023")
    pieces: list[np.ndarray]
    if name == "exp":
        pieces = [
            rng.uniform(-745.13, 709.78, n),
            rng.uniform(-745.13, -708.0, n),  # subnormal results
            _signed(rng, _bit_uniform(rng, 2.0**-60, 709.0, 2 * n)),
            rng.uniform(-1.0, 1.0, n),
        ]
    elif name == "log":
        pieces = [
            _bit_uniform(rng, tiny, big, 2 * n),  # every binade, subnormals included
            rng.uniform(0.5, 2.0, n),
            1.0 + _signed(rng, _bit_uniform(rng, 2.0**-52, 0.25, n)),
        ]
    elif name == "log1p":
        pieces = [
            rng.uniform(-1.0, 1.0, n),
            _signed(rng, _bit_uniform(rng, tiny, 0.5, n)),
            _bit_uniform(rng, 0.5, big, n),
            -1.0 + _bit_uniform(rng, 2.0**-53, 0.5, n),
            rng.uniform(-0.35, 0.5, n),
        ]
    else:  # softplus, sigmoid
        pieces = [
            rng.uniform(-745.0, 745.0, n),
            rng.uniform(-40.0, 40.0, 2 * n),
            _signed(rng, _bit_uniform(rng, 2.0**-60, 745.0, 2 * n)),
        ]
    return np.concatenate(pieces)


def _mp_function(name: str) -> Callable[[Any], Any]:
    mpmath = pytest.importorskip("mpmath")
    functions: dict[str, Callable[[Any], Any]] = {
        "exp": mpmath.exp,
        "log": mpmath.log,
        "log1p": mpmath.log1p,
        "softplus": lambda t: mpmath.log1p(mpmath.exp(t)),
        "sigmoid": lambda t: 1 / (1 + mpmath.exp(-t)),
    }
    return functions[name]


@functools.cache
def f64_reference(name: str) -> tuple[np.ndarray, list[object]]:
    mpmath = pytest.importorskip("mpmath")
    x = f64_inputs(name)
    f = _mp_function(name)
    with mpmath.workdps(60):
        exact = [f(mpmath.mpf(float(v))) for v in x]
    return x, exact


def f64_ulp_errors(y: np.ndarray, exact: list[object]) -> np.ndarray:
    """|y - exact| in ULP of the exact value (ULP 2**-1074 in the subnormal range)."""
    mpmath = pytest.importorskip("mpmath")
    err = np.empty(y.size)
    with mpmath.workdps(60):
        for i, (yi, ri) in enumerate(zip(y.tolist(), exact)):
            if not np.isfinite(yi):
                err[i] = np.inf
                continue
            exponent = mpmath.frexp(ri)[1] if ri != 0 else -1021  # ri = m * 2**e, m in [0.5, 1)
            ulp = mpmath.ldexp(1, max(int(exponent), -1021) - 53)
            err[i] = float(abs(mpmath.mpf(yi) - ri) / ulp)
    return err


@pytest.mark.parametrize("name", FUNCTIONS)
def test_float64_max_ulp(isa: str, name: str) -> None:
    x, exact = f64_reference(name)
    err = f64_ulp_errors(evaluate(name, x), exact)
    worst = int(np.argmax(err))
    assert err[worst] <= MAX_ULP[np.float64], (
        f"{name} float64 [{isa}]: {err[worst]:.3f} ULP at x={x[worst]!r}"
    )


# ---------------------------------------------------------------------------------------
# Special values, exactly

NAN = np.nan
INF = np.inf
LN2 = float(np.log(2.0))

# (function, input, expected) for both dtypes; None: compare with the reference (<= MAX_ULP).
SPECIAL: dict[str, list[tuple[float, object]]] = {
    "exp": [
        (NAN, NAN),
        (INF, INF),
        (-INF, 0.0),
        (0.0, 1.0),
        (-0.0, 1.0),
        (1e30, INF),
        (-1e30, 0.0),
        (1000.0, INF),
        (-1000.0, 0.0),
        (1e-30, 1.0),
        (-1e-30, 1.0),
    ],
    "log": [
        (NAN, NAN),
        (INF, INF),
        (-INF, NAN),
        (0.0, -INF),
        (-0.0, -INF),
        (-1.0, NAN),
        (-1e-44, NAN),
        (1.0, 0.0),
        (2.0, None),
        (1e-45, None),
    ],
    "log1p": [
        (NAN, NAN),
        (INF, INF),
        (-INF, NAN),
        (-1.0, -INF),
        (-1.5, NAN),
        (-2.0, NAN),
        (0.0, 0.0),
        (-0.0, -0.0),
        (1e-30, 1e-30),
        (-1e-30, -1e-30),
        (1.0, LN2),
        (1e30, None),
    ],
    "softplus": [
        (NAN, NAN),
        (INF, INF),
        (-INF, 0.0),
        (0.0, LN2),
        (-0.0, LN2),
        (1e30, 1e30),
        (-1e30, 0.0),
        (100.0, 100.0),
        (-100.0, None),
        (-1000.0, 0.0),
    ],
    "sigmoid": [
        (NAN, NAN),
        (INF, 1.0),
        (-INF, 0.0),
        (0.0, 0.5),
        (-0.0, 0.5),
        (1e30, 1.0),
        (-1e30, 0.0),
        (100.0, 1.0),
        (-100.0, None),
        (-1000.0, 0.0),
    ],
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_special_values(isa: str, name: str, dtype: type) -> None:
    x = np.array([v for v, _ in SPECIAL[name]], dtype=dtype)
    y = evaluate(name, x)
    with np.errstate(all="ignore"):
        ref = reference64(name, x.astype(np.float64)).astype(dtype)
        expected = np.array(
            [ref[i] if e is None else e for i, (_, e) in enumerate(SPECIAL[name])], dtype=dtype
        )
    exact = np.array([e is not None for _, e in SPECIAL[name]])
    np.testing.assert_array_equal(y[exact], expected[exact], err_msg=f"{name} at {x[exact]}")
    # sign of zero results: log1p(-0) = -0, every other zero here is +0
    zero = exact & (expected == 0)
    np.testing.assert_array_equal(np.signbit(y[zero]), np.signbit(expected[zero]))
    assert np.all(ulp_distance(y[~exact], expected[~exact]) <= MAX_ULP[dtype])


# Largest finite exp(x) / smallest nonzero: the float64-rounded reference decides.
@pytest.mark.parametrize(
    "dtype, centers",
    [
        (np.float32, [88.72284, -103.97208, -87.33655]),
        (np.float64, [709.782712893384, -745.1332191019412, -708.3964185322641]),
    ],
)
def test_exp_overflow_and_underflow_thresholds(isa: str, dtype: type, centers: list[float]) -> None:
    # 2001 consecutive values around each threshold (overflow, underflow to 0, subnormal start)
    for c in centers:
        bits = np.array(c, dtype=dtype).view(np.int32 if dtype == np.float32 else np.int64)
        x = (bits + np.arange(-1000, 1001, dtype=bits.dtype)).view(dtype)
        y = evaluate("exp", x)
        if dtype == np.float32:
            ref = reference32("exp", x)
            np.testing.assert_array_equal(np.isinf(y), np.isinf(ref))
            assert np.all(ulp_distance(y, ref) <= MAX_ULP[dtype])
        else:
            with np.errstate(all="ignore"):
                ref = np.exp(x)  # libm: not always correctly rounded, hence one ULP of slack
            np.testing.assert_array_equal(np.isinf(y), np.isinf(ref))
            assert np.all(ulp_distance(y, ref) <= MAX_ULP[dtype] + 1)
        assert np.all(y >= 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_subnormal_inputs_and_outputs(isa: str, dtype: type) -> None:
    info = np.finfo(dtype)
    tiny = np.array(info.smallest_subnormal, dtype=dtype)
    sub = (tiny * np.array([1, 2, 3, 1000, 123456, 2**20], dtype=dtype)).astype(dtype)
    sub = np.concatenate([sub, [info.tiny * dtype(0.75), np.nextafter(info.tiny, dtype(0))]])
    sub = sub.astype(dtype)
    assert np.all(sub < info.tiny) and np.all(sub > 0)
    # log of subnormals is scaled up first: accurate, not -inf or garbage
    ref = reference64("log", sub.astype(np.float64)).astype(dtype)
    assert np.all(ulp_distance(evaluate("log", sub), ref) <= MAX_ULP[dtype])
    # log1p of a subnormal is the input itself, keeping its sign
    np.testing.assert_array_equal(evaluate("log1p", sub), sub)
    np.testing.assert_array_equal(evaluate("log1p", -sub), -sub)
    # exp, sigmoid and softplus underflow gradually: subnormal results, not flushed to zero
    lo, hi = (-103.0, -88.0) if dtype == np.float32 else (-744.0, -709.0)
    x = np.linspace(lo, hi, 101).astype(dtype)
    ref = reference64("exp", x.astype(np.float64)).astype(dtype)  # = sigmoid = softplus here
    for name in ("exp", "sigmoid", "softplus"):
        y = evaluate(name, x)
        assert np.all(y > 0) and np.all(y < info.tiny), name
        assert np.all(ulp_distance(y, ref) <= MAX_ULP[dtype]), name


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_positive_is_log_on_its_domain(isa: str, dtype: Any) -> None:
    # fl_log_positive only drops fl_log's selects for zero, negative and subnormal inputs:
    # on positive normal numbers, +inf and NaN it must give fl_log's results bit for bit.
    if dtype == np.float32:
        x = f32_sweep()
    else:
        x = _bit_uniform(np.random.default_rng(5), float.fromhex("0x1p-1074"),
                         float.fromhex("0x1.fffffffffffffp+1023"), 10**6)
    x = x[(x >= np.finfo(dtype).tiny) | np.isnan(x)]
    x = np.concatenate([x, np.array([np.inf, np.nan], dtype=dtype)])
    np.testing.assert_array_equal(evaluate("log_positive", x), evaluate("log", x))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_probability_is_the_clamped_log_on_its_domain(isa: str, dtype: Any) -> None:
    # fl_log_probability(x, -100) scales every x as fl_log scales subnormal ones: on [0, 1]
    # (both zeros, subnormals, 1) and NaN it must give max(fl_log(x), -100) bit for bit.
    if dtype == np.float32:
        x = f32_sweep()
    else:
        x = _bit_uniform(np.random.default_rng(8), float.fromhex("0x1p-1074"), 1.0, 10**6)
    x = x[((x >= 0) & (x <= 1)) | np.isnan(x)]
    x = np.concatenate([x, np.array([0.0, -0.0, 1.0, np.nan], dtype=dtype)])
    expected = np.maximum(evaluate("log", x), dtype(-100))  # NaN stays NaN
    np.testing.assert_array_equal(evaluate("log_probability", x), expected)


def test_log_complement_float32(isa: str) -> None:
    # fl_log_complement(q, -100) = max(log(1 - q), -100) without a division, on [0, 1]: the
    # sweep, densely around its range switches (1 - sqrt(1/2), 1/2) and next to 1. Every
    # float in [0, 1] measured 0.853 ULP at most on each ISA (see math.hpp).
    x = f32_sweep()
    x = x[(x >= 0) & (x <= 1)]
    around = [np.float32(v).view(np.uint32) for v in (1 - 0.5**0.5, 0.5, 1.0)]
    dense = np.concatenate([np.arange(b - 2**16, b + 2**16, dtype=np.uint32) for b in around])
    x = np.concatenate([x, dense.view(np.float32)])
    x = x[x <= 1]
    with np.errstate(divide="ignore"):
        ref = np.maximum(np.log1p(-x.astype(np.float64)), -100.0).astype(np.float32)
    dist = ulp_distance(evaluate("log_complement", x), ref)
    worst = int(np.argmax(dist))
    assert dist[worst] <= MAX_ULP[np.float32], f"{dist[worst]} ULP at x={x[worst]!r}"
    specials = evaluate("log_complement", np.array([0.0, 1.0, np.nan], np.float32))
    assert specials[0] == 0 and specials[1] == -100 and np.isnan(specials[2])


def test_log_complement_float64_is_clamped_log1p(isa: str) -> None:
    x = np.concatenate([np.random.default_rng(10).uniform(0, 1, 10**5), [0.0, 0.5, 1.0, np.nan]])
    expected = np.maximum(evaluate("log1p", -x), -100.0)
    np.testing.assert_array_equal(evaluate("log_complement", x), expected)


def test_log1p_unit_float32(isa: str) -> None:
    # fl_log1p_unit (no division) on its domain [0, 1]: the sweep, densely around the switch
    # to the halved 1 + e at sqrt(2) - 1, and next to 1. Every float in [0, 1] measured
    # 0.87 ULP at most on each ISA (see math.hpp).
    x = f32_sweep()
    x = x[(x >= 0) & (x <= 1)]
    switch = np.float32(0.41421356).view(np.uint32)
    dense = np.concatenate([np.arange(switch - 2**16, switch + 2**16, dtype=np.uint32),
                            np.arange(0x3F800000 - 2**16, 0x3F800001, dtype=np.uint32)])
    x = np.concatenate([x, dense.view(np.float32), np.array([0.0, 2.0**-149, 1.0], np.float32)])
    dist = ulp_distance(evaluate("log1p_unit", x), reference32("log1p", x))
    worst = int(np.argmax(dist))
    assert dist[worst] <= MAX_ULP[np.float32], f"{dist[worst]} ULP at x={x[worst]!r}"
    specials = evaluate("log1p_unit", np.array([0.0, np.nan, 2.0**-149], np.float32))
    assert specials[0] == 0 and not np.signbit(specials[0])
    assert np.isnan(specials[1]) and specials[2] == np.float32(2.0**-149)


def test_log1p_unit_float64_is_log1p(isa: str) -> None:
    x = np.concatenate([np.random.default_rng(9).uniform(0, 1, 10**5), [0.0, 1.0, np.nan]])
    np.testing.assert_array_equal(evaluate("log1p_unit", x), evaluate("log1p", x))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exp_nonpositive_within_1_ulp_down_to_its_flush_point(isa: str, dtype: Any) -> None:
    # fl_exp_nonpositive (softmax's exponentials) has its own, shorter float evaluation on FMA
    # targets: within 1 ULP of e^x while n = round(x log2 e) >= -126, and +0 below (float;
    # double is fl_exp itself, bit for bit).
    if dtype == np.float32:
        x = f32_sweep()
        x = x[(x <= 0) | np.isnan(x)]
    else:
        x = -_bit_uniform(np.random.default_rng(6), float.fromhex("0x1p-1074"), 800.0, 10**6)
    x = np.concatenate([x, np.array([0.0, -0.0, -np.inf, np.nan], dtype=dtype)])
    y = evaluate("exp_nonpositive", x)
    if dtype == np.float64:
        np.testing.assert_array_equal(y, evaluate("exp", x))
        return
    assert np.all(y[x == 0] == 1) and np.all(y[x == -np.inf] == 0)
    assert np.all(np.isnan(y[np.isnan(x)]))
    # The flush point, n = -126.5 rounded, is x = -87.68 (within a rounding of x log2 e).
    kept = ~(x < -87.66)  # and NaN
    flushed = x < -87.70
    assert np.all(y[flushed] == 0)
    dist = ulp_distance(y, reference32("exp", x))
    edge = ~kept & ~flushed
    assert np.all((y[edge] == 0) | (dist[edge] <= MAX_ULP[np.float32]))
    worst = int(np.argmax(np.where(kept, dist, 0)))
    assert dist[worst] <= MAX_ULP[np.float32], f"{dist[worst]} ULP at x={x[worst]!r} [{isa}]"
    # Not merely within 1 ULP somewhere: correctly rounded almost everywhere.
    assert np.mean(dist[kept] == 0) > 0.9


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_results_do_not_depend_on_position(isa: str, name: str, dtype: type) -> None:
    # SIMD body, vectorized epilogue and scalar tail give the same element results.
    x = np.random.default_rng(7).uniform(-20, 20, 100).astype(dtype)
    if name in ("log", "log1p"):
        x = np.abs(x)
    full = evaluate(name, x)
    for start in range(17):
        for n in (1, 3, 7, 8, 9, 15, 16, 17, 31, 33):
            np.testing.assert_array_equal(
                evaluate(name, x[start : start + n]), full[start : start + n]
            )
