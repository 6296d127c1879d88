"""Ranking and embedding losses: contrastive, triplet, margin ranking, cosine proximity.

Embeddings are the last axis of their arrays: ``(N, D)`` matrices (or any ``(..., D)``
stack, or a single ``(D,)`` vector), one loss per row, so ``"none"`` returns the shape
without the last axis and ``"mean"`` averages rows (weighted by ``sample_weight``, one
weight per row). Distances and norms are computed inside the kernel in one pass over the
inputs; no difference array is formed.
"""

from __future__ import annotations

import math
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _args, _core
from ._args import ArrayLike, LossResult, Rows

__all__ = ["contrastive", "triplet", "margin_ranking", "cosine_proximity"]

Result = Union[LossResult, Tuple[LossResult, Any]]

# PyTorch's defaults: eps added to differences in pairwise_distance (triplet_margin_loss,
# squared=False) and the clamp of each norm in cosine_similarity.
TRIPLET_EPS = 1e-6
COSINE_EPS = 1e-8


def _check_margin(value: Any, name: str, allow_negative: bool) -> float:
    number = _args.check_number(value, name)
    if not math.isfinite(number) or (number < 0 and not allow_negative):
        what = "a finite number" if allow_negative else "a finite number >= 0"
        raise ValueError(f"{name} must be {what}, got {_args.show(value)}")
    return number


class _Embeddings:
    """Same-shape arrays of embeddings along the last axis, as (rows, dim) matrices."""

    def __init__(self, arrays: Sequence[Tuple[ArrayLike, str]],
                 others: Sequence[np.ndarray] = ()) -> None:
        converted = []
        for x, name in arrays:
            a = _args.as_array(x, name)
            _args.check_numeric(a, name)
            converted.append(a)
        first, first_name = converted[0], arrays[0][1]
        for a, (_, name) in zip(converted[1:], arrays[1:]):
            _args.check_same_shape(first, a, first_name, name)
        names = " and ".join(name for _, name in arrays)
        if first.ndim == 0:
            raise ValueError(f"{names} must have at least 1 dimension (the embedding axis, "
                             f"last), got scalars")
        if first.shape[-1] == 0:
            raise _args.DataError(f"{names} must have at least one embedding dimension along "
                                  f"the last axis; got shape ${first_name}",
                                  **{first_name: first.shape})
        self.input_dtypes = [a.dtype for a in converted]
        self.dtype = _args.compute_dtype(*converted, *others)
        self.shape: Tuple[int, ...] = first.shape
        self.batch_shape: Tuple[int, ...] = first.shape[:-1]
        self.dim = int(first.shape[-1])
        self.matrices = [_args.as_kernel_input(a, self.dtype).reshape(-1, self.dim)
                         for a in converted]
        self.rows = self.matrices[0].shape[0]

    def row_weights(self, sample_weight: Optional[ArrayLike]) -> Optional[np.ndarray]:
        w = _args.prepare_weight(sample_weight, self.batch_shape, self.dtype)
        return None if w is None else w.reshape(-1)

    def finish(self, result: Tuple[float, float, int, Optional[np.ndarray], Any],
               reduction: str, return_grad: bool,
               invalid: Optional[Callable[[int], Exception]] = None) -> Result:
        loss_sum, weight_sum, first_invalid, per_row, grads = result
        if first_invalid >= 0:
            assert invalid is not None
            raise invalid(first_invalid)
        if per_row is not None:
            per_row = per_row.reshape(self.batch_shape)
        value = _args.reduce(loss_sum, weight_sum, self.rows, per_row, reduction, self.dtype,
                             True)
        if return_grad:
            assert grads is not None
            return value, tuple(_args.grad_like_input(g, dtype).reshape(self.shape)
                                for g, dtype in zip(grads, self.input_dtypes))
        return value


