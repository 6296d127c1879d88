"""Ranking and embedding losses against the float64 NumPy baselines, finite differences,
PyTorch (when installed), special values and every documented error.

contrastive, triplet, margin_ranking and cosine_proximity. Test data is float32-representable,
so one float64 oracle serves both dtypes; it is computed once per module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Tuple

import numpy as np
import pytest

import fastloss
from conftest import DTYPES, all_of, call, f32, oracle, rtol_for

REDUCTIONS = ["mean", "sum", "none"]
EMBEDDING_DIMS = [1, 3, 17, 128, 1000]


# --- helpers -------------------------------------------------------------------------------


def assert_close(got: Any, want: Any, rtol: float, what: str, magnitude: Any = None,
                 atol_fraction: float = 0.01) -> None:
    """|got - want| <= rtol·(|want| + magnitude) + atol, atol a fraction of rtol·max|want|.

    `magnitude` is the size of the terms a value was computed from (cancellation: a small
    difference of large distances is only as accurate as the distances). NaN must match NaN.
    """
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    finite = np.isfinite(want)
    atol = atol_fraction * rtol * float(np.max(np.abs(want[finite]), initial=0.0))
    mag = 0.0 if magnitude is None else np.asarray(magnitude, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        ok = np.abs(got - want) <= atol + rtol * (np.abs(want) + mag)
    ok |= got == want
    ok |= np.isnan(got) & np.isnan(want)
    if not ok.all():
        bad = np.flatnonzero(~np.broadcast_to(ok, got.shape).reshape(-1))[:5]
        raise AssertionError(f"{what}: mismatch at flat indices {bad}: "
                             f"{got.reshape(-1)[bad]} vs {want.reshape(-1)[bad]}")


# --- problems ------------------------------------------------------------------------------


@dataclass
class Problem:
    name: str
    arrays: Tuple[np.ndarray, ...]  # float64 holding float32 values (labels exact)
    options: Dict[str, Any]
    magnitude: np.ndarray  # per-sample size of the terms the loss is computed from
    label: str
    grads: int = 1
    want: Dict[str, Any] = field(default_factory=dict)
    grad_terms: Any = None  # per row: the size of gradient terms that may cancel, or None

    def cast(self, dtype: Any) -> Tuple[Tuple[np.ndarray, ...], Dict[str, Any]]:
        options = dict(self.options)
        if options.get("sample_weight") is not None:
            options["sample_weight"] = options["sample_weight"].astype(dtype)
        return tuple(a.astype(dtype) for a in self.arrays), options

    def reduced_magnitude(self, reduction: str) -> Any:
        w = self.options.get("sample_weight")
        w = np.ones(self.magnitude.shape) if w is None else np.broadcast_to(w, self.magnitude.shape)
        if reduction == "none":
            return w * self.magnitude
        total = float((w * self.magnitude).sum())
        return total if reduction == "sum" else total / max(float(w.sum()), 1e-300)

    def grad_atol(self, reduction: str, rtol: float) -> float:
        """rtol times the largest gradient term (before cancellation) of any row."""
        if self.grad_terms is None or self.grad_terms.size == 0:
            return 0.0
        w = self.options.get("sample_weight")
        w = np.ones(self.grad_terms.shape) if w is None else np.broadcast_to(
            w, self.grad_terms.shape)
        scale = float(np.max(w * self.grad_terms))
        if reduction == "mean":
            scale /= max(float(w.sum()), 1e-300)
        return rtol * scale


EMBEDDING_SHAPES: List[Tuple[int, ...]] = (
    [(0, 3), (1, 1), (7, 3), (9, 17), (17, 128), (3, 1000), (5,), (2, 3, 17), (0, 4, 5)]
    + [(n, d) for n in (16, 65) for d in EMBEDDING_DIMS]
    # Rows longer than one chunk of per-lane sums (1,024 elements), with a tail in the last.
    + [(5, 2100)]
    # Above the parallel threshold (rows x dim >= 65,536): the OpenMP path with 2 threads.
    + [(700, 128), (30_000, 3)]
)
LARGE = 60_000  # inputs with at least this many elements run fewer option combinations


def _weights(rng: np.random.Generator, batch: Tuple[int, ...], kind: Any) -> Any:
    if kind is None:
        return None
    if kind == "W":
        return f32(rng.uniform(0.1, 2.0, size=batch))
    return f32(rng.uniform(0.1, 2.0, size=batch[:-1] + (1,) if batch else ()))  # broadcast


def _away_from_kink(z: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Rows whose hinge argument is within 1e-3 of 0 (relative): float32 may flip them."""
    return np.abs(z) < 1e-3 * (scale + 1e-30)


