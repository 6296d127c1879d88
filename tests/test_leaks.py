"""No memory leaks: 10^5 calls of every loss, with gradients and weights, keep RSS flat.

Each call allocates the per-sample array and the gradients in C++ and hands them to NumPy, and
converts the optional arrays; a reference or buffer lost per call would grow RSS by at least
10^5 × 16 bytes = 1.6 MB, which the 1 MB bound catches. Errors raised from data the kernel
found invalid (after it allocated its outputs) are checked the same way. RSS is read from
/proc/self/statm (Linux); elsewhere, and in sanitizer builds, the tests are skipped.
"""

from __future__ import annotations

import gc
import os
from typing import Any, Callable, Dict, List, Tuple

import numpy as np
import pytest

import fastloss

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc/self/statm"),
    # AddressSanitizer's quarantine keeps freed memory resident: RSS grows without a leak
    pytest.mark.skipif(bool(fastloss.build_info()["sanitize"]),
                       reason="sanitizer quarantine and shadow memory inflate RSS"),
]

CALLS = 100_000
WARMUP = 3_000
LIMIT = 1 << 20  # bytes
REDUCTIONS = ("mean", "sum", "none")
N = 16  # elements of elementwise inputs; row losses: 4 rows of 4


def rss() -> int:
    """Resident set size in bytes, after a full collection."""
    gc.collect()
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def small_case(name: str) -> Tuple[Tuple[Any, ...], Dict[str, Any]]:
    """16-element inputs with a sample weight and the loss's other optional arrays."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal(N)
    w = rng.random(N) + 0.5
    rows, cols = rng.standard_normal((4, 4)), rng.random(4) + 0.5
    probs = np.full((4, 4), 0.25)
    signs = np.where(rng.random(N) < 0.5, -1.0, 1.0)
    bits = (rng.random(N) < 0.5).astype(np.float64)
    cases: Dict[str, Tuple[Tuple[Any, ...], Dict[str, Any]]] = {
        "mse": ((x, x + 0.5), {"sample_weight": w}),
        "mae": ((x, x + 0.5), {"sample_weight": w}),
        "huber": ((x, 3 * x), {"sample_weight": w, "delta": 0.5}),
        "binary_cross_entropy": ((bits, x), {"sample_weight": w, "from_logits": True,
                                             "pos_weight": w + 1, "label_smoothing": 0.1}),
        "categorical_cross_entropy": ((probs, rows), {"sample_weight": cols, "from_logits": True,
                                                      "class_weight": cols}),
        "sparse_categorical_cross_entropy": (
            (np.array([0, 3, -1, 2]), rows),
            {"sample_weight": cols, "from_logits": True, "class_weight": cols,
             "ignore_index": -1, "label_smoothing": 0.1}),
        "kl_divergence": ((probs, np.full((4, 4), 0.25)), {"sample_weight": cols}),
        "hinge": ((signs, x), {"sample_weight": w}),
        "contrastive": ((bits[:4], rows, rows[::-1].copy()), {"sample_weight": cols}),
        "triplet": ((rows, rows[::-1].copy(), rows.T.copy()),
                    {"sample_weight": cols, "squared": False, "swap": True}),
        "margin_ranking": ((signs, x, x[::-1].copy()), {"sample_weight": w, "margin": 0.1}),
        "cosine_proximity": ((rows, rows[::-1].copy()), {"sample_weight": cols}),
        "gan_discriminator": ((x, x[:9].copy()), {"sample_weight": (w, w[:9].copy())}),
        "gan_generator": ((x,), {"sample_weight": w}),
        "lsgan_discriminator": ((x, x[:9].copy()), {"sample_weight": (w, w[:9].copy())}),
        "lsgan_generator": ((x,), {"sample_weight": w}),
        "wasserstein_critic": ((x, x[:9].copy()), {"sample_weight": (w, w[:9].copy())}),
        "wasserstein_generator": ((x,), {"sample_weight": w}),
        "poisson": ((np.round(np.abs(x) * 3), np.abs(x) + 0.1), {"sample_weight": w, "full": True}),
    }
    return cases[name]


def invalid_case(name: str) -> Tuple[Tuple[Any, ...], Dict[str, Any]]:
    """The small case with one value the kernel rejects (last element, so the whole input is
    read and the outputs are allocated before the error)."""
    args, opts = small_case(name)
    args = tuple(np.array(a) for a in args)
    bad: Dict[str, Callable[[Tuple[np.ndarray, ...]], None]] = {
        "binary_cross_entropy": lambda a: a[0].__setitem__(-1, 2.0),
        "categorical_cross_entropy": lambda a: a[0].__setitem__((-1, -1), 1.5),
        "sparse_categorical_cross_entropy": lambda a: a[0].__setitem__(-1, 4),
        "kl_divergence": lambda a: a[1].__setitem__((-1, -1), 1.5),
        "hinge": lambda a: a[0].__setitem__(-1, 2.0),
        "contrastive": lambda a: a[0].__setitem__(-1, 2.0),
        "margin_ranking": lambda a: a[0].__setitem__(-1, 0.0),
        "poisson": lambda a: a[0].__setitem__(-1, -1.0),
    }
    if name in bad:
        bad[name](args)
        return args, opts
    if name in ("gan_discriminator", "gan_generator"):
        probs = tuple(np.clip(np.abs(a) / 4, 0, 1) for a in args)
        probs[-1][-1] = 1.5
        return probs, {**opts, "from_logits": False}
    raise KeyError(name)


VALIDATING = ["binary_cross_entropy", "categorical_cross_entropy",
              "sparse_categorical_cross_entropy", "kl_divergence", "hinge", "contrastive",
              "margin_ranking", "poisson", "gan_discriminator", "gan_generator"]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return bool(np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True))


@pytest.mark.parametrize("name", fastloss.losses())
def test_calls_with_gradients_and_weights_do_not_grow_rss(name: str) -> None:
    args, opts = small_case(name)
    fn = fastloss.get(name)
    first = {r: fn(*args, reduction=r, return_grad=True, **opts) for r in REDUCTIONS}
    for i in range(WARMUP):
        fn(*args, reduction=REDUCTIONS[i % 3], return_grad=True, **opts)
    before = rss()
    result: List[Any] = [None]
    for i in range(CALLS):
        result[0] = fn(*args, reduction=REDUCTIONS[i % 3], return_grad=True, **opts)
    grown = rss() - before
    assert grown < LIMIT, f"{name}: RSS grew by {grown / 1024:.0f} KiB over {CALLS} calls"
    # and the last call still computes what the first did
    assert _same(result[0], first[REDUCTIONS[(CALLS - 1) % 3]])


def test_every_validating_loss_has_an_invalid_case() -> None:
    for name in fastloss.losses():
        try:
            args, opts = invalid_case(name)
        except KeyError:
            assert name not in VALIDATING
            continue
        with pytest.raises(ValueError):
            fastloss.get(name)(*args, return_grad=True, **opts)


@pytest.mark.parametrize("name", VALIDATING)
def test_calls_that_raise_do_not_grow_rss(name: str) -> None:
    args, opts = invalid_case(name)
    fn = fastloss.get(name)

    def call(i: int) -> None:
        try:
            fn(*args, reduction=REDUCTIONS[i % 3], return_grad=True, **opts)
        except ValueError:
            return
        raise AssertionError(f"{name}: the invalid value was accepted")

    for i in range(WARMUP):
        call(i)
    before = rss()
    for i in range(CALLS):
        call(i)
    grown = rss() - before
    assert grown < LIMIT, f"{name}: RSS grew by {grown / 1024:.0f} KiB over {CALLS} failing calls"
