"""The public surface: names, registry, thread controls, version, typing files."""

from __future__ import annotations

import pathlib

import numpy as np

import fastloss


def test_all_names_exist() -> None:
    for name in fastloss.__all__:
        assert hasattr(fastloss, name), name
    assert sorted(dir(fastloss)) == sorted(fastloss.__all__)


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
