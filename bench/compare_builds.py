"""Before/after timing of two fastloss builds, interleaved, as the benchmark's rows.

Each build is a directory holding an importable ``fastloss`` package (for example the
package sources with that build's ``_core`` next to them). The script times the rows of
``fastloss bench`` (every loss with a benchmark case, its inputs and options, at each size,
dtype and thread count; only the fastloss call, timed as the benchmark times it) in a fresh
process per build, alternately on A and B, ``--runs`` times each, and prints for every row the
median over runs of the B/A time ratio (above 1: B is slower) with the spread of those ratios.
Machines drift within minutes, so only ratios from neighbouring runs are compared; judge
differences below the stated tolerance as noise.

    python bench/compare_builds.py /tmp/before /tmp/after --runs 5 [--sizes 1000,100000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from typing import Dict, List, Sequence, Tuple

Key = Tuple[str, str, int, int]  # loss, dtype, n, threads


def time_rows(sizes: Sequence[int], dtypes: Sequence[str]) -> Dict[str, float]:
    """In the worker: median seconds per fastloss call for every benchmark row."""
    import numpy as np

    import fastloss
    from fastloss import _bench_cases, benchmark

    medians: Dict[str, float] = {}
    thread_counts = sorted({1, fastloss.get_num_threads()})
    for name in fastloss.losses():
        case = _bench_cases.case(name)
        if case is None:
            continue
        fast = fastloss.get(name)
        for dtype in dtypes:
            for n in sizes:
                arrays = case.inputs(n, np.dtype(dtype), np.random.default_rng(0))
                options = dict(case.options)
                for t in thread_counts:
                    with fastloss.threads(t):
                        samples = benchmark.time_samples(
                            lambda f=fast, a=arrays, o=options: f(*a, **o))
                    medians[json.dumps([name, dtype, n, t])] = statistics.median(samples)
    return medians


def bench_once(package_dir: str, sizes: Sequence[int], dtypes: Sequence[str]) -> Dict[Key, float]:
    env = dict(os.environ, PYTHONPATH=package_dir)
    out = subprocess.run([sys.executable, __file__, "--worker", ",".join(map(str, sizes)),
                          ",".join(dtypes)], env=env, check=True, capture_output=True,
                         text=True, cwd=tempfile.gettempdir()).stdout
    return {tuple(json.loads(k)): v for k, v in json.loads(out).items()}  # type: ignore[misc]


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", help="directory with the 'before' fastloss package")
    parser.add_argument("b", help="directory with the 'after' fastloss package")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tolerance", type=float, default=0.05,
                        help="ratios beyond 1 +- this are flagged (default 0.05)")
    parser.add_argument("--sizes", default="1000,100000,4000000")
    parser.add_argument("--dtypes", default="float32,float64")
    if argv[:1] == ["--worker"]:  # the timing process of one build
        print(json.dumps(time_rows([int(float(x)) for x in argv[1].split(",")],
                                   argv[2].split(","))))
        return 0
    args = parser.parse_args(argv)
    sizes = [int(float(x)) for x in args.sizes.split(",")]
    dtypes = args.dtypes.split(",")
    ratios: Dict[Key, List[float]] = {}
    for run in range(args.runs):
        order = (args.a, args.b) if run % 2 == 0 else (args.b, args.a)  # alternate who goes first
        times = {d: bench_once(d, sizes, dtypes) for d in order}
        for key, t_a in times[args.a].items():
            t_b = times[args.b].get(key)
            if t_b is not None and t_a > 0:
                ratios.setdefault(key, []).append(t_b / t_a)
        print(f"run {run + 1}/{args.runs} done", file=sys.stderr)
    print(f"{'loss':34} {'dtype':8} {'n':>9} {'thr':>3}  {'B/A median':>10}  {'min':>5}  "
          f"{'max':>5}")
    flagged = 0
    medians = []
    for key in sorted(ratios):
        rs = ratios[key]
        med = statistics.median(rs)
        medians.append(med)
        mark = "  <-- slower" if med > 1 + args.tolerance else (
            "  faster" if med < 1 - args.tolerance else "")
        flagged += med > 1 + args.tolerance
        loss, dtype, n, threads = key
        print(f"{loss:34} {dtype:8} {n:>9} {threads:>3}  {med:10.3f}  {min(rs):5.2f}  "
              f"{max(rs):5.2f}{mark}")
    if medians:
        print(f"\n{len(medians)} rows; median of row medians {statistics.median(medians):.3f}; "
              f"{flagged} beyond +{args.tolerance:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
