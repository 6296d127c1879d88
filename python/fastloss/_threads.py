"""Thread controls: how many OpenMP threads the kernels use."""

from __future__ import annotations

import contextlib
import operator
import warnings
from typing import Iterator

from . import _core

__all__ = ["get_num_threads", "max_threads", "set_num_threads", "threads"]


def get_num_threads() -> int:
    """Threads the kernels use (defaults to OpenMP's, which honours ``OMP_NUM_THREADS``)."""
    return int(_core.get_num_threads())


def max_threads() -> int:
    """The largest thread count accepted: 4 × the logical CPUs available to the process.

    More threads than that only add waiting; far more exhaust the process's memory or thread
    limits. An ``OMP_NUM_THREADS`` above it is clamped to it with a warning at import.
    """
    return int(_core.max_threads())


def check_thread_count(n: object, name: str = "n") -> int:
    """`n` as an int in 1..max_threads(), or a TypeError/ValueError naming `name`."""
    try:
        count = operator.index(n)  # type: ignore[arg-type]  # any object: this is the check
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {n!r}") from None
    if not 1 <= count <= max_threads():
        raise ValueError(
            f"{name} must be an integer from 1 to {max_threads()} (4 × the logical CPUs), "
            f"got {count}"
        )
    return count


def set_num_threads(n: int) -> None:
    """Use `n` threads (1 to :func:`max_threads`) for large inputs.

    Small inputs always run on the calling thread. In a build without OpenMP every kernel is
    single-threaded and this only warns for n > 1. In a process forked after fastloss ran
    threads (a ``multiprocessing`` fork child, a data-loader worker) the kernels stay on one
    thread: OpenMP's worker threads do not survive fork.
    """
    n = check_thread_count(n)
    if n > 1 and not _core.build_info()["openmp"]:
        warnings.warn("fastloss was built without OpenMP; running on 1 thread", stacklevel=2)
    elif n > 1 and _core._forked_after_threads():
        warnings.warn(
            "this process was forked after fastloss ran threads, and OpenMP's threads do not "
            "survive fork; running on 1 thread",
            RuntimeWarning,
            stacklevel=2,
        )
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
