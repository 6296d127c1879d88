"""The losses, declared once: ``@loss`` on a public loss function is its whole registration.

The registry (`losses`, `get`: the CLI, the benchmark and ``fastloss.get``), each family
module's runtime ``__all__`` (`exports`) and the package's follow from the declarations, in
declaration order (families in the order the package imports them). Type checkers read the
functions from the family modules themselves.
"""

from __future__ import annotations

import difflib
from typing import Callable, Dict, List, TypeVar

_LOSSES: Dict[str, Callable[..., object]] = {}

F = TypeVar("F", bound=Callable[..., object])


def loss(fn: F) -> F:
    """Declares `fn` a public loss under its own name."""
    name = fn.__name__
    if name in _LOSSES:
        raise RuntimeError(f"loss {name!r} is declared twice")
    _LOSSES[name] = fn
    return fn


def exports(module: str) -> List[str]:
    """The losses declared in `module` (a family module's ``__all__``)."""
    return [name for name, fn in _LOSSES.items() if fn.__module__ == module]


def losses() -> List[str]:
    """Names of the available losses, in catalogue order."""
    return list(_LOSSES)


def get(name: str) -> Callable[..., object]:
    """The loss function registered under `name`; ValueError naming close ones if none is."""
    if not isinstance(name, str):
        raise TypeError(f"a loss name must be a string, got {type(name).__name__}")
    try:
        return _LOSSES[name]
    except KeyError:
        close = difflib.get_close_matches(name, _LOSSES)
        hint = f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""
        raise ValueError(f"unknown loss {name!r}{hint}; available: {', '.join(_LOSSES)}"
                         ) from None
