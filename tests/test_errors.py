"""Every documented error: a Python exception naming the argument and what was wrong."""

from __future__ import annotations

import numpy as np
import pytest

import fastloss

ELEMENTWISE = [fastloss.mse, fastloss.mae, fastloss.huber]


@pytest.mark.parametrize("loss", ELEMENTWISE)
def test_shape_mismatch_is_not_broadcast(loss) -> None:
    shapes = r"y_true and y_pred must have the same shape.*\(4, 1\).*\(4,\)"
    with pytest.raises(ValueError, match=shapes):
        loss(np.zeros((4, 1)), np.zeros(4))
    with pytest.raises(ValueError, match="same shape"):
        loss(np.zeros(3), np.zeros(4))


@pytest.mark.parametrize("loss", ELEMENTWISE)
def test_unknown_reduction(loss) -> None:
    expected = "reduction must be one of 'mean', 'sum', 'none'; got 'avg'"
    with pytest.raises(ValueError, match=expected):
        loss(np.zeros(3), np.zeros(3), reduction="avg")


@pytest.mark.parametrize("loss", ELEMENTWISE)
def test_sample_weight_shape(loss) -> None:
    with pytest.raises(ValueError, match=r"sample_weight must be broadcastable.*\(3,\).*\(4,\)"):
        loss(np.zeros(3), np.zeros(3), sample_weight=np.ones(4))
    # Weights must not broadcast the loss up to a larger shape.
    with pytest.raises(ValueError, match="sample_weight"):
        loss(np.zeros(3), np.zeros(3), sample_weight=np.ones((2, 3)))


@pytest.mark.parametrize("loss", ELEMENTWISE)
def test_non_numeric_inputs(loss) -> None:
    with pytest.raises(TypeError, match="y_true must be a numeric array, got dtype <U1"):
        loss(np.array(["a", "b"]), np.zeros(2))
    with pytest.raises(TypeError, match="y_pred must be a numeric array, got dtype complex128"):
        loss(np.zeros(2), np.zeros(2, dtype=complex))
    with pytest.raises(TypeError, match="sample_weight must be a numeric array"):
        loss(np.zeros(2), np.zeros(2), sample_weight=np.array(["x", "y"]))


@pytest.mark.parametrize("loss", ELEMENTWISE)
def test_options_are_keyword_only(loss) -> None:
    with pytest.raises(TypeError):
        loss(np.zeros(2), np.zeros(2), "sum")


@pytest.mark.parametrize("delta", [0.0, -1.0, np.inf, np.nan])
def test_huber_delta_must_be_positive(delta: float) -> None:
    with pytest.raises(ValueError, match="delta must be a positive finite number"):
        fastloss.huber(np.zeros(2), np.zeros(2), delta=delta)
    with pytest.raises(TypeError, match="delta must be a real number"):
        fastloss.huber(np.zeros(2), np.zeros(2), delta="big")


def test_unknown_loss_name() -> None:
    with pytest.raises(ValueError, match=r"unknown loss 'msee' \(did you mean 'mse'\?\); "
                                         r"available: mse, mae, huber"):
        fastloss.get("msee")
    with pytest.raises(ValueError, match=r"unknown loss 'xyz'; available: mse"):
        fastloss.get("xyz")
    with pytest.raises(TypeError, match="a loss name must be a string, got int"):
        fastloss.get(3)  # type: ignore[arg-type]


F32 = np.float32


