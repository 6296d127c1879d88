"""Adversarial losses against the float64 NumPy baselines, finite differences, PyTorch (when
installed), special values, the two-input reduction semantics and every documented error.

gan_discriminator, gan_generator, lsgan_discriminator, lsgan_generator, wasserstein_critic,
wasserstein_generator. Test data is float32-representable, so one float64 oracle serves both
dtypes; it is computed once per module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Tuple

import numpy as np
import pytest

import fastloss
from conftest import DTYPES, SIZES, all_of, call, f32, oracle, rtol_for
from fastloss import _args

REDUCTIONS = ["mean", "sum", "none"]
TWO_INPUTS = ["gan_discriminator", "lsgan_discriminator", "wasserstein_critic"]
ONE_INPUT = ["gan_generator", "lsgan_generator", "wasserstein_generator"]


def assert_close(got: Any, want: Any, rtol: float, what: str, magnitude: Any = 0.0,
                 atol_fraction: float = 0.01) -> None:
    """|got - want| <= rtol·(|want| + magnitude) + atol; NaN must match NaN."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    finite = np.isfinite(want)
    atol = atol_fraction * rtol * float(np.max(np.abs(want[finite]), initial=0.0))
    with np.errstate(invalid="ignore"):
        ok = np.abs(got - want) <= atol + rtol * (np.abs(want) + np.asarray(magnitude))
    ok |= got == want
    ok |= np.isnan(got) & np.isnan(want)
    if not ok.all():
        bad = np.flatnonzero(~np.broadcast_to(ok, got.shape).reshape(-1))[:5]
        raise AssertionError(f"{what}: mismatch at flat indices {bad}: "
                             f"{got.reshape(-1)[bad]} vs {want.reshape(-1)[bad]}")


# --- the baseline comparison matrix --------------------------------------------------------


@dataclass
class Problem:
    name: str
    arrays: Tuple[np.ndarray, ...]
    options: Dict[str, Any]
    label: str
    want: Dict[str, Any] = field(default_factory=dict)
    magnitude: Dict[str, Any] = field(default_factory=dict)

    def cast(self, dtype: Any) -> Tuple[Tuple[np.ndarray, ...], Dict[str, Any]]:
        options = dict(self.options)
        w = options.get("sample_weight")
        if isinstance(w, tuple):
            options["sample_weight"] = tuple(None if x is None else x.astype(dtype) for x in w)
        elif w is not None:
            options["sample_weight"] = w.astype(dtype)
        return tuple(a.astype(dtype) for a in self.arrays), options


# (real shape, fake shape): different lengths and shapes, empty inputs, SIMD tails, and
# inputs above the parallel threshold (65,536 elements).
PAIR_SHAPES = [((0,), (3,)), ((1,), (1,)), ((7,), (17,)), ((16, 1), (9, 1)), ((65,), (64,)),
               ((4, 2, 3), (5,)), ((100_003,), (70_001, 1)), ((5,), (0,))]
ONE_SHAPES = [(0,), (1,), (15,), (17, 1), (2, 3, 4), (100_003,)]
LARGE = 60_000


def _outputs(rng: np.random.Generator, shape: Tuple[int, ...], logits: bool,
             shift: float) -> np.ndarray:
    if logits:
        return f32(rng.normal(loc=shift, scale=3.0, size=shape))
    p = f32(rng.uniform(0.0, 1.0, size=shape))
    flat = p.reshape(-1)
    flat[::13] = 0.0  # exact 0 and 1: logs clamped at -100
    flat[5::17] = 1.0
    return p


# name -> [(options, weights kind, large?)]; weights: None, "both", "real", "fake" (or "W"
# and "W_b" for one-input losses).
COMBOS: Dict[str, List[Tuple[Dict[str, Any], Any, bool]]] = {
    "gan_discriminator": [({}, None, True), ({"label_smoothing": 0.1}, "both", True),
                          ({"from_logits": False}, "real", True),
                          ({"from_logits": False, "label_smoothing": 0.2}, "fake", False)],
    "lsgan_discriminator": [({}, None, True), ({"real_label": 0.9, "fake_label": -1.0}, "both",
                                                 True)],
    "wasserstein_critic": [({}, None, True), ({}, "both", True)],
    "gan_generator": [({}, None, True), ({"saturating": True}, "W", True),
                      ({"from_logits": False}, "W_b", True),
                      ({"from_logits": False, "saturating": True}, None, False)],
    "lsgan_generator": [({}, None, True), ({"target": 0.5}, "W", True)],
    "wasserstein_generator": [({}, None, True), ({}, "W_b", True)],
}


