"""The public surface: names, registry, thread controls, version, typing files."""

from __future__ import annotations

import pathlib
import subprocess
import sys
from typing import Any, Tuple

import numpy as np
import pytest

import fastloss
from fastloss import _bench_cases


def test_all_names_exist() -> None:
    for name in fastloss.__all__:
        assert hasattr(fastloss, name), name
    assert sorted(dir(fastloss)) == sorted(fastloss.__all__)


def test_baselines_is_an_attribute_after_import() -> None:
    # In a fresh interpreter: the test suite itself imports fastloss.baselines.
    code = "import fastloss; print(fastloss.baselines.mse.__module__)"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    assert out.strip() == "fastloss.baselines"


def test_registry() -> None:
    names = fastloss.losses()
    assert names[:3] == ["mse", "mae", "huber"]
    for name in names:
        assert fastloss.get(name) is getattr(fastloss, name)
        assert name in fastloss.__all__


def test_threads_context_manager_restores() -> None:
    before = fastloss.get_num_threads()
    with fastloss.threads(1):
        assert fastloss.get_num_threads() == 1
        assert fastloss.build_info()["num_threads"] == 1
    assert fastloss.get_num_threads() == before
    try:
        with fastloss.threads(1):
            raise RuntimeError("inside")
    except RuntimeError:
        pass
    assert fastloss.get_num_threads() == before


def test_version_and_typing_files() -> None:
    assert fastloss.__version__.count(".") == 2
    package = pathlib.Path(fastloss.__file__).parent
    assert (package / "py.typed").exists()
    assert (package / "_core.pyi").exists()


def test_gil_is_released_for_concurrent_calls() -> None:
    from concurrent.futures import ThreadPoolExecutor

    x = np.linspace(0, 1, 300_000)
    want = fastloss.mse(x, x[::-1].copy())
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: fastloss.mse(x, x[::-1].copy()), range(16)))
    assert all(r == want for r in results)


def test_docstring_examples() -> None:
    import doctest

    for module in (fastloss.regression, fastloss.classification):
        failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert tried > 0 and failures == 0, module.__name__


def test_every_public_loss_is_documented() -> None:
    for name in fastloss.losses():
        doc = fastloss.get(name).__doc__ or ""
        assert "Examples" in doc and ("torch" in doc or "keras" in doc), name


def _grads(g: Any) -> Tuple[np.ndarray, ...]:
    return tuple(g) if isinstance(g, tuple) else (g,)


@pytest.mark.parametrize("name", fastloss.losses())
def test_float16_gradients_are_float16(name: str) -> None:
    """float16 is computed in float32: the loss is float32, each gradient float16 (its input's)."""
    case = _bench_cases.case(name)
    if case is None:
        pytest.skip(f"no input factory for {name}")
    arrays = [a.astype(np.float16) if a.dtype.kind == "f" else a
              for a in case.inputs(200, np.dtype(np.float32), np.random.default_rng(0))]
    fn = fastloss.get(name)
    value, grads = fn(*arrays, return_grad=True, **case.options)
    as32 = [a.astype(np.float32) if a.dtype == np.float16 else a for a in arrays]
    want_value, want_grads = fn(*as32, return_grad=True, **case.options)
    assert value.dtype == np.float32 and value == want_value
    assert len(_grads(grads)) == len(_grads(want_grads))
    for g, want in zip(_grads(grads), _grads(want_grads)):
        assert g.dtype == np.float16 and g.shape == want.shape
        np.testing.assert_array_equal(g, want.astype(np.float16))


def test_each_gradient_has_its_inputs_dtype() -> None:
    half, single = np.linspace(-1, 1, 5, dtype=np.float16), np.linspace(0, 1, 5, dtype=np.float32)
    _, g = fastloss.mse(single, half, return_grad=True)
    assert g.dtype == np.float16
    _, g = fastloss.mse(half, single, return_grad=True)
    assert g.dtype == np.float32
    _, (g_real, g_fake) = fastloss.gan_discriminator(half, single, return_grad=True)
    assert (g_real.dtype, g_fake.dtype) == (np.float16, np.float32)
    logits = np.arange(10, dtype=np.float16).reshape(5, 2)  # classes on axis 0
    _, g = fastloss.categorical_cross_entropy(np.eye(5)[:, :2], logits, axis=0,
                                              from_logits=True, return_grad=True)
    assert g.dtype == np.float16 and g.shape == (5, 2)