@pytest.mark.parametrize("call, message", [
    (lambda: fastloss.binary_cross_entropy(np.zeros(2, F32), np.array([0.5, 1.1], F32)),
     "found 1.1 at index (1,)"),
    (lambda: fastloss.categorical_cross_entropy(np.eye(2, dtype=F32), np.array(
        [[0.5, 0.5], [-0.1, 1.0]], F32)), "found -0.1 in row (1,), class 0"),
    (lambda: fastloss.sparse_categorical_cross_entropy(np.array([0, 1]), np.array(
        [[0.5, 0.5], [0.1, 1.1]], F32)), "found 1.1 in row (1,), class 1"),
    (lambda: fastloss.poisson(np.zeros(2), np.array([0.5, -0.1], F32)),  # computed in float64
     "found -0.1 at index (1,)"),
    (lambda: fastloss.margin_ranking(np.array([1, 0.1], F32), np.zeros(2), np.zeros(2)),
     "found 0.1 at index (1,)"),
    (lambda: fastloss.contrastive(np.array([1, 1.1], F32), np.zeros((2, 3)), np.zeros((2, 3))),
     "found 1.1 at index (1,)"),
    (lambda: fastloss.gan_generator(np.array([0.5, 1.1], F32), from_logits=False),
     "found 1.1 at index (1,)"),
    (lambda: fastloss.huber(np.zeros(2), np.zeros(2), delta=F32(-0.1)), "got -0.1"),
    (lambda: fastloss.binary_cross_entropy(np.zeros(2), np.zeros(2), label_smoothing=F32(1.1)),
     "got 1.1"),
    (lambda: fastloss.binary_cross_entropy(np.zeros(2), np.zeros(2), eps=F32(0.6)), "got 0.6"),
    (lambda: fastloss.contrastive(np.zeros(2), np.zeros((2, 3)), np.zeros((2, 3)),
                                  margin=F32(-0.1)), "got -0.1"),
    (lambda: fastloss.poisson(np.zeros(2), np.zeros(2), eps=F32(-0.1)), "got -0.1"),
], ids=["bce", "categorical", "sparse", "poisson", "margin_ranking", "contrastive", "gan",
        "delta", "label_smoothing", "eps", "margin", "poisson_eps"])
def test_values_in_messages_are_short_numbers(call, message: str) -> None:
    # The shortest text that reads back in the value's dtype: not np.float32(1.1) (NumPy 2's
    # repr) nor 1.100000023841858 (the float32 value's float64 digits).
    with pytest.raises(ValueError) as info:
        call()
    assert message in str(info.value)
    assert "np." not in str(info.value) and "0000" not in str(info.value)


# --- the one argument layer: every loss checks its options by the same rules ---------------


def _bench_call(name: str):
    """The loss's benchmark inputs (small) and options, for calls that differ in one option."""
    from fastloss import _bench_cases

    case = _bench_cases.case(name)
    arrays = case.inputs(400, np.dtype(np.float64), np.random.default_rng(0))
    return fastloss.get(name), arrays, dict(case.options)


def _options_with_defaults(name: str):
    import inspect

    params = inspect.signature(fastloss.get(name)).parameters.values()
    return {p.name: p.default for p in params if p.kind == p.KEYWORD_ONLY}


@pytest.mark.parametrize("name", fastloss.losses())
def test_same_option_rules_for_every_loss(name: str) -> None:
    """Flags take only bools, numbers only real numbers (not strings or bools), reduction only
    the three public values, for every loss and every option of these kinds."""
    fn, arrays, options = _bench_call(name)
    defaults = _options_with_defaults(name)
    for bad in ("_partial", "MEAN", None):
        with pytest.raises(ValueError, match="reduction must be one of"):
            fn(*arrays, **options, reduction=bad)
    for key, default in defaults.items():
        if isinstance(default, bool):
            for bad in ("yes", 1, None):
                with pytest.raises(TypeError, match=f"{key} must be True or False"):
                    fn(*arrays, **{**options, key: bad})
        elif isinstance(default, float):
            for bad in ("1", True, 1j):
                with pytest.raises(TypeError, match=f"{key} must be a real number"):
                    fn(*arrays, **{**options, key: bad})
            assert np.isfinite(float(np.asarray(fn(*arrays, **{**options, key: np.float32(default)
                                                                 }), dtype=float).sum()))


def test_numbers_may_be_numpy_scalars_or_0d_arrays() -> None:
    a, b = np.zeros(3), np.array([0.5, 2.0, -3.0])
    expected = fastloss.huber(a, b, delta=0.5)
    assert fastloss.huber(a, b, delta=np.float32(0.5)) == expected
    assert fastloss.huber(a, b, delta=np.array(0.5)) == expected
    assert fastloss.huber(a, b, delta=1) == fastloss.huber(a, b, delta=1.0)