def _weight(rng: np.random.Generator, shape: Tuple[int, ...], broadcast: bool = False) -> Any:
    if broadcast and shape:
        return f32(rng.uniform(0.1, 2.0, size=shape[:-1] + (1,)))
    return f32(rng.uniform(0.1, 2.0, size=shape))


def _abs_reduce(name: str, per: Any, options: Dict[str, Any], reduction: str) -> Any:
    """The reduction of |per-sample terms|: the size of what the loss was summed from."""
    w = options.get("sample_weight")
    if name in TWO_INPUTS:
        pairs = list(zip(per, w if w is not None else (None, None)))
    else:
        pairs = [(per, w)]
    parts = []
    for terms, weight in pairs:
        mag = np.abs(terms)
        if reduction == "none":
            parts.append(mag)
            continue
        total = float(mag.sum())
        count = float(np.broadcast_to(1.0 if weight is None else weight, mag.shape).sum())
        parts.append(total if reduction == "sum" else total / max(count, 1e-300))
    if reduction == "none":
        return tuple(parts) if name in TWO_INPUTS else parts[0]
    return sum(parts)


def _problems() -> List[Problem]:
    rng = np.random.default_rng(77)
    problems = []
    for name, combos in COMBOS.items():
        shapes = PAIR_SHAPES if name in TWO_INPUTS else [(s,) for s in ONE_SHAPES]
        for shape_set in shapes:
            size = max(int(np.prod(s)) for s in shape_set)
            for options, weights, large in combos:
                if size >= LARGE and not large:
                    continue
                logits = options.get("from_logits", True) or not name.startswith("gan")
                arrays = tuple(_outputs(rng, s, logits, shift)
                               for s, shift in zip(shape_set, (1.0, -1.0)))
                options = dict(options)
                if weights in ("both", "real", "fake"):
                    options["sample_weight"] = (
                        _weight(rng, shape_set[0]) if weights != "fake" else None,
                        _weight(rng, shape_set[1], True) if weights != "real" else None)
                elif weights is not None:
                    options["sample_weight"] = _weight(rng, shape_set[0], weights == "W_b")
                problem = Problem(name, arrays, options, f"{name} {shape_set} {options.keys()}")
                for reduction in REDUCTIONS:
                    problem.want[reduction] = oracle(name, *arrays, reduction=reduction,
                                                     return_grad=True, **options)
                    per = oracle(name, *arrays, reduction="none", **options)
                    problem.magnitude[reduction] = _abs_reduce(name, per, options, reduction)
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
        two = problem.name in TWO_INPUTS
        for reduction in REDUCTIONS:
            what = f"{problem.label} {reduction} {np.dtype(dtype).name}"
            loss, grads = call(problem.name, *arrays, reduction=reduction, return_grad=True,
                               **options)
            want_loss, want_grads = problem.want[reduction]
            magnitude = problem.magnitude[reduction]
            if not two:
                loss, want_loss, magnitude = (loss,), (want_loss,), (magnitude,)
                grads, want_grads = (grads,), (want_grads,)
            elif reduction != "none":
                loss, want_loss, magnitude = (loss,), (want_loss,), (magnitude,)
            assert isinstance(grads, tuple) and len(grads) == len(arrays), what
            for value, want, mag in zip(loss, want_loss, magnitude):
                if reduction == "none":
                    assert isinstance(value, np.ndarray) and value.dtype == dtype, what
                else:
                    assert type(value) is scalar_type, what
                assert_close(value, want, value_rtol, what + " loss", mag)
            for k, (g, want_g, x) in enumerate(zip(grads, want_grads, arrays)):
                assert g.dtype == dtype and g.shape == x.shape, what
                assert_close(g, want_g, grad_rtol, f"{what} grad {k}", atol_fraction=0.1)
            again = call(problem.name, *arrays, reduction=reduction, **options)
            again = again if isinstance(again, tuple) else (again,)
            for a, value in zip(again, loss):
                assert_close(a, value, 4 * float(np.finfo(dtype).eps), what + " without grad",
                             atol_fraction=100)