def contrastive(
    y_true: ArrayLike,
    x1: ArrayLike,
    x2: ArrayLike,
    *,
    margin: float = 1.0,
    reduction: str = "mean",
    sample_weight: Optional[ArrayLike] = None,
    return_grad: bool = False,
) -> Result:
    """Contrastive loss of pairs of embeddings (Hadsell, Chopra & LeCun, 2006).

    For rows ``x1ᵢ, x2ᵢ`` with Euclidean distance ``dᵢ = ‖x1ᵢ - x2ᵢ‖₂`` and label ``yᵢ``
    (1 similar, 0 dissimilar):

    .. math:: \\ell_i = \\tfrac12 \\left[ y_i d_i^2 + (1 - y_i) \\max(0, m - d_i)^2 \\right]

    Similar pairs are pulled together, dissimilar pairs pushed at least ``margin`` apart.
    The gradients are ``∂ℓ/∂x1 = (y - (1 - y)·max(0, m - d)/d)·(x1 - x2) = -∂ℓ/∂x2``; at
    ``d = 0`` the second term's gradient is taken as 0 (a subgradient; the pair has no
    direction to be pushed along).

    Parameters
    ----------
    y_true : array_like, shape (...)
        Labels in [0, 1] (1 similar, 0 dissimilar; soft labels interpolate), one per row.
        Values outside [0, 1] raise ``ValueError`` naming the first offending row.
    x1, x2 : array_like, shape (..., D)
        Embeddings along the last axis, same shape.
    margin : float >= 0
    reduction : {"mean", "sum", "none"}
        ``"none"`` returns per-row losses of shape ``(...)``; ``"mean"`` averages rows,
        ``Σ wᵢℓᵢ / Σ wᵢ`` with weights.
    sample_weight : array_like, optional
        One weight per row, broadcastable to ``(...)``.
    return_grad : bool
        Also return ``(grad_x1, grad_x2)``, each of the shape of ``x1``.

    The distances are computed inside the kernel in one pass over both matrices. PyTorch
    has no built-in; the equivalent is ``d = torch.nn.functional.pairwise_distance(x1, x2,
    eps=0)`` then ``0.5 * (y * d**2 + (1 - y) * F.relu(margin - d)**2)``. TensorFlow Addons'
    ``tfa.losses.contrastive_loss(y, d, margin)`` is twice this value.

    Examples
    --------
    >>> import numpy as np, fastloss
    >>> x1 = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 3.0]])
    >>> x2 = np.array([[3.0, 4.0], [1.0, 1.5], [0.0, 2.0]])
    >>> fastloss.contrastive(np.array([1, 0, 0]), x1, x2, margin=2.0, reduction="none")
    array([12.5  ,  1.125,  0.5  ])
    """
    _args.check_reduction(reduction)
    margin = _check_margin(margin, "margin", allow_negative=False)
    t = _args.as_array(y_true, "y_true")
    _args.check_numeric(t, "y_true")
    emb = _Embeddings([(x1, "x1"), (x2, "x2")], others=[t])
    if t.shape != emb.batch_shape:
        raise _args.DataError("y_true must hold one label per embedding row: expected shape "
                              "$per_sample (x1.shape without the last axis), got $y_true",
                              per_sample=emb.batch_shape, y_true=t.shape)
    labels = _args.as_kernel_input(t, emb.dtype).reshape(-1)
    x1_rows, x2_rows = emb.matrices
    result = _core.contrastive(labels, x1_rows, x2_rows, emb.row_weights(sample_weight),
                               reduction == "none", bool(return_grad), reduction == "mean",
                               margin)

    def invalid(row: int) -> Exception:
        return _args.DataError(f"y_true must hold labels in [0, 1] (1 similar, 0 dissimilar); "
                               f"found {_args.show(t.flat[row])} at index $index",
                               index=_args.position(t.shape, row))

    return emb.finish(result, reduction, bool(return_grad), invalid)


