"""Property-based robustness of every registered loss (Hypothesis, derandomized for CI).

Starting from each loss's realistic benchmark inputs, Hypothesis varies the memory layout, plants
special values and breaks shapes and dtypes. The properties: the layout never changes a result
(bit for bit), and bad input ends in a TypeError or ValueError that names an argument — never
another exception or a crash. `.ci/sanitize` runs these under AddressSanitizer, where an
out-of-bounds access in a kernel stops the run.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, Dict, List

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastloss
from fastloss._bench_cases import CASES

NAMES = [name for name in fastloss.losses() if name in CASES]

FUZZ = settings(max_examples=120, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])


def params(name: str) -> Dict[str, inspect.Parameter]:
    return dict(inspect.signature(fastloss.get(name)).parameters)


def inputs(name: str, n: int, dtype: type, seed: int) -> List[np.ndarray]:
    return list(CASES[name].inputs(n, np.dtype(dtype), np.random.default_rng(seed)))


def options(name: str, reduction: str, grad: bool) -> Dict[str, Any]:
    opts = dict(CASES[name].options)
    accepted = params(name)
    if "reduction" in accepted:
        opts["reduction"] = reduction
    if "return_grad" in accepted:
        opts["return_grad"] = grad
    return opts


def relayout(a: np.ndarray, layout: str) -> np.ndarray:
    """The same values as `a` (at least 1-D) in another memory layout."""
    if layout == "fortran":
        return np.asfortranarray(a)
    if layout == "strided":  # every other element of a buffer twice as long
        buffer = np.zeros((2 * a.shape[0],) + a.shape[1:], dtype=a.dtype)
        buffer[::2] = a
        return buffer[::2]
    if layout == "reversed":  # negative strides
        return a[::-1].copy()[::-1]
    if layout == "byteswapped":
        return a.astype(a.dtype.newbyteorder(">" if a.dtype.byteorder != ">" else "<"))
    return a


def assert_identical(a: Any, b: Any) -> None:
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for x, y in zip(a, b):
            assert_identical(x, y)
        return
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b), strict=True)


def call_expecting_clean_errors(name: str, args: List[Any], opts: Dict[str, Any]) -> Any:
    """Calls the loss; an exception must be a TypeError/ValueError naming an argument."""
    try:
        return fastloss.get(name)(*args, **opts)
    except (TypeError, ValueError) as error:
        message = str(error)
        assert any(p in message for p in params(name)), f"{name}: no argument named in {message!r}"
        return None


layouts = st.sampled_from(["c", "fortran", "strided", "reversed", "byteswapped"])
reductions = st.sampled_from(["mean", "sum", "none"])
dtypes = st.sampled_from([np.float32, np.float64])


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(n=st.integers(1, 2500), dtype=dtypes, seed=st.integers(0, 2**32 - 1),
       layout=st.lists(layouts, min_size=3, max_size=3), reduction=reductions, grad=st.booleans())
def test_layout_never_changes_the_result(name: str, n: int, dtype: type, seed: int,
                                         layout: List[str], reduction: str, grad: bool) -> None:
    args = inputs(name, n, dtype, seed)
    opts = options(name, reduction, grad)
    moved = [relayout(a, how) for a, how in zip(args, layout)]
    assert_identical(fastloss.get(name)(*args, **opts), fastloss.get(name)(*moved, **opts))


SPECIAL_FLOATS = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e30, -1e30, 1e-40, -1.0, 2.0, 0.5, 1.0]
SPECIAL_INTS = [-1, -100, 100, 10**9, -(2**62)]


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(n=st.integers(1, 2500), dtype=dtypes, seed=st.integers(0, 2**32 - 1),
       which=st.integers(0, 2), where=st.floats(0, 1, exclude_max=True),
       value=st.integers(0, len(SPECIAL_FLOATS) - 1), reduction=reductions, grad=st.booleans())
def test_special_values_give_a_result_or_a_clean_error(
        name: str, n: int, dtype: type, seed: int, which: int, where: float, value: int,
        reduction: str, grad: bool) -> None:
    args = inputs(name, n, dtype, seed)
    target = args[which % len(args)]
    flat = target.reshape(-1)
    position = int(where * flat.size)
    if np.issubdtype(target.dtype, np.integer):
        flat[position] = SPECIAL_INTS[value % len(SPECIAL_INTS)]
    else:
        flat[position] = SPECIAL_FLOATS[value]
    call_expecting_clean_errors(name, args, options(name, reduction, grad))


def broken(a: np.ndarray, how: str) -> Any:
    """`a` with a wrong shape or dtype (some of these are still valid input)."""
    breakers: Dict[str, Callable[[np.ndarray], Any]] = {
        "extra_axis": lambda x: x[..., None],
        "first_item": lambda x: x[0],
        "one_short": lambda x: x[:-1],
        "empty": lambda x: x[:0],
        "scalar": lambda x: x.reshape(-1)[0],
        "list": lambda x: x.tolist(),
        "float16": lambda x: x.astype(np.float16),
        "int8": lambda x: x.astype(np.int8),
        "bool": lambda x: x.astype(bool),
        "complex": lambda x: x.astype(np.complex64),
        "object": lambda x: x.astype(object),
        "strings": lambda x: x.astype(str),
        "none": lambda x: None,
    }
    return breakers[how](a)


BREAKS = ["extra_axis", "first_item", "one_short", "empty", "scalar", "list", "float16", "int8",
          "bool", "complex", "object", "strings", "none"]


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(n=st.integers(1, 600), dtype=dtypes, seed=st.integers(0, 2**32 - 1),
       which=st.integers(0, 3), how=st.sampled_from(BREAKS), reduction=reductions,
       grad=st.booleans())
def test_broken_shapes_and_dtypes_give_a_result_or_a_clean_error(
        name: str, n: int, dtype: type, seed: int, which: int, how: str, reduction: str,
        grad: bool) -> None:
    args: List[Any] = list(inputs(name, n, dtype, seed))
    opts = options(name, reduction, grad)
    if which == len(args) and "sample_weight" in params(name):
        rows = args[-1].shape[0]
        opts["sample_weight"] = broken(np.ones(rows, dtype=dtype), how)
    else:
        i = which % len(args)
        args[i] = broken(args[i], how)
    call_expecting_clean_errors(name, args, opts)


def test_every_registered_loss_is_fuzzed() -> None:
    assert NAMES == fastloss.losses()
