"""Plain-NumPy versions of every loss, with the same signatures as the fast ones.

They are written the way a NumPy user would write them: the benchmark's baseline, and, run
in float64, the tests' oracle. They favour clarity over speed and do no input validation
beyond what NumPy does.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Tuple, Union

import numpy as np

Result = Union[Any, Tuple[Any, np.ndarray]]


def _finish(
    loss: np.ndarray,
    grad: Optional[Callable[[], np.ndarray]],
    sample_weight: Optional[Any],
    reduction: str,
) -> Result:
    """Applies weights and the reduction to per-element losses (and gradients, if asked)."""
    result = _finish_many(loss, (lambda: (grad(),)) if grad is not None else None,
                          sample_weight, reduction, per_row=False)
    if grad is None:
        return result
    value, (g,) = result
    return value, g


def mse(y_true: Any, y_pred: Any, *, reduction: str = "mean",
        sample_weight: Optional[Any] = None, return_grad: bool = False) -> Result:
    d = np.asarray(y_pred) - np.asarray(y_true)
    return _finish(d * d, (lambda: 2 * d) if return_grad else None, sample_weight, reduction)


def mae(y_true: Any, y_pred: Any, *, reduction: str = "mean",
        sample_weight: Optional[Any] = None, return_grad: bool = False) -> Result:
    d = np.asarray(y_pred) - np.asarray(y_true)
    return _finish(np.abs(d), (lambda: np.sign(d)) if return_grad else None, sample_weight,
                   reduction)


def huber(y_true: Any, y_pred: Any, *, delta: float = 1.0, reduction: str = "mean",
          sample_weight: Optional[Any] = None, return_grad: bool = False) -> Result:
    d = np.asarray(y_pred) - np.asarray(y_true)
    ad = np.abs(d)
    loss = np.where(ad <= delta, 0.5 * d * d, delta * (ad - 0.5 * delta))
    return _finish(loss, (lambda: np.clip(d, -delta, delta)) if return_grad else None,
                   sample_weight, reduction)


def log_cosh(y_true: Any, y_pred: Any, *, reduction: str = "mean",
             sample_weight: Optional[Any] = None, return_grad: bool = False) -> Result:
    d = np.asarray(y_pred) - np.asarray(y_true)
    # Keras' overflow-free form: |d| + log(1 + exp(-2|d|)) - log 2
    loss = np.abs(d) + np.log1p(np.exp(-2 * np.abs(d))) - np.log(2.0)
    return _finish(loss, (lambda: np.tanh(d)) if return_grad else None, sample_weight, reduction)


# --- classification -------------------------------------------------------------------------


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) without overflow: exp is only ever taken of -|x|."""
    e = np.exp(-np.abs(x))
    return np.asarray(np.where(x >= 0, 1 / (1 + e), e / (1 + e)))


def _clamped_log(p: np.ndarray) -> np.ndarray:
    """log(p) clamped at -100, as PyTorch's BCE/NLL on probabilities (log 0 -> -100)."""
    with np.errstate(divide="ignore"):
        return np.asarray(np.maximum(np.log(p), -100))


def _finish_rows(
    loss: np.ndarray,
    grad: Optional[Callable[[], np.ndarray]],
    axis: int,
    sample_weight: Optional[Any],
    reduction: str,
    count: Optional[np.ndarray] = None,
    keep: Optional[np.ndarray] = None,
) -> Result:
    """Applies weights and the reduction to per-row losses of a loss over `axis`.

    `loss` has the row shape; `grad()` returns per-row gradients with the class axis moved
    last. The mean divides by the summed row weights, each row counting `count` (default 1)
    times its sample weight. Rows where `keep` is False (ignored targets) have gradient 0,
    even when the mean has no denominator.
    """
    w = np.ones(loss.shape, dtype=loss.dtype)
    if sample_weight is not None:
        w = np.broadcast_to(np.asarray(sample_weight, dtype=loss.dtype), loss.shape)
    loss = w * loss
    total = (w if count is None else w * count).sum()
    if reduction == "none":
        value = loss
    elif reduction == "sum":
        value = loss.sum()
    else:
        value = loss.sum() / total
    if grad is None:
        return value
    g = w[..., None] * grad()
    if reduction == "mean":
        with np.errstate(divide="ignore", invalid="ignore"):
            g = g / total
    if keep is not None:
        g = np.where(keep[..., None], g, 0)
    return value, np.moveaxis(g, -1, axis)


