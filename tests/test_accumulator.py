"""Streaming accumulators: chunked means equal the one-shot mean, whatever the chunking."""

from __future__ import annotations

import doctest
from typing import Any, Callable, Dict, List, Tuple

import numpy as np
import pytest

import fastloss
from fastloss import _args, _bench_cases, accumulator

DTYPES = [np.float32, np.float64]

Arrays = Tuple[np.ndarray, ...]


def _decomposable() -> List[str]:
    return [n for n in fastloss.losses() if n not in accumulator._NOT_DECOMPOSABLE]


def _inputs(name: str, n: int, dtype: Any, rng: np.random.Generator) -> Arrays:
    case = _bench_cases.case(name)
    if case is None:
        pytest.skip(f"no input factory for {name} in fastloss/_bench_cases.py")
    return case.inputs(n, np.dtype(dtype), rng)


# Option sets per loss, beyond the case's own options: (options, transform of the inputs).
def _with_ignored_targets(value: Any) -> Callable[[Arrays, np.random.Generator], Arrays]:
    def transform(arrays: Arrays, rng: np.random.Generator) -> Arrays:
        t = arrays[0].copy()
        t[rng.random(t.shape[0]) < 0.2] = value
        return (t,) + arrays[1:]
    return transform


def _keep(arrays: Arrays, rng: np.random.Generator) -> Arrays:
    return arrays


Transform = Callable[[Arrays, np.random.Generator], Arrays]
VARIANTS: Dict[str, List[Tuple[Dict[str, Any], Transform]]] = {
    "huber": [({"delta": 0.5}, _keep)],
    "binary_cross_entropy": [({"ignore_index": -1.0}, _with_ignored_targets(-1.0)),
                             ({"label_smoothing": 0.1, "pos_weight": 2.0}, _keep)],
    "categorical_cross_entropy": [
        ({"label_smoothing": 0.1, "class_weight": np.linspace(0.5, 2, _bench_cases.CLASSES)},
         _keep)],
    "sparse_categorical_cross_entropy": [
        ({"ignore_index": -100}, _with_ignored_targets(-100)),
        ({"ignore_index": -100, "class_weight": np.linspace(0.5, 2, _bench_cases.CLASSES),
          "label_smoothing": 0.1}, _with_ignored_targets(-100))],
}


def _close(chunked: Any, one_shot: Any) -> None:
    """The documented tolerance: float64 to 1e-12 relative, float32 to one float32 ulp."""
    assert type(chunked) is type(one_shot), (type(chunked), type(one_shot))
    if np.isnan(one_shot):
        assert np.isnan(chunked)
        return
    if isinstance(one_shot, np.float32):
        assert abs(float(chunked) - float(one_shot)) <= float(np.spacing(np.float32(abs(one_shot))))
    else:
        assert float(chunked) == pytest.approx(float(one_shot), rel=1e-12, abs=1e-300)


def _splits(rows: int, rng: np.random.Generator, pieces: int) -> List[Tuple[int, int]]:
    cuts = np.sort(rng.integers(0, rows + 1, pieces - 1))
    bounds = [0, *cuts.tolist(), rows]
    return list(zip(bounds[:-1], bounds[1:]))  # includes empty chunks when cuts repeat


def _rejects_chunking(name: str, arrays: Arrays, options: Dict[str, Any]) -> bool:
    """Losses whose mean is not one ratio of sums say so when asked for the partial sums;
    the accumulator must then fail with an error that names the loss."""
    try:
        _args.partial_sums(fastloss.get(name), *arrays, **options)
    except ValueError as exc:
        if "accumulated" not in str(exc):
            raise
        with pytest.raises(ValueError, match=f"{name}.*cannot be accumulated"):
            fastloss.Accumulator(name, **options).update(*arrays)
        return True
    return False


