"""Every documented error: a Python exception naming the argument and what was wrong."""

from __future__ import annotations

import numpy as np
import pytest

import fastloss

ELEMENTWISE = [fastloss.mse, fastloss.mae, fastloss.huber]


@pytest.mark.parametrize("loss", ELEMENTWISE)
def test_shape_mismatch_is_not_broadcast(loss) -> None:
    with pytest.raises(ValueError, match=r"y_true and y_pred must have the same shape.*\(4, 1\).*\(4,\)"):
        loss(np.zeros((4, 1)), np.zeros(4))
    with pytest.raises(ValueError, match="same shape"):
        loss(np.zeros(3), np.zeros(4))


@pytest.mark.parametrize("loss", ELEMENTWISE)
def test_unknown_reduction(loss) -> None:
    with pytest.raises(ValueError, match="reduction must be one of 'mean', 'sum', 'none'; got 'avg'"):
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
    with pytest.raises(TypeError, match="delta must be a number"):
        fastloss.huber(np.zeros(2), np.zeros(2), delta="big")


def test_thread_count_must_be_positive() -> None:
    with pytest.raises(ValueError, match="n must be a positive integer, got 0"):
        fastloss.set_num_threads(0)
    with pytest.raises(TypeError, match="n must be an integer"):
        fastloss.set_num_threads(1.5)


def test_unknown_loss_name() -> None:
    with pytest.raises(KeyError, match="unknown loss 'msee'; available: mse"):
        fastloss.get("msee")