# --- reductions of the two-input losses -----------------------------------------------------


def test_two_input_reductions(rng: np.random.Generator) -> None:
    real = rng.normal(size=5)
    fake = rng.normal(size=(3, 2))
    w_real = rng.uniform(0.5, 2, size=5)
    w_fake = rng.uniform(0.5, 2, size=(3, 1))
    w_fake_total = np.broadcast_to(w_fake, (3, 2)).sum()
    for name in TWO_INPUTS:
        per_real, per_fake = call(name, real, fake, reduction="none")
        assert per_real.shape == (5,) and per_fake.shape == (3, 2)
        # "sum" is the total, "mean" the mean over real plus the mean over fake.
        np.testing.assert_allclose(call(name, real, fake, reduction="sum"),
                                   per_real.sum() + per_fake.sum(), rtol=1e-13)
        np.testing.assert_allclose(call(name, real, fake), per_real.mean() + per_fake.mean(),
                                   rtol=1e-13)
        # Weights: a pair, each mean weighted by its own weights; "none" returns w·l.
        sw = (w_real, w_fake)
        wr, wf = call(name, real, fake, reduction="none", sample_weight=sw)
        np.testing.assert_allclose(wr, w_real * per_real, rtol=1e-14)
        np.testing.assert_allclose(wf, w_fake * per_fake, rtol=1e-14)
        want = (w_real * per_real).sum() / w_real.sum() + (w_fake * per_fake).sum() / w_fake_total
        np.testing.assert_allclose(call(name, real, fake, sample_weight=sw), want, rtol=1e-13)
        np.testing.assert_allclose(call(name, real, fake, sample_weight=(None, w_fake)),
                                   per_real.mean() + (w_fake * per_fake).sum() / w_fake_total,
                                   rtol=1e-13)
        # Gradients: one per input, each scaled by its own mean's denominator.
        _, (g_real, g_fake) = call(name, real, fake, return_grad=True)
        _, (s_real, s_fake) = call(name, real, fake, reduction="sum", return_grad=True)
        np.testing.assert_allclose(g_real, s_real / 5, rtol=1e-14)
        np.testing.assert_allclose(g_fake, s_fake / 6, rtol=1e-14)
        # An empty input has no mean; its sum is 0.
        assert np.isnan(call(name, real[:0], fake))
        np.testing.assert_allclose(call(name, real[:0], fake, reduction="sum"),
                                   per_fake.sum(), rtol=1e-13)
        # The dtype is NumPy's result type of both inputs.
        assert call(name, real.astype(np.float32), fake.astype(np.float32)).dtype == np.float32
        assert call(name, real.astype(np.float32), fake).dtype == np.float64
        assert call(name, np.ones(3, dtype=np.int64), np.zeros(2, dtype=np.int8)).dtype == \
            np.float64


def test_signs_and_special_forms(rng: np.random.Generator) -> None:
    x = rng.normal(scale=3, size=50)
    softplus = np.logaddexp(0, x)
    # Non-saturating -log σ(x) = softplus(-x); saturating log(1 - σ(x)) = -softplus(x).
    np.testing.assert_allclose(fastloss.gan_generator(x, reduction="none"), softplus - x,
                               rtol=1e-12)
    np.testing.assert_allclose(fastloss.gan_generator(x, saturating=True, reduction="none"),
                               -softplus, rtol=1e-12)
    _, g = fastloss.gan_generator(x, saturating=True, reduction="sum", return_grad=True)
    np.testing.assert_allclose(g, -1 / (1 + np.exp(-x)), rtol=1e-12)
    # Probabilities give the same values as the logits they come from.
    p = 1 / (1 + np.exp(-x))
    for saturating in (False, True):
        np.testing.assert_allclose(
            fastloss.gan_generator(p, from_logits=False, saturating=saturating),
            fastloss.gan_generator(x, saturating=saturating), rtol=1e-9)
    np.testing.assert_allclose(
        fastloss.gan_discriminator(p, p[::-1], from_logits=False, label_smoothing=0.1),
        fastloss.gan_discriminator(x, x[::-1], label_smoothing=0.1), rtol=1e-9)
    # Wasserstein: the critic's terms are -D(x) and +D(G(z)), gradients -1 and +1.
    per, (g_real, g_fake) = fastloss.wasserstein_critic(x, x[:7], reduction="none",
                                                        return_grad=True)
    np.testing.assert_array_equal(per[0], -x)
    np.testing.assert_array_equal(per[1], x[:7])
    np.testing.assert_array_equal(g_real, -1.0)
    np.testing.assert_array_equal(g_fake, 1.0)
    np.testing.assert_allclose(fastloss.wasserstein_generator(x), -x.mean(), rtol=1e-13)
    # LSGAN halves the squared distance to the labels.
    np.testing.assert_allclose(fastloss.lsgan_generator(x, target=0.3),
                               0.5 * ((x - 0.3) ** 2).mean(), rtol=1e-13)


