"""CPU dispatch: compiled and active ISAs, FASTLOSS_ISA, and the private test hook."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import numpy as np
import pytest

import fastloss
from fastloss import _core

ORDER = ["baseline", "avx2", "avx512"]


def run_python(code: str, **env: str) -> str:
    full_env = {**os.environ, **env}
    done = subprocess.run([sys.executable, "-c", code], env=full_env, capture_output=True,
                          text=True, check=True)
    return done.stdout.strip() + done.stderr.strip()


def test_build_info_keys() -> None:
    info = fastloss.build_info()
    assert set(info) >= {"version", "compiled_isas", "supported_isas", "active_isa", "best_isa",
                         "openmp", "num_threads", "compiler", "sanitize"}
    assert info["active_isa"] in info["supported_isas"]
    assert set(info["supported_isas"]) <= set(info["compiled_isas"])
    assert info["version"] == fastloss.__version__
    assert info["num_threads"] == fastloss.get_num_threads()


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="x86-64 only")
def test_x86_builds_every_copy_and_picks_the_best() -> None:
    info = fastloss.build_info()
    assert info["compiled_isas"] == ORDER
    assert info["supported_isas"][0] == "baseline"
    if "FASTLOSS_ISA" not in os.environ:
        assert info["active_isa"] == info["supported_isas"][-1]
    with open("/proc/cpuinfo") if os.path.exists("/proc/cpuinfo") else open(os.devnull) as f:
        flags = f.read()
    if all(f" {flag}" in flags for flag in ("avx512f", "avx512dq", "avx512vl", "avx512bw")):
        assert info["best_isa"] == "avx512"


@pytest.mark.parametrize("isa", ["baseline", "avx2"])
def test_environment_can_lower_the_isa(isa: str) -> None:
    if isa not in fastloss.build_info()["supported_isas"]:
        pytest.skip(f"{isa} not supported here")
    out = run_python("import fastloss, numpy as np; print(fastloss.build_info()['active_isa']);"
                     "print(fastloss.mse(np.zeros(3), np.ones(3)))", FASTLOSS_ISA=isa)
    assert out.splitlines() == [isa, "1.0"]


def test_environment_cannot_raise_or_misname_the_isa() -> None:
    best = fastloss.build_info()["best_isa"]
    out = run_python("import fastloss; print(fastloss.build_info()['active_isa'])",
                     FASTLOSS_ISA="sse9")
    assert out.startswith(best) and "FASTLOSS_ISA=sse9 is not one of" in out


def test_set_isa_hook_switches_the_kernels() -> None:
    previous = fastloss.build_info()["active_isa"]
    try:
        for isa in fastloss.build_info()["supported_isas"]:
            _core._set_isa(isa)
            assert fastloss.build_info()["active_isa"] == isa
            assert fastloss.mse(np.zeros(5), np.full(5, 2.0)) == 4.0
    finally:
        _core._set_isa(previous)
    with pytest.raises(ValueError, match="ISA 'sse9' is not available"):
        _core._set_isa("sse9")