def binary_cross_entropy(y_true: Any, y_pred: Any, *, from_logits: bool = False,
                         eps: Optional[float] = None, pos_weight: Optional[Any] = None,
                         label_smoothing: float = 0.0, ignore_index: Optional[float] = None,
                         reduction: str = "mean", sample_weight: Optional[Any] = None,
                         return_grad: bool = False) -> Result:
    t = np.asarray(y_true)
    p = np.asarray(y_pred)
    pw = 1.0 if pos_weight is None else np.asarray(pos_weight)
    keep: Optional[np.ndarray] = None
    if ignore_index is not None:
        # Ignored entries get weight 0: out of the sum, the mean's denominator and the grad.
        keep = t != ignore_index
        w = np.ones(p.shape) if sample_weight is None else np.asarray(sample_weight)
        sample_weight = w * keep
        t = np.where(keep, t, 0)
    y = t * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        loss = pw * y * np.logaddexp(0, -p) + (1 - y) * np.logaddexp(0, p)

        def grad() -> np.ndarray:
            return np.asarray(-pw * y * _sigmoid(-p) + (1 - y) * _sigmoid(p))
    elif eps is not None:
        q = np.clip(p, eps, 1 - eps)
        loss = -(pw * y * np.log(q) + (1 - y) * np.log1p(-q))

        def grad() -> np.ndarray:
            inside = (p >= eps) & (p <= 1 - eps)
            return np.asarray(np.where(inside, -pw * y / q + (1 - y) / (1 - q), 0))
    else:
        loss = -(pw * y * _clamped_log(p) + (1 - y) * _clamped_log(1 - p))

        def grad() -> np.ndarray:
            return np.asarray(-pw * y / np.maximum(p, 1e-12) + (1 - y) / np.maximum(1 - p, 1e-12))
    result = _finish(loss, grad if return_grad else None, sample_weight, reduction)
    if return_grad and keep is not None:
        # Ignored entries have gradient 0, even when the mean has no denominator.
        value, g = result
        return value, np.where(keep, g, 0)
    return result


def _log_softmax(x: np.ndarray) -> np.ndarray:
    """log-softmax over the last axis, with the row maximum subtracted first."""
    z = x - x.max(axis=-1, keepdims=True)
    return np.asarray(z - np.log(np.exp(z).sum(axis=-1, keepdims=True)))


def _cross_entropy_rows(x: np.ndarray, a: np.ndarray, from_logits: bool,
                        skip_zero_targets: bool = False) -> Tuple[
        np.ndarray, Callable[[], np.ndarray]]:
    """-Σ_c a_c log p_c per row (classes last) and its gradient with respect to x.

    skip_zero_targets: classes with a_c = 0 add nothing even where log p_c = -inf (a -inf
    logit), as in PyTorch's class-index form; otherwise that term is 0·(-inf) = NaN, as in
    its probability form.
    """
    if from_logits:
        logp = _log_softmax(x)
        with np.errstate(invalid="ignore"):
            terms = a * logp
        if skip_zero_targets:
            terms = np.where(a != 0, terms, 0)
        return (-terms.sum(axis=-1),
                lambda: np.exp(logp) * a.sum(axis=-1, keepdims=True) - a)
    return -(a * _clamped_log(x)).sum(axis=-1), lambda: -a / np.maximum(x, 1e-12)


def categorical_cross_entropy(y_true: Any, y_pred: Any, *, from_logits: bool = False,
                              axis: int = -1, label_smoothing: float = 0.0,
                              class_weight: Optional[Any] = None, reduction: str = "mean",
                              sample_weight: Optional[Any] = None,
                              return_grad: bool = False) -> Result:
    x = np.moveaxis(np.asarray(y_pred), axis, -1)
    y = np.moveaxis(np.asarray(y_true), axis, -1)
    n_classes = x.shape[-1]
    a = (1 - label_smoothing) * y + label_smoothing / n_classes
    if class_weight is not None:
        a = a * np.asarray(class_weight)
    loss, grad = _cross_entropy_rows(x, a, from_logits)
    return _finish_rows(loss, grad if return_grad else None, axis, sample_weight, reduction)


