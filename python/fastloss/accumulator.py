"""Streaming accumulators: the mean of a loss over data that arrives in chunks.

Every loss's ``"mean"`` is a ratio ``Σ wᵢlᵢ / Σ wᵢ`` (``Σ lᵢ / n`` unweighted; for row losses
the per-row loss over the rows' weights or count). The kernels return both sums of a chunk in
one pass, so a mean over many chunks is the sum of their numerators over the sum of their
denominators, divided once at the end. `Accumulator` keeps those two sums.
"""

from __future__ import annotations

import inspect
import math
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from . import _args, _registry

__all__ = ["Accumulator"]

# Losses whose "mean" is not a ratio of sums over samples, so chunks cannot be combined.
_TWO_MEANS = "its mean is the sum of a mean over d_real and a mean over d_fake"
_NOT_DECOMPOSABLE = {
    "gan_discriminator": _TWO_MEANS,
    "lsgan_discriminator": _TWO_MEANS,
    "wasserstein_critic": _TWO_MEANS,
    "dice": "the score is a ratio of sums over the whole batch (per_sample=False) or per image",
    "jaccard": "the score is a ratio of sums over the whole batch (per_sample=False) or per image",
    "earth_movers_distance": "the distance depends on the sorted values of the whole sample",
    "perceptual": "its inputs are sequences of feature maps, not arrays split into chunks",
    "ctc": "log_probs has time, not samples, on its first axis",
}

# Arguments that belong to the call, not to the accumulator.
_NOT_OPTIONS = ("reduction", "return_grad", "sample_weight")


class _CompensatedSum:
    """Neumaier's compensated float64 sum: the error of each addition is kept and added back."""

    __slots__ = ("high", "low")

    def __init__(self) -> None:
        self.high = 0.0
        self.low = 0.0

    def add(self, x: float) -> None:
        t = self.high + x
        if abs(self.high) >= abs(x):
            self.low += (self.high - t) + x
        else:
            self.low += (x - t) + self.high
        self.high = t

    @property
    def value(self) -> float:
        return self.high + self.low


