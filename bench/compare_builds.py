"""Before/after timing of two fastloss builds, interleaved, as the benchmark's rows.

Each build is a directory holding an importable ``fastloss`` package (for example the
package sources with that build's ``_core`` next to them). The script runs
``fastloss bench --json`` alternately on A and B, ``--runs`` times each, and prints for every
row the median over runs of the B/A time ratio of fastloss (above 1: B is slower), with the
spread of those ratios. Machines drift within minutes, so only ratios from neighbouring runs
are compared; judge differences below the stated tolerance as noise.

    python bench/compare_builds.py /tmp/before /tmp/after --runs 5 [-- bench options]
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


def bench_once(package_dir: str, bench_args: Sequence[str]) -> Dict[Key, float]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        path = f.name
    env = dict(os.environ, PYTHONPATH=package_dir)
    subprocess.run([sys.executable, "-m", "fastloss", "bench", "--no-progress", "--json", path,
                    *bench_args], env=env, check=True, stdout=subprocess.DEVNULL)
    with open(path, encoding="utf-8") as f:
        report = json.load(f)
    os.unlink(path)
    return {(r["loss"], r["dtype"], r["n"], r["threads"]): r["median_s"]["fastloss"]
            for r in report["results"]}


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", help="directory with the 'before' fastloss package")
    parser.add_argument("b", help="directory with the 'after' fastloss package")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tolerance", type=float, default=0.05,
                        help="ratios beyond 1 +- this are flagged (default 0.05)")
    parser.add_argument("bench_args", nargs=argparse.REMAINDER,
                        help="after --: options for fastloss bench")
    args = parser.parse_args(argv)
    bench_args = [a for a in args.bench_args if a != "--"]
    ratios: Dict[Key, List[float]] = {}
    for run in range(args.runs):
        order = (args.a, args.b) if run % 2 == 0 else (args.b, args.a)  # alternate who goes first
        times = {d: bench_once(d, bench_args) for d in order}
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
