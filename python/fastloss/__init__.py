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
from .adversarial import (
    gan_discriminator,
    gan_generator,
    lsgan_discriminator,
    lsgan_generator,
    wasserstein_critic,
    wasserstein_generator,
)
from .classification import (
    binary_cross_entropy,
    categorical_cross_entropy,
    hinge,
    kl_divergence,
    sparse_categorical_cross_entropy,
)
from .count import poisson
from .embedding import contrastive, cosine_proximity, margin_ranking, triplet
from .regression import huber, mae, mse

__version__: str = _core.build_info()["version"]

__all__ = [
    "__version__",
    "Accumulator",
    "baselines",
    "binary_cross_entropy",
    "build_info",
    "categorical_cross_entropy",
    "contrastive",
    "cosine_proximity",
    "gan_discriminator",
    "gan_generator",
    "get",
    "get_num_threads",
    "hinge",
    "huber",
    "kl_divergence",
    "losses",
    "lsgan_discriminator",
    "lsgan_generator",
    "mae",
    "margin_ranking",
    "max_threads",
    "mse",
    "poisson",
    "set_num_threads",
    "sparse_categorical_cross_entropy",
    "threads",
    "triplet",
    "wasserstein_critic",
    "wasserstein_generator",
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
