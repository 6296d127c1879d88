"""Name → function registry used by the CLI, the benchmark and `fastloss.get`."""

from __future__ import annotations

from typing import Callable, Dict, List

from . import classification, regression

_LOSSES: Dict[str, Callable[..., object]] = {
    "mse": regression.mse,
    "mae": regression.mae,
    "huber": regression.huber,
    "binary_cross_entropy": classification.binary_cross_entropy,
    "categorical_cross_entropy": classification.categorical_cross_entropy,
    "sparse_categorical_cross_entropy": classification.sparse_categorical_cross_entropy,
    "kl_divergence": classification.kl_divergence,
    "hinge": classification.hinge,
}


def losses() -> List[str]:
    """Names of the available losses, in catalogue order."""
    return list(_LOSSES)


def get(name: str) -> Callable[..., object]:
    """The loss function registered under `name`."""
    try:
        return _LOSSES[name]
    except KeyError:
        raise KeyError(f"unknown loss {name!r}; available: {', '.join(_LOSSES)}") from None
