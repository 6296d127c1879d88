"""Benchmark harness: fastloss against its NumPy baselines, installed peers and the read floor.

Every measurement is the median of repeated runs after a warm-up, taken in the same process
and the same run as the NumPy baseline, the peers and the floor, so the ratios compare like
with like. The floor is the time to stream the case's input bytes once: a plain float64 sum
over a buffer of the same size on the same number of threads (the least work any loss can
do per byte it must read).

Peers, when installed: PyTorch (CPU, ``torch.nn.functional`` or a short tensor expression,
at the same thread count through ``torch.set_num_threads``) and numexpr (elementwise losses,
``sum(expr) / n``, at the same thread count). The NumPy baseline is single-threaded, so it is
timed once per loss, dtype and size. Inputs for each loss come from `fastloss._bench_cases`.

The command line is ``fastloss bench`` (see `fastloss.cli`); `main` is kept for
``bench/bench_losses.py``.
"""

from __future__ import annotations

import datetime
import inspect
import json
import math
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from . import _bench_cases, _core, _registry, baselines
from ._progress import Progress
from ._threads import get_num_threads, threads

DEFAULT_SIZES = [1_000, 100_000, 4_000_000]
DEFAULT_DTYPES = ["float32", "float64"]
QUICK_SIZES = [1_000, 1_000_000]
QUICK_DTYPES = ["float32"]
PEERS = ("torch", "numexpr")
DTYPES = ("float32", "float64")
JSON_SCHEMA = "fastloss-bench/1"


@dataclass
class Timing:
    """How each measurement is taken."""

    samples: int = 15  # at most this many samples ...
    min_samples: int = 5  # ... and at least this many, even for slow calls
    budget_s: float = 0.25  # samples are cut (down to min_samples) to stay near this
    min_sample_s: float = 2e-3  # fast calls are looped until a sample lasts this long


DEFAULT_TIMING = Timing()
QUICK_TIMING = Timing(samples=7, min_samples=3, budget_s=0.06, min_sample_s=1e-3)


@dataclass
class Measurement:
    """One loss, dtype, size and thread count: the median seconds of each implementation."""

    loss: str
    dtype: str
    n: int
    threads: int
    input_bytes: int
    shapes: List[List[int]]
    times: Dict[str, float] = field(default_factory=dict)  # fastloss, numpy, floor, peers
    samples: Dict[str, List[float]] = field(default_factory=dict)
    values: Dict[str, float] = field(default_factory=dict)  # loss values, for the check
    mismatches: List[str] = field(default_factory=list)  # implementations whose value differs

    @property
    def fastloss_s(self) -> float:
        return self.times["fastloss"]

    @property
    def numpy_s(self) -> float:
        return self.times["numpy"]

    @property
    def floor_s(self) -> float:
        return self.times["floor"]

    @property
    def speedup(self) -> float:
        """NumPy time ÷ fastloss time."""
        return self.numpy_s / self.fastloss_s

    def speedup_over(self, impl: str) -> Optional[float]:
        t = self.times.get(impl)
        return None if t is None else t / self.fastloss_s

    @property
    def vs_floor(self) -> float:
        """fastloss time ÷ the time to read the input bytes once."""
        return self.fastloss_s / self.floor_s

    @property
    def gbps(self) -> float:
        return self.input_bytes / self.fastloss_s / 1e9


Row = Measurement  # the name used before peers were added


@dataclass
class Report:
    measurements: List[Measurement]
    skipped: List[Dict[str, str]]  # {"loss" or "peer": name, "reason": ...}
    peers: Dict[str, str]  # peer name -> version, for those used
    config: Dict[str, Any]


# --- timing ---------------------------------------------------------------------------------


def time_samples(fn: Callable[[], object], timing: Optional[Timing] = None) -> List[float]:
    """Seconds per call, one value per sample, after a warm-up call."""
    timing = timing or DEFAULT_TIMING
    fn()  # warm-up: page in, allocate, wake threads
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-7)
    loops = max(1, int(timing.min_sample_s / once))
    count = max(timing.min_samples, min(timing.samples, int(timing.budget_s / (once * loops))))
    times = []
    if loops == 1 and count == timing.min_samples:
        times.append(once)  # a slow call: the second run is already a fair sample
    while len(times) < count:
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        times.append((time.perf_counter() - start) / loops)
    return times


