# Stubs for the private extension fastloss._core (see cpp/bindings/). Bindings declared without
# argument names take their arguments by position only (pybind11 names them arg0, arg1, ...).
from typing import Literal, TypedDict, TypeVar

import numpy as np
import numpy.typing as npt
from typing_extensions import TypeAlias

# The kernels compute in float32 or float64; outputs have the dtype of the first prediction.
_Float = TypeVar("_Float", np.float32, np.float64)
_FloatArray: TypeAlias = npt.NDArray[np.float32] | npt.NDArray[np.float64]

# (loss_sum, weight_sum, first_invalid, per-sample losses | None, gradients | None): the
# per-sample losses when `want_out`, one gradient per prediction when `want_grad`;
# first_invalid is -1, or the flat index of the first element the kernel found invalid.
_LossResult: TypeAlias = tuple[
    float, float, int, _FloatArray | None, tuple[_FloatArray, ...] | None
]

# (name, engine, option names in call order, array option name | None) of one kernel.
_KernelInfo: TypeAlias = tuple[
    str, Literal["elementwise", "rows", "embedding"], tuple[str, ...], str | None
]

class _BuildInfo(TypedDict):
    version: str
    compiled_isas: list[str]
    supported_isas: list[str]
    active_isa: str
    best_isa: str
    openmp: bool
    num_threads: int
    compiler: str
    sanitize: str
    assert_gil: bool

# cpp/bindings/dispatch.cpp
def build_info() -> _BuildInfo: ...
def get_num_threads() -> int: ...
def max_threads() -> int: ...
def set_num_threads(n: int, /) -> None: ...
def _threads_env_warning() -> str: ...
def _forked_after_threads() -> bool: ...
def _set_isa(name: str, /) -> None: ...
def _isa_env_warning() -> str: ...
def _sum(x: _FloatArray, /) -> float: ...

# cpp/bindings/losses.cpp: `kernel` indexes kernels(); the arrays are C-contiguous, of one
# dtype (labels: int64 class ids, one per row); `options` are the kernel's numbers (flags as
# bools) in the order kernels() names them.
def loss(
    kernel: int,
    predictions: tuple[_FloatArray, ...],
    y_true: _FloatArray | None,
    sample_weight: _FloatArray | None,
    options: dict[str, float],
    want_out: bool,
    want_grad: bool,
    grad_mean: bool,
    labels: npt.NDArray[np.int64] | None = None,
    class_weight: _FloatArray | None = None,
    array_option: _FloatArray | None = None,
) -> _LossResult: ...
def kernels() -> list[_KernelInfo]: ...

# cpp/bindings/math.cpp
def _math(name: str, x: npt.NDArray[_Float], /) -> npt.NDArray[_Float]: ...