def _inputs_of(fn: Any) -> Tuple[List[str], Dict[str, inspect.Parameter]]:
    """The loss's array arguments (positional) and its keyword options."""
    params = inspect.signature(fn).parameters.values()
    inputs = [p.name for p in params
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    options = {p.name: p for p in params if p.name not in inputs and p.name not in _NOT_OPTIONS
               and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    return inputs, options


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(np.array_equal(a, b)) if isinstance(a, np.ndarray) or isinstance(
            b, np.ndarray) else bool(a == b)
    except Exception:  # noqa: BLE001 - incomparable values are different options
        return False


class Accumulator:
    """The mean of loss `name` over data given in chunks, in bounded memory.

    ``Accumulator("mse").update(y_true, y_pred)`` for each chunk, then ``.result()``. Chunks
    hold whole samples (elements for elementwise losses, rows for losses over an axis), split
    anywhere along the first axis, in any order; accumulators over separate parts of the data
    combine with ``merge``.

    Parameters
    ----------
    name : str
        A registered loss (``fastloss.losses()``).
    **options
        The loss's keyword options (``delta=0.5``, ``from_logits=True``, ``ignore_index=-100``,
        ``class_weight=...``), applied to every chunk; array options must fit every chunk
        (``class_weight`` of shape ``(C,)`` does; a full-size ``pos_weight`` does not).
        ``reduction`` and ``return_grad`` are not options here; ``sample_weight`` is given
        per chunk to `update`.

    Notes
    -----
    Each chunk's kernel returns the numerator and denominator of its mean (through the internal
    entry point ``_args.partial_sums``); both are added in float64 with Neumaier's compensated
    sum, and `result` divides once. The result equals the one-shot ``loss(..., reduction="mean")``
    within float rounding, not bit for bit, because the one-shot kernel adds its blocks in a
    pairwise tree whose shape depends on the input length. Measured over every loss with
    10⁶ elements cut at random into 2–1,000 chunks: float64 means differ by at most 6e-16
    relative; for float32 data the float64 partial sums differ by up to 4e-10 relative (the
    kernels add short runs in float32 lanes first), far below float32's resolution, so the
    float32 means came out identical — allow one float32 ulp. The tests hold float64 to 1e-12
    relative and float32 to 1 ulp.

    Losses with other array arguments take them positionally in the loss's order:
    ``update(anchor, positive, negative)`` for ``triplet``, ``update(d_fake)`` for
    ``gan_generator`` (`inputs` lists them). Losses whose mean is not one ratio of sums over
    samples raise ``ValueError`` naming the loss when the accumulator is made: the two-input
    GAN losses (a mean over ``d_real`` plus a mean over ``d_fake``), dice, jaccard,
    earth_movers_distance, perceptual and ctc.

    Examples
    --------
    >>> import numpy as np, fastloss
    >>> acc = fastloss.Accumulator("huber", delta=1.0)
    >>> y_true, y_pred = np.arange(10.0), np.arange(10.0) + 0.5
    >>> for i in range(0, 10, 4):
    ...     _ = acc.update(y_true[i:i + 4], y_pred[i:i + 4])  # returns acc, for chaining
    >>> acc.result(), fastloss.huber(y_true, y_pred)
    (np.float64(0.125), np.float64(0.125))
    """

    def __init__(self, name: str, **options: Any) -> None:
        if name in _NOT_DECOMPOSABLE:
            raise ValueError(f"loss {name!r} cannot be accumulated over chunks: "
                             f"{_NOT_DECOMPOSABLE[name]}")
        self._fn = _registry.get(name)  # ValueError names close and available losses
        self.name = name
        self._inputs, allowed = _inputs_of(self._fn)
        for key in options:
            if key in _NOT_OPTIONS:
                where = "update()" if key == "sample_weight" else "an Accumulator"
                raise TypeError(f"{key!r} is not an option of {where}"
                                + (": pass sample_weight to update()"
                                   if key == "sample_weight" else ""))
            if key not in allowed:
                raise TypeError(f"unknown option {key!r} for loss {name!r}; options: "
                                f"{', '.join(allowed) or 'none'}")
        self.options: Dict[str, Any] = dict(options)
        self.reset()

    @property
    def inputs(self) -> List[str]:
        """The loss's array arguments, in the order `update` takes them."""
        return list(self._inputs)

    def reset(self) -> None:
        """Forgets every chunk."""
        self._numerator = _CompensatedSum()
        self._denominator = _CompensatedSum()
        self._dtype: Optional[np.dtype] = None
        self.updates = 0

    def update(self, *arrays: Any, sample_weight: Optional[Any] = None) -> Accumulator:
        """Adds one chunk: the loss's arrays (``y_true, y_pred`` for most losses).

        Inputs are validated as the loss validates them, per chunk. Empty chunks add nothing.
        Returns the accumulator, so that calls chain.
        """
        if len(arrays) != len(self._inputs):
            raise TypeError(f"{self.name} takes {len(self._inputs)} arrays "
                            f"({', '.join(self._inputs)}), got {len(arrays)}")
        arrays = tuple(_args.as_array(a, n) for a, n in zip(arrays, self._inputs))
        floats = [a for a in arrays if a.dtype.kind in "biuf"]
        dtype = _args.compute_dtype(*floats) if floats else np.dtype(np.float64)
        weight = {} if sample_weight is None else {"sample_weight": sample_weight}
        loss_sum, denominator = _args.partial_sums(self._fn, *arrays, **weight, **self.options)
        self._numerator.add(float(loss_sum))
        self._denominator.add(float(denominator))
        self._dtype = dtype if self._dtype is None else np.promote_types(self._dtype, dtype)
        self.updates += 1
        return self

    def merge(self, other: Accumulator) -> Accumulator:
        """Adds the chunks another accumulator of the same loss and options has seen."""
        if not isinstance(other, Accumulator):
            raise TypeError(f"can only merge another Accumulator, got {type(other).__name__}")
        if other is self:
            raise ValueError("cannot merge an accumulator into itself: its chunks would count "
                             "twice")
        if other.name != self.name:
            raise ValueError(f"cannot merge an accumulator of {other.name!r} into one of "
                             f"{self.name!r}")
        if set(other.options) != set(self.options) or not all(
                _same(self.options[k], other.options[k]) for k in self.options):
            raise ValueError(f"cannot merge accumulators of {self.name!r} with different "
                             f"options: {self.options} and {other.options}")
        for part in (other._numerator.high, other._numerator.low):
            self._numerator.add(part)
        for part in (other._denominator.high, other._denominator.low):
            self._denominator.add(part)
        if other._dtype is not None:
            self._dtype = other._dtype if self._dtype is None else np.promote_types(
                self._dtype, other._dtype)
        self.updates += other.updates
        return self

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the result: the compute dtype of the chunks (float64 before any)."""
        return self._dtype if self._dtype is not None else np.dtype(np.float64)

    @property
    def sum(self) -> np.floating:
        """The loss summed over every chunk (``reduction="sum"`` of all the data)."""
        total: np.floating = self.dtype.type(self._numerator.value)
        return total

    @property
    def denominator(self) -> float:
        """What the mean divides by: the sample count, or the summed weights (float64)."""
        return self._denominator.value

    def result(self) -> np.floating:
        """The mean over every chunk, a NumPy scalar of the data's dtype (NaN if no data)."""
        total = self._denominator.value
        value = self._numerator.value / total if total != 0 else math.nan
        mean: np.floating = self.dtype.type(value)
        return mean

    def __repr__(self) -> str:
        opts = "".join(f", {k}={v!r}" for k, v in self.options.items())
        return (f"Accumulator({self.name!r}{opts}) <{self.updates} updates, "
                f"mean {self.result()!r}>")
