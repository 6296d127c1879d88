"""Every loss from 8 Python threads at once, with every optional array argument, against serial
results; and the GIL is released while a kernel computes.

Each case's inputs are above the parallel threshold (65,536 elements), so every call also opens
its own OpenMP team: 8 Python threads run 8 teams at once on a machine with fewer cores. The
README promises results that are bit-identical for any thread count and repeated calls; here
the expected value is the same call made alone on one OpenMP thread (and checked against the
same call made alone on the default team), and every concurrent result must equal it bit for
bit, gradients included.
"""

from __future__ import annotations

import inspect
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Sequence, Tuple

import numpy as np
import pytest

import fastloss

THREADS = 8
REPEATS = 3  # rounds per thread; every round starts at a barrier
N = 200_003  # elements of elementwise inputs: above 65,536, with a SIMD tail
ROWS, CLASSES = 2_003, 100  # row losses: 200,300 elements

Args = Tuple[Any, ...]
Options = Dict[str, Any]


@dataclass(frozen=True)
class Case:
    """A loss called with realistic inputs and every optional array argument it accepts."""

    id: str
    name: str
    build: Callable[[np.dtype, np.random.Generator], Tuple[Args, Options]]
    arrays: Sequence[str] = field(default_factory=tuple)  # the optional arrays it passes


def _normal(rng: np.random.Generator, shape: Any, dtype: np.dtype,
            scale: float = 1.0) -> np.ndarray:
    return (rng.standard_normal(shape) * scale).astype(dtype)


def _weights(rng: np.random.Generator, shape: Any, dtype: np.dtype) -> np.ndarray:
    w = rng.random(shape) * 2.0
    w[rng.random(shape) < 0.05] = 0.0  # some zero weights
    return w.astype(dtype)


def _softmax_rows(rng: np.random.Generator, rows: int, classes: int, dtype: np.dtype) -> np.ndarray:
    z = rng.standard_normal((rows, classes))
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).astype(dtype)


def _regression(dtype: np.dtype, rng: np.random.Generator) -> Tuple[Args, Options]:
    y = _normal(rng, N, dtype)
    y_pred = (y + _normal(rng, N, dtype)).astype(dtype)
    return (y, y_pred), {"sample_weight": _weights(rng, N, dtype)}


def _huber(dtype: np.dtype, rng: np.random.Generator) -> Tuple[Args, Options]:
    args, opts = _regression(dtype, rng)
    return args, {**opts, "delta": 0.5}


def _bce_logits(dtype: np.dtype, rng: np.random.Generator) -> Tuple[Args, Options]:
    t = (rng.random(N) < 0.5).astype(dtype)
    t[rng.random(N) < 0.1] = -1.0  # ignored
    return (t, _normal(rng, N, dtype, 3.0)), {
        "from_logits": True, "label_smoothing": 0.1, "ignore_index": -1,
        "pos_weight": (rng.random(N) * 3.0).astype(dtype),
        "sample_weight": _weights(rng, N, dtype)}


def _bce_probabilities(dtype: np.dtype, rng: np.random.Generator) -> Tuple[Args, Options]:
    # (rows, 7) with PyTorch's per-class pos_weight of shape (7,), broadcast along the rows
    rows = N // 7 + 1
    t = rng.random((rows, 7)).astype(dtype)  # soft targets
    p = rng.random((rows, 7)).astype(dtype)
    p[rng.random((rows, 7)) < 0.01] = 0.0  # clipped by eps
    return (t, p), {"eps": 1e-6, "pos_weight": (rng.random(7) * 3.0).astype(dtype),
                    "sample_weight": _weights(rng, (rows, 7), dtype)}


def _cce_logits(dtype: np.dtype, rng: np.random.Generator) -> Tuple[Args, Options]:
    return (_softmax_rows(rng, ROWS, CLASSES, dtype), _normal(rng, (ROWS, CLASSES), dtype, 2.0)), {
        "from_logits": True, "label_smoothing": 0.1,
        "class_weight": (rng.random(CLASSES) + 0.5).astype(dtype),
        "sample_weight": _weights(rng, ROWS, dtype)}


def _cce_probabilities_axis0(dtype: np.dtype, rng: np.random.Generator) -> Tuple[Args, Options]:
    # classes along axis 0: the layout is moved with one copy, the gradient moved back
    t = _softmax_rows(rng, ROWS, CLASSES, dtype).T
    p = _softmax_rows(rng, ROWS, CLASSES, dtype).T
    return (t, p), {"axis": 0, "class_weight": (rng.random(CLASSES) + 0.5).astype(dtype),
                    "sample_weight": _weights(rng, ROWS, dtype)}


