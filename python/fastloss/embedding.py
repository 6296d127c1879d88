"""Ranking and embedding losses: contrastive, triplet, margin ranking, cosine proximity.

Embeddings are the last axis of their arrays: ``(N, D)`` matrices (or any ``(..., D)``
stack, or a single ``(D,)`` vector), one loss per row, so ``"none"`` returns the shape
without the last axis and ``"mean"`` averages rows (weighted by ``sample_weight``, one
weight per row). Distances and norms are computed inside the kernel in one pass over the
inputs; no difference array is formed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, List, Optional, Sequence, Tuple

import numpy as np

from . import _args, _registry
from ._args import ArrayLike, Result, Rows

# PyTorch's defaults: eps added to differences in pairwise_distance (triplet_margin_loss,
# squared=False) and the clamp of each norm in cosine_similarity.
TRIPLET_EPS = 1e-6
COSINE_EPS = 1e-8


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

    def finish(self, result: _args.KernelResult, reduction: str, return_grad: bool,
               invalid: Optional[Callable[[int], Exception]] = None) -> Result:
        return _args.finish(
            result, reduction, self.dtype, return_grad, count=self.rows, weighted=True,
            per_sample=lambda out: out.reshape(self.batch_shape),
            grads=lambda grads: tuple(_args.grad_like_input(g, dtype).reshape(self.shape)
                                      for g, dtype in zip(grads, self.input_dtypes)),
            invalid=invalid)


@_registry.loss
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
    margin : float >= 0, default 1.0
        ``m``: how far apart dissimilar pairs are pushed; finite (else ``ValueError``).
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns per-row losses of shape ``(...)``; ``"mean"`` averages rows,
        ``Σ wᵢℓᵢ / Σ wᵢ`` with weights; ``"sum"`` is ``Σ wᵢℓᵢ``.
    sample_weight : array_like, optional
        One weight per row, broadcastable to ``(...)``.
    return_grad : bool, default False
        Also return ``(grad_x1, grad_x2)``, each of the shape of ``x1``.

    Returns
    -------
    loss : NumPy scalar, or ndarray for ``reduction="none"``
        ``"mean"`` and ``"sum"``: a NumPy scalar of the compute dtype (NaN and 0 when
        there are no rows); ``"none"``: the per-row losses ``wᵢℓᵢ``, shape ``(...)``.
    grads : tuple of two ndarrays, only with ``return_grad=True``
        ``(grad_x1, grad_x2)``, the gradients of ``loss`` (for ``"none"``, of the sum of
        the returned losses) with respect to ``x1`` and ``x2``, weights included, each of
        the shape of ``x1``. The call returns ``(loss, (grad_x1, grad_x2))``.

    Notes
    -----
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
    >>> fastloss.contrastive(np.array([1]), x1[:1], x2[:1], return_grad=True)
    (np.float64(12.5), (array([[-3., -4.]]), array([[3., 4.]])))
    """
    reduction = _args.check_reduction(reduction)
    return_grad = _args.check_flag(return_grad, "return_grad")
    margin = _args.check_finite(margin, "margin", minimum=0)
    t = _args.as_array(y_true, "y_true")
    _args.check_numeric(t, "y_true")
    emb = _Embeddings([(x1, "x1"), (x2, "x2")], others=[t])
    if t.shape != emb.batch_shape:
        raise _args.DataError("y_true must hold one label per embedding row: expected shape "
                              "$per_sample (x1.shape without the last axis), got $y_true",
                              per_sample=emb.batch_shape, y_true=t.shape)
    labels = _args.as_kernel_input(t, emb.dtype).reshape(-1)
    x1_rows, x2_rows = emb.matrices
    result = _args.run_kernel("contrastive", (x1_rows, x2_rows), labels,
                              emb.row_weights(sample_weight), reduction, return_grad,
                              {"margin": margin})

    def invalid(row: int) -> Exception:
        return _args.DataError(f"y_true must hold labels in [0, 1] (1 similar, 0 dissimilar); "
                               f"found {_args.show(t.flat[row])} at index $index",
                               index=_args.position(t.shape, row))

    return emb.finish(result, reduction, return_grad, invalid)