# --- peers ----------------------------------------------------------------------------------


class _Torch:
    name = "torch"

    def __init__(self) -> None:
        import torch
        import torch.nn.functional as F

        self.torch, self.F = torch, F
        self.version = str(torch.__version__)

    def prepare(self, c: _bench_cases.Case, names: Sequence[str],
                arrays: Sequence[np.ndarray]) -> Optional[Callable[[], float]]:
        if c.torch is None:
            return None
        tensors = [self.torch.from_numpy(a) for a in arrays]
        fn, F = c.torch, self.F
        return lambda: float(fn(F, *tensors))

    def thread_setting(self, n: int) -> Callable[[], None]:
        previous = self.torch.get_num_threads()
        self.torch.set_num_threads(n)
        return lambda: self.torch.set_num_threads(previous)


class _Numexpr:
    name = "numexpr"

    def __init__(self) -> None:
        import numexpr

        self.ne = numexpr
        self.version = str(numexpr.__version__)

    def prepare(self, c: _bench_cases.Case, names: Sequence[str],
                arrays: Sequence[np.ndarray]) -> Optional[Callable[[], float]]:
        if c.numexpr is None:
            return None
        local = dict(zip(names, arrays))
        expr, n, evaluate = f"sum({c.numexpr})", arrays[0].size, self.ne.evaluate
        return lambda: float(evaluate(expr, local_dict=local)) / n

    def thread_setting(self, n: int) -> Callable[[], None]:
        previous = self.ne.set_num_threads(n)
        return lambda: self.ne.set_num_threads(previous)


def load_peers(requested: Sequence[str]) -> Tuple[List[Any], List[Dict[str, str]]]:
    """The requested peers that import, and why the others are skipped."""
    loaded, skipped = [], []
    for name in requested:
        cls = {"torch": _Torch, "numexpr": _Numexpr}[name]
        try:
            loaded.append(cls())
        except ImportError:
            extra = "" if name == "torch" else ' (pip install "fastloss[bench]")'
            skipped.append({"peer": name, "reason": f"not installed{extra}"})
        except Exception as exc:  # noqa: BLE001 - a broken install is reported, not fatal
            skipped.append({"peer": name, "reason": f"failed to import: {exc}"})
    return loaded, skipped


# --- the run --------------------------------------------------------------------------------


def _positional_names(fn: Callable[..., object], count: int) -> List[str]:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return [f"x{i}" for i in range(count)]
    names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return (names + [f"x{i}" for i in range(len(names), count)])[:count]


def _close(a: float, b: float, dtype: str) -> bool:
    """Same value within what dtype, summation order and peers' eps terms explain."""
    if math.isnan(a) and math.isnan(b):
        return True
    rtol = 1e-3 if dtype == "float32" else 1e-5
    return abs(a - b) <= rtol * max(abs(a), abs(b), 1e-6)


def _work(n: int) -> float:
    """Progress weight of one timed implementation at size n (calls are looped to ~ms)."""
    return n + 50_000


