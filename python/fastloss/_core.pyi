# Stubs for the private extension fastloss._core (see cpp/bindings/).
from typing import Any, Dict, Optional, Tuple

import numpy as np

_KernelResult = Tuple[float, float, int, Optional[np.ndarray], Optional[np.ndarray]]

def build_info() -> Dict[str, Any]: ...
def get_num_threads() -> int: ...
def set_num_threads(n: int) -> None: ...
def max_threads() -> int: ...
def _threads_env_warning() -> str: ...
def _forked_after_threads() -> bool: ...
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

# Embedding losses (cpp/bindings/embedding.cpp): the last element is a tuple with one
# gradient per predicted input (cosine_proximity: the y_pred gradient alone).
_MultiGradResult = Tuple[float, float, int, Optional[np.ndarray],
                         Optional[Tuple[np.ndarray, ...]]]

def contrastive(
    y_true: np.ndarray,
    x1: np.ndarray,
    x2: np.ndarray,
    sample_weight: Optional[np.ndarray],
    want_out: bool,
    want_grad: bool,
    grad_mean: bool,
    margin: float,
) -> _MultiGradResult: ...
def triplet(
    anchor: np.ndarray,
    positive: np.ndarray,
    negative: np.ndarray,
    sample_weight: Optional[np.ndarray],
    want_out: bool,
    want_grad: bool,
    grad_mean: bool,
    margin: float,
    squared: bool,
    swap: bool,
    eps: float,
) -> _MultiGradResult: ...
def cosine_proximity(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    sample_weight: Optional[np.ndarray],
    want_out: bool,
    want_grad: bool,
    grad_mean: bool,
    eps: float,
) -> _KernelResult: ...
def margin_ranking(
    y_true: np.ndarray,
    x1: np.ndarray,
    x2: np.ndarray,
    weight: Optional[np.ndarray],
    want_out: bool,
    want_grad: bool,
    grad_mean: bool,
    margin: float,
) -> _MultiGradResult: ...

# Adversarial losses (cpp/bindings/adversarial.cpp): one term over one input, kind "gan",
# "lsgan" or "wasserstein".
def adversarial_term(
    kind: str,
    d: np.ndarray,
    weight: Optional[np.ndarray],
    want_out: bool,
    want_grad: bool,
    grad_mean: bool,
    from_logits: bool,
    target: float,
    sign: float,
) -> _KernelResult: ...

# Count losses (cpp/bindings/count.cpp).
def poisson(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    weight: Optional[np.ndarray],
    want_out: bool,
    want_grad: bool,
    grad_mean: bool,
    log_input: bool,
    full: bool,
    eps: float,
) -> _KernelResult: ...