@_registry.loss
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
    squared : bool, default True
        Squared Euclidean distances (True) or PyTorch's ``pairwise_distance`` (False).
    swap : bool, default False
        Use the distance swap ``d_neg = min(d(a, n), d(p, n))``.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns per-triplet losses of shape ``(...)``; ``"mean"`` averages them,
        ``Σ wᵢℓᵢ / Σ wᵢ`` with weights; ``"sum"`` is ``Σ wᵢℓᵢ``.
    sample_weight : array_like, optional
        One weight per triplet, broadcastable to ``(...)``.
    return_grad : bool, default False
        Also return ``(grad_anchor, grad_positive, grad_negative)``.

    Returns
    -------
    loss : NumPy scalar, or ndarray for ``reduction="none"``
        ``"mean"`` and ``"sum"``: a NumPy scalar of the compute dtype (NaN and 0 when
        there are no triplets); ``"none"``: the per-triplet losses ``wᵢℓᵢ``, shape
        ``(...)``.
    grads : tuple of three ndarrays, only with ``return_grad=True``
        ``(grad_anchor, grad_positive, grad_negative)``, the gradients of ``loss`` (for
        ``"none"``, of the sum of the returned losses), weights included, each of the
        shape of ``anchor``. The call returns ``(loss, grads)``.

    Notes
    -----
    Keras has no built-in (TensorFlow Addons' ``TripletSemiHardLoss`` mines triplets in a
    batch, which is a different loss). PyTorch's equivalent of ``squared=False`` is given
    above.

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
    >>> loss, grads = fastloss.triplet(a, p, n, margin=2.0, reduction="sum", return_grad=True)
    >>> grads[0]  # 2·(n - p) on the active first row
    array([[-2.,  3.],
           [ 0.,  0.]])
    """
    reduction = _args.check_reduction(reduction)
    return_grad = _args.check_flag(return_grad, "return_grad")
    margin = _args.check_finite(margin, "margin", minimum=0)
    squared = _args.check_flag(squared, "squared")
    swap = _args.check_flag(swap, "swap")
    emb = _Embeddings([(anchor, "anchor"), (positive, "positive"), (negative, "negative")])
    a_rows, p_rows, n_rows = emb.matrices
    options = {"margin": margin, "squared": squared, "swap": swap, "eps": TRIPLET_EPS}
    result = _args.run_kernel("triplet", (a_rows, p_rows, n_rows), None,
                              emb.row_weights(sample_weight), reduction, return_grad, options)
    return emb.finish(result, reduction, return_grad)


@_registry.loss
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
        Labels in {-1, 1}, and the two scores of each sample.
    margin : float, default 0.0
        ``m``: the required gap between the scores; any finite number (else
        ``ValueError``).
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` is ``Σ wᵢℓᵢ / Σ wᵢ`` (unweighted: the mean over all elements),
        ``"sum"`` is ``Σ wᵢℓᵢ``, ``"none"`` returns ``wᵢℓᵢ`` with the shape of the inputs.
    sample_weight : array_like, optional
        Weights broadcastable to the shape of the inputs.
    return_grad : bool, default False
        Also return ``(grad_x1, grad_x2)``.

    Returns
    -------
    loss : NumPy scalar, or ndarray for ``reduction="none"``
        ``"mean"`` and ``"sum"``: a NumPy scalar of the compute dtype (NaN and 0 for an
        empty input); ``"none"``: the array ``wᵢℓᵢ`` with the shape of the inputs.
    grads : tuple of two ndarrays, only with ``return_grad=True``
        ``(grad_x1, grad_x2)``, the gradients of ``loss`` (for ``"none"``, of the sum of
        the returned losses) with respect to ``x1`` and ``x2``, weights included, each of
        the shape of the inputs. The call returns ``(loss, (grad_x1, grad_x2))``.

    Notes
    -----
    Equivalent to ``torch.nn.functional.margin_ranking_loss(x1, x2, y_true, margin=margin)``
    (note PyTorch's argument order). Keras has no built-in.

    Examples
    --------
    >>> import numpy as np, fastloss
    >>> y = np.array([1, -1, 1])
    >>> fastloss.margin_ranking(y, np.array([0.5, 0.9, 2.0]), np.array([0.0, 0.2, 2.5]),
    ...                         margin=0.1, reduction="none")
    array([0. , 0.8, 0.6])
    >>> fastloss.margin_ranking(y, np.array([0.5, 0.9, 2.0]), np.array([0.0, 0.2, 2.5]),
    ...                         margin=0.1, reduction="sum", return_grad=True)
    (np.float64(1.4), (array([ 0.,  1., -1.]), array([ 0., -1.,  1.])))
    """
    reduction = _args.check_reduction(reduction)
    return_grad = _args.check_flag(return_grad, "return_grad")
    margin = _args.check_finite(margin, "margin")
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
    result = _args.run_kernel(
        "margin_ranking", (_args.as_kernel_input(a1, dtype), _args.as_kernel_input(a2, dtype)),
        _args.as_kernel_input(t, dtype), w, reduction, return_grad, {"margin": margin})

    def invalid(i: int) -> Exception:
        return _args.DataError(f"y_true must hold labels in {{-1, 1}} (1: x1 ranks higher); "
                               f"found {_args.show(t.flat[i])} at index $index",
                               index=_args.position(t.shape, i))

    return _args.finish(
        result, reduction, dtype, return_grad, count=a1.size, weighted=w is not None,
        grads=lambda grads: tuple(_args.grad_like_input(g, a.dtype)
                                  for g, a in zip(grads, (a1, a2))),
        invalid=invalid)