def _sparse_cce(dtype: np.dtype, rng: np.random.Generator) -> Tuple[Args, Options]:
    labels = rng.integers(0, CLASSES, ROWS)
    labels[rng.random(ROWS) < 0.1] = -100
    return (labels, _normal(rng, (ROWS, CLASSES), dtype, 2.0)), {
        "from_logits": True, "ignore_index": -100, "label_smoothing": 0.05,
        "class_weight": (rng.random(CLASSES) + 0.5).astype(dtype),
        "sample_weight": _weights(rng, ROWS, dtype)}


def _kl(dtype: np.dtype, rng: np.random.Generator) -> Tuple[Args, Options]:
    y = _softmax_rows(rng, ROWS, CLASSES, dtype)
    y[rng.random((ROWS, CLASSES)) < 0.05] = 0.0  # 0·log 0 terms
    return (y, _softmax_rows(rng, ROWS, CLASSES, dtype)), {
        "sample_weight": _weights(rng, ROWS, dtype)}


def _hinge(dtype: np.dtype, rng: np.random.Generator) -> Tuple[Args, Options]:
    y = np.where(rng.random(N) < 0.5, -1.0, 1.0).astype(dtype)
    return (y, _normal(rng, N, dtype)), {"sample_weight": _weights(rng, N, dtype)}


def _embeddings(dtype: np.dtype, rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray]:
    x1 = _normal(rng, (ROWS, CLASSES), dtype, CLASSES ** -0.5)
    return x1, (x1 + _normal(rng, (ROWS, CLASSES), dtype, 0.8 * CLASSES ** -0.5)).astype(dtype)


def _contrastive(dtype: np.dtype, rng: np.random.Generator) -> Tuple[Args, Options]:
    x1, x2 = _embeddings(dtype, rng)
    y = (rng.random(ROWS) < 0.5).astype(dtype)
    return (y, x1, x2), {"margin": 1.5, "sample_weight": _weights(rng, ROWS, dtype)}


def _triplet(dtype: np.dtype, rng: np.random.Generator) -> Tuple[Args, Options]:
    a, p = _embeddings(dtype, rng)
    n = _normal(rng, (ROWS, CLASSES), dtype, CLASSES ** -0.5)
    return (a, p, n), {"squared": False, "swap": True, "margin": 0.5,
                       "sample_weight": _weights(rng, ROWS, dtype)}


def _margin_ranking(dtype: np.dtype, rng: np.random.Generator) -> Tuple[Args, Options]:
    y = np.where(rng.random(N) < 0.5, -1.0, 1.0).astype(dtype)
    return (y, _normal(rng, N, dtype), _normal(rng, N, dtype)), {
        "margin": 0.1, "sample_weight": _weights(rng, N, dtype)}


def _cosine(dtype: np.dtype, rng: np.random.Generator) -> Tuple[Args, Options]:
    return _embeddings(dtype, rng), {"sample_weight": _weights(rng, ROWS, dtype)}


def _pair(dtype: np.dtype, rng: np.random.Generator) -> Tuple[Args, Options]:
    # d_real and d_fake of different lengths, each with its own weights
    real = (_normal(rng, N, dtype, 2.0) + 1).astype(dtype)
    fake = (_normal(rng, N + 11, dtype, 2.0) - 1).astype(dtype)
    return (real, fake), {"sample_weight": (_weights(rng, N, dtype), _weights(rng, N + 11, dtype))}


def _gan_discriminator(dtype: np.dtype, rng: np.random.Generator) -> Tuple[Args, Options]:
    args, opts = _pair(dtype, rng)
    return args, {**opts, "label_smoothing": 0.1}


def _lsgan_discriminator(dtype: np.dtype, rng: np.random.Generator) -> Tuple[Args, Options]:
    args, opts = _pair(dtype, rng)
    return args, {**opts, "real_label": 0.9, "fake_label": 0.1}


def _fake(dtype: np.dtype, rng: np.random.Generator) -> Tuple[Args, Options]:
    return (_normal(rng, N, dtype, 2.0),), {"sample_weight": _weights(rng, N, dtype)}


def _gan_generator(dtype: np.dtype, rng: np.random.Generator) -> Tuple[Args, Options]:
    args, opts = _fake(dtype, rng)
    return args, {**opts, "saturating": True}


def _lsgan_generator(dtype: np.dtype, rng: np.random.Generator) -> Tuple[Args, Options]:
    args, opts = _fake(dtype, rng)
    return args, {**opts, "target": 0.9}


