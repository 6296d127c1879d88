"""Benchmark cases: the inputs each loss is timed on, and its peers' equivalent calls.

One entry per loss in `CASES`; a loss without an entry is listed by the benchmark as
skipped. An entry says

- ``inputs(n, dtype, rng)``: the loss's positional arrays for size ``n``. For elementwise
  losses ``n`` is the length of each input; for losses over rows it is the total element
  count of the predicted array, ``n // CLASSES`` rows of `CLASSES` columns (classes or
  embedding dimensions), so sizes mean the same amount of data for every loss.
- ``options``: keyword options passed to fastloss, the NumPy baseline
  (``fastloss.baselines.<name>``) and nothing else.
- ``torch(F, *tensors)``: the same value computed with PyTorch (``F`` is
  ``torch.nn.functional``; the tensors share memory with the NumPy inputs), where PyTorch
  has the loss or a short expression of it.
- ``numexpr``: for elementwise losses, the per-element loss as a numexpr expression over the
  loss's argument names; the benchmark evaluates ``sum(expr) / n``.

Inputs are realistic for each loss (labels, logits, normalized probabilities), so that data
dependent branches and validation run as they would in use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

import numpy as np

CLASSES = 100  # columns of row losses: classes of the cross-entropies, embedding size

Arrays = Tuple[np.ndarray, ...]
InputFactory = Callable[[int, np.dtype, np.random.Generator], Arrays]


@dataclass(frozen=True)
class Case:
    inputs: InputFactory
    describe: str
    options: Mapping[str, Any] = field(default_factory=dict)
    torch: Optional[Callable[..., Any]] = None
    numexpr: Optional[str] = None


# --- input factories ----------------------------------------------------------------------


def _normal(rng: np.random.Generator, shape: Any, dtype: np.dtype,
            scale: float = 1.0) -> np.ndarray:
    x = rng.standard_normal(shape, dtype=np.float64) * scale
    return np.asarray(x, dtype=dtype)


def _rows(n: int) -> int:
    return max(1, n // CLASSES)


def _bits(rng: np.random.Generator, shape: Any, dtype: np.dtype) -> np.ndarray:
    """Hard binary targets in {0, 1}."""
    return np.asarray(rng.random(shape) < 0.5, dtype=dtype)


def _signs(rng: np.random.Generator, shape: Any, dtype: np.dtype) -> np.ndarray:
    """Labels in {-1, +1}."""
    return np.asarray(np.where(rng.random(shape) < 0.5, -1.0, 1.0), dtype=dtype)


def _softmax_rows(rng: np.random.Generator, rows: int, dtype: np.dtype) -> np.ndarray:
    z = rng.standard_normal((rows, CLASSES))
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return np.asarray(e / e.sum(axis=1, keepdims=True), dtype=dtype)


def regression_pair(n: int, dtype: np.dtype, rng: np.random.Generator) -> Arrays:
    y_true = _normal(rng, n, dtype)
    return y_true, (y_true + _normal(rng, n, dtype)).astype(dtype)


def binary_logits(n: int, dtype: np.dtype, rng: np.random.Generator) -> Arrays:
    return _bits(rng, n, dtype), _normal(rng, n, dtype, 2.0)


def onehot_logits(n: int, dtype: np.dtype, rng: np.random.Generator) -> Arrays:
    rows = _rows(n)
    labels = rng.integers(0, CLASSES, rows)
    return np.eye(CLASSES, dtype=dtype)[labels], _normal(rng, (rows, CLASSES), dtype, 2.0)


def label_logits(n: int, dtype: np.dtype, rng: np.random.Generator) -> Arrays:
    rows = _rows(n)
    return rng.integers(0, CLASSES, rows, dtype=np.int64), _normal(rng, (rows, CLASSES), dtype, 2.0)


def distributions(n: int, dtype: np.dtype, rng: np.random.Generator) -> Arrays:
    rows = _rows(n)
    return _softmax_rows(rng, rows, dtype), _softmax_rows(rng, rows, dtype)


def sign_scores(n: int, dtype: np.dtype, rng: np.random.Generator) -> Arrays:
    return _signs(rng, n, dtype), _normal(rng, n, dtype)


def embedding_rows(n: int, dtype: np.dtype, rng: np.random.Generator) -> Arrays:
    """Two (rows, CLASSES) arrays of nearby embeddings: distances of order 1."""
    rows = _rows(n)
    x1 = _normal(rng, (rows, CLASSES), dtype, CLASSES ** -0.5)
    return x1, (x1 + _normal(rng, (rows, CLASSES), dtype, 0.8 * CLASSES ** -0.5)).astype(dtype)


def pair_labels_embeddings(n: int, dtype: np.dtype, rng: np.random.Generator) -> Arrays:
    x1, x2 = embedding_rows(n, dtype, rng)
    return (_bits(rng, x1.shape[0], dtype), x1, x2)


def triplets(n: int, dtype: np.dtype, rng: np.random.Generator) -> Arrays:
    anchor, positive = embedding_rows(n, dtype, rng)
    negative = _normal(rng, anchor.shape, dtype, CLASSES ** -0.5)
    return anchor, positive, negative


def ranking_pairs(n: int, dtype: np.dtype, rng: np.random.Generator) -> Arrays:
    return _signs(rng, n, dtype), _normal(rng, n, dtype), _normal(rng, n, dtype)


def real_fake_logits(n: int, dtype: np.dtype, rng: np.random.Generator) -> Arrays:
    return _normal(rng, n, dtype, 2.0) + dtype.type(1), _normal(rng, n, dtype, 2.0) - dtype.type(1)


def fake_logits(n: int, dtype: np.dtype, rng: np.random.Generator) -> Arrays:
    return (_normal(rng, n, dtype, 2.0),)


def counts_rates(n: int, dtype: np.dtype, rng: np.random.Generator) -> Arrays:
    rate = np.exp(rng.standard_normal(n) * 0.5)
    counts = rng.poisson(rate).astype(dtype)
    return counts, (rate * np.exp(rng.standard_normal(n) * 0.1)).astype(dtype)


# --- PyTorch equivalents that are expressions rather than one call -------------------------


def _torch_contrastive(F: Any, y: Any, x1: Any, x2: Any) -> Any:
    d = F.pairwise_distance(x1, x2, eps=0.0)
    return 0.5 * (y * d * d + (1 - y) * (1.0 - d).clamp(min=0) ** 2).mean()


# softplus(x) = log(1 + exp(x)), written for numexpr (which has no softplus)
_SOFTPLUS = "(log1p(exp(-abs({x}))) + where({x} > 0, {x}, 0))"
_SOFTPLUS_NEG = "(log1p(exp(-abs({x}))) + where({x} < 0, -{x}, 0))"

CASES: Dict[str, Case] = {
    # regression
    "mse": Case(regression_pair, "y_pred = y_true + noise",
                torch=lambda F, t, p: F.mse_loss(p, t), numexpr="(y_pred - y_true)**2"),
    "mae": Case(regression_pair, "y_pred = y_true + noise",
                torch=lambda F, t, p: F.l1_loss(p, t), numexpr="abs(y_pred - y_true)"),
    "huber": Case(regression_pair, "y_pred = y_true + noise, delta=1",
                  torch=lambda F, t, p: F.huber_loss(p, t, delta=1.0),
                  numexpr="where(abs(y_pred - y_true) <= 1, 0.5*(y_pred - y_true)**2, "
                          "abs(y_pred - y_true) - 0.5)"),
    "log_cosh": Case(regression_pair, "y_pred = y_true + noise",
                     torch=lambda F, t, p: (p - t).cosh().log().mean(),
                     numexpr="abs(y_pred - y_true) + log1p(exp(-2*abs(y_pred - y_true)))"
                             " - 0.6931471805599453"),
    # classification
    "binary_cross_entropy": Case(
        binary_logits, "logits, targets in {0,1}", {"from_logits": True},
        torch=lambda F, t, x: F.binary_cross_entropy_with_logits(x, t),
        numexpr="where(y_pred > 0, y_pred, 0) - y_pred*y_true + log1p(exp(-abs(y_pred)))"),
    "categorical_cross_entropy": Case(
        onehot_logits, f"logits, one-hot targets, {CLASSES} classes", {"from_logits": True},
        torch=lambda F, t, x: F.cross_entropy(x, t)),
    "sparse_categorical_cross_entropy": Case(
        label_logits, f"logits, int64 labels, {CLASSES} classes", {"from_logits": True},
        torch=lambda F, t, x: F.cross_entropy(x, t)),
    "kl_divergence": Case(
        distributions, f"row-normalized probabilities, {CLASSES} classes",
        torch=lambda F, p, q: F.kl_div(q.log(), p, reduction="batchmean")),
    "hinge": Case(sign_scores, "labels in {-1,+1}",
                  torch=lambda F, t, p: (1 - t * p).clamp(min=0).mean(),
                  numexpr="where(1 - y_true*y_pred > 0, 1 - y_true*y_pred, 0)"),
    # ranking / embeddings
    "contrastive": Case(pair_labels_embeddings,
                        f"labels in {{0,1}}, embeddings of {CLASSES}, margin=1",
                        torch=_torch_contrastive),
    "triplet": Case(triplets, f"embeddings of {CLASSES}, squared=False (PyTorch's form)",
                    {"squared": False},
                    torch=lambda F, a, p, n: F.triplet_margin_loss(a, p, n, margin=1.0)),
    "margin_ranking": Case(ranking_pairs, "labels in {-1,+1}, margin=0",
                           torch=lambda F, y, a, b: F.margin_ranking_loss(a, b, y),
                           numexpr="where(-y_true*(x1 - x2) > 0, -y_true*(x1 - x2), 0)"),
    "cosine_proximity": Case(embedding_rows, f"embeddings of {CLASSES}",
                             torch=lambda F, t, p: -F.cosine_similarity(p, t, dim=-1).mean()),
    # adversarial
    "gan_discriminator": Case(
        real_fake_logits, "logits",
        torch=lambda F, r, f: F.softplus(-r).mean() + F.softplus(f).mean(),
        numexpr=_SOFTPLUS_NEG.format(x="d_real") + " + " + _SOFTPLUS.format(x="d_fake")),
    "gan_generator": Case(fake_logits, "logits, non-saturating",
                          torch=lambda F, f: F.softplus(-f).mean(),
                          numexpr=_SOFTPLUS_NEG.format(x="d_fake")),
    "lsgan_discriminator": Case(
        real_fake_logits, "scores",
        torch=lambda F, r, f: 0.5 * ((r - 1) ** 2).mean() + 0.5 * (f ** 2).mean(),
        numexpr="0.5*(d_real - 1)**2 + 0.5*d_fake**2"),
    "lsgan_generator": Case(fake_logits, "scores", torch=lambda F, f: 0.5 * ((f - 1) ** 2).mean(),
                            numexpr="0.5*(d_fake - 1)**2"),
    "wasserstein_critic": Case(real_fake_logits, "scores",
                               torch=lambda F, r, f: f.mean() - r.mean(),
                               numexpr="d_fake - d_real"),
    "wasserstein_generator": Case(fake_logits, "scores", torch=lambda F, f: -f.mean(),
                                  numexpr="-d_fake"),
    # specialized
    "poisson": Case(counts_rates, "counts, positive rates",
                    torch=lambda F, t, p: F.poisson_nll_loss(p, t, log_input=False, eps=1e-8),
                    numexpr="y_pred - y_true*log(y_pred + 1e-8)"),
}


def case(name: str) -> Optional[Case]:
    """The benchmark case of a loss, or None when it has none yet."""
    return CASES.get(name)
