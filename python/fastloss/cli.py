"""The ``fastloss`` command: ``bench``, ``eval`` and ``info``.

``fastloss bench``  times every loss against NumPy, installed peers and the memory floor.
``fastloss eval``   computes a loss over ``.npy``/``.npz`` files of any size, in chunks.
``fastloss info``   how this build was compiled and what it runs on.

Usage errors (unknown loss or option, bad sizes, unreadable or mismatched files) print one
line on stderr and exit with status 2; unexpected failures exit with 1 (set
``FASTLOSS_DEBUG=1`` for the traceback).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import inspect
import json
import math
import mmap
import os
import sys
import time
import zipfile
from typing import Any, Dict, List, NoReturn, Optional, Sequence, Tuple

import numpy as np

from . import _registry
from ._args import DataError
from ._progress import Progress
from ._threads import get_num_threads, max_threads, threads
from .accumulator import Accumulator

__all__ = ["main"]

EVAL_CHUNK_BYTES = 32 << 20  # default chunk: ~32 MB of all inputs together


class UsageError(Exception):
    """A mistake in the command line or its files: one line on stderr, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line instead of usage + message
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


# --- shared helpers -------------------------------------------------------------------------


def _split(text: str) -> List[str]:
    return [s.strip() for s in text.split(",") if s.strip()]


_SUFFIXES = {"k": 10 ** 3, "m": 10 ** 6, "g": 10 ** 9}


def parse_size(text: str, what: str = "size") -> int:
    """``1000``, ``1e6``, ``4M``, ``100k`` or ``1_000_000`` → a positive int."""
    s = text.strip().lower().replace("_", "")
    scale = 1
    if s and s[-1] in _SUFFIXES:
        scale, s = _SUFFIXES[s[-1]], s[:-1]
    try:
        value = float(s) * scale
    except ValueError:
        raise UsageError(f"{what} {text!r} is not a number (use e.g. 1000, 1e6, 4M)") from None
    if not math.isfinite(value) or value != int(value) or value < 1:
        raise UsageError(f"{what} must be a positive whole number, got {text!r}")
    return int(value)


def parse_threads(text: str, what: str = "--threads") -> int:
    """A thread count from 1 to max_threads(), or a one-line usage error."""
    n = parse_size(text, what)
    if n > max_threads():
        raise UsageError(f"{what} must be at most {max_threads()} (4 × the logical CPUs), "
                         f"got {text!r}")
    return n


def _check_losses(names: Sequence[str]) -> None:
    for name in names:
        try:
            _registry.get(name)
        except ValueError as exc:  # names close and available losses
            raise UsageError(str(exc)) from None


# --- bench ----------------------------------------------------------------------------------