def _contrastive(rng: np.random.Generator, shape: Tuple[int, ...], spec: Dict[str, Any]) -> Problem:
    batch, d = shape[:-1], shape[-1]
    x1 = f32(rng.normal(size=shape))
    x2 = f32(x1 + rng.normal(scale=spec["spread"] / np.sqrt(d), size=shape))
    y = rng.choice([0.0, 1.0, 1.0, 0.0, 0.25], size=batch) if spec.get("soft") else \
        rng.choice([0.0, 1.0], size=batch)
    m = spec["margin"]
    dist = np.linalg.norm(x1 - x2, axis=-1)
    return Problem("contrastive", (y, x1, x2),
                   {"margin": m, "sample_weight": _weights(rng, batch, spec.get("w"))},
                   0.5 * (dist**2 + m**2), f"contrastive {shape} {spec}", grads=2)


def _triplet(rng: np.random.Generator, shape: Tuple[int, ...], spec: Dict[str, Any]) -> Problem:
    batch, d = shape[:-1], shape[-1]
    squared, swap = spec["squared"], spec["swap"]
    a = f32(rng.normal(size=shape))
    p = f32(a + rng.normal(scale=0.3, size=shape))
    n = f32(a + rng.normal(scale=0.4, size=shape))
    # A margin of about the typical gap between the distances: about half the rows active.
    margin = 0.07 * d if squared else 0.1 * np.sqrt(d)
    for _ in range(3):  # push rows near the kink away from it
        e = 0.0 if squared else 1e-6

        def dist(u: np.ndarray) -> np.ndarray:
            return (u * u).sum(-1) if squared else np.linalg.norm(u, axis=-1)
        d_pos, d_an, d_pn = dist(a - p + e), dist(a - n + e), dist(p - n + e)
        d_neg = np.minimum(d_an, d_pn) if swap else d_an
        scale = margin + d_pos + d_an + d_pn
        near = _away_from_kink(margin + d_pos - d_neg, scale)
        if not near.any():
            break
        n[near] = f32(a[near] + 1.5 * (n[near] - a[near]))
    return Problem("triplet", (a, p, n),
                   {"margin": margin, "squared": squared, "swap": swap,
                    "sample_weight": _weights(rng, batch, spec.get("w"))},
                   scale, f"triplet {shape} {spec}", grads=3)


def _cosine(rng: np.random.Generator, shape: Tuple[int, ...], spec: Dict[str, Any]) -> Problem:
    axis = spec.get("axis", -1)
    x = f32(rng.normal(size=shape))
    y = f32(0.5 * x + rng.normal(size=shape))
    moved_x, moved_y = np.moveaxis(x, axis, -1), np.moveaxis(y, axis, -1)
    rows_x, rows_y = moved_x.reshape(-1, shape[axis]), moved_y.reshape(-1, shape[axis])
    if rows_x.shape[0] >= 3:  # zero vectors: a zero target, a zero prediction, both
        rows_x[0] = 0.0
        rows_y[1] = 0.0
        rows_x[2] = rows_y[2] = 0.0
    x = np.ascontiguousarray(np.moveaxis(rows_x.reshape(moved_x.shape), -1, axis))
    y = np.ascontiguousarray(np.moveaxis(rows_y.reshape(moved_y.shape), -1, axis))
    batch = moved_x.shape[:-1]
    # The gradient x/(nx ny) - cos y/ny² cancels (to 0 for parallel rows, D = 1).
    nx = np.maximum(np.linalg.norm(rows_x, axis=-1), 1e-8)
    ny = np.maximum(np.linalg.norm(rows_y, axis=-1), 1e-8)
    terms = (np.abs(rows_x).max(-1, initial=0) / nx / ny
             + np.abs(rows_y).max(-1, initial=0) / ny**2).reshape(batch)
    return Problem("cosine_proximity", (x, y),
                   {"axis": axis, "sample_weight": _weights(rng, batch, spec.get("w"))},
                   np.ones(batch), f"cosine {shape} {spec}", grad_terms=terms)


def _margin_ranking(rng: np.random.Generator, shape: Tuple[int, ...],
                    spec: Dict[str, Any]) -> Problem:
    y = rng.choice([-1.0, 1.0], size=shape)
    x1 = f32(rng.normal(size=shape))
    x2 = f32(rng.normal(size=shape))
    m = spec["margin"]
    z = m - y * (x1 - x2)
    x2 = np.where(np.abs(z) < 1e-3, f32(x2 + 0.01), x2)
    return Problem("margin_ranking", (y, x1, x2),
                   {"margin": m, "sample_weight": _weights(rng, shape, spec.get("w"))},
                   abs(m) + np.abs(x1) + np.abs(x2), f"margin_ranking {shape} {spec}",
                   grads=2)


ELEMENTWISE_SHAPES = [(0,), (1,), (7,), (16,), (17,), (65,), (5, 3), (100_003,)]