def _poisson(dtype: np.dtype, rng: np.random.Generator) -> Tuple[Args, Options]:
    rate = np.exp(rng.standard_normal(N) * 0.5)
    counts = rng.poisson(rate).astype(dtype)
    return (counts, rate.astype(dtype)), {"full": True, "sample_weight": _weights(rng, N, dtype)}


EXPLICIT_CASES = [
    Case("mse", "mse", _regression, ("sample_weight",)),
    Case("mae", "mae", _regression, ("sample_weight",)),
    Case("huber", "huber", _huber, ("sample_weight",)),
    Case("bce-logits", "binary_cross_entropy", _bce_logits, ("sample_weight", "pos_weight")),
    Case("bce-probabilities", "binary_cross_entropy", _bce_probabilities,
         ("sample_weight", "pos_weight")),
    Case("cce-logits", "categorical_cross_entropy", _cce_logits,
         ("sample_weight", "class_weight")),
    Case("cce-probabilities-axis0", "categorical_cross_entropy", _cce_probabilities_axis0,
         ("sample_weight", "class_weight")),
    Case("sparse-cce", "sparse_categorical_cross_entropy", _sparse_cce,
         ("sample_weight", "class_weight")),
    Case("kl", "kl_divergence", _kl, ("sample_weight",)),
    Case("hinge", "hinge", _hinge, ("sample_weight",)),
    Case("contrastive", "contrastive", _contrastive, ("sample_weight",)),
    Case("triplet", "triplet", _triplet, ("sample_weight",)),
    Case("margin_ranking", "margin_ranking", _margin_ranking, ("sample_weight",)),
    Case("cosine_proximity", "cosine_proximity", _cosine, ("sample_weight",)),
    Case("gan_discriminator", "gan_discriminator", _gan_discriminator, ("sample_weight",)),
    Case("gan_generator", "gan_generator", _gan_generator, ("sample_weight",)),
    Case("lsgan_discriminator", "lsgan_discriminator", _lsgan_discriminator, ("sample_weight",)),
    Case("lsgan_generator", "lsgan_generator", _lsgan_generator, ("sample_weight",)),
    Case("wasserstein_critic", "wasserstein_critic", _pair, ("sample_weight",)),
    Case("wasserstein_generator", "wasserstein_generator", _fake, ("sample_weight",)),
    Case("poisson", "poisson", _poisson, ("sample_weight",)),
]

# A loss without an explicit case is run as a plain elementwise loss of two real arrays with
# sample weights; test_every_loss_and_optional_array_is_covered fails for a loss of
# another shape or with other array options until it gets its own case.
CASES = EXPLICIT_CASES + [
    Case(name, name, _regression, ("sample_weight",)) for name in fastloss.losses()
    if name not in {case.name for case in EXPLICIT_CASES}
]


def array_options(name: str) -> set:
    """The loss's keyword parameters that take arrays (annotated with ArrayLike). A new loss or
    a new array option fails test_every_loss_and_optional_array_is_covered until a case
    passes it."""
    params = inspect.signature(fastloss.get(name)).parameters.values()
    return {p.name for p in params
            if p.kind == p.KEYWORD_ONLY and "ArrayLike" in str(p.annotation)}


def _dtype_of(case: Case) -> np.dtype:
    """For the tests that mix losses: float32 for half the cases, float64 for the others."""
    return np.dtype(np.float32 if CASES.index(case) % 2 == 0 else np.float64)


def _flatten(result: Any) -> List[np.ndarray]:
    """The arrays of a result, in order: values, per-sample arrays and gradients."""
    if isinstance(result, tuple):
        return [a for part in result for a in _flatten(part)]
    return [np.asarray(result)]


def _assert_bit_identical(got: Any, want: Any, what: str) -> None:
    got_parts, want_parts = _flatten(got), _flatten(want)
    assert len(got_parts) == len(want_parts), what
    for i, (g, w) in enumerate(zip(got_parts, want_parts)):
        assert g.dtype == w.dtype and g.shape == w.shape, f"{what}, part {i}"
        if g.tobytes() != w.tobytes():
            diff = np.flatnonzero(g.reshape(-1) != w.reshape(-1))[:5]
            raise AssertionError(f"{what}, part {i}: not bit-identical to the serial result "
                                 f"(first differing positions {list(diff)})")


