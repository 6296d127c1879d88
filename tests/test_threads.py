"""Thread counts: the cap, the environment, and processes forked after a threaded call."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import textwrap
from typing import Dict, Optional

import numpy as np
import pytest

import fastloss

needs_openmp = pytest.mark.skipif(not fastloss.build_info()["openmp"],
                                  reason="a build without OpenMP has no threads")
needs_fork = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                                reason="no fork start method on this platform")


def run_python(code: str, env_extra: Optional[Dict[str, str]] = None,
               timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, **(env_extra or {}))
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=timeout, env=env, check=False)


def test_the_cap_is_four_times_the_logical_cpus() -> None:
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    assert fastloss.max_threads() in {4 * (available or 0), 4 * (os.cpu_count() or 1)}


@pytest.mark.parametrize("n", [10**6, 2**31 - 1, 2**40, fastloss.max_threads() + 1])
def test_thread_counts_above_the_cap_raise(n: int) -> None:
    before = fastloss.get_num_threads()
    with pytest.raises(ValueError, match=f"n must be an integer from 1 to "
                                         f"{fastloss.max_threads()}.*got {n}"):
        fastloss.set_num_threads(n)
    with pytest.raises(ValueError, match="from 1 to"), fastloss.threads(n):
        pass  # pragma: no cover
    assert fastloss.get_num_threads() == before


@pytest.mark.parametrize("n", [0, -1])
def test_thread_counts_below_one_raise(n: int) -> None:
    with pytest.raises(ValueError, match="from 1 to"):
        fastloss.set_num_threads(n)


@pytest.mark.parametrize("n", [1.5, "2", None])
def test_thread_counts_must_be_integers(n: object) -> None:
    with pytest.raises(TypeError, match="n must be an integer"):
        fastloss.set_num_threads(n)  # type: ignore[arg-type]


@needs_openmp
def test_the_cap_itself_runs() -> None:
    x = np.linspace(0, 1, 300_001)
    expected = fastloss.mse(x, x[::-1])
    with fastloss.threads(fastloss.max_threads()):
        assert fastloss.mse(x, x[::-1]) == expected


@needs_openmp
def test_an_environment_count_above_the_cap_is_clamped_with_a_warning() -> None:
    result = run_python("""
        import warnings
        warnings.simplefilter("always")
        with warnings.catch_warnings(record=True) as caught:
            import fastloss
        import numpy as np
        x = np.linspace(0, 1, 300_001)
        print(fastloss.get_num_threads(), fastloss.max_threads(), float(fastloss.mse(x, 2 * x)))
        print([str(w.message) for w in caught])
    """, {"OMP_NUM_THREADS": "1000000"})
    assert result.returncode == 0, result.stderr
    counts, messages = result.stdout.splitlines()
    threads, cap, value = counts.split()
    assert int(threads) == int(cap)
    assert float(value) == pytest.approx(float(np.mean(np.linspace(0, 1, 300_001) ** 2)))
    assert "OMP_NUM_THREADS asks for 1000000 threads" in messages and f"using {cap}" in messages



@needs_openmp
@needs_fork
def test_a_child_forked_after_a_threaded_call_runs_on_one_thread() -> None:
    # Run in a fresh interpreter: this one may have forked-unsafe state from other tests.
    result = run_python("""
        import multiprocessing as mp, warnings
        import numpy as np, fastloss
        def child(q):
            x = np.linspace(0, 1, 300_001)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                fastloss.set_num_threads(2)
            q.put((fastloss.get_num_threads(), float(fastloss.mse(x, 2 * x)),
                   [str(w.message) for w in caught]))
        if __name__ == "__main__":
            x = np.linspace(0, 1, 300_001)
            with fastloss.threads(2):
                parent = float(fastloss.mse(x, 2 * x))  # starts OpenMP's team
                ctx = mp.get_context("fork")
                q = ctx.Queue()
                p = ctx.Process(target=child, args=(q,))
                p.start()
                threads, value, messages = q.get(timeout=30)
                p.join(timeout=30)
            print(threads, value == parent, p.exitcode)
            print(messages)
            with ctx.Pool(2) as pool:  # data-loader style workers
                print(pool.map(float, [fastloss.mse(x, k * x) for k in (1, 2)]) ==
                      [0.0, parent])
                print(pool.apply(fastloss.get_num_threads))
    """, timeout=120)
    assert result.returncode == 0, result.stderr
    first, messages, pool_ok, pool_threads = result.stdout.splitlines()
    assert first == "1 True 0"
    assert "forked after fastloss ran threads" in messages
    assert pool_ok == "True" and pool_threads == "1"


@needs_openmp
@needs_fork
def test_a_child_forked_before_any_threaded_call_keeps_its_threads() -> None:
    result = run_python("""
        import multiprocessing as mp
        import numpy as np, fastloss
        def child(q):
            x = np.linspace(0, 1, 300_001)
            q.put((fastloss.get_num_threads(), float(fastloss.mse(x, 2 * x))))
        if __name__ == "__main__":
            fastloss.set_num_threads(2)
            ctx = mp.get_context("fork")
            q = ctx.Queue()
            p = ctx.Process(target=child, args=(q,))
            p.start()
            print(*q.get(timeout=30))
            p.join(timeout=30)
    """, timeout=120)
    assert result.returncode == 0, result.stderr
    threads, value = result.stdout.split()
    assert int(threads) == 2
    assert float(value) == pytest.approx(float(np.mean(np.linspace(0, 1, 300_001) ** 2)))
