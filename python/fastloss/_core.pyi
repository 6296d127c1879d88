# Stubs for the private extension fastloss._core (see cpp/bindings/).
from typing import Any, Dict, Optional, Tuple

import numpy as np

_KernelResult = Tuple[float, float, int, Optional[np.ndarray], Optional[np.ndarray]]

def build_info() -> Dict[str, Any]: ...
def get_num_threads() -> int: ...
def set_num_threads(n: int) -> None: ...
def _set_isa(name: str) -> None: ...
def _isa_env_warning() -> str: ...
def _sum(x: np.ndarray) -> float: ...
def _math(name: str, x: np.ndarray) -> np.ndarray: ...
def mse(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    weight: Optional[np.ndarray],
    want_out: bool,
    want_grad: bool,
    grad_mean: bool,
    delta: float = ...,
) -> _KernelResult: ...
def mae(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    weight: Optional[np.ndarray],
    want_out: bool,
    want_grad: bool,
    grad_mean: bool,
    delta: float = ...,
) -> _KernelResult: ...
def huber(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    weight: Optional[np.ndarray],
    want_out: bool,
    want_grad: bool,
    grad_mean: bool,
    delta: float = ...,
) -> _KernelResult: ...
