"""Thread controls: how many OpenMP threads the kernels use."""

from __future__ import annotations

import contextlib
import operator
import warnings
from typing import Iterator

from . import _core

__all__ = ["get_num_threads", "set_num_threads", "threads"]


def get_num_threads() -> int:
    """Threads the kernels use (defaults to OpenMP's, which honours ``OMP_NUM_THREADS``)."""
    return int(_core.get_num_threads())


def set_num_threads(n: int) -> None:
    """Use `n` threads for large inputs (small inputs always run on the calling thread).

    In a build without OpenMP every kernel is single-threaded and this only warns for n > 1.
    """
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"n must be an integer, got {n!r}") from None
    if n < 1:
        raise ValueError(f"n must be a positive integer, got {n}")
    if n > 1 and not _core.build_info()["openmp"]:
        warnings.warn("fastloss was built without OpenMP; running on 1 thread", stacklevel=2)
    _core.set_num_threads(n)


@contextlib.contextmanager
def threads(n: int) -> Iterator[None]:
    """Context manager: use `n` threads inside the block, then restore the previous count.

    The setting is process-wide, not per Python thread.
    """
    previous = get_num_threads()
    set_num_threads(n)
    try:
        yield
    finally:
        _core.set_num_threads(previous)
