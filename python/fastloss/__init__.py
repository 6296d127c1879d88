"""fastloss: loss functions for NumPy arrays, computed by SIMD + OpenMP C++ kernels."""

from __future__ import annotations

import warnings
from typing import Any, Dict, List

from ._openmp_env import short_spin

with short_spin():  # before _core loads the OpenMP runtime
    from . import _core
from . import baselines  # only NumPy: cheap to import with the package
from ._registry import get, losses
from ._threads import get_num_threads, max_threads, set_num_threads, threads
from .accumulator import Accumulator

# The loss families, in catalogue order: each module's losses declare themselves (@loss).
# isort: off
from .regression import *
from .classification import *
from .embedding import *
from .adversarial import *
from .count import *
# isort: on

__version__: str = _core.build_info()["version"]

__all__ = [  # noqa: PLE0604 - losses() are the names of the @loss declarations
    "__version__",
    "Accumulator",
    "baselines",
    "build_info",
    "get",
    "get_num_threads",
    "losses",
    "max_threads",
    "set_num_threads",
    "threads",
    *losses(),
]

for _env_warning in (_core._isa_env_warning(), _core._threads_env_warning()):
    if _env_warning:
        warnings.warn(_env_warning, RuntimeWarning, stacklevel=2)


def build_info() -> Dict[str, Any]:
    """How this build was compiled and what it runs on.

    Keys: ``version``, ``compiled_isas`` (kernel copies in the binary), ``supported_isas``
    (those this CPU can run), ``active_isa`` (the copy in use: the best supported one, or
    lower when ``FASTLOSS_ISA`` asks), ``best_isa``, ``openmp``, ``num_threads``, ``compiler``,
    ``sanitize`` (the ``-fsanitize=`` list of an instrumented developer build, else empty),
    ``assert_gil`` (True in a build that aborts when a binding changes a reference count
    without the GIL: CI's sanitizer build).
    """
    return dict(_core.build_info())


def __dir__() -> List[str]:
    return list(__all__)