def _add_bench(sub: Any) -> None:
    p = sub.add_parser(
        "bench", help="time every loss against NumPy, peers and the memory floor",
        description="Times fastloss against its NumPy baselines, PyTorch and numexpr when "
                    "installed, and the time to read the inputs once. Prints a table; "
                    "--json and --plot save the results.")
    p.add_argument("--losses", help="comma-separated loss names (default: all registered)")
    p.add_argument("--sizes", help="comma-separated sizes in elements, e.g. 1000,1e5,4M "
                                    "(default: 1000,100000,4000000; --quick: 1000,1000000)")
    p.add_argument("--dtypes", help="comma-separated dtypes: float32, float64 (default: both; "
                                     "--quick: float32)")
    p.add_argument("--threads", help="comma-separated thread counts (default: 1 and all; "
                                      "--quick: all)")
    p.add_argument("--peers", help="comma-separated peers to time when installed: torch, "
                                    "numexpr, or 'none' (default: all)")
    p.add_argument("--quick", action="store_true",
                   help="fewer sizes, dtypes, threads and samples: about 15 s")
    p.add_argument("--json", metavar="FILE", help="write every measurement and machine facts")
    p.add_argument("--plot", metavar="FILE", help="draw speed-up over NumPy (needs matplotlib)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.set_defaults(handler=_bench)


def _bench(args: argparse.Namespace) -> int:
    from . import benchmark

    losses = _split(args.losses) if args.losses else _registry.losses()
    if not losses:
        raise UsageError("--losses: no loss named")
    _check_losses(losses)
    sizes = ([parse_size(s, "--sizes value") for s in _split(args.sizes)] if args.sizes
             else list(benchmark.QUICK_SIZES if args.quick else benchmark.DEFAULT_SIZES))
    if not sizes:
        raise UsageError("--sizes: no size given")
    dtypes = (_split(args.dtypes) if args.dtypes
              else list(benchmark.QUICK_DTYPES if args.quick else benchmark.DEFAULT_DTYPES))
    for d in dtypes:
        if d not in benchmark.DTYPES:
            raise UsageError(f"--dtypes: unknown dtype {d!r}; use float32 or float64")
    if args.threads:
        thread_counts = [parse_threads(s, "--threads value") for s in _split(args.threads)]
    else:
        thread_counts = ([get_num_threads()] if args.quick
                         else sorted({1, get_num_threads()}))
    peers = list(benchmark.PEERS)
    if args.peers is not None:
        peers = [] if args.peers.strip().lower() == "none" else _split(args.peers)
        for p in peers:
            if p not in benchmark.PEERS:
                raise UsageError(f"--peers: unknown peer {p!r}; use torch, numexpr or none")
    for path in (args.json, args.plot):
        if path and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            raise UsageError(f"cannot write {path!r}: no such directory")
    plot_note = None
    if args.plot:
        try:
            import matplotlib.figure
        except ImportError:
            plot_note = ('skipped --plot: matplotlib is not installed '
                         '(pip install "fastloss[plot]")')
        else:
            ext = os.path.splitext(args.plot)[1].lstrip(".").lower()
            if ext not in matplotlib.figure.Figure().canvas.get_supported_filetypes():
                raise UsageError(f"--plot: cannot draw a {ext or 'file without extension'!r}; "
                                 "use a .png, .svg or .pdf name")
    if plot_note:
        print(plot_note, file=sys.stderr)

    print(benchmark.machine_summary(), flush=True)
    timing = benchmark.QUICK_TIMING if args.quick else benchmark.Timing()
    with Progress(1.0, "bench", enabled=not args.no_progress) as bar:
        report = benchmark.run(losses, sizes, dtypes, thread_counts, peers=peers,
                               timing=timing, bar=bar)
    print(benchmark.format_table(report.measurements, list(report.peers)))
    print()
    print(benchmark.legend(report))
    if args.json:
        benchmark.write_json(report, args.json)
        print(f"wrote {args.json}")
    if args.plot:
        if plot_note:
            print(plot_note)
        elif report.measurements:
            benchmark.plot(report, args.plot)
            print(f"wrote {args.plot}")
    return 0


# --- eval -----------------------------------------------------------------------------------


def _add_eval(sub: Any) -> None:
    p = sub.add_parser(
        "eval", help="compute a loss over .npy/.npz files of any size, in chunks",
        description="Computes the mean of LOSS over arrays stored in .npy or .npz files, "
                    "streaming them in chunks along the first axis (memory-mapped .npy files "
                    "larger than RAM work in bounded memory).")
    p.add_argument("loss", help="a loss name (see `fastloss info`)")
    p.add_argument("--y-true", metavar="FILE", help="targets (.npy or .npz)")
    p.add_argument("--y-pred", metavar="FILE", help="predictions (.npy or .npz)")
    p.add_argument("--inputs", metavar="FILE", nargs="+",
                   help="the loss's arrays in its argument order, for losses whose inputs are "
                        "not (y_true, y_pred), e.g. triplet: anchor positive negative")
    p.add_argument("--sample-weight", metavar="FILE", help="per-sample weights (.npy or .npz)")
    p.add_argument("--option", "-o", metavar="KEY=VALUE", action="append", default=[],
                   help="a loss option, the value a Python literal: -o delta=0.5 "
                        "-o from_logits=True -o class_weight=[1,2,3] (repeatable)")
    p.add_argument("--key", help="the array to read from .npz files holding several")
    p.add_argument("--chunk-size", metavar="ROWS",
                   help="rows per chunk (default: about 32 MB of input per chunk)")
    p.add_argument("--threads", metavar="N", help="threads for the kernels")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.set_defaults(handler=_eval)


def parse_option(text: str) -> Tuple[str, Any]:
    """``key=value`` with the value read as a Python literal (else kept as a string)."""
    key, sep, raw = text.partition("=")
    key = key.strip().replace("-", "_")
    if not sep or not key.isidentifier():
        raise UsageError(f"--option {text!r} is not KEY=VALUE")
    raw = raw.strip()
    if raw.lower() in ("true", "false"):
        return key, raw.lower() == "true"
    try:
        return key, ast.literal_eval(raw)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return key, raw


class _Array:
    """An array in a .npy file or an .npz member, read in chunks of rows along axis 0.

    C-ordered .npy files are memory-mapped one chunk at a time (each mapping is released
    before the next, so resident memory stays at a chunk whatever the file size). .npz
    members are decompressed as a stream. Fortran-ordered arrays are read whole.
    """

    def __init__(self, path: str, role: str, key: Optional[str]) -> None:
        # "data.npz:y_pred" names a member; otherwise --key, a member named after the role
        # (np.savez(f, y_true=..., y_pred=...)), or the only member
        head, sep, tail = path.rpartition(":")
        if sep and head.lower().endswith(".npz") and not os.path.exists(path):
            path, key = head, tail
        self.path, self.role = path, role
        self._zip: Optional[zipfile.ZipFile] = None
        self._stream: Any = None
        self._whole: Optional[np.ndarray] = None
        self._next_row = 0
        self.offset = 0
        if not os.path.exists(path):
            raise UsageError(f"cannot read {role}: no such file {path!r}")
        try:
            if zipfile.is_zipfile(path):
                self._open_npz(key)
            else:
                self._open_npy()
        except UsageError:
            raise
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise UsageError(f"cannot read {role} from {path!r}: {exc}") from None
        if self.dtype.hasobject or self.dtype.fields is not None:
            raise UsageError(f"{role} in {path!r} has dtype {self.dtype}; "
                             "a numeric array is needed")
        self.rows: Optional[int] = self.shape[0] if self.shape else None
        self.row_bytes = int(np.prod(self.shape[1:], dtype=np.int64)) * self.dtype.itemsize

    def _open_npy(self) -> None:
        with open(self.path, "rb") as f:
            if f.read(6) != np.lib.format.MAGIC_PREFIX:
                raise UsageError(f"{self.path!r} is not a .npy or .npz file")
        m = np.load(self.path, mmap_mode="r", allow_pickle=False)
        if not isinstance(m, np.ndarray):
            raise UsageError(f"{self.path!r} is not a .npy file")
        self.shape, self.dtype = tuple(m.shape), m.dtype
        self.c_order = m.ndim <= 1 or bool(m.flags.c_contiguous)
        self.offset = int(getattr(m, "offset", 0))
        if not self.c_order:
            self._whole = m  # Fortran order: rows are strided; read through one mapping
        del m

    def _open_npz(self, key: Optional[str]) -> None:
        self._zip = zipfile.ZipFile(self.path)
        members = [n[:-4] for n in self._zip.namelist() if n.endswith(".npy")]
        if key is None and self.role in members and len(members) > 1:
            key = self.role
        if key is None:
            if len(members) != 1:
                raise UsageError(f"{self.path!r} holds {len(members)} arrays "
                                 f"({', '.join(members) or 'none'}); choose one with --key")
            key = members[0]
        elif key not in members:
            raise UsageError(f"{self.path!r} has no array {key!r}; it holds "
                             f"{', '.join(members) or 'none'}")
        self._member = key + ".npy"
        self._stream = self._zip.open(self._member)
        version = np.lib.format.read_magic(self._stream)
        if version == (1, 0):
            header = np.lib.format.read_array_header_1_0(self._stream)
        elif version == (2, 0):
            header = np.lib.format.read_array_header_2_0(self._stream)
        else:
            raise UsageError(f"{self.path!r}[{key}]: unsupported .npy format version {version}")
        shape, fortran, self.dtype = header
        self.shape = tuple(shape)
        self.c_order = not fortran or len(self.shape) <= 1
        if not self.c_order:
            self._whole = np.load(self.path, allow_pickle=False)[key]

    def read(self, start: int, stop: int) -> np.ndarray:
        """Rows [start, stop) (the whole array for a 0-d one); calls go forward in order."""
        if self.rows is None:
            return self._read_all()
        if self._whole is not None:
            return np.ascontiguousarray(self._whole[start:stop])
        shape = (stop - start,) + self.shape[1:]
        if stop <= start or self.row_bytes == 0:
            return np.empty(shape, dtype=self.dtype)
        if self._stream is None:  # .npy: map just this chunk
            return np.memmap(self.path, dtype=self.dtype, mode="r", shape=shape,
                             offset=self.offset + start * self.row_bytes)
        if start != self._next_row:
            raise RuntimeError("npz members are read forward only")
        nbytes = (stop - start) * self.row_bytes
        data = self._stream.read(nbytes)
        if len(data) != nbytes:
            raise UsageError(f"{self.role} in {self.path!r} is truncated")
        self._next_row = stop
        return np.frombuffer(data, dtype=self.dtype).reshape(shape)

    def _read_all(self) -> np.ndarray:
        if self._stream is not None:
            assert self._zip is not None
            return np.asarray(np.load(self.path, allow_pickle=False)[self._member[:-4]])
        return np.asarray(np.load(self.path, allow_pickle=False))

    def release(self) -> None:
        """Drops the resident pages of a whole-file mapping (Fortran order) after a chunk."""
        mm = getattr(self._whole, "_mmap", None)
        if isinstance(mm, mmap.mmap) and hasattr(mm, "madvise") and hasattr(mmap,
                                                                          "MADV_DONTNEED"):
            mm.madvise(mmap.MADV_DONTNEED)

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
        if self._zip is not None:
            self._zip.close()

    def describe(self) -> Dict[str, Any]:
        return {"path": self.path, "shape": list(self.shape), "dtype": str(self.dtype)}


def _class_axis_first(acc: Accumulator, options: Dict[str, Any],
                      arrays: Sequence[_Array]) -> bool:
    """True when an axis option of the loss is axis 0, so chunks along it would cut rows."""
    ndim = max(len(a.shape) for a in arrays)
    if ndim == 0:
        return False
    params = inspect.signature(_registry.get(acc.name)).parameters
    for name, p in params.items():
        if name == "axis" or name.endswith("_axis"):
            value = options.get(name, p.default)
            if isinstance(value, (int, np.integer)) and int(value) % ndim == 0:
                return True
    return False


def _in_files(exc: DataError, start: int, rows: int, files: Dict[str, _Array]) -> DataError:
    """`exc`, raised for the chunk of rows from `start`, in the files' terms: positions in
    file rows, the files' shapes, per-sample shapes over all `rows` rows."""
    fields: Dict[str, Tuple[int, ...]] = {}
    for key, value in exc.fields.items():
        if key == "index" and value:
            fields[key] = (value[0] + start,) + value[1:]
        elif key == "per_sample" and value:
            fields[key] = (rows,) + value[1:]
        elif key in files:
            fields[key] = files[key].shape
    return exc.replace(**fields)


def _eval(args: argparse.Namespace) -> int:
    _check_losses([args.loss])
    options = dict(parse_option(o) for o in args.option)
    try:
        acc = Accumulator(args.loss, **options)
    except (TypeError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    names = acc.inputs
    if args.inputs:
        if args.y_true or args.y_pred:
            raise UsageError("give either --inputs or --y-true/--y-pred, not both")
        files = list(args.inputs)
    else:
        files = [f for f in (args.y_true, args.y_pred) if f]
        if len(names) == 2 and (not args.y_true or not args.y_pred):
            missing = "--y-true" if not args.y_true else "--y-pred"
            raise UsageError(f"{missing} is required")
        if len(names) != 2:
            raise UsageError(f"{args.loss} takes {len(names)} arrays ({', '.join(names)}); "
                             "give them in that order with --inputs")
    if len(files) != len(names):
        raise UsageError(f"{args.loss} takes {len(names)} arrays ({', '.join(names)}), "
                         f"got {len(files)} files")
    roles = ["y_true", "y_pred"] if not args.inputs else names
    arrays = [_Array(f, role, args.key) for f, role in zip(files, roles)]
    weight = _Array(args.sample_weight, "sample_weight", args.key) if args.sample_weight else None
    try:
        return _stream(args, acc, arrays, weight, options)
    finally:
        for a in arrays + ([weight] if weight else []):
            a.close()


def _stream(args: argparse.Namespace, acc: Accumulator, arrays: List[_Array],
            weight: Optional[_Array], options: Dict[str, Any]) -> int:
    lengths = {a.rows for a in arrays}
    if len(lengths) > 1:
        described = ", ".join(f"{a.role} has {a.rows:,}" if a.rows is not None
                              else f"{a.role} is a scalar" for a in arrays)
        raise UsageError(f"inputs differ in length along the first axis: {described}")
    rows = arrays[0].rows
    split_weight = weight is not None and weight.rows is not None and weight.rows == rows
    whole_weight = None
    if weight is not None and not split_weight:
        if weight.rows is not None and weight.rows * weight.row_bytes > EVAL_CHUNK_BYTES:
            raise UsageError(f"sample_weight has {weight.rows:,} rows but the inputs have "
                             f"{rows:,}")
        whole_weight = weight.read(0, weight.rows or 0)
    files = dict(zip(acc.inputs, arrays))  # the arrays read in chunks, by argument name
    if split_weight and weight:
        files["sample_weight"] = weight
    if rows is None or _class_axis_first(acc, options, arrays):
        chunk = max(rows or 1, 1)  # one chunk: the class axis is the first one
    elif args.chunk_size:
        chunk = parse_size(args.chunk_size, "--chunk-size")
    else:
        row_bytes = sum(a.row_bytes for a in arrays) + (weight.row_bytes if split_weight
                                                        and weight else 0)
        chunk = max(1, EVAL_CHUNK_BYTES // max(1, row_bytes))
    total = rows if rows is not None else 1
    started = time.perf_counter()
    chunks = 0
    context: Any = contextlib.nullcontext()
    if args.threads:
        context = threads(parse_threads(args.threads))
    with context, Progress(total, f"eval {args.loss}", enabled=not args.no_progress,
                           delay=0.5) as bar:
        for start in range(0, max(total, 1), chunk):
            stop = min(start + chunk, total)
            parts = [a.read(start, stop) for a in arrays]
            w = weight.read(start, stop) if split_weight and weight else whole_weight
            try:
                acc.update(*parts, sample_weight=w)
            except DataError as exc:
                raise UsageError(str(_in_files(exc, start, total, files))) from None
            except (TypeError, ValueError) as exc:
                raise UsageError(str(exc)) from None
            del parts, w
            for a in arrays:
                a.release()
            chunks += 1
            bar.advance(stop - start, f"{stop:,}/{total:,} rows")
    seconds = time.perf_counter() - started
    value = acc.result()
    if args.json:
        def num(x: Any) -> Optional[float]:
            return float(x) if math.isfinite(float(x)) else None

        print(json.dumps({
            "loss": acc.name, "options": options, "reduction": "mean",
            "value": num(value), "value_str": str(value), "dtype": str(acc.dtype),
            "sum": num(acc.sum), "denominator": num(acc.denominator),
            "rows": rows, "chunks": chunks, "chunk_rows": chunk, "seconds": round(seconds, 6),
            "inputs": {a.role: a.describe() for a in arrays},
            "sample_weight": weight.describe() if weight else None,
        }, default=str, allow_nan=False))
    else:
        rows_text = f"{total:,} row{'s' if total != 1 else ''}"
        print(f"{acc.name} = {value!s}  (mean, {acc.dtype}; sum {float(acc.sum):.6g} / "
              f"denominator {acc.denominator:.6g}; {rows_text} in {chunks:,} "
              f"chunk{'s' if chunks != 1 else ''}; {seconds:.2f} s)")
    return 0


# --- info -----------------------------------------------------------------------------------


def _add_info(sub: Any) -> None:
    p = sub.add_parser("info", help="how fastloss was built and what it runs on",
                       description="Compiled and active instruction sets, OpenMP, threads, "
                                   "versions and CPU.")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(handler=_info)


def _info(args: argparse.Namespace) -> int:
    from .benchmark import machine_info

    m = machine_info()
    m["losses"] = _registry.losses()
    if args.json:
        print(json.dumps(m, indent=1))
        return 0
    v = m["versions"]
    extras = ", ".join(f"{k} {v[k]}" if v[k] else f"{k} (not installed)"
                       for k in ("torch", "numexpr", "matplotlib"))
    lines = [
        ("fastloss", v["fastloss"]),
        ("active ISA", (f"{m['active_isa']} (best supported: {m['best_isa']}; "
                        "FASTLOSS_ISA can lower it)")),
        ("compiled ISAs", ", ".join(m["compiled_isas"])),
        ("supported ISAs", ", ".join(m["supported_isas"])),
        ("OpenMP", "yes" if m["openmp"] else "no (single-threaded build)"),
        ("threads", f"{m['num_threads']} (OMP_NUM_THREADS or fastloss.set_num_threads)"),
        ("compiler", m["compiler"]),
        ("CPU", f"{m['cpu_model']} ({m['logical_cpus']} logical CPUs, {m['machine']})"),
        ("platform", m["platform"]),
        ("python", f"{v['python']} ({v['python_implementation']})"),
        ("numpy", v["numpy"]),
        ("bench peers/plot", extras),
        ("losses", f"{len(m['losses'])}: {', '.join(m['losses'])}"),
    ]
    width = max(len(k) for k, _ in lines)
    for k, val in lines:
        print(f"{k:<{width}}  {val}")
    return 0


# --- entry point ----------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(
        prog="fastloss",
        description="fastloss: loss functions for NumPy arrays (SIMD + OpenMP kernels).",
        epilog="Usage errors exit with status 2, unexpected failures with 1 "
               "(FASTLOSS_DEBUG=1 shows the traceback).")
    parser.add_argument("--version", action="version", version=f"fastloss {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{bench,eval,info}",
                                parser_class=_Parser)
    _add_bench(sub)
    _add_eval(sub)
    _add_info(sub)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the command line; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.error("choose a command: bench, eval or info")
    prog = f"fastloss {args.command}"
    try:
        return int(args.handler(args))
    except UsageError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\n{prog}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `fastloss bench | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:  # one line, not a traceback, unless debugging
        if os.environ.get("FASTLOSS_DEBUG"):
            raise
        message = str(exc).splitlines()[0] if str(exc) else ""
        print(f"{prog}: internal error: {type(exc).__name__}: {message} "
              "(FASTLOSS_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 1