def triplet(
    anchor: ArrayLike,
    positive: ArrayLike,
    negative: ArrayLike,
    *,
    margin: float = 1.0,
    squared: bool = True,
    swap: bool = False,
    reduction: str = "mean",
    sample_weight: Optional[ArrayLike] = None,
    return_grad: bool = False,
) -> Result:
    """Triplet margin loss of (anchor, positive, negative) embeddings.

    .. math:: \\ell_i = \\max(0,\\ m + d(a_i, p_i) - d(a_i, n_i))

    - ``squared=True`` (default, the textbook form of FaceNet): ``d(u, v) = ‖u - v‖₂²``.
    - ``squared=False``: exactly ``torch.nn.functional.triplet_margin_loss(anchor, positive,
      negative, margin=margin, p=2, eps=1e-6, swap=swap)``, whose distance is PyTorch's
      ``pairwise_distance``: ``d(u, v) = ‖u - v + ε‖₂`` with ``ε = 1e-6`` added to every
      component of the difference (so identical embeddings are ``ε·√D`` apart, never 0, and
      the gradient is defined everywhere: ``(u - v + ε)/d``).

    ``swap=True`` uses the distance swap of Balntas et al. (as PyTorch):
    ``d_neg = min(d(a, n), d(p, n))``; on a tie the gradient is split evenly between both
    (PyTorch's ``min``). At the hinge's kink (argument exactly 0) the gradient is that of
    the linear piece, as PyTorch's ``clamp_min``.

    Parameters
    ----------
    anchor, positive, negative : array_like, shape (..., D), same shape
        Embeddings along the last axis.
    margin : float >= 0
        (PyTorch requires ``margin > 0``; 0 is allowed here.)
    squared, swap : bool
    reduction : {"mean", "sum", "none"}
        ``"none"`` returns per-triplet losses of shape ``(...)``; ``"mean"`` averages them.
    sample_weight : array_like, optional
        One weight per triplet, broadcastable to ``(...)``.
    return_grad : bool
        Also return ``(grad_anchor, grad_positive, grad_negative)``.

    Keras has no built-in (TensorFlow Addons' ``TripletSemiHardLoss`` mines triplets in a
    batch, which is a different loss).

    Examples
    --------
    >>> import numpy as np, fastloss
    >>> a = np.array([[0.0, 0.0], [1.0, 0.0]])
    >>> p = np.array([[1.0, 0.0], [1.0, 1.0]])
    >>> n = np.array([[0.0, 1.5], [4.0, 4.0]])
    >>> fastloss.triplet(a, p, n, reduction="none")
    array([0., 0.])
    >>> fastloss.triplet(a, p, n, margin=2.0, reduction="none")
    array([0.75, 0.  ])
    >>> round(float(fastloss.triplet(a, p, n, margin=1.0, squared=False)), 6)
    0.25
    """
    _args.check_reduction(reduction)
    margin = _check_margin(margin, "margin", allow_negative=False)
    squared = _args.check_flag(squared, "squared")
    swap = _args.check_flag(swap, "swap")
    emb = _Embeddings([(anchor, "anchor"), (positive, "positive"), (negative, "negative")])
    a_rows, p_rows, n_rows = emb.matrices
    result = _core.triplet(a_rows, p_rows, n_rows, emb.row_weights(sample_weight),
                           reduction == "none", bool(return_grad), reduction == "mean", margin,
                           squared, swap, TRIPLET_EPS)
    return emb.finish(result, reduction, bool(return_grad))


def margin_ranking(
    y_true: ArrayLike,
    x1: ArrayLike,
    x2: ArrayLike,
    *,
    margin: float = 0.0,
    reduction: str = "mean",
    sample_weight: Optional[ArrayLike] = None,
    return_grad: bool = False,
) -> Result:
    """Margin ranking loss of two scores per sample.

    .. math:: \\ell_i = \\max(0,\\ -y_i (x1_i - x2_i) + m)

    ``y = 1`` says ``x1`` should rank higher than ``x2``, ``y = -1`` the opposite. Labels
    other than -1 and 1 raise ``ValueError`` naming the first offending index (a 0/1 label
    would silently mean "no preference" or the wrong order). Elementwise: ``"none"`` keeps
    the shape of the inputs. The gradients are ``∂ℓ/∂x1 = -y = -∂ℓ/∂x2`` where the hinge
    argument is ``>= 0`` (at the kink the linear piece's, as PyTorch) and 0 elsewhere.

    Parameters
    ----------
    y_true, x1, x2 : array_like, same shape
    margin : float
    reduction, sample_weight
        As for every elementwise loss.
    return_grad : bool
        Also return ``(grad_x1, grad_x2)``.

    Equivalent to ``torch.nn.functional.margin_ranking_loss(x1, x2, y_true, margin=margin)``
    (note PyTorch's argument order). Keras has no built-in.

    Examples
    --------
    >>> import numpy as np, fastloss
    >>> y = np.array([1, -1, 1])
    >>> fastloss.margin_ranking(y, np.array([0.5, 0.9, 2.0]), np.array([0.0, 0.2, 2.5]),
    ...                         margin=0.1, reduction="none")
    array([0. , 0.8, 0.6])
    """
    _args.check_reduction(reduction)
    margin = _check_margin(margin, "margin", allow_negative=True)
    arrays: List[np.ndarray] = []
    for x, name in ((y_true, "y_true"), (x1, "x1"), (x2, "x2")):
        a = _args.as_array(x, name)
        _args.check_numeric(a, name)
        arrays.append(a)
    t, a1, a2 = arrays
    _args.check_same_shape(t, a1, "y_true", "x1")
    _args.check_same_shape(a1, a2, "x1", "x2")
    dtype = _args.compute_dtype(a1, a2, t)
    w = _args.prepare_weight(sample_weight, a1.shape, dtype)
    loss_sum, weight_sum, first_invalid, per, grads = _core.margin_ranking(
        _args.as_kernel_input(t, dtype), _args.as_kernel_input(a1, dtype),
        _args.as_kernel_input(a2, dtype), w, reduction == "none", bool(return_grad),
        reduction == "mean", margin)
    if first_invalid >= 0:
        raise _args.DataError(f"y_true must hold labels in {{-1, 1}} (1: x1 ranks higher); "
                              f"found {_args.show(t.flat[first_invalid])} at index $index",
                              index=_args.position(t.shape, first_invalid))
    value = _args.reduce(loss_sum, weight_sum, a1.size, per, reduction, dtype, w is not None)
    if return_grad:
        assert grads is not None
        return value, tuple(_args.grad_like_input(g, a.dtype) for g, a in zip(grads, (a1, a2)))
    return value


