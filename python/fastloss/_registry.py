"""Name → function registry used by the CLI, the benchmark and `fastloss.get`."""

from __future__ import annotations

import difflib
from typing import Callable, Dict, List

from . import adversarial, classification, count, embedding, regression

_LOSSES: Dict[str, Callable[..., object]] = {
    "mse": regression.mse,
    "mae": regression.mae,
    "huber": regression.huber,
    "binary_cross_entropy": classification.binary_cross_entropy,
    "categorical_cross_entropy": classification.categorical_cross_entropy,
    "sparse_categorical_cross_entropy": classification.sparse_categorical_cross_entropy,
    "kl_divergence": classification.kl_divergence,
    "hinge": classification.hinge,
    "contrastive": embedding.contrastive,
    "triplet": embedding.triplet,
    "margin_ranking": embedding.margin_ranking,
    "cosine_proximity": embedding.cosine_proximity,
    "gan_discriminator": adversarial.gan_discriminator,
    "gan_generator": adversarial.gan_generator,
    "lsgan_discriminator": adversarial.lsgan_discriminator,
    "lsgan_generator": adversarial.lsgan_generator,
    "wasserstein_critic": adversarial.wasserstein_critic,
    "wasserstein_generator": adversarial.wasserstein_generator,
    "poisson": count.poisson,
}


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