def _per_sample_shape(name: str, arrays: Arrays, options: Dict[str, Any]) -> Tuple[int, ...]:
    return np.shape(fastloss.get(name)(*arrays, reduction="none", **options))


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name", _decomposable())
def test_chunked_equals_one_shot(name: str, dtype: Any) -> None:
    rng = np.random.default_rng(7)
    case = _bench_cases.case(name)
    arrays = _inputs(name, 3_000 * _bench_cases.CLASSES // 10, dtype, rng)
    base_options = dict(case.options) if case else {}
    fn = fastloss.get(name)
    if _rejects_chunking(name, arrays, base_options):
        return
    for options, transform in [({}, _keep)] + VARIANTS.get(name, []):
        options = {**base_options, **options}
        data = transform(arrays, rng)
        rows = data[0].shape[0]
        weight_shape = _per_sample_shape(name, data, options)
        weights = [None, rng.random(weight_shape).astype(dtype)]
        for w in weights:
            kw = {} if w is None else {"sample_weight": w}
            want = fn(*data, **options, **kw)
            want_sum = fn(*data, reduction="sum", **options, **kw)
            for pieces in (1, 2, 7, 40):
                acc = fastloss.Accumulator(name, **options)
                chunks = _splits(rows, rng, pieces)
                for i in rng.permutation(len(chunks)):  # any order
                    a, b = chunks[i]
                    acc.update(*(x[a:b] for x in data),
                               sample_weight=None if w is None else w[a:b])
                _close(acc.result(), want)
                _close(acc.sum, want_sum)
                assert acc.result().dtype == want.dtype


@pytest.mark.parametrize("name", _decomposable())
def test_merge_of_partial_accumulators(name: str) -> None:
    rng = np.random.default_rng(3)
    case = _bench_cases.case(name)
    arrays = _inputs(name, 20_000, np.float64, rng)
    options = dict(case.options) if case else {}
    if _rejects_chunking(name, arrays, options):
        return
    rows = arrays[0].shape[0]
    parts = []
    for a, b in _splits(rows, rng, 9):
        parts.append(fastloss.Accumulator(name, **options).update(*(x[a:b] for x in arrays)))
    # merge as a tree, in a shuffled order
    order = [parts[i] for i in rng.permutation(len(parts))]
    while len(order) > 1:
        order = [order[i].merge(order[i + 1]) if i + 1 < len(order) else order[i]
                 for i in range(0, len(order), 2)]
    _close(order[0].result(), fastloss.get(name)(*arrays, **options))
    assert order[0].updates == len(parts)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_empty_chunks_and_no_data(dtype: Any) -> None:
    acc = fastloss.Accumulator("mse")
    assert np.isnan(acc.result()) and acc.denominator == 0
    empty = np.zeros(0, dtype=dtype)
    acc.update(empty, empty)
    assert np.isnan(acc.result()) and acc.result().dtype == dtype and acc.sum == 0
    x = np.arange(5, dtype=dtype)
    acc.update(x, x + 1).update(empty, empty)
    assert acc.result() == dtype(1) and acc.result().dtype == dtype
    assert acc.denominator == 5 and acc.updates == 3


def test_zero_total_weight_is_nan() -> None:
    acc = fastloss.Accumulator("sparse_categorical_cross_entropy", ignore_index=-1,
                               from_logits=True)
    acc.update(np.array([-1, -1]), np.zeros((2, 3)))
    assert np.isnan(acc.result())


def test_mixed_dtypes_promote() -> None:
    acc = fastloss.Accumulator("mae")
    acc.update(np.ones(3, np.float32), np.zeros(3, np.float32))
    assert acc.dtype == np.float32
    acc.update(np.ones(3), np.zeros(3))
    assert acc.result().dtype == np.float64 and acc.result() == 1.0
    acc16 = fastloss.Accumulator("mae").update(np.ones(3, np.float16), np.zeros(3, np.float16))
    assert acc16.result().dtype == np.float32  # as the one-shot loss


def test_float32_mean_of_many_chunks_keeps_precision() -> None:
    rng = np.random.default_rng(0)
    y = rng.standard_normal(1_000_000).astype(np.float32)
    p = (y + rng.standard_normal(y.size)).astype(np.float32)
    acc = fastloss.Accumulator("mse")
    for i in range(0, y.size, 997):
        acc.update(y[i:i + 997], p[i:i + 997])
    exact = np.mean((p.astype(np.float64) - y.astype(np.float64)) ** 2)
    assert float(acc.result()) == pytest.approx(exact, rel=2e-7)
    _close(acc.result(), fastloss.mse(y, p))


def test_errors_name_the_problem() -> None:
    with pytest.raises(ValueError, match="unknown loss 'nope'"):
        fastloss.Accumulator("nope")
    with pytest.raises(ValueError, match=r"unknown loss 'hubber' \(did you mean 'huber'\?\)"):
        fastloss.Accumulator("hubber")
    with pytest.raises(TypeError, match="unknown option 'deltaa'.*delta"):
        fastloss.Accumulator("huber", deltaa=1.0)
    with pytest.raises(TypeError, match="reduction"):
        fastloss.Accumulator("mse", reduction="sum")
    with pytest.raises(TypeError, match="sample_weight to update"):
        fastloss.Accumulator("mse", sample_weight=[1.0])
    for name in ("dice", "earth_movers_distance"):
        with pytest.raises(ValueError, match=f"loss '{name}' cannot be accumulated"):
            fastloss.Accumulator(name)
    # Refused when made, not at the first update: the mean is a sum of two means.
    for name in ("gan_discriminator", "lsgan_discriminator", "wasserstein_critic"):
        with pytest.raises(ValueError, match=f"loss '{name}' cannot be accumulated.*d_fake"):
            fastloss.Accumulator(name)
    acc = fastloss.Accumulator("mse")
    with pytest.raises(TypeError, match=r"mse takes 2 arrays \(y_true, y_pred\), got 1"):
        acc.update(np.ones(3))
    with pytest.raises(ValueError, match="same shape"):
        acc.update(np.ones(3), np.ones(4))
    assert acc.updates == 0  # a failed update adds nothing
    with pytest.raises(ValueError, match="'mae' into one of 'mse'"):
        acc.merge(fastloss.Accumulator("mae"))
    with pytest.raises(ValueError, match="different options"):
        fastloss.Accumulator("huber", delta=1.0).merge(fastloss.Accumulator("huber", delta=2.0))
    with pytest.raises(TypeError, match="another Accumulator"):
        acc.merge(3)  # type: ignore[arg-type]
    acc.update(np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match="cannot merge an accumulator into itself"):
        acc.merge(acc)
    assert acc.updates == 1 and acc.denominator == 3


def test_merge_compares_array_options() -> None:
    cw = np.array([1.0, 2.0, 3.0])
    a = fastloss.Accumulator("categorical_cross_entropy", class_weight=cw)
    a.merge(fastloss.Accumulator("categorical_cross_entropy", class_weight=cw.copy()))
    with pytest.raises(ValueError, match="different options"):
        a.merge(fastloss.Accumulator("categorical_cross_entropy", class_weight=cw[::-1]))


def test_reset_and_repr() -> None:
    acc = fastloss.Accumulator("huber", delta=0.5).update([0.0, 1.0], [1.0, 1.0])
    assert "huber" in repr(acc) and "delta=0.5" in repr(acc) and "1 updates" in repr(acc)
    acc.reset()
    assert acc.updates == 0 and np.isnan(acc.result())


def test_docstring_example() -> None:
    result = doctest.testmod(accumulator, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
