"""OpenMP settings that must be in the environment when the OpenMP runtime loads."""

from __future__ import annotations

import contextlib
import os
from typing import Iterator

# GCC's libgomp keeps an idle worker spinning 300,000 times (several milliseconds) before it
# sleeps. On a machine whose other cores are busy that spin takes the core the calling thread
# needs, and each threaded call stalls for a scheduler time slice. 10,000 spins (a fraction of
# a millisecond) still catch back-to-back calls on an idle machine.
SPIN_COUNT = "10000"


@contextlib.contextmanager
def short_spin() -> Iterator[None]:
    """GOMP_SPINCOUNT while libgomp starts, unless the user chose a spin count or a wait policy.

    The variable is removed again afterwards, so child processes see the caller's environment.
    It has no effect when libgomp was already loaded (by another extension imported first).
    """
    if "GOMP_SPINCOUNT" in os.environ or "OMP_WAIT_POLICY" in os.environ:
        yield
        return
    os.environ["GOMP_SPINCOUNT"] = SPIN_COUNT
    try:
        yield
    finally:
        os.environ.pop("GOMP_SPINCOUNT", None)