EXTREME = np.array([1e4, -1e4, 88.0, -88.0, 745.0, -745.0, 89.0, -104.0, 0.0, 20.0, -40.0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_extreme_logits(isa: str, dtype: Any) -> None:
    x = EXTREME.astype(dtype)
    for name, args, options in (
            ("gan_discriminator", (x, x[::-1].copy()), {"label_smoothing": 0.1}),
            ("gan_generator", (x,), {}), ("gan_generator", (x,), {"saturating": True})):
        for reduction in ("none", "sum"):
            loss, grads = call(name, *args, reduction=reduction, return_grad=True, **options)
            flat = [np.asarray(v) for v in (loss if isinstance(loss, tuple) else (loss,))]
            grads = grads if isinstance(grads, tuple) else (grads,)
            assert all(np.all(np.isfinite(v)) for v in flat + list(grads)), name
            want, want_grads = oracle(name, *(a.astype(float) for a in args),
                                      reduction=reduction, return_grad=True, **options)
            want = want if isinstance(want, tuple) else (want,)
            want_grads = want_grads if isinstance(want_grads, tuple) else (want_grads,)
            for v, w in zip(flat, want):
                assert_close(v, w, 10 * rtol_for(dtype), f"{name} {reduction}")
            for g, w in zip(grads, want_grads):
                assert_close(g, w, 50 * rtol_for(dtype), f"{name} {reduction} grad")
    # The stable form exactly: softplus(±1e4) is 1e4 or 0, the gradient saturates.
    loss, g = fastloss.gan_generator(np.array([-1e4, 1e4], dtype), reduction="none",
                                     return_grad=True)
    np.testing.assert_array_equal(loss, [1e4, 0.0])
    np.testing.assert_array_equal(g, [-1.0, 0.0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_probabilities_zero_and_one(isa: str, dtype: Any) -> None:
    p = np.array([0.0, 1.0, 0.5], dtype)
    # Each log is clamped at -100, as PyTorch's binary_cross_entropy.
    loss = fastloss.gan_generator(p, from_logits=False, reduction="none")
    np.testing.assert_allclose(loss, [100.0, 0.0, np.log(2)], rtol=1e-6)
    per_real, per_fake = fastloss.gan_discriminator(p, p, from_logits=False, reduction="none")
    np.testing.assert_allclose(per_real, [100.0, 0.0, np.log(2)], rtol=1e-6)
    np.testing.assert_allclose(per_fake, [0.0, 100.0, np.log(2)], rtol=1e-6)
    sat, g = fastloss.gan_generator(p, from_logits=False, saturating=True, reduction="none",
                                    return_grad=True)
    np.testing.assert_allclose(sat, [0.0, -100.0, -np.log(2)], rtol=1e-6)
    assert np.all(np.isfinite(g))


def test_nan_propagates() -> None:
    x = np.zeros(40)
    x[17] = np.nan
    for name in TWO_INPUTS:
        per_real, _ = call(name, x, np.ones(3), reduction="none")
        assert np.isnan(per_real[17]) and np.isfinite(np.delete(per_real, 17)).all(), name
        assert np.isnan(call(name, x, np.ones(3))), name
    for name in ONE_INPUT:
        assert np.isnan(call(name, x)), name
    assert np.isnan(fastloss.gan_generator(np.full(3, np.nan), from_logits=False))


# --- gradients against central finite differences ------------------------------------------


FD_CASES = [
    ("gan_discriminator", {"label_smoothing": 0.1}),
    ("gan_discriminator", {"from_logits": False, "label_smoothing": 0.2}),
    ("gan_generator", {}), ("gan_generator", {"saturating": True}),
    ("gan_generator", {"from_logits": False}),
    ("gan_generator", {"from_logits": False, "saturating": True}),
    ("lsgan_discriminator", {"real_label": 0.9, "fake_label": 0.1}),
    ("lsgan_generator", {"target": 0.7}),
    ("wasserstein_critic", {}), ("wasserstein_generator", {}),
]


@pytest.mark.parametrize("case", range(len(FD_CASES)))
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradient_matches_finite_differences(isa: str, rng: np.random.Generator, case: int,
                                             reduction: str) -> None:
    name, options = FD_CASES[case]
    logits = options.get("from_logits", True)
    make = (lambda n: rng.normal(scale=2, size=n)) if logits else (
        lambda n: rng.uniform(0.05, 0.95, size=n))
    if name in TWO_INPUTS:
        arrays: Tuple[np.ndarray, ...] = (make(5), make(7))
        options = dict(options, sample_weight=(rng.uniform(0.5, 2, size=5), None))
    else:
        arrays = (make(9),)
        options = dict(options, sample_weight=rng.uniform(0.5, 2, size=9))
    _, grads = call(name, *arrays, reduction=reduction, return_grad=True, **options)
    grads = grads if isinstance(grads, tuple) else (grads,)
    h = 1e-6

    def total(args: List[np.ndarray]) -> float:
        out = call(name, *args, reduction=reduction, **options)
        return float(sum(np.sum(o) for o in out)) if isinstance(out, tuple) else float(np.sum(out))

    for k, g in enumerate(grads):
        numeric = np.empty(arrays[k].size)
        for i in range(arrays[k].size):
            up, down = list(arrays), list(arrays)
            up[k], down[k] = arrays[k].copy(), arrays[k].copy()
            up[k][i] += h
            down[k][i] -= h
            numeric[i] = (total(up) - total(down)) / (2 * h)
        assert_close(g, numeric, 1e-6, f"{name} {options} {reduction} input {k}",
                     atol_fraction=0.1)


# --- determinism ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_bit_identical_across_threads_and_calls(isa: str, dtype: Any) -> None:
    rng = np.random.default_rng(5)
    real = rng.normal(size=1_000_003).astype(dtype)
    fake = rng.normal(size=700_001).astype(dtype)
    probs = rng.uniform(size=700_001).astype(dtype)
    w = rng.uniform(size=700_001).astype(dtype)
    for name, args, options in (
            ("gan_discriminator", (real, fake), {"label_smoothing": 0.1}),
            ("gan_discriminator", (probs, probs), {"from_logits": False,
                                                   "sample_weight": (None, w)}),
            ("gan_generator", (fake,), {"sample_weight": w}),
            ("lsgan_discriminator", (real, fake), {}),
            ("wasserstein_critic", (real, fake), {})):
        results = []
        for threads in (1, 2, 1, 2):
            with fastloss.threads(threads):
                loss, grads = call(name, *args, return_grad=True, **options)
                none = call(name, *args, reduction="none", **options)
            grads = grads if isinstance(grads, tuple) else (grads,)
            none = none if isinstance(none, tuple) else (none,)
            results.append(tuple(a.tobytes() for a in (loss,) + none + grads))
        assert all(r == results[0] for r in results[1:]), name


@pytest.mark.parametrize("dtype", DTYPES)
def test_wasserstein_value_only_path_is_the_loss_loop(isa: str, num_threads: int,
                                                      dtype: Any) -> None:
    """Without weights or gradients the Wasserstein terms are plain sums (reduce.hpp's
    lane_sum); they must give the bits of the loss loop that weights and gradients take."""
    rng = np.random.default_rng(11)
    for n in SIZES:
        real = (rng.normal(size=n) * 3).astype(dtype)
        fake = (rng.normal(size=n) + 0.5).astype(dtype)
        ones = (np.ones(n, dtype), np.ones(n, dtype))
        for reduction in ("mean", "sum"):
            plain = fastloss.wasserstein_critic(real, fake, reduction=reduction)
            looped, _ = fastloss.wasserstein_critic(real, fake, reduction=reduction,
                                                    return_grad=True)
            weighted = fastloss.wasserstein_critic(real, fake, reduction=reduction,
                                                   sample_weight=ones)
            assert plain.tobytes() == looped.tobytes() == weighted.tobytes(), (n, reduction)
            gen = fastloss.wasserstein_generator(fake, reduction=reduction)
            gen_looped, _ = fastloss.wasserstein_generator(fake, reduction=reduction,
                                                           return_grad=True)
            assert gen.tobytes() == gen_looped.tobytes(), (n, reduction)


# --- errors --------------------------------------------------------------------------------


def test_probabilities_outside_unit_interval(num_threads: int) -> None:
    with pytest.raises(ValueError, match=all_of("d_real", r"\[0, 1\]", r"\b1\.5\b", r"\(2,\)",
                                                "from_logits=True")):
        fastloss.gan_discriminator(np.array([0.5, 0.2, 1.5]), np.array([0.1]),
                                   from_logits=False)
    with pytest.raises(ValueError, match=all_of("d_fake", r"-0\.25", r"\(1, 0\)")):
        fastloss.gan_discriminator(np.array([0.5]), np.array([[0.1], [-0.25]]),
                                   from_logits=False)
    with pytest.raises(ValueError, match=all_of("d_fake", r"\b2\.0\b", r"\(0,\)")):
        fastloss.gan_generator(np.array([2.0, 0.5]), from_logits=False, saturating=True)
    # The first offending element on the parallel path.
    p = np.full(300_000, 0.5)
    p[[250_000, 70_001]] = [2.0, -0.5]
    with pytest.raises(ValueError, match=all_of("d_fake", r"-0\.5\b", r"\(70001,\)")):
        fastloss.gan_generator(p, from_logits=False)
    # Logits are unconstrained.
    fastloss.gan_generator(np.array([2.0, -7.0]))


def test_sample_weight_pairs() -> None:
    real, fake = np.zeros(3), np.zeros(4)
    for bad in (np.ones(3), [np.ones(3), np.ones(4)], (np.ones(3),), (None, None, None)):
        with pytest.raises(TypeError, match=all_of("sample_weight", "tuple")):
            fastloss.gan_discriminator(real, fake, sample_weight=bad)
    with pytest.raises(ValueError, match=all_of(r"sample_weight\[1\]", "d_fake", r"\(4,\)")):
        fastloss.lsgan_discriminator(real, fake, sample_weight=(None, np.ones(3)))
    with pytest.raises(ValueError, match=all_of(r"sample_weight\[0\]", "d_real")):
        fastloss.wasserstein_critic(real, fake, sample_weight=(np.ones((2, 3)), None))
    with pytest.raises(ValueError, match="sample_weight"):
        fastloss.gan_generator(fake, sample_weight=np.ones(3))


def test_option_checks() -> None:
    real, fake = np.zeros(3), np.zeros(4)
    for smoothing in (-0.1, 1.5, np.nan):
        with pytest.raises(ValueError, match="label_smoothing"):
            fastloss.gan_discriminator(real, fake, label_smoothing=smoothing)
    with pytest.raises(TypeError, match="from_logits must be True or False"):
        fastloss.gan_discriminator(real, fake, from_logits=1)
    with pytest.raises(TypeError, match="saturating must be True or False"):
        fastloss.gan_generator(fake, saturating="no")
    for key in ("real_label", "fake_label"):
        with pytest.raises(ValueError, match=all_of(key, "finite")):
            fastloss.lsgan_discriminator(real, fake, **{key: np.inf})
        with pytest.raises(TypeError, match=key):
            fastloss.lsgan_discriminator(real, fake, **{key: "one"})
    with pytest.raises(ValueError, match="target"):
        fastloss.lsgan_generator(fake, target=np.nan)
    with pytest.raises(TypeError, match="d_fake must be a numeric array"):
        fastloss.wasserstein_generator(np.array(["a"]))
    for name in TWO_INPUTS:
        with pytest.raises(ValueError, match="reduction must be one of"):
            call(name, real, fake, reduction="avg")
        # Two means over different lengths are not one ratio: no streaming partial sums.
        with pytest.raises(ValueError, match="cannot be accumulated"):
            _args.partial_sums(fastloss.get(name), real, fake)
        with pytest.raises(TypeError):
            call(name, real, fake, "sum")
    for name in ONE_INPUT:
        with pytest.raises(ValueError, match="reduction must be one of"):
            call(name, fake, reduction="avg")
        assert _args.partial_sums(fastloss.get(name), fake)[1] == 4.0


# --- PyTorch -------------------------------------------------------------------------------


def _t(a: Any, grad: bool = False) -> Any:
    torch = pytest.importorskip("torch")
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_torch_binary_cross_entropy_forms(rng: np.random.Generator, reduction: str) -> None:
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    real = rng.normal(scale=4, size=(20, 1))
    fake = rng.normal(scale=4, size=(13, 1))
    real[0, 0], fake[0, 0] = 1e4, -745.0
    w_real = rng.uniform(0.5, 2, size=(20, 1))
    for smoothing in (0.0, 0.1):
        tr, tf = _t(real, True), _t(fake, True)
        # Weighted means: PyTorch's weighted BCE divides by the count, so sum and divide.
        lr = F.binary_cross_entropy_with_logits(tr, torch.full_like(tr, 1 - smoothing),
                                                weight=_t(w_real), reduction="none")
        lf = F.binary_cross_entropy_with_logits(tf, torch.zeros_like(tf), reduction="none")
        if reduction in ("none", "sum"):
            total = lr.sum() + lf.sum()
        else:
            total = lr.sum() / w_real.sum() + lf.mean()
        total.backward()
        loss, (g_real, g_fake) = fastloss.gan_discriminator(
            real, fake, label_smoothing=smoothing, reduction=reduction,
            sample_weight=(w_real, None), return_grad=True)
        if reduction == "none":
            assert_close(loss[0], lr.detach().numpy(), 1e-12, "real")
            assert_close(loss[1], lf.detach().numpy(), 1e-12, "fake")
        else:
            assert_close(loss, total.detach().numpy(), 1e-12, "total")
        assert_close(g_real, tr.grad.numpy(), 1e-10, "grad real")
        assert_close(g_fake, tf.grad.numpy(), 1e-10, "grad fake")
    # The generator: non-saturating BCE(D, 1) and saturating -BCE(D, 0).
    for saturating in (False, True):
        tf = _t(fake, True)
        target = torch.zeros_like(tf) if saturating else torch.ones_like(tf)
        out = F.binary_cross_entropy_with_logits(tf, target, reduction=reduction)
        out = -out if saturating else out
        (out.sum() if reduction == "none" else out).backward()
        loss, g = fastloss.gan_generator(fake, saturating=saturating, reduction=reduction,
                                         return_grad=True)
        assert_close(loss, out.detach().numpy(), 1e-12, f"generator {saturating}")
        assert_close(g, tf.grad.numpy(), 1e-10, f"generator grad {saturating}")
    # On probabilities: binary_cross_entropy, logs clamped at -100.
    p = rng.uniform(0.001, 0.999, size=30)
    p[:3] = [0.0, 1.0, 0.5]
    q = rng.uniform(0.001, 0.999, size=11)
    want = (F.binary_cross_entropy(_t(p), torch.full_like(_t(p), 0.9), reduction="sum")
            + F.binary_cross_entropy(_t(q), torch.zeros_like(_t(q)), reduction="sum"))
    got = fastloss.gan_discriminator(p, q, from_logits=False, label_smoothing=0.1,
                                     reduction="sum")
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_torch_lsgan_and_wasserstein(rng: np.random.Generator, reduction: str) -> None:
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    real = rng.normal(size=17)
    fake = rng.normal(size=(4, 3))
    tr, tf = _t(real, True), _t(fake, True)
    out = 0.5 * F.mse_loss(tr, torch.full_like(tr, 0.9), reduction=reduction) + 0.5 * F.mse_loss(
        tf, torch.full_like(tf, -0.2), reduction=reduction)
    out.backward()
    loss, (g_real, g_fake) = fastloss.lsgan_discriminator(
        real, fake, real_label=0.9, fake_label=-0.2, reduction=reduction, return_grad=True)
    np.testing.assert_allclose(loss, out.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(g_real, tr.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(g_fake, tf.grad.numpy(), rtol=1e-12)
    tr, tf = _t(real, True), _t(fake, True)
    out = (tf.mean() - tr.mean()) if reduction == "mean" else (tf.sum() - tr.sum())
    out.backward()
    loss, (g_real, g_fake) = fastloss.wasserstein_critic(real, fake, reduction=reduction,
                                                         return_grad=True)
    np.testing.assert_allclose(loss, out.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(g_real, tr.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(g_fake, tf.grad.numpy(), rtol=1e-12)


def test_docstring_examples() -> None:
    import doctest

    failures, tried = doctest.testmod(fastloss.adversarial, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0