def sparse_categorical_cross_entropy(y_true: Any, y_pred: Any, *, from_logits: bool = False,
                                     axis: int = -1, ignore_index: Optional[int] = None,
                                     class_weight: Optional[Any] = None,
                                     label_smoothing: float = 0.0, reduction: str = "mean",
                                     sample_weight: Optional[Any] = None,
                                     return_grad: bool = False) -> Result:
    x = np.moveaxis(np.asarray(y_pred), axis, -1)
    labels = np.asarray(y_true)
    n_classes = x.shape[-1]
    keep = np.ones(labels.shape, dtype=bool) if ignore_index is None else labels != ignore_index
    labels = np.where(keep, labels, 0)
    cw = np.ones(n_classes) if class_weight is None else np.asarray(class_weight, dtype=float)
    one_hot = labels[..., None] == np.arange(n_classes)
    # PyTorch's smoothing: (1-ε)·w_k·[c == k] + (ε/C)·w_c; ignored rows have no target at all.
    a = ((1 - label_smoothing) * one_hot * cw[labels][..., None]
         + label_smoothing / n_classes * cw) * keep[..., None]
    loss, grad = _cross_entropy_rows(x, a.astype(x.dtype, copy=False), from_logits,
                                     skip_zero_targets=True)
    return _finish_rows(loss, grad if return_grad else None, axis, sample_weight, reduction,
                        count=keep * cw[labels], keep=keep)


def kl_divergence(y_true: Any, y_pred: Any, *, axis: int = -1, log_input: bool = False,
                  reduction: str = "mean", sample_weight: Optional[Any] = None,
                  return_grad: bool = False) -> Result:
    y = np.moveaxis(np.asarray(y_true), axis, -1)
    q = np.moveaxis(np.asarray(y_pred), axis, -1)
    present = y != 0  # 0·log 0 = 0: such terms add nothing to the loss or the gradient
    with np.errstate(divide="ignore", invalid="ignore"):
        log_q = q if log_input else np.log(q)
        terms = np.where(present, y * (np.log(np.where(present, y, 1)) - log_q), 0)
    loss = terms.sum(axis=-1)

    def grad() -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(present, -y if log_input else -y / q, 0)
    return _finish_rows(loss, grad if return_grad else None, axis, sample_weight, reduction)


def hinge(y_true: Any, y_pred: Any, *, reduction: str = "mean",
          sample_weight: Optional[Any] = None, return_grad: bool = False) -> Result:
    t = np.asarray(y_true)
    p = np.asarray(y_pred)
    y = np.where(t == 0, -1, t)  # {0, 1} labels become {-1, +1}
    margin = 1 - y * p
    return _finish(np.maximum(margin, 0),
                   (lambda: np.where(margin > 0, -y, 0).astype(margin.dtype))
                   if return_grad else None, sample_weight, reduction)


# --- ranking and embeddings -----------------------------------------------------------------


def _finish_many(loss: np.ndarray, grads: Optional[Callable[[], Tuple[np.ndarray, ...]]],
                 sample_weight: Optional[Any], reduction: str, per_row: bool) -> Result:
    """`_finish` for losses with several predicted inputs (one gradient each). With
    `per_row`, losses are per row of inputs whose last axis is the embedding."""
    w = None
    if sample_weight is not None:
        w = np.broadcast_to(np.asarray(sample_weight, dtype=loss.dtype), loss.shape)
        loss = w * loss
    if reduction == "none":
        value = loss
    elif reduction == "sum":
        value = loss.sum()
    else:
        value = loss.mean() if w is None else loss.sum() / w.sum()
    if grads is None:
        return value
    scale = np.ones(loss.shape, dtype=loss.dtype) if w is None else w
    if reduction == "mean":
        scale = scale / (loss.size if w is None else w.sum())
    if per_row:
        scale = scale[..., None]
    return value, tuple(scale * g for g in grads())


def contrastive(y_true: Any, x1: Any, x2: Any, *, margin: float = 1.0, reduction: str = "mean",
                sample_weight: Optional[Any] = None, return_grad: bool = False) -> Result:
    y = np.asarray(y_true)
    u = np.asarray(x1) - np.asarray(x2)
    d = np.linalg.norm(u, axis=-1)
    h = np.maximum(margin - d, 0)
    loss = 0.5 * (y * d**2 + (1 - y) * h**2)

    def grads() -> Tuple[np.ndarray, ...]:
        # The dissimilar term has no direction at d = 0: its (sub)gradient is taken as 0.
        pull = np.where(d > 0, (1 - y) * h / np.where(d > 0, d, 1), 0)
        g = (y - pull)[..., None] * u
        return g, -g
    return _finish_many(loss, grads if return_grad else None, sample_weight, reduction, True)