@_registry.loss
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
    y_true, y_pred : array_like, same shape, at least 1-d
        Target and predicted vectors along ``axis`` (at least one element along it).
    axis : int, default -1
        The vector axis. ``"none"`` returns the shape without it; ``"mean"`` averages rows.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` is ``Σ wᵢℓᵢ / Σ wᵢ`` over rows (unweighted: the mean over rows),
        ``"sum"`` is ``Σ wᵢℓᵢ``, ``"none"`` returns ``wᵢℓᵢ`` per row.
    sample_weight : array_like, optional
        One weight per row, broadcastable to the shape of ``y_pred`` without ``axis``.
    return_grad : bool, default False
        Also return the gradient with respect to ``y_pred``, computed in the same pass.

    Returns
    -------
    loss : NumPy scalar, or ndarray for ``reduction="none"``
        ``"mean"`` and ``"sum"``: a NumPy scalar of the compute dtype (NaN and 0 when
        there are no rows); ``"none"``: the per-row losses with the shape of ``y_pred``
        without ``axis``.
    grad : ndarray, only with ``return_grad=True``
        The gradient of ``loss`` (for ``"none"``, of the sum of the returned losses) with
        respect to ``y_pred``, weights included, with the shape of ``y_pred`` (float16 for
        a float16 ``y_pred``, else the compute dtype). The call returns ``(loss, grad)``.

    Notes
    -----
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
    >>> loss, grad = fastloss.cosine_proximity(np.array([[1.0, 0.0]]), np.array([[1.0, 1.0]]),
    ...                                        return_grad=True)
    >>> round(float(loss), 6), grad.round(6)
    (-0.707107, array([[-0.353553,  0.353553]]))
    """
    reduction = _args.check_reduction(reduction)
    return_grad = _args.check_flag(return_grad, "return_grad")
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
    result = _args.run_kernel("cosine_proximity", (rows.matrix,), rows.like(t, dtype),
                              None if sw is None else sw.reshape(-1), reduction, return_grad,
                              {"eps": COSINE_EPS})
    return _args.row_result(result, rows, reduction, dtype, return_grad)


if not TYPE_CHECKING:  # type checkers read the functions above
    __all__ = _registry.exports(__name__)  # noqa: PLE0605 - built from the @loss declarations
