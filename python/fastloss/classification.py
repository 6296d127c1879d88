"""Classification losses: binary, categorical and sparse cross-entropy, KL divergence, hinge."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Tuple

import numpy as np

from . import _args, _registry
from ._args import ArrayLike, Result, Rows


def _out_of_range(name: str, what: str, a: np.ndarray, flat_index: int,
                  hint: str = "") -> Exception:
    return _args.DataError(f"{name} must hold {what}; found {_args.show(a.flat[flat_index])} "
                           f"at index $index{hint}", index=_args.position(a.shape, flat_index))


@_registry.loss
def binary_cross_entropy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    from_logits: bool = False,
    eps: Optional[float] = None,
    pos_weight: Optional[ArrayLike] = None,
    label_smoothing: float = 0.0,
    ignore_index: Optional[float] = None,
    reduction: str = "mean",
    sample_weight: Optional[ArrayLike] = None,
    return_grad: bool = False,
) -> Result:
    """Binary cross-entropy of targets in [0, 1] against probabilities or logits.

    With ``y = (1 - ε)·y_true + ε/2`` (``ε = label_smoothing``, as Keras) and ``w⁺ = pos_weight``:

    - probabilities ``p``: ``l = -[w⁺·y·log p + (1 - y)·log(1 - p)]`` with each log clamped at
      -100 (PyTorch). With ``eps`` the probabilities are clipped to ``[eps, 1 - eps]`` first
      (Keras uses 1e-7) and the gradient is 0 where clipping is active. The gradient is
      ``-w⁺·y / max(p, 1e-12) + (1 - y) / max(1 - p, 1e-12)``.
    - logits ``x`` (``from_logits=True``): ``l = w⁺·y·softplus(-x) + (1 - y)·softplus(x)``,
      computed stably (``max(x, 0) - x·y + log1p(exp(-|x|))`` for ``w⁺ = 1``); gradient
      ``(1 - y)·σ(x) - w⁺·y·σ(-x)``.

    Parameters
    ----------
    y_true, y_pred : array_like, same shape
        Targets (hard or soft, in [0, 1]) and probabilities in [0, 1] or logits. Values
        outside [0, 1] (of ``y_true``, and of ``y_pred`` unless ``from_logits``) raise
        ``ValueError`` naming the first offending index (checked inside the kernel, in the
        same pass).
    from_logits : bool, default False
        ``y_pred`` holds logits.
    eps : float, optional
        Clip probabilities to ``[eps, 1 - eps]`` (0 < eps < 0.5) instead of clamping logs.
        Default None: logs clamped at -100.
    pos_weight : float or array_like, optional
        Weight of the positive term, a scalar or broadcastable to ``y_pred`` (PyTorch's
        per-class ``pos_weight`` of shape ``(C,)`` broadcasts along the last axis).
        Default None: 1.
    label_smoothing : float in [0, 1], default 0.0
        ``ε`` above: targets become ``(1 - ε)·y + ε/2``.
    ignore_index : number, optional
        Elements whose target equals this value contribute no loss and no gradient, and do
        not count in the mean.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` is ``Σ w·l / Σ w`` over the non-ignored elements (unweighted: their
        count), ``"sum"`` is ``Σ w·l``, ``"none"`` returns ``w·l`` with the shape of the
        inputs.
    sample_weight : array_like, optional
        Weights broadcastable to the shape of the inputs.
    return_grad : bool, default False
        Also return the gradient with respect to ``y_pred``, computed in the same pass.

    Returns
    -------
    loss : NumPy scalar, or ndarray for ``reduction="none"``
        ``"mean"`` and ``"sum"``: a NumPy scalar of the compute dtype; the mean is NaN
        when no element counts (empty input, or every target ignored). ``"none"``: the
        array ``w·l`` with the shape of the inputs, 0 at ignored elements.
    grad : ndarray, only with ``return_grad=True``
        The gradient of ``loss`` (for ``"none"``, of the sum of the returned losses) with
        respect to ``y_pred``, weights included, with the shape of ``y_pred`` (float16 for
        a float16 ``y_pred``, else the compute dtype). The call returns ``(loss, grad)``.

    Notes
    -----
    Equivalent to ``torch.nn.functional.binary_cross_entropy(y_pred, y_true)`` and, with
    ``from_logits=True``, ``binary_cross_entropy_with_logits(y_pred, y_true,
    pos_weight=...)``; ``keras.losses.BinaryCrossentropy(from_logits, label_smoothing)`` is
    ``eps=1e-7`` with a mean over the last axis first.

    Examples
    --------
    >>> import numpy as np, fastloss
    >>> y = np.array([1.0, 0.0, 1.0])
    >>> round(float(fastloss.binary_cross_entropy(y, np.array([0.9, 0.2, 0.6]))), 6)
    0.279777
    >>> logits = np.array([2.0, -1.0, 0.5])
    >>> round(float(fastloss.binary_cross_entropy(y, logits, from_logits=True)), 6)
    0.304756
    >>> loss, grad = fastloss.binary_cross_entropy(np.array([1.0, 0.0, -1.0]),
    ...                                            np.array([0.9, 0.2, 0.5]),
    ...                                            ignore_index=-1, return_grad=True)
    >>> round(float(loss), 6), grad.round(6)
    (0.164252, array([-0.555556,  0.625   ,  0.      ]))
    """
    from_logits = _args.check_flag(from_logits, "from_logits")
    label_smoothing = _args.check_fraction(label_smoothing, "label_smoothing")
    clip_low, clip_high = 0.0, 1.0
    if eps is not None:
        eps_value = _args.check_positive(eps, "eps")
        if eps_value >= 0.5:
            raise ValueError(f"eps must be in (0, 0.5), got {_args.show(eps)}")
        clip_low, clip_high = eps_value, 1.0 - eps_value
    has_ignore = ignore_index is not None
    ignore_value = _args.check_number(ignore_index, "ignore_index") if has_ignore else 0.0
    pw_scalar, pw_array = 1.0, None
    if pos_weight is not None:
        pw = _args.as_array(pos_weight, "pos_weight")
        _args.check_numeric(pw, "pos_weight")
        if pw.ndim == 0:
            pw_scalar = float(pw)
        else:
            pw_array = pw

    def per_element_pos_weight(p: np.ndarray) -> np.ndarray:
        w = _args.prepare_weight(pw_array, p.shape, p.dtype, name="pos_weight")
        assert w is not None  # passed only when pos_weight is an array
        return w

    def invalid(t: np.ndarray, p: np.ndarray, i: int) -> Exception:
        if not from_logits and not 0.0 <= p.flat[i] <= 1.0:
            return _out_of_range("y_pred", "probabilities in [0, 1]", p, i,
                                 " (pass from_logits=True for logits)")
        return _out_of_range("y_true", "targets in [0, 1]", t, i)

    return _args.elementwise_loss(
        "binary_cross_entropy", y_true, y_pred, sample_weight, reduction, return_grad,
        masked=has_ignore, invalid=invalid,
        array_option=None if pw_array is None else per_element_pos_weight,
        from_logits=from_logits, clip_low=clip_low, clip_high=clip_high, pos_weight=pw_scalar,
        label_smoothing=label_smoothing, has_ignore=has_ignore, ignore_value=ignore_value)


_PROBABILITIES = "probabilities in [0, 1] (pass from_logits=True for logits)"


def _outside_unit(values: np.ndarray) -> np.ndarray:
    return np.flatnonzero((values < 0) | (values > 1))


def _bad_row(name: str, what: str, values: np.ndarray, dtype: np.dtype,
             pos: Tuple[int, ...]) -> Exception:
    """The error for a row holding a value outside [0, 1]: the first such value and class."""
    c = _outside_unit(values)[0]
    return _args.DataError(f"{name} must hold {what}; found {_args.show(values[c], dtype)} in "
                           f"row $index, class {c}", index=pos)


def _row_inputs(y_pred: ArrayLike, axis: Any, *others: np.ndarray) -> Tuple[np.ndarray, int]:
    p = _args.as_array(y_pred, "y_pred")
    _args.check_numeric(p, "y_pred")
    axis = _args.normalize_axis(axis, p.ndim)
    if p.shape[axis] == 0:
        raise _args.DataError(f"y_pred must have at least one class along axis {axis}; got "
                              f"shape $y_pred", y_pred=p.shape)
    return p, axis


def _dense_rows(
    y_true: ArrayLike, y_pred: ArrayLike, axis: Any, sample_weight: Optional[ArrayLike]
) -> Tuple[Rows, np.ndarray, Optional[np.ndarray], np.dtype]:
    """Row view of same-shape targets and predictions, and per-row weights (flat)."""
    p, axis = _row_inputs(y_pred, axis)
    t = _args.as_array(y_true, "y_true")
    _args.check_numeric(t, "y_true")
    _args.check_same_shape(t, p, "y_true", "y_pred")
    dtype = _args.compute_dtype(t, p)
    rows = Rows(p, axis, dtype)
    sw = _args.prepare_weight(sample_weight, rows.batch_shape, dtype)
    return rows, rows.like(t, dtype), None if sw is None else sw.reshape(-1), dtype


@_registry.loss
def categorical_cross_entropy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    from_logits: bool = False,
    axis: int = -1,
    label_smoothing: float = 0.0,
    class_weight: Optional[ArrayLike] = None,
    reduction: str = "mean",
    sample_weight: Optional[ArrayLike] = None,
    return_grad: bool = False,
) -> Result:
    """Cross-entropy between one-hot or soft targets and class scores along ``axis``.

    With ``C`` classes, targets smoothed to ``y' = (1 - ε)·y + ε/C`` and class weights
    ``w_c``, each row's loss is ``-Σ_c w_c·y'_c·log p_c``:

    - logits (``from_logits=True``): ``log p = x - max(x) - log Σ exp(x - max(x))``, fused in
      the kernel (no softmax array); gradient ``softmax(x)·Σ_c w_c y'_c - w·y'``.
    - probabilities: each ``log p_c`` clamped at -100; gradient ``-w_c y'_c / max(p_c, 1e-12)``;
      probabilities outside [0, 1] raise. They are not renormalized (Keras divides by their
      sum and clips to [1e-7, 1 - 1e-7]; do that yourself to reproduce it).

    ``"none"`` gives per-row losses (the shape without ``axis``); ``"mean"`` averages rows,
    weighted by ``sample_weight`` (class weights do not enter the denominator, as in
    PyTorch for probability targets).

    Parameters
    ----------
    y_true : array_like, same shape as ``y_pred``
        One-hot or soft targets in [0, 1] along ``axis`` (rows are not renormalized).
        A value outside [0, 1] raises ``ValueError`` naming its row and class.
    y_pred : array_like, at least 1-d, ``C`` classes along ``axis``
        Probabilities in [0, 1], or logits with ``from_logits=True``; ``C >= 1``.
    from_logits : bool, default False
        ``y_pred`` holds logits (a log-softmax is fused into the kernel).
    axis : int, default -1
        The class axis of both arrays.
    label_smoothing : float in [0, 1], default 0.0
        ``ε`` above: targets become ``(1 - ε)·y + ε/C``.
    class_weight : array_like, shape (C,), optional
        Weight ``w_c`` of each class. Default None: all 1.
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
        there are no rows); ``"none"``: the per-row losses ``wᵢℓᵢ``, with the shape of
        ``y_pred`` without ``axis``.
    grad : ndarray, only with ``return_grad=True``
        The gradient of ``loss`` (for ``"none"``, of the sum of the returned losses) with
        respect to ``y_pred``, weights included, in the shape (and class axis) of
        ``y_pred`` (float16 for a float16 ``y_pred``, else the compute dtype). The call
        returns ``(loss, grad)``.

    Notes
    -----
    Equivalent to ``torch.nn.functional.cross_entropy(y_pred, y_true, weight=class_weight,
    label_smoothing=ε)`` with probability targets (logits, class axis 1 there) and to
    ``keras.losses.CategoricalCrossentropy(from_logits, label_smoothing, axis)``.

    Examples
    --------
    >>> import numpy as np, fastloss
    >>> logits = np.array([[2.0, 0.5, -1.0], [0.0, 0.0, 3.0]])
    >>> onehot = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    >>> round(float(fastloss.categorical_cross_entropy(onehot, logits, from_logits=True)), 6)
    1.668117
    >>> probs = np.array([[0.2, 0.8], [0.6, 0.4]])
    >>> fastloss.categorical_cross_entropy(np.array([[0.0, 1.0], [1.0, 0.0]]), probs,
    ...                                    class_weight=np.array([1.0, 2.0]),
    ...                                    reduction="none").round(6)
    array([0.446287, 0.510826])
    """
    from_logits = _args.check_flag(from_logits, "from_logits")
    label_smoothing = _args.check_fraction(label_smoothing, "label_smoothing")
    reduction = _args.check_reduction(reduction)
    return_grad = _args.check_flag(return_grad, "return_grad")
    rows, targets, sw, dtype = _dense_rows(y_true, y_pred, axis, sample_weight)
    cw = _args.prepare_class_weight(class_weight, rows, dtype)
    if rows.count == 0:
        result = rows.no_rows(reduction == "none", return_grad)
    else:
        options = {"from_logits": from_logits, "label_smoothing": label_smoothing,
                   "has_ignore": False, "ignore_index": 0}
        result = _args.run_kernel("categorical_cross_entropy", (rows.matrix,), targets, sw,
                                  reduction, return_grad, options, class_weight=cw)

    def invalid(row: int) -> Exception:
        pos = _args.position(rows.batch_shape, row)
        if from_logits or not _outside_unit(rows.matrix[row]).size:  # then a target is bad
            return _bad_row("y_true", "targets in [0, 1]", targets[row], dtype, pos)
        return _bad_row("y_pred", _PROBABILITIES, rows.matrix[row], rows.input_dtype, pos)

    return _args.row_result(result, rows, reduction, dtype, return_grad, invalid)


@_registry.loss
def sparse_categorical_cross_entropy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    from_logits: bool = False,
    axis: int = -1,
    ignore_index: Optional[int] = None,
    class_weight: Optional[ArrayLike] = None,
    label_smoothing: float = 0.0,
    reduction: str = "mean",
    sample_weight: Optional[ArrayLike] = None,
    return_grad: bool = False,
) -> Result:
    """Cross-entropy between integer class ids and class scores along ``axis``.

    For a row with label ``k``, class weights ``w`` and smoothing ``ε`` over ``C`` classes the
    loss is ``-(1 - ε)·w_k·log p_k - (ε/C)·Σ_c w_c·log p_c`` (PyTorch's definition), with
    ``log p`` a fused log-softmax for logits or a log clamped at -100 for probabilities.

    ``y_true`` has the shape of ``y_pred`` without ``axis`` and any integer dtype. Rows whose
    label is ``ignore_index`` give loss 0 and gradient 0. A label outside ``[0, C)`` that is
    not ``ignore_index`` raises ``ValueError`` naming its position and value. ``"mean"``
    divides by ``Σ sample_weight·w_{k}`` over the non-ignored rows, as PyTorch's weighted
    mean; when every target is ignored that is 0/0 and the mean is NaN (``"sum"`` is 0 and
    the gradient is all zeros), as in PyTorch.

    Parameters
    ----------
    y_true : array_like of integers, shape of ``y_pred`` without ``axis``
        Class ids in ``[0, C)`` (or ``ignore_index``), one per row; a non-integer dtype
        raises ``TypeError``.
    y_pred : array_like, at least 1-d, ``C`` classes along ``axis``
        Probabilities in [0, 1], or logits with ``from_logits=True``; ``C >= 1``.
    from_logits : bool, default False
        ``y_pred`` holds logits (a log-softmax is fused into the kernel).
    axis : int, default -1
        The class axis of ``y_pred``.
    ignore_index : int, optional
        Label of rows that contribute no loss, no gradient and no weight to the mean
        (PyTorch uses -100). Default None: every label must be a class id.
    class_weight : array_like, shape (C,), optional
        Weight ``w_c`` of each class. Default None: all 1.
    label_smoothing : float in [0, 1], default 0.0
        ``ε`` above.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` is ``Σ sᵢℓᵢ / Σ sᵢ·w_{kᵢ}`` over non-ignored rows (``s`` the sample
        weights, 1 if not given), ``"sum"`` is ``Σ sᵢℓᵢ``, ``"none"`` returns ``sᵢℓᵢ`` per
        row (0 for ignored rows).
    sample_weight : array_like, optional
        One weight per row, broadcastable to the shape of ``y_true``.
    return_grad : bool, default False
        Also return the gradient with respect to ``y_pred``, computed in the same pass.

    Returns
    -------
    loss : NumPy scalar, or ndarray for ``reduction="none"``
        ``"mean"`` and ``"sum"``: a NumPy scalar of the compute dtype (NaN and 0 when no
        row counts); ``"none"``: the per-row losses with the shape of ``y_true``.
    grad : ndarray, only with ``return_grad=True``
        The gradient of ``loss`` (for ``"none"``, of the sum of the returned losses) with
        respect to ``y_pred``, weights included, in the shape (and class axis) of
        ``y_pred`` (float16 for a float16 ``y_pred``, else the compute dtype); zero rows
        where the label is ignored. The call returns ``(loss, grad)``.

    Notes
    -----
    Equivalent to ``torch.nn.functional.cross_entropy(y_pred, y_true, weight=class_weight,
    ignore_index=ignore_index, label_smoothing=ε)`` (logits, class axis 1 there) and
    ``keras.losses.SparseCategoricalCrossentropy(from_logits, ignore_class=...)``.

    Examples
    --------
    >>> import numpy as np, fastloss
    >>> logits = np.array([[2.0, 0.5, -1.0], [0.0, 0.0, 3.0]])
    >>> round(float(fastloss.sparse_categorical_cross_entropy(np.array([0, 1]), logits,
    ...                                                       from_logits=True)), 6)
    1.668117

    A weighted mean divides by the class weights of the non-ignored labels (here 3 + 1):

    >>> logits = np.log(np.array([[0.2, 0.8], [0.6, 0.4], [0.5, 0.5]]))
    >>> options = dict(from_logits=True, ignore_index=-100, class_weight=np.array([1.0, 3.0]))
    >>> labels = np.array([1, 0, -100])
    >>> fastloss.sparse_categorical_cross_entropy(labels, logits, reduction="none",
    ...                                           **options).round(6)
    array([0.669431, 0.510826, 0.      ])
    >>> round(float(fastloss.sparse_categorical_cross_entropy(labels, logits, **options)), 6)
    0.295064
    """
    from_logits = _args.check_flag(from_logits, "from_logits")
    label_smoothing = _args.check_fraction(label_smoothing, "label_smoothing")
    reduction = _args.check_reduction(reduction)
    return_grad = _args.check_flag(return_grad, "return_grad")
    p, axis = _row_inputs(y_pred, axis)
    labels = _args.as_array(y_true, "y_true")
    if labels.dtype.kind not in "iu":
        raise TypeError(f"y_true must hold integer class ids, got dtype {labels.dtype}")
    expected = p.shape[:axis] + p.shape[axis + 1:]
    if labels.shape != expected:
        raise _args.DataError(
            f"y_true must have the shape of y_pred without axis {axis}: expected $per_sample, "
            f"got $y_true", per_sample=expected, y_true=labels.shape)
    has_ignore = ignore_index is not None
    ignore = _args.check_integer(ignore_index, "ignore_index") if has_ignore else 0
    if not -2**53 <= ignore <= 2**53:  # the kernel reads options as float64
        raise ValueError(f"ignore_index must be within ±2**53, got {ignore}")
    dtype = _args.compute_dtype(p)
    rows = Rows(p, axis, dtype)
    cw = _args.prepare_class_weight(class_weight, rows, dtype)
    sw = _args.prepare_weight(sample_weight, rows.batch_shape, dtype)
    flat_labels = np.ascontiguousarray(labels, dtype=np.int64).reshape(-1)
    if rows.count == 0:
        result = rows.no_rows(reduction == "none", return_grad)
    else:
        options = {"from_logits": from_logits, "label_smoothing": label_smoothing,
                   "has_ignore": has_ignore, "ignore_index": ignore}
        result = _args.run_kernel("sparse_categorical_cross_entropy", (rows.matrix,), None,
                                  None if sw is None else sw.reshape(-1), reduction,
                                  return_grad, options, labels=flat_labels, class_weight=cw)

    def invalid(row: int) -> Exception:
        pos = _args.position(labels.shape, row)
        label = labels.flat[row]
        if 0 <= label < rows.classes:  # the label is fine: a probability is not
            return _bad_row("y_pred", _PROBABILITIES, rows.matrix[row], rows.input_dtype, pos)
        also = f" or ignore_index={ignore}" if has_ignore else ""
        return _args.DataError(f"y_true must hold class ids in [0, {rows.classes}){also}; "
                               f"found {_args.show(label)} at position $index", index=pos)

    return _args.row_result(result, rows, reduction, dtype, return_grad, invalid)


@_registry.loss
def kl_divergence(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    axis: int = -1,
    log_input: bool = False,
    reduction: str = "mean",
    sample_weight: Optional[ArrayLike] = None,
    return_grad: bool = False,
) -> Result:
    """Kullback–Leibler divergence ``KL(y_true ‖ y_pred) = Σ_c y·(log y - log ŷ)`` per row.

    Terms with ``y = 0`` are 0 (``0·log 0 = 0``), whatever ``ŷ`` is. With ``log_input=True``
    ``y_pred`` holds log-probabilities. ``"mean"`` is the mean over rows (PyTorch's
    ``batchmean``, the true KL), never over elements; ``"none"`` gives per-row values.
    The gradient with respect to ``y_pred`` is ``-y/ŷ`` (``-y`` for log input), 0 where
    ``y = 0``.

    Both arguments are rows of probabilities: a ``y_true`` or ``y_pred`` value outside
    [0, 1] (a log-probability above 0 with ``log_input=True``) raises ``ValueError`` naming
    the first such row and class, found by the kernel in the same pass. Rows are used as
    given, not renormalised (as PyTorch); a row that does not sum to 1 can make the
    divergence negative, and a negative result (per row, or the total when rows are not
    returned) raises ``ValueError`` naming the first row of either argument whose sum is not
    1 within rounding.

    Parameters
    ----------
    y_true : array_like, same shape as ``y_pred``
        Target probabilities in [0, 1], one distribution per row along ``axis``.
    y_pred : array_like, at least 1-d, classes along ``axis``
        Predicted probabilities in [0, 1], or log-probabilities (at most 0) with
        ``log_input=True``.
    axis : int, default -1
        The class axis of both arrays.
    log_input : bool, default False
        ``y_pred`` holds log-probabilities (PyTorch's ``kl_div`` input convention).
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` is ``Σ wᵢKLᵢ / Σ wᵢ`` over rows (unweighted: the mean over rows),
        ``"sum"`` is ``Σ wᵢKLᵢ``, ``"none"`` returns ``wᵢKLᵢ`` per row.
    sample_weight : array_like, optional
        One weight per row, broadcastable to the shape of ``y_pred`` without ``axis``.
    return_grad : bool, default False
        Also return the gradient with respect to ``y_pred``, computed in the same pass.

    Returns
    -------
    loss : NumPy scalar, or ndarray for ``reduction="none"``
        ``"mean"`` and ``"sum"``: a NumPy scalar of the compute dtype (NaN and 0 when
        there are no rows); ``"none"``: the per-row divergences with the shape of
        ``y_pred`` without ``axis``.
    grad : ndarray, only with ``return_grad=True``
        The gradient of ``loss`` (for ``"none"``, of the sum of the returned values) with
        respect to ``y_pred``, weights included, in the shape (and class axis) of
        ``y_pred`` (float16 for a float16 ``y_pred``, else the compute dtype). The call
        returns ``(loss, grad)``.

    Notes
    -----
    Equivalent to ``torch.nn.functional.kl_div(log ŷ, y, reduction="batchmean")`` and
    ``keras.losses.KLDivergence()`` (which also clips to [1e-7, 1]).

    Examples
    --------
    >>> import numpy as np, fastloss
    >>> p = np.array([[0.5, 0.5, 0.0], [0.1, 0.2, 0.7]])
    >>> q = np.array([[0.4, 0.4, 0.2], [0.3, 0.3, 0.4]])
    >>> round(float(fastloss.kl_divergence(p, q)), 6)
    0.21196
    >>> fastloss.kl_divergence(p, np.log(q), log_input=True, reduction="none").round(6)
    array([0.223144, 0.200777])
    """
    log_input = _args.check_flag(log_input, "log_input")
    reduction = _args.check_reduction(reduction)
    return_grad = _args.check_flag(return_grad, "return_grad")
    rows, targets, sw, dtype = _dense_rows(y_true, y_pred, axis, sample_weight)
    result = _args.run_kernel("kl_divergence", (rows.matrix,), targets, sw, reduction,
                              return_grad, {"log_input": log_input})

    def invalid(first_row: int) -> Exception:
        # The kernel reports the row it saw, or the first row of the block it saw it in.
        t, x = targets[first_row:], rows.matrix[first_row:]
        bad_t = np.asarray(((t < 0) | (t > 1)).any(axis=1))  # an array, for the type checker
        bad_x = (x > 0).any(axis=1) if log_input else ((x < 0) | (x > 1)).any(axis=1)
        row = first_row + int(np.argmax(bad_t | bad_x))
        pos = _args.position(rows.batch_shape, row)
        if bad_t[row - first_row]:
            return _bad_row("y_true", "probabilities in [0, 1]", targets[row], dtype, pos)
        if log_input:
            c = int(np.flatnonzero(rows.matrix[row] > 0)[0])
            return _args.DataError(
                f"y_pred must hold log-probabilities (at most 0) with log_input=True; found "
                f"{_args.show(rows.matrix[row, c], dtype)} in row $index, class {c}", index=pos)
        return _bad_row("y_pred", "probabilities in [0, 1]", rows.matrix[row], dtype, pos)

    _check_normalized(result, rows, targets, log_input, dtype)
    return _args.row_result(result, rows, reduction, dtype, return_grad, invalid)


def _check_normalized(result: _args.KernelResult, rows: Rows, targets: np.ndarray,
                      log_input: bool, dtype: np.dtype) -> None:
    """Raises where KL came out negative: only rows that do not sum to 1 can give that.

    Rows are not renormalised (as PyTorch's kl_div); a row's divergence is checked where the
    kernel returns it per row, the total otherwise. Rounding makes the divergence of normalised
    rows slightly negative at times (float32 rows read as float64 sum to 1 only within float32
    rounding), so a row may sum to 1 within `tolerance`, and the divergence may be below 0 by
    as much per row.
    """
    loss_sum, _, first_invalid, per_row, _ = result
    if first_invalid >= 0 or rows.count == 0:
        return
    tolerance = 1e-4 + 4 * rows.classes * float(np.finfo(dtype).eps)
    if per_row is not None:
        negative = per_row[per_row < -tolerance]  # NaN rows compare False
        if not negative.size:
            return
        worst = float(negative.min())
    elif loss_sum < -tolerance * rows.count:
        worst = loss_sum
    else:
        return
    q = np.exp(rows.matrix) if log_input else rows.matrix
    for name, values in (("y_true", targets), ("y_pred", q)):
        sums = values.sum(axis=1, dtype=np.float64)
        off = np.flatnonzero(np.abs(sums - 1) > tolerance)
        if off.size:
            row = int(off[0])
            raise _args.DataError(
                f"kl_divergence needs rows of {name} that sum to 1 (a negative divergence "
                f"comes only from rows that do not; normalise them first); row $index sums to "
                f"{sums[row]:.6g}", index=_args.position(rows.batch_shape, row))
    raise ValueError(f"kl_divergence came out negative ({worst:.6g}): the rows of y_true and "
                     f"y_pred must each sum to 1 (normalise them first)")


@_registry.loss
def hinge(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    reduction: str = "mean",
    sample_weight: Optional[ArrayLike] = None,
    return_grad: bool = False,
) -> Result:
    """Hinge loss ``max(0, 1 - y·ŷ)`` for labels ``y`` in {-1, +1}.

    Labels in {0, 1} are accepted too: 0 is read as -1 (Keras does the same conversion).
    Any other label raises ``ValueError`` naming the first offending index. The gradient is
    ``-y`` where the margin ``1 - y·ŷ`` is positive and 0 elsewhere. Elementwise: ``"none"``
    keeps the shape of the inputs; ``"mean"`` is over all elements.

    Parameters
    ----------
    y_true : array_like
        Labels in {-1, +1}, or {0, 1} with 0 read as -1 (each element is mapped on its own,
        so -1, 0 and 1 may be mixed). Other values raise ``ValueError``.
    y_pred : array_like, same shape as ``y_true``
        Predicted scores (decision values, not probabilities).
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` is ``Σ w·l / Σ w`` (unweighted: the mean over all elements), ``"sum"``
        is ``Σ w·l``, ``"none"`` returns ``w·l`` with the shape of the inputs.
    sample_weight : array_like, optional
        Weights broadcastable to the shape of the inputs.
    return_grad : bool, default False
        Also return the gradient with respect to ``y_pred``, computed in the same pass.

    Returns
    -------
    loss : NumPy scalar, or ndarray for ``reduction="none"``
        ``"mean"`` and ``"sum"``: a NumPy scalar of the compute dtype (NaN and 0 for an
        empty input); ``"none"``: the array ``w·l`` with the shape of the inputs.
    grad : ndarray, only with ``return_grad=True``
        The gradient of ``loss`` (for ``"none"``, of the sum of the returned losses) with
        respect to ``y_pred``, weights included, with the shape of ``y_pred`` (float16 for
        a float16 ``y_pred``, else the compute dtype). The call returns ``(loss, grad)``.

    Notes
    -----
    Equivalent to ``keras.losses.Hinge()`` (whose mean over the last axis then over the
    batch equals the mean over all elements) and to
    ``torch.clamp(1 - y_true * y_pred, min=0).mean()`` for labels in {-1, +1}. Keras maps
    0/1 labels to ±1 only when every label is 0 or 1, and the PyTorch form not at all, so
    labels that mix 0 with -1 (as in the first example below) give other values there.

    Examples
    --------
    >>> import numpy as np, fastloss
    >>> float(fastloss.hinge(np.array([1, -1, 1, 0]), np.array([0.3, -2.0, 1.5, 0.5])))
    0.55
    >>> loss, grad = fastloss.hinge(np.array([1, -1, 1, 0]), np.array([0.3, -2.0, 1.5, 0.5]),
    ...                             reduction="none", return_grad=True)
    >>> loss
    array([0.7, 0. , 0. , 1.5])
    >>> grad  # -y where the margin is positive, else (negative) zero
    array([-1., -0., -0.,  1.])
    """

    def invalid(t: np.ndarray, p: np.ndarray, i: int) -> Exception:
        return _out_of_range("y_true", "labels in {-1, 1} or {0, 1}", t, i)

    return _args.elementwise_loss("hinge", y_true, y_pred, sample_weight, reduction,
                                  return_grad, invalid=invalid)


if not TYPE_CHECKING:  # type checkers read the functions above
    __all__ = _registry.exports(__name__)  # noqa: PLE0605 - built from the @loss declarations