def triplet(anchor: Any, positive: Any, negative: Any, *, margin: float = 1.0,
            squared: bool = True, swap: bool = False, reduction: str = "mean",
            sample_weight: Optional[Any] = None, return_grad: bool = False) -> Result:
    a, p, n = np.asarray(anchor), np.asarray(positive), np.asarray(negative)
    eps = 0.0 if squared else 1e-6  # PyTorch's pairwise_distance adds eps to the difference
    u, v, w = a - p + eps, a - n + eps, p - n + eps

    def dist(z: np.ndarray) -> np.ndarray:
        return np.asarray((z * z).sum(axis=-1) if squared else np.linalg.norm(z, axis=-1))
    d_pos, d_an = dist(u), dist(v)
    d_neg, share = d_an, np.ones(d_an.shape)
    d_pn = d_an
    if swap:
        d_pn = dist(w)
        d_neg = np.minimum(d_an, d_pn)
        share = np.where(d_an < d_pn, 1.0, np.where(d_an == d_pn, 0.5, 0.0))  # ties split
    z = margin + d_pos - d_neg
    loss = np.maximum(z, 0)

    def grads() -> Tuple[np.ndarray, ...]:
        def slope(d: np.ndarray) -> np.ndarray:
            if squared:
                return np.full(d.shape, 2.0)
            return np.where(d > 0, 1 / np.where(d > 0, d, 1), 0)
        active = z >= 0  # PyTorch's clamp_min passes the gradient at 0
        c_ap = (active * slope(d_pos))[..., None]
        c_an = (active * share * slope(d_an))[..., None]
        c_pn = (active * (1 - share) * slope(d_pn))[..., None]
        return c_ap * u - c_an * v, -c_ap * u - c_pn * w, c_an * v + c_pn * w
    return _finish_many(loss, grads if return_grad else None, sample_weight, reduction, True)


def margin_ranking(y_true: Any, x1: Any, x2: Any, *, margin: float = 0.0,
                   reduction: str = "mean", sample_weight: Optional[Any] = None,
                   return_grad: bool = False) -> Result:
    y = np.asarray(y_true)
    z = margin - y * (np.asarray(x1) - np.asarray(x2))
    loss = np.maximum(z, 0)

    def grads() -> Tuple[np.ndarray, ...]:
        g = np.where(z >= 0, -y, 0).astype(z.dtype)
        return g, -g
    return _finish_many(loss, grads if return_grad else None, sample_weight, reduction, False)


def cosine_proximity(y_true: Any, y_pred: Any, *, axis: int = -1, reduction: str = "mean",
                     sample_weight: Optional[Any] = None, return_grad: bool = False) -> Result:
    eps = 1e-8  # each norm clamped below, as torch.nn.functional.cosine_similarity
    x = np.moveaxis(np.asarray(y_true), axis, -1)
    y = np.moveaxis(np.asarray(y_pred), axis, -1)
    ny_raw = np.linalg.norm(y, axis=-1)
    nx = np.maximum(np.linalg.norm(x, axis=-1), eps)
    ny = np.maximum(ny_raw, eps)
    cos = (x * y).sum(axis=-1) / nx / ny

    def grad() -> np.ndarray:
        k = np.where(ny_raw >= eps, cos / ny**2, 0)  # the clamped norm is constant below eps
        return np.asarray(-(x / (nx * ny)[..., None] - k[..., None] * y))
    return _finish_rows(-cos, grad if return_grad else None, axis, sample_weight, reduction)


# --- adversarial ------------------------------------------------------------------------------


Term = Tuple[np.ndarray, Callable[[], np.ndarray]]


def _bce_to(d: Any, target: float, from_logits: bool) -> Term:
    """BCE of every output against one target, and its gradient."""
    x = np.asarray(d)
    if from_logits:
        return np.logaddexp(0, x) - target * x, lambda: _sigmoid(x) - target
    with np.errstate(divide="ignore"):
        log_1mx = np.maximum(np.log1p(-x), -100)
    loss = -(target * _clamped_log(x) + (1 - target) * log_1mx)
    return loss, lambda: -target / np.maximum(x, 1e-12) + (1 - target) / np.maximum(1 - x, 1e-12)


