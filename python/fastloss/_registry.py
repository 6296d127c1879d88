"""Name → function registry used by the CLI, the benchmark and `fastloss.get`."""

from __future__ import annotations

from typing import Callable, Dict, List

from . import regression

_LOSSES: Dict[str, Callable[..., object]] = {
    "mse": regression.mse,
    "mae": regression.mae,
    "huber": regression.huber,
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