def _run_concurrently(work: Callable[[int, int], Any], threads: int = THREADS,
                      repeats: int = REPEATS) -> List[List[Any]]:
    """work(thread, round) on `threads` Python threads, each round started at a barrier."""
    barrier = threading.Barrier(threads)
    results: List[List[Any]] = [[None] * repeats for _ in range(threads)]
    errors: List[BaseException] = []

    def worker(t: int) -> None:
        try:
            for r in range(repeats):
                barrier.wait(timeout=120)
                results[t][r] = work(t, r)
        except BaseException as error:  # noqa: BLE001 - re-raised in the main thread
            errors.append(error)
            barrier.abort()

    pool = [threading.Thread(target=worker, args=(t,), name=f"fastloss-{t}")
            for t in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in pool), "a thread did not finish"
    real = [e for e in errors if not isinstance(e, threading.BrokenBarrierError)]
    if real or errors:
        raise (real or errors)[0]
    return results


def _serial(case: Case, args: Args, opts: Options, reduction: str) -> Any:
    """The expected result: the call alone, on one OpenMP thread; then alone on the default
    team, which must give the same bits (the README's any-thread-count promise)."""
    fn = fastloss.get(case.name)
    with fastloss.threads(1):
        one = fn(*args, reduction=reduction, return_grad=True, **opts)
    team = fn(*args, reduction=reduction, return_grad=True, **opts)
    _assert_bit_identical(team, one, f"{case.id}: default team vs 1 thread, serial")
    return one


def test_every_loss_and_optional_array_is_covered() -> None:
    assert {case.name for case in CASES} == set(fastloss.losses())
    for name in fastloss.losses():
        accepted = array_options(name)
        assert "sample_weight" in accepted, name
        used = {a for case in CASES if case.name == name for a in case.arrays}
        assert used == accepted, f"{name}: optional arrays {accepted - used} are not exercised"
    for case in CASES:  # the declared arrays are really passed, and the inputs are big enough
        args, opts = case.build(np.dtype(np.float32), np.random.default_rng(0))
        assert set(case.arrays) <= {k for k, v in opts.items() if v is not None}
        assert all(isinstance(a, np.ndarray) and a.size > 65_536 for a in args[-1:])
        for key in case.arrays:
            value = opts[key]
            parts = value if isinstance(value, tuple) else (value,)
            assert all(isinstance(p, np.ndarray) and p.ndim >= 1 for p in parts), (case.id, key)


@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_eight_threads_match_the_serial_result(case: Case, dtype: Any, reduction: str) -> None:
    dtype = np.dtype(dtype)
    args, opts = case.build(dtype, np.random.default_rng(CASES.index(case)))
    want = _serial(case, args, opts, reduction)
    fn = fastloss.get(case.name)

    def work(t: int, r: int) -> Any:
        got = fn(*args, reduction=reduction, return_grad=True, **opts)
        _assert_bit_identical(got, want, f"{case.id} ({dtype}, {reduction}): thread {t}, round {r}")
        return got

    results = _run_concurrently(work)
    # Each call returns its own arrays: no output is shared between threads or with an input.
    last = [_flatten(results[t][-1]) for t in range(THREADS)]
    inputs = _flatten(args) + [a for v in opts.values() if v is not None and not np.isscalar(v)
                               for a in _flatten(v)]
    for t in range(THREADS):
        for a in last[t]:
            if a.ndim == 0:
                continue
            assert not any(np.may_share_memory(a, b) for b in inputs), (
                f"thread {t}: an output aliases an input")
            for u in range(t):
                assert not any(np.may_share_memory(a, b) for b in last[u] if b.ndim), (
                    f"threads {u} and {t} got the same output buffer")


def test_all_losses_at_once_in_different_orders() -> None:
    """The 8 threads each run every case (both reductions), each thread in its own order, so
    different kernels, row and elementwise engines and both dtypes overlap."""
    jobs = []
    for i, case in enumerate(CASES):
        dtype = _dtype_of(case)
        args, opts = case.build(dtype, np.random.default_rng(1000 + i))
        for reduction in ("mean", "none"):
            want = _serial(case, args, opts, reduction)
            jobs.append((case, args, opts, reduction, want))
        del args, opts

    def work(t: int, r: int) -> None:
        order = np.random.default_rng(100 * t + r).permutation(len(jobs))
        for j in order:
            case, args, opts, reduction, want = jobs[j]
            got = fastloss.get(case.name)(*args, reduction=reduction, return_grad=True, **opts)
            _assert_bit_identical(got, want, f"{case.id} ({reduction}): thread {t}, round {r}")

    _run_concurrently(work, repeats=1)


