"""Threaded calls on a busy machine, and the threading gain on an idle one.

    python bench/under_load.py            # both parts (about a minute)
    python bench/under_load.py --part load
    python bench/under_load.py --part idle

``load``: another process spins on one core while ``mse`` over float32 inputs of 10^5, 10^6
and 10^7 elements runs 400 times at 1 thread and 400 times at the default thread count, in
alternating rounds of 20 calls. Prints each count's median and p99 and the default's ratio to
one thread (the aim: median ≤ 1.5×, p99 ≤ 2×).

``idle``: no load. The 2-thread speed-up of ``binary_cross_entropy(from_logits=True)`` at
10^7 (aim ≥ 1.8×) and of ``mse`` at 10^7 against the machine's own 2-thread/1-thread
read-bandwidth ratio (a float64 sum over the same bytes; aim ≥ 0.9 of it), medians of
alternating calls. Results are checked to be bit-identical at every thread count.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from typing import Callable, Dict, List

import numpy as np

import fastloss
from fastloss import _core

SPINNER = "while True:\n    pass\n"


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def alternate(calls: Dict[int, Callable[[], object]], total: int, round_size: int = 20
              ) -> Dict[int, np.ndarray]:
    """`total` timings of each thread count's call, taken in alternating rounds."""
    samples: Dict[int, List[float]] = {t: [] for t in calls}
    for t, fn in calls.items():  # warm-up: page in, start the team
        with fastloss.threads(t):
            fn()
    while len(samples[next(iter(calls))]) < total:
        for t, fn in calls.items():
            with fastloss.threads(t):
                samples[t].extend(timed(fn) for _ in range(round_size))
    return {t: np.array(s[:total]) for t, s in samples.items()}


def fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:8.1f} µs"
    return f"{seconds * 1e3:8.2f} ms"


def part_load(default: int, calls: int) -> None:
    spinner = subprocess.Popen([sys.executable, "-c", SPINNER])
    try:
        time.sleep(0.5)
        print(f"== one core busy (a spinning process); mse float32, {calls} calls per count")
        print(f"{'n':>12} {'thr':>4} {'median':>12} {'p99':>12} {'median ÷ 1 thr':>15} "
              f"{'p99 ÷ 1 thr':>12}")
        rng = np.random.default_rng(0)
        for n in (10**5, 10**6, 10**7):
            y = rng.random(n, dtype=np.float32)
            p = rng.random(n, dtype=np.float32)
            times = alternate({1: lambda y=y, p=p: fastloss.mse(y, p),
                               default: lambda y=y, p=p: fastloss.mse(y, p)}, calls)
            base_med = float(np.median(times[1]))
            base_p99 = float(np.percentile(times[1], 99))
            for t in (1, default):
                med = float(np.median(times[t]))
                p99 = float(np.percentile(times[t], 99))
                print(f"{n:>12,} {t:>4} {fmt(med)} {fmt(p99)} {med / base_med:>14.2f}× "
                      f"{p99 / base_p99:>11.2f}×")
    finally:
        spinner.kill()
        spinner.wait()


def part_idle(default: int, calls: int) -> None:
    n = 10**7
    rng = np.random.default_rng(1)
    logits = rng.standard_normal(n).astype(np.float32)
    labels = (rng.random(n) < 0.5).astype(np.float32)
    y = rng.random(n, dtype=np.float32)
    p = rng.random(n, dtype=np.float32)
    floor_buffer = np.ones(n, dtype=np.float64)  # the bytes of y and p together
    cases = {
        "bce_logits": lambda: fastloss.binary_cross_entropy(labels, logits, from_logits=True),
        "mse": lambda: fastloss.mse(y, p),
        "read floor": lambda: _core._sum(floor_buffer),
    }
    print(f"\n== idle machine; n = {n:,} float32, {calls} alternating calls per count")
    print(f"{'case':>12} {'1 thr':>12} {f'{default} thr':>12} {'speed-up':>9}")
    speedups = {}
    for name, fn in cases.items():
        results = {}
        for t in (1, default):
            with fastloss.threads(t):
                results[t] = fn()
        assert results[1] == results[default], f"{name}: thread counts disagree"
        times = alternate({1: fn, default: fn}, calls, round_size=5)
        med1, med2 = (float(np.median(times[t])) for t in (1, default))
        speedups[name] = med1 / med2
        print(f"{name:>12} {fmt(med1)} {fmt(med2)} {speedups[name]:>8.2f}×")
    ratio = speedups["mse"] / speedups["read floor"]
    print(f"mse speed-up ÷ read-floor speed-up: {ratio:.2f}")


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=("load", "idle", "both"), default="both")
    parser.add_argument("--calls", type=int, default=400)
    args = parser.parse_args(argv)
    default = fastloss.get_num_threads()
    if default < 2:
        print("needs at least 2 threads (OMP_NUM_THREADS or a 2-core machine)")
        return 2
    info = fastloss.build_info()
    print(f"fastloss {info['version']} | ISA {info['active_isa']} | {os.cpu_count()} CPUs | "
          f"default threads {default}")
    if args.part in ("load", "both"):
        part_load(default, args.calls)
    if args.part in ("idle", "both"):
        part_idle(default, max(21, args.calls // 10))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
