"""The ``fastloss`` command, run as a user runs it: ``python -m fastloss ...`` in a subprocess."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import textwrap
from typing import Any, Dict, List, Optional

import numpy as np
import pytest

import fastloss

ROOT = pathlib.Path(__file__).resolve().parents[1]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run(*args: str, blocked: Optional[List[str]] = None,
        env: Optional[Dict[str, str]] = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """`python -m fastloss args`; `blocked` modules fail to import, as if not installed."""
    if blocked:
        code = (f"import sys\nfor m in {blocked!r}: sys.modules[m] = None\n"
                "from fastloss.cli import main\nsys.exit(main())")
        cmd = [sys.executable, "-c", code, *args]
    else:
        cmd = [sys.executable, "-m", "fastloss", *args]
    full_env = {**os.environ, "FASTLOSS_DEBUG": "", **(env or {})}
    return subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=timeout,
                          env=full_env)


def assert_usage_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def table_lines(stdout: str) -> List[str]:
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("loss "))
    body = []
    for line in lines[start + 2:]:
        if line.startswith("×numpy"):
            break
        if line.strip():
            body.append(line)
    return body


# --- info and the entry point ---------------------------------------------------------------


def test_info() -> None:
    result = run("info")
    assert result.returncode == 0, result.stderr
    assert "active ISA" in result.stdout and fastloss.build_info()["active_isa"] in result.stdout
    assert fastloss.__version__ in result.stdout and np.__version__ in result.stdout
    info = json.loads(run("info", "--json").stdout)
    assert info["versions"]["fastloss"] == fastloss.__version__
    assert set(info) >= {"cpu_model", "active_isa", "compiled_isas", "openmp", "num_threads",
                         "losses"}


def test_no_command_and_unknown_arguments() -> None:
    assert_usage_error(run(), "choose a command")
    assert_usage_error(run("bench", "--bogus"), "--bogus")
    assert_usage_error(run("frobnicate"), "frobnicate")
    assert run("--version").stdout.strip() == f"fastloss {fastloss.__version__}"


# --- bench ----------------------------------------------------------------------------------


@pytest.mark.parametrize("args, fragment", [
    (["--losses", "nope"], "unknown loss 'nope'"),
    (["--losses", "mse,nope"], "unknown loss 'nope'"),
    (["--losses", "hinge,hubber"], "unknown loss 'hubber' (did you mean 'huber'?)"),
    (["--sizes", "abc"], "'abc' is not a number"),
    (["--sizes", "0"], "positive whole number"),
    (["--sizes", "-5"], "positive whole number"),
    (["--sizes", "1.5"], "positive whole number"),
    (["--dtypes", "float16"], "unknown dtype 'float16'"),
    (["--threads", "0"], "positive whole number"),
    (["--threads", "100000"], "--threads value must be at most"),
    (["--threads", "1,100000"], "--threads value must be at most"),
    (["--peers", "jax"], "unknown peer 'jax'"),
    (["--plot", "/nonexistent-dir/x.png"], "no such directory"),
])
def test_bench_usage_errors(args: List[str], fragment: str) -> None:
    assert_usage_error(run("bench", *args), fragment)


def test_bench_tiny(tmp_path: pathlib.Path) -> None:
    out = tmp_path / "bench.json"
    result = run("bench", "--losses", "mse,hinge", "--sizes", "100,2k", "--dtypes", "float64",
                 "--threads", "1", "--peers", "none", "--json", str(out))
    assert result.returncode == 0, result.stderr
    rows = table_lines(result.stdout)
    assert len(rows) == 4  # 2 losses × 2 sizes × 1 dtype × 1 thread count
    assert [r.split()[0] for r in rows] == ["mse", "mse", "hinge", "hinge"]
    assert "100%" in result.stderr  # the progress bar (plain lines when not a terminal)
    report = json.loads(out.read_text())
    assert report["schema"] == "fastloss-bench/1"
    assert report["config"]["sizes"] == [100, 2000]
    assert len(report["results"]) == 4
    for r in report["results"]:
        assert set(r["median_s"]) == {"fastloss", "numpy", "floor"}
        assert r["median_s"]["fastloss"] > 0 and len(r["samples_s"]["fastloss"]) >= 3
        assert r["speedup_vs_numpy"] == pytest.approx(
            r["median_s"]["numpy"] / r["median_s"]["fastloss"])
        assert r["mismatches"] == []


def test_bench_without_optional_packages(tmp_path: pathlib.Path) -> None:
    png = tmp_path / "x.png"
    result = run("bench", "--losses", "mse", "--sizes", "100", "--dtypes", "float32",
                 "--threads", "1", "--plot", str(png), "--no-progress",
                 blocked=["torch", "numexpr", "matplotlib"])
    assert result.returncode == 0, result.stderr
    assert "skipped torch: not installed" in result.stdout
    assert "skipped numexpr: not installed" in result.stdout
    assert "skipped --plot: matplotlib is not installed" in result.stdout
    assert not png.exists()
    assert result.stderr.count("\n") <= 1  # the plot note only: no progress bar


def test_bench_reports_losses_without_a_case(monkeypatch: pytest.MonkeyPatch) -> None:
    from fastloss import _bench_cases, benchmark

    monkeypatch.delitem(_bench_cases.CASES, "mae")
    report = benchmark.run(["mse", "mae"], sizes=[64], dtypes=["float64"], thread_counts=[1],
                           peers=[], timing=benchmark.QUICK_TIMING)
    assert {m.loss for m in report.measurements} == {"mse"}
    assert {"loss": "mae", "reason": "no benchmark case in fastloss/_bench_cases.py"} in \
        report.skipped
    assert "skipped mae: no benchmark case" in benchmark.legend(report)


def test_bench_reports_a_failing_loss_and_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    from fastloss import _bench_cases, benchmark

    def broken(n: int, dtype: Any, rng: Any) -> Any:
        raise RuntimeError("no inputs today")

    monkeypatch.setitem(_bench_cases.CASES, "mae",
                        _bench_cases.Case(broken, "broken on purpose"))
    report = benchmark.run(["mae", "mse"], sizes=[64], dtypes=["float64"], thread_counts=[1],
                           peers=[], timing=benchmark.QUICK_TIMING)
    assert [m.loss for m in report.measurements] == ["mse"]
    assert {"loss": "mae", "reason": "failed: RuntimeError: no inputs today"} in report.skipped


def test_every_registered_loss_has_a_case() -> None:
    from fastloss import _bench_cases

    missing = [n for n in fastloss.losses() if _bench_cases.case(n) is None]
    known_without = {"pixel_cross_entropy", "dice", "jaccard", "total_variation", "perceptual",
                     "ctc", "earth_movers_distance"}
    assert set(missing) <= known_without, f"add benchmark cases for {missing}"


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    """One `bench --quick` run (about 15 s), shared by the checks below."""
    tmp = tmp_path_factory.mktemp("quick")
    json_path, png_path = tmp / "quick.json", tmp / "quick.png"
    result = run("bench", "--quick", "--json", str(json_path), "--plot", str(png_path),
                 timeout=300)
    return {"result": result, "json": json_path, "png": png_path}


def test_bench_quick_table(quick: Dict[str, Any]) -> None:
    result = quick["result"]
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("fastloss ") and "ISA" in lines[0]
    header = next(line for line in lines if line.startswith("loss "))
    for column in ("fastloss", "numpy", "×numpy", "÷floor", "GB/s"):
        assert column in header
    rows = table_lines(result.stdout)
    report = json.loads(quick["json"].read_text())
    assert len(rows) == len(report["results"]) > 0
    widths = {len(header)} | {len(r) for r in rows}
    assert max(widths) - min(widths) <= 2  # aligned (rstrip may trim a trailing dash)
    assert "100%" in result.stderr


def test_bench_quick_json(quick: Dict[str, Any]) -> None:
    report = json.loads(quick["json"].read_text())
    machine = report["machine"]
    assert machine["versions"]["fastloss"] == fastloss.__version__
    assert machine["versions"]["numpy"] == np.__version__
    assert machine["active_isa"] in machine["compiled_isas"]
    assert isinstance(machine["cpu_model"], str) and machine["cpu_model"]
    losses = {r["loss"] for r in report["results"]}
    skipped = {s["loss"] for s in report["skipped"] if "peer" not in s}
    assert losses | skipped == set(fastloss.losses())
    for r in report["results"]:
        assert r["dtype"] == "float32" and r["n"] in (1_000, 1_000_000)
        assert r["input_bytes"] > 0 and r["gbps"] > 0 and r["vs_floor"] > 0
        for peer in report["peers"]:
            if peer in r["median_s"]:
                assert r["speedup_vs"][peer] == pytest.approx(
                    r["median_s"][peer] / r["median_s"]["fastloss"])


def test_bench_quick_plot(quick: Dict[str, Any]) -> None:
    pytest.importorskip("matplotlib")
    assert quick["png"].read_bytes()[:8] == PNG_MAGIC
    assert quick["png"].stat().st_size > 10_000


def test_launcher_script() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_losses.py"), "--losses", "mse",
         "--sizes", "100", "--dtypes", "float64", "--threads", "1", "--peers", "none"],
        check=False, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert len(table_lines(result.stdout)) == 1
    bad = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_losses.py"), "--sizes", "x"],
                         check=False, capture_output=True, text=True, timeout=120)
    assert_usage_error(bad, "not a number")


# --- eval -----------------------------------------------------------------------------------


@pytest.fixture
def files(tmp_path: pathlib.Path) -> Dict[str, str]:
    rng = np.random.default_rng(0)
    y = rng.standard_normal(1_000)
    p = y + rng.standard_normal(1_000)
    paths = {}

    def save(name: str, a: np.ndarray) -> None:
        paths[name] = str(tmp_path / f"{name}.npy")
        np.save(paths[name], a)

    save("y", y)
    save("p", p)
    save("p32", p.astype(np.float32))
    save("y32", y.astype(np.float32))
    save("short", p[:999])
    save("w", rng.random(1_000))
    save("labels", rng.integers(0, 5, 1_000))
    save("logits", rng.standard_normal((1_000, 5)))
    save("logits_f", np.asfortranarray(rng.standard_normal((1_000, 5))))
    paths["both"] = str(tmp_path / "both.npz")
    np.savez(paths["both"], y_true=y, y_pred=p)
    paths["multi"] = str(tmp_path / "multi.npz")
    np.savez_compressed(paths["multi"], a=y, b=p)
    paths["junk"] = str(tmp_path / "junk.npy")
    pathlib.Path(paths["junk"]).write_text("not an array")
    return paths


def eval_json(*args: str) -> Dict[str, Any]:
    result = run("eval", *args, "--json")
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def test_eval_matches_the_loss(files: Dict[str, str]) -> None:
    y, p = np.load(files["y"]), np.load(files["p"])
    want = float(fastloss.mse(y, p))
    result = run("eval", "mse", "--y-true", files["y"], "--y-pred", files["p"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"mse = {fastloss.mse(y, p)!s}")
    out = eval_json("mse", "--y-true", files["y"], "--y-pred", files["p"], "--chunk-size", "7")
    assert out["chunks"] == 143 and out["chunk_rows"] == 7 and out["rows"] == 1_000
    assert out["value"] == pytest.approx(want, rel=1e-12)
    assert out["dtype"] == "float64" and out["denominator"] == 1_000
    assert set(out) >= {"loss", "options", "value", "sum", "inputs", "seconds"}


def test_eval_float32_weights_and_options(files: Dict[str, str]) -> None:
    y, p, w = np.load(files["y32"]), np.load(files["p32"]), np.load(files["w"])
    out = eval_json("huber", "--y-true", files["y32"], "--y-pred", files["p32"],
                    "--sample-weight", files["w"], "-o", "delta=0.5", "--chunk-size", "100")
    want = fastloss.huber(y, p, delta=0.5, sample_weight=w)
    assert out["dtype"] == "float32" and out["options"] == {"delta": 0.5}
    assert abs(out["value"] - float(want)) <= float(np.spacing(want))


def test_eval_row_loss_and_literal_options(files: Dict[str, str]) -> None:
    labels, logits = np.load(files["labels"]), np.load(files["logits"])
    cw = [1.0, 2.0, 0.5, 1.0, 3.0]
    want = fastloss.sparse_categorical_cross_entropy(labels, logits, from_logits=True,
                                                     class_weight=cw)
    for pred in ("logits", "logits_f"):  # C and Fortran order
        logits = np.load(files[pred])
        want = fastloss.sparse_categorical_cross_entropy(labels, logits, from_logits=True,
                                                         class_weight=cw)
        out = eval_json("sparse_categorical_cross_entropy", "--y-true", files["labels"],
                        "--y-pred", files[pred], "-o", "from_logits=true",
                        "--option", f"class_weight={cw}", "--chunk-size", "64")
        assert out["chunks"] == 16
        assert out["value"] == pytest.approx(float(want), rel=1e-12)


def test_eval_npz(files: Dict[str, str]) -> None:
    want = float(fastloss.mse(np.load(files["y"]), np.load(files["p"])))
    # members named after the arguments are found by name; file.npz:key picks one
    out = eval_json("mse", "--y-true", files["both"], "--y-pred", files["both"])
    assert out["value"] == pytest.approx(want, rel=1e-12)
    out = eval_json("mse", "--y-true", files["multi"] + ":a", "--y-pred",
                    files["multi"] + ":b", "--chunk-size", "33")
    assert out["value"] == pytest.approx(want, rel=1e-12) and out["chunks"] == 31
    out = eval_json("mse", "--y-true", files["multi"], "--y-pred", files["p"], "--key", "a")
    assert out["value"] == pytest.approx(want, rel=1e-12)


def test_eval_multi_input_loss(tmp_path: pathlib.Path) -> None:
    if "triplet" not in fastloss.losses():
        pytest.skip("triplet is not registered")
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal((300, 8)) for _ in range(3)]
    names = []
    for i, a in enumerate(arrays):
        names.append(str(tmp_path / f"a{i}.npy"))
        np.save(names[-1], a)
    out = eval_json("triplet", "--inputs", *names, "--chunk-size", "50")
    assert out["value"] == pytest.approx(float(fastloss.get("triplet")(*arrays)), rel=1e-12)
    assert_usage_error(run("eval", "triplet", "--y-true", names[0], "--y-pred", names[1]),
                       "anchor, positive, negative")


@pytest.mark.parametrize("args, fragment", [
    (["mse", "--y-true", "{y}", "--y-pred", "{short}"], "y_true has 1,000, y_pred has 999"),
    (["msee", "--y-true", "{y}", "--y-pred", "{p}"], "unknown loss 'msee' (did you mean 'mse'?)"),
    (["huber", "--y-true", "{y}", "--y-pred", "{p}", "-o", "delt=2"], "unknown option 'delt'"),
    (["huber", "--y-true", "{y}", "--y-pred", "{p}", "-o", "delta=-2"], "delta must be"),
    (["huber", "--y-true", "{y}", "--y-pred", "{p}", "-o", "delta"], "not KEY=VALUE"),
    (["mse", "--y-true", "{y}", "--y-pred", "{junk}"], "not a .npy or .npz file"),
    (["mse", "--y-true", "{y}", "--y-pred", "/nonexistent.npy"], "no such file"),
    (["mse", "--y-true", "{y}"], "--y-pred is required"),
    (["mse", "--y-true", "{multi}", "--y-pred", "{p}"], "choose one with --key"),
    (["mse", "--y-true", "{multi}", "--y-pred", "{p}", "--key", "zz"], "no array 'zz'"),
    (["mse", "--y-true", "{y}", "--y-pred", "{p}", "--chunk-size", "0"], "--chunk-size"),
    (["hinge", "--y-true", "{p}", "--y-pred", "{p}", "--chunk-size", "100"],
     "y_true must hold labels"),
    (["mse", "--y-true", "{y}", "--y-pred", "{p}", "-o", "reduction='sum'"], "reduction"),
    (["mse", "--y-true", "{y}", "--y-pred", "{p}", "--threads", "100000"],
     "--threads must be at most"),
])
def test_eval_usage_errors(files: Dict[str, str], args: List[str], fragment: str) -> None:
    assert_usage_error(run("eval", *(a.format(**files) for a in args)), fragment)


def test_eval_errors_name_file_rows_and_shapes(tmp_path: pathlib.Path) -> None:
    """Positions and shapes in errors are the files', not those of the chunk that failed."""
    rng = np.random.default_rng(2)
    arrays = {
        "labels": rng.integers(0, 5, 1_000),
        "logits": rng.standard_normal((1_000, 5)),
        "signs": np.where(rng.random((1_000, 3)) < 0.5, -1.0, 1.0),
        "p3": rng.standard_normal((1_000, 3)),
        "p4": rng.standard_normal((1_000, 4)),
        "labels2": rng.integers(0, 5, (1_000, 2)),
        "w2": rng.random((1_000, 2)),
    }
    arrays["labels"][900] = 7
    arrays["signs"][700, 2] = 0.5
    f = {}
    for name, a in arrays.items():
        f[name] = str(tmp_path / f"{name}.npy")
        np.save(f[name], a)
    chunked = ["--chunk-size", "64"]
    assert_usage_error(
        run("eval", "sparse_categorical_cross_entropy", "--y-true", f["labels"], "--y-pred",
            f["logits"], "-o", "from_logits=True", *chunked),
        "y_true must hold class ids in [0, 5); found 7 at position (900,)")
    assert_usage_error(run("eval", "hinge", "--y-true", f["signs"], "--y-pred", f["p3"], *chunked),
                       "found 0.5 at index (700, 2)")
    assert_usage_error(run("eval", "mse", "--y-true", f["p3"], "--y-pred", f["p4"], *chunked),
                       "got y_true.shape=(1000, 3) and y_pred.shape=(1000, 4)")
    assert_usage_error(
        run("eval", "sparse_categorical_cross_entropy", "--y-true", f["labels2"], "--y-pred",
            f["logits"], *chunked),
        "expected (1000,), got (1000, 2)")
    assert_usage_error(
        run("eval", "mse", "--y-true", f["p3"], "--y-pred", f["p3"], "--sample-weight", f["w2"],
            *chunked),
        "per-sample loss shape (1000, 3); got shape (1000, 2)")
    result = run("eval", "huber", "--y-true", f["p3"], "--y-pred", f["p3"], "-o", "delta=-2",
                 *chunked)
    assert_usage_error(result, "delta must be a positive finite number, got -2")
    assert "chunk" not in result.stderr