def _finish_pair(real: Term, fake: Term, sample_weight: Optional[Any], reduction: str,
                 return_grad: bool) -> Result:
    """Discriminator losses: "mean" is mean over real + mean over fake, "sum" the total,
    "none" the pair of per-sample arrays; weights are a pair (w_real, w_fake)."""
    w_real, w_fake = (None, None) if sample_weight is None else sample_weight
    r = _finish(real[0], real[1] if return_grad else None, w_real, reduction)
    f = _finish(fake[0], fake[1] if return_grad else None, w_fake, reduction)
    if not return_grad:
        return (r, f) if reduction == "none" else r + f
    (vr, gr), (vf, gf) = r, f
    return ((vr, vf) if reduction == "none" else vr + vf), (gr, gf)


def _negated(term: Term) -> Term:
    loss, grad = term
    return -loss, lambda: -grad()


def gan_discriminator(d_real: Any, d_fake: Any, *, from_logits: bool = True,
                      label_smoothing: float = 0.0, reduction: str = "mean",
                      sample_weight: Optional[Any] = None, return_grad: bool = False) -> Result:
    return _finish_pair(_bce_to(d_real, 1 - label_smoothing, from_logits),
                        _bce_to(d_fake, 0.0, from_logits), sample_weight, reduction, return_grad)


def gan_generator(d_fake: Any, *, from_logits: bool = True, saturating: bool = False,
                  reduction: str = "mean", sample_weight: Optional[Any] = None,
                  return_grad: bool = False) -> Result:
    loss, grad = (_negated(_bce_to(d_fake, 0.0, from_logits)) if saturating
                  else _bce_to(d_fake, 1.0, from_logits))
    return _finish(loss, grad if return_grad else None, sample_weight, reduction)


def _squares(d: Any, target: float) -> Term:
    diff = np.asarray(d) - target
    return 0.5 * diff**2, lambda: diff


def lsgan_discriminator(d_real: Any, d_fake: Any, *, real_label: float = 1.0,
                        fake_label: float = 0.0, reduction: str = "mean",
                        sample_weight: Optional[Any] = None, return_grad: bool = False) -> Result:
    return _finish_pair(_squares(d_real, real_label), _squares(d_fake, fake_label),
                        sample_weight, reduction, return_grad)


def lsgan_generator(d_fake: Any, *, target: float = 1.0, reduction: str = "mean",
                    sample_weight: Optional[Any] = None, return_grad: bool = False) -> Result:
    loss, grad = _squares(d_fake, target)
    return _finish(loss, grad if return_grad else None, sample_weight, reduction)


def _linear(d: Any, sign: float) -> Term:
    x = np.asarray(d)
    return sign * x, lambda: np.full(x.shape, sign, dtype=x.dtype)


def wasserstein_critic(d_real: Any, d_fake: Any, *, reduction: str = "mean",
                       sample_weight: Optional[Any] = None, return_grad: bool = False) -> Result:
    return _finish_pair(_linear(d_real, -1.0), _linear(d_fake, 1.0), sample_weight, reduction,
                        return_grad)


def wasserstein_generator(d_fake: Any, *, reduction: str = "mean",
                          sample_weight: Optional[Any] = None,
                          return_grad: bool = False) -> Result:
    loss, grad = _linear(d_fake, -1.0)
    return _finish(loss, grad if return_grad else None, sample_weight, reduction)


# --- counts -----------------------------------------------------------------------------------


def poisson(y_true: Any, y_pred: Any, *, log_input: bool = False, full: bool = False,
            eps: float = 1e-8, reduction: str = "mean", sample_weight: Optional[Any] = None,
            return_grad: bool = False) -> Result:
    t = np.asarray(y_true)
    p = np.asarray(y_pred)
    if log_input:
        loss = np.exp(p) - t * p

        def grad() -> np.ndarray:
            return np.asarray(np.exp(p) - t)
    else:
        loss = p - t * np.log(p + eps)

        def grad() -> np.ndarray:
            return np.asarray(1 - t / (p + eps))
    if full:  # Stirling's approximation of log(y!) where y > 1, as PyTorch
        with np.errstate(divide="ignore", invalid="ignore"):
            stirling = t * np.log(t) - t + 0.5 * np.log(2 * np.pi * t)
        loss = loss + np.where(t > 1, stirling, 0)
    return _finish(loss, grad if return_grad else None, sample_weight, reduction)


# Every public function of this module, in definition order: one per loss.
__all__ = [name for name, value in list(globals().items())
           if callable(value) and not name.startswith("_") and value.__module__ == __name__
           and not isinstance(value, type)]
