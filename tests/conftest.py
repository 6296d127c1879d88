"""Shared fixtures: every kernel runs under every ISA this machine supports, on 1 and 2 threads."""

from __future__ import annotations

import warnings
from typing import Any, Callable, Iterator

import numpy as np
import pytest

import fastloss
from fastloss import _core, baselines

SUPPORTED_ISAS = fastloss.build_info()["supported_isas"]

# Sizes that hit SIMD tails (lanes of 8 and 16) and one above the parallel threshold
# (65,536 elements), so the OpenMP path is taken with 2 threads.
SIZES = [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 200_003]

DTYPES = [np.float32, np.float64]


@pytest.fixture(params=SUPPORTED_ISAS)
def isa(request: pytest.FixtureRequest) -> Iterator[str]:
    """Runs the test with the kernel table of each supported ISA."""
    previous = fastloss.build_info()["active_isa"]
    _core._set_isa(request.param)
    try:
        yield request.param
    finally:
        _core._set_isa(previous)


@pytest.fixture(params=[1, 2])
def num_threads(request: pytest.FixtureRequest) -> Iterator[int]:
    with fastloss.threads(request.param):
        yield request.param


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


def rtol_for(dtype: type) -> float:
    """Tolerance against the float64 oracle: float32 inputs are computed in float32 lanes."""
    return 2e-6 if dtype == np.float32 else 1e-12


def call(name: str, *args: Any, **kwargs: Any) -> Any:
    """fastloss.<name>(*args, **kwargs)."""
    fn: Callable[..., Any] = getattr(fastloss, name)
    return fn(*args, **kwargs)


def oracle(name: str, *args: Any, **kwargs: Any) -> Any:
    """The float64 NumPy baseline; 0/0 means and log(0) are expected there, not failures."""
    fn: Callable[..., Any] = getattr(baselines, name)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(*args, **kwargs)


def f32(a: Any) -> np.ndarray:
    """Rounds to float32 and back: data both dtypes represent exactly."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def all_of(*parts: str) -> str:
    """A regex matching messages that contain every part, in any order."""
    return "(?s)" + "".join(f"(?=.*{part})" for part in parts)