FAMILIES: Dict[str, Tuple[Callable[..., Problem], List[Tuple[int, ...]],
                          List[Tuple[Dict[str, Any], bool]]]] = {
    "contrastive": (_contrastive, EMBEDDING_SHAPES, [
        ({"margin": 1.0, "spread": 1.0}, True),
        ({"margin": 2.5, "spread": 2.0, "soft": True, "w": "W"}, True),
        ({"margin": 0.5, "spread": 0.5, "w": "W_b"}, False),
    ]),
    "triplet": (_triplet, EMBEDDING_SHAPES, [
        ({"squared": True, "swap": False}, True),
        ({"squared": True, "swap": True, "w": "W"}, False),
        ({"squared": False, "swap": False, "w": "W_b"}, False),
        ({"squared": False, "swap": True, "w": "W"}, True),
    ]),
    "cosine_proximity": (_cosine, EMBEDDING_SHAPES + [(6, 4, 5)], [
        ({}, True),
        ({"w": "W"}, True),
        ({"axis": 0, "w": "W_b"}, False),
    ]),
    "margin_ranking": (_margin_ranking, ELEMENTWISE_SHAPES, [
        ({"margin": 0.0}, True),
        ({"margin": 0.5, "w": "W"}, True),
        ({"margin": -0.2, "w": "W_b"}, False),
    ]),
}


def _problems() -> List[Problem]:
    rng = np.random.default_rng(2024)
    problems = []
    for make, shapes, combos in FAMILIES.values():
        for shape in shapes:
            for spec, large in combos:
                if int(np.prod(shape)) >= LARGE and not large:
                    continue
                axis = spec.get("axis", -1)
                if axis != -1 and (len(shape) < 2 or shape[axis] == 0):
                    continue
                problem = make(rng, shape, spec)
                for reduction in REDUCTIONS:
                    problem.want[reduction] = oracle(problem.name, *problem.arrays,
                                                     reduction=reduction, return_grad=True,
                                                     **problem.options)
                problems.append(problem)
    return problems


@pytest.fixture(scope="module")
def problems() -> List[Problem]:
    return _problems()


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_baseline(isa: str, num_threads: int, problems: List[Problem], dtype: Any) -> None:
    scalar_type = np.dtype(dtype).type
    value_rtol, grad_rtol = 10 * rtol_for(dtype), 50 * rtol_for(dtype)
    for problem in problems:
        arrays, options = problem.cast(dtype)
        for reduction in REDUCTIONS:
            what = f"{problem.label} {reduction} {np.dtype(dtype).name}"
            loss, grads = call(problem.name, *arrays, reduction=reduction, return_grad=True,
                               **options)
            want_loss, want_grads = problem.want[reduction]
            if problem.grads == 1:
                grads, want_grads = (grads,), (want_grads,)
            assert isinstance(grads, tuple) and len(grads) == problem.grads, what
            if reduction == "none":
                assert isinstance(loss, np.ndarray) and loss.dtype == dtype, what
            else:
                assert type(loss) is scalar_type, what
            assert_close(loss, want_loss, value_rtol, what + " loss",
                         problem.reduced_magnitude(reduction))
            for k, (g, want_g) in enumerate(zip(grads, want_grads)):
                assert g.dtype == dtype and g.shape == arrays[-1].shape, what
                assert_close(g, want_g, grad_rtol, f"{what} grad {k}", atol_fraction=0.1,
                             magnitude=problem.grad_atol(reduction, 1.0))
            again = call(problem.name, *arrays, reduction=reduction, **options)
            eps = float(np.finfo(dtype).eps)
            assert_close(again, loss, 4 * eps, what + " without grad", atol_fraction=100)


# --- gradients against central finite differences ------------------------------------------


def _fd_problem(name: str, rng: np.random.Generator) -> Tuple[Tuple[np.ndarray, ...], int,
                                                              Dict[str, Any]]:
    """(arrays, index of the first predicted input, options): small float64 problems."""
    if name == "contrastive":
        x1 = rng.normal(size=(6, 5))
        x2 = x1 + rng.normal(scale=0.4, size=(6, 5))
        y = np.array([1.0, 0.0, 0.0, 1.0, 0.3, 0.0])
        x2[2] = x1[2] + 3.0  # dissimilar and beyond the margin: no loss
        return (y, x1, x2), 1, {"margin": 1.5, "sample_weight": rng.uniform(0.5, 2, size=6)}
    if name.startswith("triplet"):
        squared, swap = name.endswith("sq"), "swap" in name
        a = rng.normal(size=(8, 4))
        p = a + rng.normal(scale=0.5, size=(8, 4))
        n = a + rng.normal(scale=0.6, size=(8, 4))
        n[:2] = p[:2] + rng.normal(scale=0.3, size=(2, 4))  # the swap picks d(p, n) here
        margin = 0.8 if squared else 0.5
        return (a, p, n), 0, {"margin": margin, "squared": squared, "swap": swap,
                              "sample_weight": rng.uniform(0.5, 2, size=8)}
    if name == "margin_ranking":
        y = rng.choice([-1.0, 1.0], size=15)
        x1 = rng.normal(size=15)
        x2 = x1 - y * rng.choice([-1, 1], size=15) * rng.uniform(0.2, 1.0, size=15)
        return (y, x1, x2), 1, {"margin": 0.1, "sample_weight": rng.uniform(0.5, 2, size=15)}
    x = rng.normal(size=(4, 3, 2))
    y = rng.normal(size=(4, 3, 2))
    x[0, :, 1] = 0.0  # a zero target row: loss 0, gradient -x/(eps ny) = 0
    return (x, y), 1, {"axis": 1, "sample_weight": rng.uniform(0.5, 2, size=(4, 2))}