@pytest.mark.skipif(bool(fastloss.build_info()["sanitize"]),
                    reason="sanitizer shadow memory inflates the peak RSS")
def test_eval_streams_in_bounded_memory(tmp_path: pathlib.Path) -> None:
    """A 200 MB pair of .npy files, in 1 MB chunks: peak RSS stays far below the file size."""
    from numpy.lib.format import open_memmap

    n = 25_000_000  # float32: 100 MB per file
    rng = np.random.default_rng(0)
    paths = [str(tmp_path / "y.npy"), str(tmp_path / "p.npy")]
    expected_sum = 0.0
    block = 1_000_000
    arrays = [open_memmap(p, mode="w+", dtype=np.float32, shape=(n,)) for p in paths]
    for i in range(0, n, block):
        y = rng.standard_normal(block, dtype=np.float32)
        p = y + np.float32(0.5)
        arrays[0][i:i + block], arrays[1][i:i + block] = y, p
        expected_sum += float(np.sum((p.astype(np.float64) - y) ** 2))
    for a in arrays:
        a.flush()
    del arrays
    file_bytes = sum(os.path.getsize(p) for p in paths)
    # A fresh parent process, so that RUSAGE_CHILDREN sees only the eval run.
    probe = textwrap.dedent(f"""
        import json, resource, subprocess, sys
        r = subprocess.run([sys.executable, "-m", "fastloss", "eval", "mse", "--y-true",
                            {paths[0]!r}, "--y-pred", {paths[1]!r}, "--chunk-size", "131072",
                            "--json"], capture_output=True, text=True)
        print(json.dumps({{"rc": r.returncode, "out": r.stdout, "err": r.stderr,
                          "maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}}))
    """)
    outer = subprocess.run([sys.executable, "-c", probe], check=False, capture_output=True,
                           text=True, timeout=300)
    assert outer.returncode == 0, outer.stderr
    probe_result = json.loads(outer.stdout)
    assert probe_result["rc"] == 0, probe_result["err"]
    out = json.loads(probe_result["out"])
    assert out["chunks"] == -(-n // 131072)
    assert out["value"] == pytest.approx(expected_sum / n, rel=1e-6)
    peak = probe_result["maxrss_kb"] * 1024
    assert peak < file_bytes / 2, f"peak RSS {peak / 2**20:.0f} MB for {file_bytes / 2**20:.0f} MB"
