"""Benchmark harness: fastloss against its NumPy baselines and the memory-read floor.

Every case is timed as the median of repeated runs after a warm-up, in the same process
and the same run as the NumPy baseline and the floor, so the ratios compare like with like.
The floor is the time to stream the case's input bytes once: a plain float64 sum over a
buffer of the same size, on the same number of threads (the least work any loss can do
per byte it must read).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

from . import _core, _registry, baselines
from ._threads import get_num_threads, threads

# Per-loss options used in the benchmark (the defaults unless a loss needs data-shaped ones).
DEFAULT_LOSSES = ["mse", "mae", "huber"]
DEFAULT_SIZES = [1_000, 10_000_000]
DEFAULT_DTYPES = ["float32", "float64"]


@dataclass
class Row:
    loss: str
    dtype: str
    n: int
    threads: int
    fastloss_s: float
    numpy_s: float
    floor_s: float
    input_bytes: int

    @property
    def speedup(self) -> float:
        return self.numpy_s / self.fastloss_s

    @property
    def vs_floor(self) -> float:
        return self.fastloss_s / self.floor_s

    @property
    def gbps(self) -> float:
        return self.input_bytes / self.fastloss_s / 1e9


def median_time(fn: Callable[[], object], min_sample_s: float = 2e-3, samples: int = 15) -> float:
    """Median seconds per call; each sample loops enough calls to last `min_sample_s`."""
    fn()  # warm-up: page in, allocate, wake threads
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-7)
    loops = max(1, int(min_sample_s / once))
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        times.append((time.perf_counter() - start) / loops)
    return statistics.median(times)


def make_inputs(name: str, n: int, dtype: np.dtype, rng: np.random.Generator) -> tuple:
    y_true = rng.standard_normal(n, dtype=np.float64).astype(dtype)
    y_pred = (y_true + rng.standard_normal(n, dtype=np.float64)).astype(dtype)
    return y_true, y_pred


def floor_time(nbytes: int, num_threads: int, buffers: Dict[int, np.ndarray]) -> float:
    if nbytes not in buffers:
        buffers[nbytes] = np.ones(max(1, nbytes // 8), dtype=np.float64)
    buf = buffers[nbytes]
    with threads(num_threads):
        return median_time(lambda: _core._sum(buf))


def run(
    losses: Sequence[str] = DEFAULT_LOSSES,
    sizes: Sequence[int] = DEFAULT_SIZES,
    dtypes: Sequence[str] = DEFAULT_DTYPES,
    thread_counts: Optional[Sequence[int]] = None,
    progress: Optional[Callable[[str], None]] = None,
) -> List[Row]:
    thread_counts = thread_counts or sorted({1, get_num_threads()})
    rng = np.random.default_rng(0)
    rows: List[Row] = []
    buffers: Dict[int, np.ndarray] = {}
    for n in sizes:
        for dtype_name in dtypes:
            dtype = np.dtype(dtype_name)
            for name in losses:
                fast, base = _registry.get(name), getattr(baselines, name)
                y_true, y_pred = make_inputs(name, n, dtype, rng)
                nbytes = y_true.nbytes + y_pred.nbytes
                numpy_s = median_time(lambda: base(y_true, y_pred))
                for t in thread_counts:
                    if progress:
                        progress(f"{name} {dtype_name} n={n:,} threads={t}")
                    with threads(t):
                        fast_s = median_time(lambda: fast(y_true, y_pred))
                    rows.append(Row(name, dtype_name, n, t, fast_s, numpy_s,
                                    floor_time(nbytes, t, buffers), nbytes))
    return rows


def _fmt_time(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:8.2f} µs"
    return f"{s * 1e3:8.2f} ms"


def format_table(rows: Sequence[Row]) -> str:
    header = (f"{'loss':<8} {'dtype':<8} {'n':>12} {'thr':>3}  {'fastloss':>11}  {'numpy':>11}"
              f"  {'×numpy':>7}  {'floor':>11}  {'÷floor':>6}  {'GB/s':>6}")
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(
            f"{r.loss:<8} {r.dtype:<8} {r.n:>12,} {r.threads:>3}  {_fmt_time(r.fastloss_s):>11}"
            f"  {_fmt_time(r.numpy_s):>11}  {r.speedup:>6.1f}×  {_fmt_time(r.floor_s):>11}"
            f"  {r.vs_floor:>5.2f}×  {r.gbps:>6.1f}"
        )
    return "\n".join(lines)


def machine_summary() -> str:
    info = _core.build_info()
    return (f"fastloss {info['version']} | {platform.machine()} | ISA {info['active_isa']} "
            f"(compiled: {', '.join(info['compiled_isas'])}) | OpenMP {info['openmp']} | "
            f"threads {info['num_threads']} | numpy {np.__version__} | {info['compiler']}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="fastloss bench", description=__doc__.split("\n")[0])
    parser.add_argument("--losses", default=",".join(DEFAULT_LOSSES),
                        help="comma-separated loss names (default: %(default)s)")
    parser.add_argument("--sizes", default=",".join(str(s) for s in DEFAULT_SIZES),
                        help="comma-separated element counts (default: %(default)s)")
    parser.add_argument("--dtypes", default=",".join(DEFAULT_DTYPES),
                        help="comma-separated dtypes (default: %(default)s)")
    parser.add_argument("--threads", default=None,
                        help="comma-separated thread counts (default: 1 and all)")
    args = parser.parse_args(argv)
    losses = [s for s in args.losses.split(",") if s]
    for name in losses:
        _registry.get(name)  # unknown names fail before any timing
    sizes = [int(s) for s in args.sizes.split(",") if s]
    dtypes = [s for s in args.dtypes.split(",") if s]
    thread_counts = [int(s) for s in args.threads.split(",")] if args.threads else None

    print(machine_summary())
    rows = run(losses, sizes, dtypes, thread_counts,
               progress=lambda msg: print(f"  timing {msg} ...", file=sys.stderr, flush=True))
    print(format_table(rows))
    print("×numpy: NumPy baseline time ÷ fastloss time. ÷floor: fastloss time ÷ time to read "
          "the input bytes once on the same threads. Medians of 15 samples.")
    return 0