FD_NAMES = ["contrastive", "triplet_sq", "triplet_swap_sq", "triplet", "triplet_swap",
            "margin_ranking", "cosine_proximity"]


@pytest.mark.parametrize("kind", FD_NAMES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradient_matches_finite_differences(isa: str, rng: np.random.Generator, kind: str,
                                             reduction: str) -> None:
    name = "triplet" if kind.startswith("triplet") else kind
    arrays, first, options = _fd_problem(kind, rng)
    _, grads = call(name, *arrays, reduction=reduction, return_grad=True, **options)
    if not isinstance(grads, tuple):
        grads = (grads,)
    assert len(grads) == len(arrays) - first
    h = 1e-6
    for k, g in enumerate(grads):
        which = first + k

        def total(x: np.ndarray, which: int = which) -> float:
            args = list(arrays)
            args[which] = x
            return float(np.sum(call(name, *args, reduction=reduction, **options)))

        x0 = arrays[which]
        numeric = np.empty(x0.size)
        for i in range(x0.size):
            up, down = x0.copy(), x0.copy()
            up.reshape(-1)[i] += h
            down.reshape(-1)[i] -= h
            numeric[i] = (total(up) - total(down)) / (2 * h)
        assert_close(g.reshape(-1), numeric, 1e-6, f"{kind} {reduction} input {which}",
                     atol_fraction=0.1)


# --- special values ------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_zero_vectors_cosine(isa: str, dtype: Any) -> None:
    x = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 2.0], [0.0, 0.0, 0.0], [3.0, 0.0, 4.0]], dtype)
    y = np.array([[1.0, 2.0, 2.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [6.0, 0.0, 8.0]], dtype)
    loss, grad = fastloss.cosine_proximity(x, y, reduction="none", return_grad=True)
    np.testing.assert_array_equal(loss[:3], 0.0)  # never NaN
    assert np.signbit(loss[:3]).sum() == 0
    np.testing.assert_allclose(loss[3], -1.0, rtol=1e-6)
    assert np.all(np.isfinite(grad))
    # A zero target: the gradient is 0. A zero prediction: -x / (|x| eps), as PyTorch.
    np.testing.assert_array_equal(grad[0], 0.0)
    np.testing.assert_allclose(grad[1], -x[1] / (3.0 * 1e-8), rtol=1e-6)
    np.testing.assert_array_equal(grad[2], 0.0)
    # Same direction: the minimum, gradient 0.
    np.testing.assert_allclose(grad[3], 0.0, atol=1e-7)


@pytest.mark.parametrize("dtype", DTYPES)
def test_identical_embeddings(isa: str, dtype: Any) -> None:
    x = np.tile(np.array([0.5, -1.0, 2.0], dtype), (4, 1))
    # Contrastive: d = 0. Similar pairs cost 0; dissimilar ones m²/2, with zero gradient.
    y = np.array([1.0, 0.0, 1.0, 0.0], dtype)
    loss, (g1, g2) = fastloss.contrastive(y, x, x.copy(), margin=2.0, reduction="none",
                                          return_grad=True)
    np.testing.assert_array_equal(loss, np.array([0.0, 2.0, 0.0, 2.0], dtype))
    np.testing.assert_array_equal(g1, 0.0)
    np.testing.assert_array_equal(g2, 0.0)
    # Triplet: both distances equal, so the loss is the margin.
    for squared in (True, False):
        for swap in (False, True):
            loss, grads = fastloss.triplet(x, x, x, margin=0.7, squared=squared, swap=swap,
                                           reduction="none", return_grad=True)
            np.testing.assert_allclose(loss, 0.7, rtol=1e-6)
            assert all(np.all(np.isfinite(g)) for g in grads)
            if squared:
                for g in grads:
                    np.testing.assert_array_equal(g, 0.0)
            else:  # d = ||eps·1||: the gradients are ±1/sqrt(D) (PyTorch's values)
                s = 1 / np.sqrt(3)
                share = 0.5 if swap else 1.0  # d(a, n) == d(p, n): a tie splits evenly
                np.testing.assert_allclose(grads[0], (1 - share) * s, rtol=1e-5, atol=1e-7)
                np.testing.assert_allclose(grads[1], -(1 + (1 - share)) * s, rtol=1e-5)
                np.testing.assert_allclose(grads[2], s, rtol=1e-5)
    # Cosine of a vector with itself: -1, gradient 0.
    loss, grad = fastloss.cosine_proximity(x, x, reduction="none", return_grad=True)
    np.testing.assert_allclose(loss, -1.0, rtol=1e-6)
    np.testing.assert_allclose(grad, 0.0, atol=1e-6)


def test_triplet_eps_is_added_to_the_difference() -> None:
    # d(u, v) = ||u - v + eps||: distances are eps·sqrt(D) apart from 0 and asymmetric.
    a = np.zeros((1, 4))
    p = np.zeros((1, 4))
    n = np.full((1, 4), 2.0)
    got = fastloss.triplet(a, p, n, margin=5.0, squared=False, reduction="sum")
    want = 5.0 + np.sqrt(4) * 1e-6 - np.linalg.norm(-2.0 + 1e-6 * np.ones(4))
    assert abs(got - want) < 1e-14
    # The squared form is the textbook one, without eps.
    assert fastloss.triplet(a, p, n, margin=5.0, reduction="sum") == 0.0  # 5 + 0 - 16 < 0
    assert fastloss.triplet(a, p, n, margin=20.0, reduction="sum") == 4.0


def test_margin_ranking_kink_and_labels() -> None:
    x1 = np.array([1.0, 2.0, 3.0, 1.0])
    x2 = np.array([1.0, 1.0, 5.0, 1.5])
    y = np.array([1, 1, -1, 1])
    loss, (g1, g2) = fastloss.margin_ranking(y, x1, x2, reduction="none", return_grad=True)
    np.testing.assert_array_equal(loss, [0.0, 0.0, 0.0, 0.5])
    # At the kink (x1 == x2, margin 0) the gradient is the linear piece's, as PyTorch.
    np.testing.assert_array_equal(g1, [-1.0, 0.0, 0.0, -1.0])
    np.testing.assert_array_equal(g2, [1.0, 0.0, 0.0, 1.0])
    # Integer and bool-free label dtypes work; float32 scores stay float32.
    assert fastloss.margin_ranking(y.astype(np.int8), x1.astype(np.float32),
                                   x2.astype(np.float32)).dtype == np.float32


def test_nan_propagates() -> None:
    x = np.ones((6, 4))
    y = np.zeros((6, 4))
    x[3, 2] = np.nan
    labels = np.array([1.0, 0, 1, 0, 1, 0])
    for name, args in (("contrastive", (labels, x, y)), ("triplet", (x, y, y + 1.0)),
                       ("cosine_proximity", (y + 1.0, x))):
        for options in ({}, {"squared": False, "swap": True}) if name == "triplet" else ({},):
            per = call(name, *args, reduction="none", **options)
            assert np.isnan(per[3]) and np.all(np.isfinite(np.delete(per, 3))), name
            assert np.isnan(call(name, *args, **options)), name
    per = fastloss.margin_ranking(np.ones(4), np.array([1.0, np.nan, 0, 0]), np.zeros(4),
                                  reduction="none")
    assert np.isnan(per[1]) and np.all(np.isfinite(np.delete(per, 1)))


def test_shapes_dtypes_and_layouts(rng: np.random.Generator) -> None:
    a = rng.normal(size=(4, 5, 6))
    p = rng.normal(size=(4, 5, 6))
    n = rng.normal(size=(4, 5, 6))
    per, grads = fastloss.triplet(a, p, n, reduction="none", return_grad=True)
    assert per.shape == (4, 5) and all(g.shape == (4, 5, 6) for g in grads)
    # A batch stack is the same as the flattened rows; Fortran order and lists work.
    flat = fastloss.triplet(a.reshape(20, 6), p.reshape(20, 6), n.reshape(20, 6),
                            reduction="none")
    np.testing.assert_allclose(per.reshape(-1), flat, rtol=1e-14)
    np.testing.assert_allclose(fastloss.triplet(np.asfortranarray(a), p, n.tolist()),
                               fastloss.triplet(a, p, n), rtol=1e-14)
    # A single (D,) vector gives a 0-d "none" result.
    single = fastloss.contrastive(1.0, a[0, 0], p[0, 0], reduction="none")
    assert single.shape == ()
    # dtypes: float32 stays float32 (labels of any dtype), mixed widths promote.
    y = rng.integers(0, 2, size=(4, 5))
    assert fastloss.contrastive(y, a.astype(np.float32), p.astype(np.float32)).dtype == np.float32
    assert fastloss.contrastive(y > 0, a.astype(np.float32), p).dtype == np.float64
    assert fastloss.cosine_proximity(a.astype(np.float16), p.astype(np.float16)).dtype == np.float32
    # axis: the vector axis anywhere.
    want = fastloss.cosine_proximity(np.moveaxis(a, 1, -1), np.moveaxis(p, 1, -1),
                                     reduction="none")
    np.testing.assert_allclose(fastloss.cosine_proximity(a, p, axis=1, reduction="none"), want,
                               rtol=1e-14)
    # Empty batches: sum 0, mean NaN, none empty.
    e = np.zeros((0, 3))
    assert fastloss.triplet(e, e, e, reduction="sum") == 0
    assert np.isnan(fastloss.triplet(e, e, e))
    assert fastloss.contrastive(np.zeros(0), e, e, reduction="none").shape == (0,)


def test_sample_weight_scales_rows(rng: np.random.Generator) -> None:
    x1 = rng.normal(size=(10, 4))
    x2 = rng.normal(size=(10, 4))
    y = rng.integers(0, 2, size=10)
    w = rng.uniform(0.1, 2, size=10)
    per = fastloss.contrastive(y, x1, x2, reduction="none")
    np.testing.assert_allclose(fastloss.contrastive(y, x1, x2, sample_weight=w,
                                                    reduction="none"), w * per, rtol=1e-14)
    np.testing.assert_allclose(fastloss.contrastive(y, x1, x2, sample_weight=w),
                               (w * per).sum() / w.sum(), rtol=1e-13)
    assert np.isnan(fastloss.contrastive(y, x1, x2, sample_weight=np.zeros(10)))


# --- determinism ---------------------------------------------------------------------------


def _large(rng: np.random.Generator) -> List[Tuple[str, Tuple[np.ndarray, ...], Dict[str, Any]]]:
    rows, d = 20_000, 128
    a = rng.normal(size=(rows, d))
    p = a + rng.normal(scale=0.3, size=(rows, d))
    n = a + rng.normal(scale=0.4, size=(rows, d))
    y = rng.integers(0, 2, size=rows).astype(np.float64)
    small = rng.normal(size=(150_001, 3))
    return [
        ("contrastive", (y, a, p), {"margin": 2.0, "sample_weight": rng.uniform(size=rows)}),
        ("triplet", (a, p, n), {"margin": 3.0}),
        ("triplet", (a, p, n), {"squared": False, "swap": True}),
        ("cosine_proximity", (a, p), {}),
        ("cosine_proximity", (small, small[::-1].copy()), {}),
        ("margin_ranking", (np.sign(small.reshape(-1)) + (small.reshape(-1) == 0),
                            a.reshape(-1)[:450_003], p.reshape(-1)[:450_003]), {"margin": 0.1}),
    ]


@pytest.mark.parametrize("dtype", DTYPES)
def test_bit_identical_across_threads_and_calls(isa: str, dtype: Any) -> None:
    for name, arrays, options in _large(np.random.default_rng(99)):
        arrays = tuple(x.astype(dtype) for x in arrays)
        if "sample_weight" in options:
            options = dict(options, sample_weight=options["sample_weight"].astype(dtype))
        results = []
        for threads in (1, 2, 1, 2):
            with fastloss.threads(threads):
                loss, grads = call(name, *arrays, return_grad=True, **options)
                none = call(name, *arrays, reduction="none", **options)
            grads = grads if isinstance(grads, tuple) else (grads,)
            results.append((loss.tobytes(), none.tobytes()) + tuple(g.tobytes() for g in grads))
        assert all(r == results[0] for r in results[1:]), name


# --- errors --------------------------------------------------------------------------------


def test_contrastive_labels_outside_unit_interval(num_threads: int) -> None:
    x = np.zeros((5, 3))
    with pytest.raises(ValueError, match=all_of("y_true", r"\[0, 1\]", r"\b2\.0\b", r"\(3,\)")):
        fastloss.contrastive(np.array([0, 1, 1, 2.0, 0]), x, x + 1)
    with pytest.raises(ValueError, match=all_of("y_true", r"-1\b", r"\(1, 0\)")):
        fastloss.contrastive(np.array([[0, 1], [-1, 1]]), np.zeros((2, 2, 3)), np.ones((2, 2, 3)))
    # The first offending row, whichever block or thread saw it first.
    y = np.zeros(100_000)
    y[[90_000, 40_001]] = [3.0, 1.5]
    with pytest.raises(ValueError, match=all_of("y_true", r"1\.5", r"\(40001,\)")):
        fastloss.contrastive(y, np.zeros((100_000, 3)), np.ones((100_000, 3)))
    # NaN labels propagate instead.
    assert np.isnan(fastloss.contrastive(np.array([np.nan, 1.0]), x[:2], x[:2]))


def test_margin_ranking_labels() -> None:
    for bad, where, value in ((np.array([1.0, 0.0]), r"\(1,\)", r"\b0\.0\b"),
                              (np.array([1, 2]), r"\(1,\)", r"\b2\b"),
                              (np.array([[1.0, 1.0], [-1.0, 0.5]]), r"\(1, 1\)", r"0\.5")):
        with pytest.raises(ValueError, match=all_of("y_true", r"\{-1, 1\}", where, value)):
            fastloss.margin_ranking(bad, np.zeros(bad.shape), np.ones(bad.shape))


def test_shape_errors() -> None:
    x = np.zeros((4, 3))
    with pytest.raises(ValueError,
                       match=all_of("x1", "x2", "same shape", r"\(4, 3\)", r"\(4, 2\)")):
        fastloss.contrastive(np.zeros(4), x, np.zeros((4, 2)))
    with pytest.raises(ValueError, match=all_of("y_true", "one label per", r"\(4,\)", r"\(4, 1\)")):
        fastloss.contrastive(np.zeros((4, 1)), x, x)
    with pytest.raises(ValueError, match=all_of("anchor", "negative", "same shape")):
        fastloss.triplet(x, x, np.zeros((3, 3)))
    with pytest.raises(ValueError, match=all_of("anchor", "positive", "same shape")):
        fastloss.triplet(x, x.T, x)
    with pytest.raises(ValueError, match=all_of("x1", "x2", "same shape")):
        fastloss.margin_ranking(np.ones(4), np.zeros(4), np.zeros((4, 1)))
    with pytest.raises(ValueError, match=all_of("y_true", "x1", "same shape")):
        fastloss.margin_ranking(np.ones(3), np.zeros(4), np.zeros(4))
    with pytest.raises(ValueError, match=all_of("y_true", "y_pred", "same shape")):
        fastloss.cosine_proximity(x, x[:, :2])
    with pytest.raises(ValueError, match=all_of("anchor", "at least 1 dimension")):
        fastloss.triplet(1.0, 2.0, 3.0)
    with pytest.raises(ValueError, match=all_of("x1", "embedding dimension", r"\(4, 0\)")):
        fastloss.contrastive(np.zeros(4), np.zeros((4, 0)), np.zeros((4, 0)))
    with pytest.raises(ValueError, match="y_pred"):
        fastloss.cosine_proximity(np.zeros((4, 0)), np.zeros((4, 0)))
    for axis in (2, -3):
        with pytest.raises(ValueError, match="axis"):
            fastloss.cosine_proximity(x, x, axis=axis)
    with pytest.raises(TypeError, match="axis"):
        fastloss.cosine_proximity(x, x, axis=1.0)
    with pytest.raises(TypeError, match="x2 must be a numeric array"):
        fastloss.contrastive(np.zeros(4), x, np.full((4, 3), "a"))


@pytest.mark.parametrize("name", ["contrastive", "triplet", "margin_ranking"])
@pytest.mark.parametrize("margin", [np.inf, np.nan, -0.5, "big"])
def test_margin_checks(name: str, margin: Any) -> None:
    x = np.zeros((2, 3))
    args = {"contrastive": (np.zeros(2), x, x), "triplet": (x, x, x),
            "margin_ranking": (np.ones(3), np.zeros(3), np.zeros(3))}[name]
    if name == "margin_ranking" and margin == -0.5:
        call(name, *args, margin=margin)  # any finite margin
        return
    with pytest.raises(TypeError if isinstance(margin, str) else ValueError, match="margin"):
        call(name, *args, margin=margin)


def test_option_and_reduction_checks() -> None:
    x = np.zeros((2, 3))
    with pytest.raises(TypeError, match="squared must be True or False"):
        fastloss.triplet(x, x, x, squared=1)
    with pytest.raises(TypeError, match="swap must be True or False"):
        fastloss.triplet(x, x, x, swap="yes")
    for name, args in (("contrastive", (np.zeros(2), x, x)), ("triplet", (x, x, x)),
                       ("margin_ranking", (np.ones(3), np.zeros(3), np.zeros(3))),
                       ("cosine_proximity", (x, x))):
        with pytest.raises(ValueError, match="reduction must be one of"):
            call(name, *args, reduction="avg")
        with pytest.raises(ValueError, match="sample_weight"):
            call(name, *args, sample_weight=np.ones(5))
        with pytest.raises(TypeError):
            call(name, *args, 1.0)  # options are keyword-only


# --- PyTorch -------------------------------------------------------------------------------


def _t(a: Any, grad: bool = False) -> Any:
    torch = pytest.importorskip("torch")
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def _backward(out: Any, reduction: str) -> None:
    (out.sum() if reduction == "none" else out).backward()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dim", [1, 3, 17, 128])
def test_torch_triplet_margin_loss(rng: np.random.Generator, reduction: str, dim: int) -> None:
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    a = rng.normal(size=(40, dim))
    p = a + rng.normal(scale=0.5, size=(40, dim))
    n = a + rng.normal(scale=0.6, size=(40, dim))
    n[:10] = p[:10] + rng.normal(scale=0.2, size=(10, dim))  # the swap matters here
    n[10:12] = a[10:12]  # identical anchor and negative
    p[12] = a[12]  # identical anchor and positive
    for swap in (False, True):
        for margin in (0.5, 1.0, 2.0):
            ts = [_t(x, True) for x in (a, p, n)]
            out = F.triplet_margin_loss(*ts, margin=margin, swap=swap, reduction=reduction)
            _backward(out, reduction)
            loss, grads = fastloss.triplet(a, p, n, margin=margin, squared=False, swap=swap,
                                           reduction=reduction, return_grad=True)
            what = f"swap={swap} margin={margin}"
            np.testing.assert_allclose(loss, out.detach().numpy(), rtol=1e-12, atol=1e-14,
                                       err_msg=what)
            for g, t in zip(grads, ts):
                np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-10, atol=1e-14,
                                           err_msg=what)
    # A single (D,) triplet, and identical embeddings with ties under swap.
    x = rng.normal(size=dim)
    for swap in (False, True):
        ts = [_t(x, True) for _ in range(3)]
        out = F.triplet_margin_loss(*ts, margin=1.0, swap=swap, reduction="sum")
        out.backward()
        loss, grads = fastloss.triplet(x, x, x, squared=False, swap=swap, reduction="sum",
                                       return_grad=True)
        np.testing.assert_allclose(loss, out.detach().numpy(), rtol=1e-12)
        for g, t in zip(grads, ts):
            np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_torch_margin_ranking_loss(rng: np.random.Generator, reduction: str) -> None:
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x1 = rng.normal(size=(30, 4))
    x2 = rng.normal(size=(30, 4))
    y = rng.choice([-1.0, 1.0], size=(30, 4))
    x2[0] = x1[0]  # at the kink with margin 0
    for margin in (0.0, 0.3, -0.2):
        t1, t2 = _t(x1, True), _t(x2, True)
        out = F.margin_ranking_loss(t1, t2, _t(y), margin=margin, reduction=reduction)
        _backward(out, reduction)
        loss, (g1, g2) = fastloss.margin_ranking(y, x1, x2, margin=margin, reduction=reduction,
                                                 return_grad=True)
        np.testing.assert_allclose(loss, out.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(g1, t1.grad.numpy(), rtol=1e-12)
        np.testing.assert_allclose(g2, t2.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_torch_cosine_similarity(rng: np.random.Generator, reduction: str) -> None:
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x = rng.normal(size=(6, 17, 5))
    y = 0.3 * x + rng.normal(size=(6, 17, 5))
    x[0, :, 0] = 0.0  # zero target
    y[1, :, 1] = 0.0  # zero prediction
    x[2, :, 2] = y[2, :, 2] = 0.0  # both
    x[3, :, 3] *= 1e-10  # a norm below eps: clamped, forward exactly as PyTorch
    yt = _t(y, True)
    out = -F.cosine_similarity(yt, _t(x), dim=1)
    out = {"mean": out.mean(), "sum": out.sum(), "none": out}[reduction]
    _backward(out, reduction)
    loss, grad = fastloss.cosine_proximity(x, y, axis=1, reduction=reduction, return_grad=True)
    np.testing.assert_allclose(loss, out.detach().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grad, yt.grad.numpy(), rtol=1e-9, atol=1e-12)
    # Where the prediction's norm is below eps PyTorch differentiates the unclamped norm;
    # fastloss the clamped one (the documented difference). Both agree on zero vectors.
    tiny = rng.normal(size=(2, 4)) * 1e-10
    target = rng.normal(size=(2, 4))
    tt = _t(tiny, True)
    (-F.cosine_similarity(tt, _t(target), dim=1)).sum().backward()
    _, g = fastloss.cosine_proximity(target, tiny, reduction="sum", return_grad=True)
    nx = np.linalg.norm(target, axis=1, keepdims=True)
    np.testing.assert_allclose(g, -target / (nx * 1e-8), rtol=1e-12)
    assert not np.allclose(g, tt.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_torch_contrastive_expression(rng: np.random.Generator, reduction: str) -> None:
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x1 = rng.normal(size=(50, 8))
    x2 = x1 + rng.normal(scale=0.5, size=(50, 8))
    y = rng.integers(0, 2, size=50).astype(np.float64)
    t1, t2 = _t(x1, True), _t(x2, True)
    d = F.pairwise_distance(t1, t2, eps=0.0)
    out = 0.5 * (_t(y) * d**2 + (1 - _t(y)) * F.relu(1.2 - d) ** 2)
    out = {"mean": out.mean(), "sum": out.sum(), "none": out}[reduction]
    _backward(out, reduction)
    loss, (g1, g2) = fastloss.contrastive(y, x1, x2, margin=1.2, reduction=reduction,
                                          return_grad=True)
    np.testing.assert_allclose(loss, out.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(g1, t1.grad.numpy(), rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(g2, t2.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_docstring_examples() -> None:
    import doctest

    failures, tried = doctest.testmod(fastloss.embedding, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0