def cosine_proximity(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    axis: int = -1,
    reduction: str = "mean",
    sample_weight: Optional[ArrayLike] = None,
    return_grad: bool = False,
) -> Result:
    """Negative cosine similarity of the rows of ``y_true`` and ``y_pred`` along ``axis``.

    .. math:: \\ell_i = -\\frac{x_i \\cdot y_i}{\\max(\\|x_i\\|_2, \\varepsilon)\\,
              \\max(\\|y_i\\|_2, \\varepsilon)}, \\qquad \\varepsilon = 10^{-8}

    with ``x = y_true`` and ``y = y_pred``: each norm is clamped separately, exactly as
    ``torch.nn.functional.cosine_similarity`` (PyTorch ≥ 1.12 computes
    ``Σ (x / max(‖x‖, ε))·(y / max(‖y‖, ε))``, the same number). A zero vector therefore gives
    0, never NaN. The loss is in [-1, 1]; -1 means the same direction.

    The gradient with respect to ``y_pred`` is
    ``-(x / (n_x n_y) - cos · y / n_y²)`` with ``n = max(‖·‖, ε)``; where ``‖y‖ < ε`` the
    clamped norm is constant and the second term vanishes (PyTorch's autograd instead
    differentiates the unclamped norm there, which differs only for ``0 < ‖y‖ < 1e-8``; for
    zero vectors both give ``-x / (n_x ε)``).

    Parameters
    ----------
    y_true, y_pred : array_like, same shape
    axis : int
        The vector axis. ``"none"`` returns the shape without it; ``"mean"`` averages rows.
    reduction, sample_weight, return_grad
        As for every loss; ``sample_weight`` has one weight per row.

    Equivalent to ``-torch.nn.functional.cosine_similarity(y_pred, y_true, dim=axis)`` and to
    ``keras.losses.CosineSimilarity(axis=axis)`` (Keras clamps ``‖·‖²`` at 1e-12, i.e. the
    norms at 1e-6, which differs only for tiny vectors).

    Examples
    --------
    >>> import numpy as np, fastloss
    >>> y_true = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    >>> y_pred = np.array([[2.0, 0.0], [1.0, -1.0], [3.0, 4.0]])
    >>> fastloss.cosine_proximity(y_true, y_pred, reduction="none")
    array([-1.,  0.,  0.])
    """
    _args.check_reduction(reduction)
    p = _args.as_array(y_pred, "y_pred")
    _args.check_numeric(p, "y_pred")
    t = _args.as_array(y_true, "y_true")
    _args.check_numeric(t, "y_true")
    _args.check_same_shape(t, p, "y_true", "y_pred")
    axis = _args.normalize_axis(axis, p.ndim)
    if p.shape[axis] == 0:
        raise _args.DataError(f"y_pred must have at least one element along axis {axis}; "
                              f"got shape $y_pred", y_pred=p.shape)
    dtype = _args.compute_dtype(t, p)
    rows = Rows(p, axis, dtype)
    sw = _args.prepare_weight(sample_weight, rows.batch_shape, dtype)
    result = _core.cosine_proximity(rows.like(t, dtype), rows.matrix,
                                    None if sw is None else sw.reshape(-1),
                                    reduction == "none", bool(return_grad), reduction == "mean",
                                    COSINE_EPS)
    return _args.row_result(result, rows, reduction, dtype, bool(return_grad))