def test_thread_count_changed_by_another_thread_meanwhile() -> None:
    """set_num_threads is process-wide: a thread changing it while 7 others compute must not
    change their results (blocks, not threads, fix the summation order)."""
    picks = [c for c in CASES if c.id in ("bce-logits", "cce-logits", "triplet",
                                          "gan_discriminator", "poisson", "kl")]
    jobs = []
    for i, case in enumerate(picks):
        args, opts = case.build(_dtype_of(case), np.random.default_rng(2000 + i))
        jobs.append((case, args, opts, _serial(case, args, opts, "mean")))
    previous = fastloss.get_num_threads()
    stop = threading.Event()

    def work(t: int, r: int) -> None:
        if t == 0:  # the switcher
            k = 0
            while not stop.is_set():
                fastloss.set_num_threads(1 + k % 3)
                k += 1
                time.sleep(0.0005)
            return
        try:
            for _ in range(2):
                for case, args, opts, want in jobs:
                    got = fastloss.get(case.name)(*args, return_grad=True, **opts)
                    _assert_bit_identical(got, want, f"{case.id}: thread {t}")
        finally:
            if t == 1:
                stop.set()

    try:
        _run_concurrently(work, repeats=1)
    finally:
        stop.set()
        fastloss.set_num_threads(previous)


# --- the GIL ---------------------------------------------------------------------------------

BIG = 10_000_000  # elements per input of the GIL test
BIG_ROWS, BIG_CLASSES = 100_000, 100


def _big_inputs(name: str) -> Args:
    """10^7-element float32 inputs, valid for the loss, built without random numbers (fast).

    Contiguous float32 in every argument and no options: the wrapper then converts nothing,
    so the only place a call can release the GIL is around its kernel."""
    f = np.float32
    ramp = np.linspace(0.05, 0.95, BIG, dtype=f)
    if name in ("mse", "mae", "huber", "poisson", "binary_cross_entropy"):
        return (np.round(ramp), ramp)
    if name == "hinge":
        return (np.where(ramp > 0.5, f(1), f(-1)), ramp)
    if name == "margin_ranking":
        return (np.where(ramp > 0.5, f(1), f(-1)), ramp, ramp[::-1].copy())
    rows = ramp.reshape(BIG_ROWS, BIG_CLASSES)
    if name in ("categorical_cross_entropy", "kl_divergence"):
        p = np.full((BIG_ROWS, BIG_CLASSES), f(1.0 / BIG_CLASSES))
        return (p, p) if name == "kl_divergence" else (p, rows)
    if name == "sparse_categorical_cross_entropy":
        return (np.arange(BIG_ROWS, dtype=np.int64) % BIG_CLASSES, rows)
    if name == "contrastive":
        return (np.round(ramp[:BIG_ROWS]), rows, rows[::-1].copy())
    if name == "triplet":
        return (rows, rows[::-1].copy(), rows[:, ::-1].copy())
    if name == "cosine_proximity":
        return (rows, rows[::-1].copy())
    if name in ("gan_discriminator", "lsgan_discriminator", "wasserstein_critic"):
        return (ramp, ramp[: BIG // 2])
    if name in ("gan_generator", "lsgan_generator", "wasserstein_generator"):
        return (ramp,)
    return (np.round(ramp), ramp)  # a plain elementwise loss of two arrays


@pytest.mark.parametrize("name", fastloss.losses())
def test_a_long_call_does_not_hold_the_gil(name: str) -> None:
    """While a 10^7-element call runs, another Python thread gets to run Python code.

    A counting thread adds to `hits` only while `in_call` is set around the call. The switch
    interval is raised to 1 s, so the calling thread never hands the GIL over on its own in
    the (microseconds of) Python around the kernel: the counter can only run while the call
    has released the GIL. A kernel that kept it gives 0 hits in every attempt; one that
    releases it gives the counter its TARGET hits (retried a few times in case the OS did not
    schedule the counting thread during the kernel on a loaded machine)."""
    args = _big_inputs(name)
    fn = fastloss.get(name)
    fn(*args)  # warm-up, and the inputs are valid
    target = 20_000
    state = {"in_call": False, "hits": 0, "stop": False}

    def count() -> None:
        while not state["stop"]:
            if state["in_call"]:
                while state["in_call"] and state["hits"] < target:
                    state["hits"] += 1
            time.sleep(0)  # idle: release the GIL, then queue for it again at once

    counter = threading.Thread(target=count, name="counter")
    interval = sys.getswitchinterval()
    best = 0
    sys.setswitchinterval(1.0)
    try:
        counter.start()
        with fastloss.threads(1):  # leave the other core to the counting thread
            for _ in range(10):
                state["hits"] = 0
                state["in_call"] = True
                fn(*args)
                state["in_call"] = False
                best = max(best, int(state["hits"]))
                if best >= target:
                    break
    finally:
        state["stop"] = True
        sys.setswitchinterval(interval)
        counter.join(timeout=30)
    assert best >= target, f"{name}: the counting thread ran {best} steps during the call"