class _Runner:
    """Times one case (loss, dtype, size) at every thread count."""

    def __init__(self, peers: Sequence[Any], thread_counts: Sequence[int], timing: Timing,
                 bar: Optional[Progress]) -> None:
        self.peers, self.thread_counts, self.timing, self.bar = peers, thread_counts, timing, bar
        self.rng = np.random.default_rng(0)
        self._floor_buffer = np.ones(1, dtype=np.float64)
        self.failed_peers: Dict[Tuple[str, str], str] = {}

    def _step(self, status: str, n: int) -> None:
        if self.bar is not None:
            self.bar.advance(_work(n), status)

    def _floor(self, nbytes: int, t: int) -> float:
        """Measured next to each fastloss timing, so both see the same machine conditions."""
        if self._floor_buffer.nbytes != max(8, nbytes // 8 * 8):
            self._floor_buffer = np.ones(max(1, nbytes // 8), dtype=np.float64)
        buf = self._floor_buffer
        with threads(t):
            return statistics.median(time_samples(lambda: _core._sum(buf), self.timing))

    def time_case(self, name: str, fast: Callable[..., Any], base: Callable[..., Any],
                  c: _bench_cases.Case, dtype_name: str, n: int) -> List[Measurement]:
        label = f"{name} {dtype_name} n={n:,}"
        if self.bar is not None:
            self.bar.set_status(f"{label} numpy")
        options = dict(c.options)
        arrays = c.inputs(n, np.dtype(dtype_name), self.rng)
        nbytes = int(sum(a.nbytes for a in arrays))
        values = {"fastloss": float(fast(*arrays, **options)),
                  "numpy": float(base(*arrays, **options))}
        numpy_samples = time_samples(lambda: base(*arrays, **options), self.timing)
        self._step(f"{label} numpy", n)
        calls: Dict[str, Callable[[], float]] = {}
        arg_names = _positional_names(fast, len(arrays))
        for peer in self.peers:
            try:
                call = peer.prepare(c, arg_names, arrays)
                if call is not None:
                    values[peer.name] = call()
                    calls[peer.name] = call
            except Exception as exc:  # noqa: BLE001 - a peer's failure is reported
                message = str(exc).splitlines()[0] if str(exc) else ""
                self.failed_peers[(peer.name, name)] = f"{type(exc).__name__}: {message}"
        mismatches = [k for k, v in values.items()
                      if k != "fastloss" and not _close(values["fastloss"], v, dtype_name)]
        found = []
        for t in self.thread_counts:
            m = Measurement(name, dtype_name, n, t, nbytes, [list(a.shape) for a in arrays],
                            values=values, mismatches=mismatches)
            m.samples["numpy"] = numpy_samples
            with threads(t):
                m.samples["fastloss"] = time_samples(lambda: fast(*arrays, **options),
                                                     self.timing)
            self._step(f"{label} fastloss {t} thr", n)
            floor = self._floor(nbytes, t)
            self._step(f"{label} floor {t} thr", n)
            for peer in self.peers:
                if peer.name in calls:
                    restore = peer.thread_setting(t)
                    try:
                        m.samples[peer.name] = time_samples(calls[peer.name], self.timing)
                    finally:
                        restore()
                self._step(f"{label} {peer.name} {t} thr", n)
            m.times = {k: statistics.median(v) for k, v in m.samples.items()}
            m.times["floor"] = floor
            found.append(m)
        return found


def run(
    losses: Optional[Sequence[str]] = None,
    sizes: Sequence[int] = DEFAULT_SIZES,
    dtypes: Sequence[str] = DEFAULT_DTYPES,
    thread_counts: Optional[Sequence[int]] = None,
    progress: Optional[Callable[[str], None]] = None,
    *,
    peers: Sequence[str] = PEERS,
    timing: Optional[Timing] = None,
    bar: Optional[Progress] = None,
) -> Report:
    """Times every loss × dtype × size × thread count; see the module docstring.

    `losses` defaults to every registered loss; those without a benchmark case are reported
    in ``Report.skipped``. `progress(message)` is called before each case; `bar` (a
    `Progress`) is advanced as the work is done.
    """
    timing = timing or DEFAULT_TIMING
    names = list(losses) if losses is not None else _registry.losses()
    thread_counts = list(thread_counts or sorted({1, get_num_threads()}))
    loaded, skipped = load_peers(peers)
    runnable = []
    for name in names:
        fast = _registry.get(name)
        c = _bench_cases.case(name)
        base = getattr(baselines, name, None)
        if c is None:
            skipped.append({"loss": name,
                            "reason": "no benchmark case in fastloss/_bench_cases.py"})
        elif base is None:
            skipped.append({"loss": name, "reason": "no NumPy baseline in fastloss.baselines"})
        else:
            runnable.append((name, fast, base, c))

    per_case = 1 + len(thread_counts) * (2 + len(loaded))
    if bar is not None:
        bar.total = max(1e-12, sum(per_case * _work(n) for n in sizes) * len(runnable)
                        * len(dtypes))
    runner = _Runner(loaded, thread_counts, timing, bar)
    measurements: List[Measurement] = []
    timed = []
    for name, fast, base, c in runnable:
        try:
            found = []
            for dtype_name in dtypes:
                for n in sizes:
                    if progress:
                        progress(f"{name} {dtype_name} n={n:,}")
                    found += runner.time_case(name, fast, base, c, dtype_name, n)
        except Exception as exc:  # noqa: BLE001 - one broken loss does not end the run
            message = str(exc).splitlines()[0] if str(exc) else ""
            skipped.append({"loss": name, "reason": f"failed: {type(exc).__name__}: {message}"})
            continue
        measurements += found
        timed.append(name)
    for (peer_name, loss), reason in runner.failed_peers.items():
        skipped.append({"peer": peer_name, "loss": loss, "reason": reason})
    config = {"sizes": list(sizes), "dtypes": list(dtypes), "threads": thread_counts,
              "losses": timed, "classes": _bench_cases.CLASSES,
              "samples": timing.samples, "min_samples": timing.min_samples}
    return Report(measurements, skipped, {p.name: p.version for p in loaded}, config)


# --- output ---------------------------------------------------------------------------------


def _fmt_time(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:.2f} µs"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.3f} s"


def _fmt_ratio(r: Optional[float]) -> str:
    if r is None:
        return "—"
    if r >= 100:
        return f"{r:.0f}×"
    if r >= 1:
        return f"{r:.1f}×"
    return f"{r:.2f}×" if r >= 0.01 else f"{r:.1g}×"


def format_table(rows: Sequence[Measurement], peers: Sequence[str] = ()) -> str:
    """An aligned table: one line per measurement, a ratio column per peer."""
    peers = list(peers)
    header = ["loss", "dtype", "n", "thr", "fastloss", "numpy", "×numpy"]
    header += [f"×{p}" for p in peers] + ["÷floor", "GB/s"]
    right = set(range(2, len(header)))
    lines = []
    for r in rows:
        cells = [r.loss, r.dtype, f"{r.n:,}", str(r.threads), _fmt_time(r.fastloss_s),
                 _fmt_time(r.numpy_s), _fmt_ratio(r.speedup)]
        for p in peers:
            cell = _fmt_ratio(r.speedup_over(p))
            cells.append(cell + ("!" if p in r.mismatches else ""))
        if "numpy" in r.mismatches:
            cells[6] += "!"
        cells += [f"{r.vs_floor:.2f}×", f"{r.gbps:.1f}"]
        lines.append(cells)
    widths = [max([len(h)] + [len(c[i]) for c in lines]) for i, h in enumerate(header)]

    def fmt(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    out = [fmt(header), "-" * len(fmt(header))]
    previous = None
    for r, cells in zip(rows, lines):
        if previous is not None and r.loss != previous:
            out.append("")  # a blank line between losses
        previous = r.loss
        out.append(fmt(cells))
    return "\n".join(out)


def legend(report: Report) -> str:
    peers = list(report.peers)
    lines = [
        "×numpy: NumPy baseline time ÷ fastloss time (NumPy is single-threaded; timed once)."]
    for p in peers:
        lines.append(f"×{p}: {p} time ÷ fastloss time, same thread count "
                     "(— where it has no equivalent).")
    lines.append("÷floor: fastloss time ÷ time to read the input bytes once on the same threads. "
                 "GB/s: input bytes ÷ fastloss time.")
    lines.append(f"n: elements per input (row losses: n/{_bench_cases.CLASSES} rows × "
                 f"{_bench_cases.CLASSES}). Medians of {report.config['min_samples']}–"
                 f"{report.config['samples']} samples after a warm-up.")
    one_thread = {(m.loss, m.dtype, m.n): m.fastloss_s for m in report.measurements
                  if m.threads == 1}
    slower = [m for m in report.measurements if m.threads > 1
              and m.fastloss_s > 1.5 * one_thread.get((m.loss, m.dtype, m.n), math.inf)]
    if slower:
        lines.append(f"note: {len(slower)} measurement(s) on more threads were over 1.5× slower "
                     "than on 1 thread: other processes were probably using the CPUs (see the "
                     "load average); rerun on an idle machine for threaded numbers.")
    if any(m.mismatches for m in report.measurements):
        lines.append("!: that implementation's value differs from fastloss's by more than 1e-3 "
                     "(float32) or 1e-5 (float64) relative: numexpr's float32 sum() adds in "
                     "float32 and drifts on large inputs; otherwise check the case in "
                     "fastloss/_bench_cases.py.")
    described = {}
    for m in report.measurements:
        c = _bench_cases.case(m.loss)
        if c is not None:
            described[m.loss] = c.describe
    if described:
        lines.append("inputs: " + "; ".join(f"{k}: {v}" for k, v in described.items()))
    for s in report.skipped:
        what = s.get("loss") if "peer" not in s else s["peer"] + (
            f" for {s['loss']}" if "loss" in s else "")
        lines.append(f"skipped {what}: {s['reason']}")
    return "\n".join(lines)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _version(module: str) -> Optional[str]:
    try:
        from importlib.metadata import version

        return version(module)
    except Exception:  # noqa: BLE001 - not installed, or no metadata
        return None


def machine_info() -> Dict[str, Any]:
    """Facts about this machine and build, for the JSON report and `fastloss info`."""
    info = _core.build_info()
    return {
        "cpu_model": cpu_model(),
        "machine": platform.machine(),
        "logical_cpus": os.cpu_count(),
        "platform": platform.platform(),
        "active_isa": info["active_isa"],
        "best_isa": info.get("best_isa"),
        "compiled_isas": list(info["compiled_isas"]),
        "supported_isas": list(info.get("supported_isas", [])),
        "openmp": bool(info["openmp"]),
        "num_threads": int(info["num_threads"]),
        "compiler": info.get("compiler"),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "versions": {
            "fastloss": info["version"],
            "numpy": np.__version__,
            "python": platform.python_version(),
            "python_implementation": platform.python_implementation(),
            "torch": _version("torch"),
            "numexpr": _version("numexpr"),
            "matplotlib": _version("matplotlib"),
        },
    }


def machine_summary() -> str:
    m = machine_info()
    return (f"fastloss {m['versions']['fastloss']} | {m['cpu_model']} ({m['logical_cpus']} "
            f"CPUs, {m['machine']}) | ISA {m['active_isa']} (compiled: "
            f"{', '.join(m['compiled_isas'])}) | OpenMP {'on' if m['openmp'] else 'off'}, "
            f"{m['num_threads']} threads | numpy {m['versions']['numpy']} | {m['compiler']}"
            + (f" | load {m['load_average'][0]:.1f}" if m["load_average"] else ""))


def to_json(report: Report) -> Dict[str, Any]:
    """Every measurement (medians and samples, in seconds), with machine facts and config."""

    def finite(x: float) -> Optional[float]:
        return x if math.isfinite(x) else None

    results = []
    for m in report.measurements:
        results.append({
            "loss": m.loss, "dtype": m.dtype, "n": m.n, "threads": m.threads,
            "input_bytes": m.input_bytes, "shapes": m.shapes,
            "median_s": m.times, "samples_s": m.samples,
            "speedup_vs_numpy": m.speedup,
            "speedup_vs": {p: m.speedup_over(p) for p in report.peers if p in m.times},
            "vs_floor": m.vs_floor, "gbps": m.gbps,
            "values": {k: finite(v) for k, v in m.values.items()},
            "mismatches": m.mismatches,
        })
    return {
        "schema": JSON_SCHEMA,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "config": report.config,
        "peers": report.peers,
        "skipped": report.skipped,
        "results": results,
    }


def write_json(report: Report, path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(to_json(report), f, indent=1, allow_nan=False)
        f.write("\n")


def plot(report: Report, path: str) -> None:
    """Bar chart of fastloss's speed-up over NumPy per loss, by size (log scale).

    One panel per dtype and thread count, side by side (a grid when there are more than
    four); bars are grouped by loss, one colour per size, labelled with their value.
    Needs matplotlib (the ``plot`` extra).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    ms = report.measurements
    losses = list(dict.fromkeys(m.loss for m in ms))
    panels = [(d, t) for d in dict.fromkeys(m.dtype for m in ms)
              for t in sorted({m.threads for m in ms})]
    sizes = sorted({m.n for m in ms})
    by_key = {(m.loss, m.dtype, m.n, m.threads): m for m in ms}
    colors = plt.get_cmap("viridis")(np.linspace(0.15, 0.85, max(1, len(sizes))))
    bar_h = 0.84 / max(1, len(sizes))
    ncols = min(4, len(panels))
    nrows = -(-len(panels) // ncols)
    panel_h = 0.6 + 0.2 * len(losses) * (0.5 + 0.5 * len(sizes))  # inches
    label_w = 0.15 + 0.075 * max(len(name) for name in losses)
    header, footer, gap = 0.8, 0.55, 0.3
    width = label_w + 3.4 * ncols + 0.2
    height = header + panel_h * nrows + gap * (nrows - 1) + footer
    fig, axes = plt.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True,
                             figsize=(width, height))
    fig.subplots_adjust(left=label_w / width, right=1 - 0.2 / width,
                        top=1 - (header + 0.25) / height, bottom=footer / height,
                        wspace=0.12, hspace=(gap + 0.55) / panel_h)
    speedups = [m.speedup for m in ms if m.speedup > 0]
    lo = min(0.5, min(speedups, default=1) / 1.5)
    hi = max(2.0, max(speedups, default=1) * 4)
    for index, ax in enumerate(axes.flat):
        if index >= len(panels):
            ax.set_visible(False)
            continue
        dtype, t = panels[index]
        for k, n in enumerate(sizes):
            ys, xs = [], []
            for i, loss in enumerate(losses):
                m = by_key.get((loss, dtype, n, t))
                if m is not None:
                    ys.append(i + (k - (len(sizes) - 1) / 2) * bar_h)
                    xs.append(m.speedup)
            bars = ax.barh(ys, xs, height=bar_h * 0.9, color=colors[k],
                           label=f"n = {n:,} elements" if index == 0 else None)
            ax.bar_label(bars, labels=[_fmt_ratio(x) for x in xs], padding=2, fontsize=6.5)
        ax.axvline(1.0, color="0.25", lw=1, ls="--")
        ax.set_xscale("log")
        ax.set_xlim(lo, hi)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}×"))
        ax.set_yticks(range(len(losses)))
        ax.set_yticklabels(losses, fontsize=8)
        ax.set_ylim(len(losses) - 0.5, -0.5)
        ax.grid(axis="x", which="major", color="0.88")
        ax.set_axisbelow(True)
        ax.set_title(f"{dtype}, {t} thread{'s' if t > 1 else ''}", fontsize=10)
        if index >= len(panels) - ncols:
            ax.set_xlabel("speed-up over NumPy (log)", fontsize=9)
    fig.suptitle(f"fastloss speed-up over NumPy (higher is better; dashed line = same speed)\n"
                 f"{cpu_model()}, ISA {_core.build_info()['active_isa']}, "
                 f"fastloss {_core.build_info()['version']}, numpy {np.__version__}",
                 x=0.1 / width, y=1 - 0.08 / height, ha="left", va="top", fontsize=10)
    fig.legend(loc="upper left", fontsize=8, ncol=len(sizes), frameon=False,
               bbox_to_anchor=(0.05 / width, 1 - 0.5 / height), title=None,
               handlelength=1.2, columnspacing=1.2)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``fastloss bench`` with these arguments (used by bench/bench_losses.py)."""
    from . import cli

    return cli.main(["bench", *(sys.argv[1:] if argv is None else argv)])
