"""Shared harness for the Heron benchmark suite.

Every benchmark script follows the same shape:

* the parent process (``python bench/NAME.py [--quick]``) decides the sizes, creates
  one fresh temporary folder per tool and measurement, and starts one *worker*
  subprocess per tool (``python bench/NAME.py --worker TOOL --cfg JSON``), so that no
  tool's global state (threads, caches, imported modules, open SQLite engines) leaks
  into another tool's figures;
* the worker does the work, times it itself and prints one line
  ``@@BENCH_RESULT@@ {json}`` on stdout;
* the parent turns the results into a :class:`Report`: a rich table on the terminal
  and ``bench/results/NAME.json``, which ``bench/run_all.py`` renders into
  ``docs/benchmarks.md``.

This module is imported by the scripts as ``_common`` (``bench/`` is ``sys.path[0]``
when a script runs), so it must not import any of the tools at module level.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
RESULT_MARKER = "@@BENCH_RESULT@@"

#: Display names of the tools, in the order rows are shown.
TOOL_NAMES: dict[str, str] = {
    "noop": "no tracking (loop + dict only)",
    "none": "no tracking",
    "python": "bare Python (baseline)",
    "heron": "Heron",
    "heron-step": "Heron (explicit step)",
    "heron-remote": "Heron, remote mode (real `heron server` on loopback)",
    "heron-numpy": "Heron (numpy form)",
    "heron-reuse": "Heron (Api opened once)",
    "mlflow": "MLflow (SQLite)",
    "mlflow-sync": "MLflow sync",
    "mlflow-async": "MLflow async",
    "tensorboard": "TensorBoard",
    "wandb": "W&B offline",
}

PACKAGES = (
    "heron",
    "mlflow",
    "wandb",
    "tensorboard",
    "torch",
    "numpy",
    "pandas",
    "sqlalchemy",
    "protobuf",
    "psutil",
)

JSON = dict[str, Any]


# --------------------------------------------------------------------------- machine


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def machine_info() -> JSON:
    """The machine the figures were taken on."""
    import psutil

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        usable = os.cpu_count() or 0
    load = os.getloadavg() if hasattr(os, "getloadavg") else (math.nan,) * 3
    return {
        "cpu": _cpu_model(),
        "physical_cores": psutil.cpu_count(logical=False),
        "logical_cores": psutil.cpu_count(logical=True),
        "usable_cores": usable,
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "loadavg_at_start": [round(x, 2) for x in load],
    }


def _heron_commit() -> str:
    try:
        sha = subprocess.run(
            ["git", "-C", str(REPO_DIR), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO_DIR), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{sha}{' + uncommitted changes' if dirty else ''}"


def package_versions() -> JSON:
    """Versions of every package the figures depend on."""
    out: JSON = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    out["heron_commit"] = _heron_commit()
    return out


# --------------------------------------------------------------------------- statistics


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (``q`` in 0..100); NaN for no values."""
    if not values:
        return math.nan
    s = sorted(values)
    k = (len(s) - 1) * q / 100.0
    lo = math.floor(k)
    hi = math.ceil(k)
    if lo == hi:
        return float(s[lo])
    return float(s[lo] + (s[hi] - s[lo]) * (k - lo))


def median(values: Sequence[float]) -> float:
    return percentile(values, 50.0)


# --------------------------------------------------------------------------- formatting


def median_of(results: Sequence[JSON], key: str) -> float | None:
    """The median of ``key`` over the workers that succeeded and reported it."""
    values = [r[key] for r in results if r.get("ok") and r.get(key) is not None]
    return median(values) if values else None


def _bad(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def fmt_num(x: float | None, digits: int = 3) -> str:
    """A number with ``digits`` significant digits, thousands separated."""
    if _bad(x):
        return "–"
    assert x is not None
    if x == 0:
        return "0"
    if abs(x) >= 10 ** (digits - 1):
        return f"{x:,.0f}"
    x = float(f"{x:.{digits}g}")  # round to significant digits first (0.99996 -> 1.0)
    if abs(x) >= 10 ** (digits - 1):
        return f"{x:,.0f}"
    decimals = digits - 1 - math.floor(math.log10(abs(x)))
    return f"{x:,.{max(decimals, 0)}f}"


def fmt_us(x: float | None) -> str:
    return "–" if _bad(x) else f"{fmt_num(x)} µs"


def fmt_ms(x: float | None) -> str:
    return "–" if _bad(x) else f"{fmt_num(x)} ms"


def fmt_s(x: float | None) -> str:
    return "–" if _bad(x) else f"{fmt_num(x)} s"


def fmt_bytes(x: float | None) -> str:
    if _bad(x):
        return "–"
    assert x is not None
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if abs(x) >= scale:
            return f"{fmt_num(x / scale)} {unit}"
    return f"{fmt_num(x)} B"


def fmt_ratio(value: float | None, heron: float | None) -> str:
    """How many times ``value`` is Heron's figure (``×``); for lower-is-better metrics
    that is how many times Heron is better."""
    if _bad(value) or _bad(heron) or not heron:
        return "–"
    assert value is not None and heron is not None
    return f"{fmt_num(value / heron)}×"


def fmt_time(seconds: float | None) -> str:
    """A duration in the unit that reads best (µs, ms or s)."""
    if _bad(seconds):
        return "–"
    assert seconds is not None
    if abs(seconds) < 1e-3:
        return fmt_us(seconds * 1e6)
    if abs(seconds) < 1.0:
        return fmt_ms(seconds * 1e3)
    return fmt_s(seconds)


def fmt_pct(x: float | None) -> str:
    return "–" if _bad(x) else f"{x:+.2f} %"


def display(tool: str) -> str:
    return TOOL_NAMES.get(tool, tool)


# --------------------------------------------------------------------------- report


@dataclass
class Target:
    """One promise from the spec and whether the measurement meets it."""

    what: str
    goal: str
    measured: str
    met: bool | None  # None: could not be measured (or not conclusively)
    unmet_reason: str = "not measured"  # the verdict shown when ``met`` is None

    @property
    def verdict(self) -> str:
        return {True: "met", False: "MISSED", None: self.unmet_reason}[self.met]


@dataclass
class Report:
    name: str
    title: str
    description: str
    quick: bool
    params: JSON
    partial: bool  # only some of the tools ran (--tools): kept apart from the full result
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    raw: JSON = field(default_factory=dict)
    machine: JSON = field(default_factory=machine_info)
    versions: JSON = field(default_factory=package_versions)
    started_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat())

    def to_json(self) -> JSON:
        data = asdict(self)
        data["targets"] = [{**asdict(t), "verdict": t.verdict} for t in self.targets]
        return data

    def save(self) -> Path:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        path = RESULTS_DIR / f"{self.name}{'.partial' if self.partial else ''}.json"
        path.write_text(json.dumps(self.to_json(), indent=2, default=str) + "\n")
        return path

    def print(self) -> None:
        print_report(self.to_json())

    def finish(self) -> int:
        self.notes += problem_notes(self.raw)
        self.print()
        path = self.save()
        print(f"results written to {path.relative_to(REPO_DIR)}")
        return 0


def problem_notes(raw: Any) -> list[str]:
    """Notes for every worker during which Heron's SDK reported a problem on stderr."""
    found: dict[tuple[str, str], None] = {}

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            problems = node.get("heron_problems")
            if problems:
                found[(where, str(problems[0])[:300])] = None
            for key, value in node.items():
                walk(value, f"{where}/{key}" if where else str(key))
        elif isinstance(node, list):
            for item in node:
                walk(item, where)

    walk(raw, "")
    return [
        f"WARNING: Heron reported a problem during the '{where}' measurement, so that "
        f"figure may not be representative: {msg}"
        for where, msg in found
    ]


def print_report(data: JSON) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 160)
    m = data["machine"]
    v = data["versions"]
    console.rule(f"[bold]{data['title']}[/bold]" + ("  (quick mode)" if data["quick"] else ""))
    console.print(
        f"[dim]machine:[/dim] {m['cpu']}, {m['physical_cores']} cores / "
        f"{m['logical_cores']} threads ({m['usable_cores']} usable), {m['ram_gib']} GiB RAM, "
        f"{m['os']}, {m['python']}, load {m['loadavg_at_start']}"
    )
    console.print(
        "[dim]versions:[/dim] " + ", ".join(f"{k} {val}" for k, val in v.items()),
        highlight=False,
    )
    console.print("[dim]parameters:[/dim] " + json.dumps(data["params"]), highlight=False)
    table = Table(box=box.SIMPLE_HEAVY)
    for i, col in enumerate(data["columns"]):
        table.add_column(col, justify="left" if i == 0 else "right")
    for row in data["rows"]:
        table.add_row(*row)
    console.print(table)
    if data["targets"]:
        tt = Table(title="targets", box=box.SIMPLE)
        for col in ("promise", "goal", "measured", "verdict"):
            tt.add_column(col)
        for t in data["targets"]:
            style = {"met": "green", "MISSED": "bold red"}.get(t["verdict"], "yellow")
            tt.add_row(t["what"], t["goal"], t["measured"], f"[{style}]{t['verdict']}[/{style}]")
        console.print(tt)
    for note in data["notes"]:
        console.print(f"[dim]note:[/dim] {note}", highlight=False)


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_table(
    columns: Sequence[str], rows: Iterable[Sequence[str]], *, numeric: bool = True
) -> str:
    """A GitHub markdown table; with ``numeric`` every column but the first is
    right-aligned."""
    align = ["---" if i == 0 or not numeric else "---:" for i in range(len(columns))]
    lines = [
        "| " + " | ".join(_md_cell(c) for c in columns) + " |",
        "| " + " | ".join(align) + " |",
    ]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def report_markdown(data: JSON) -> str:
    """The part of docs/benchmarks.md generated from one result file."""
    out = []
    if data["quick"]:
        out.append("*Quick mode (reduced sizes, see parameters); not the reference figures.*\n")
    out.append(f"Parameters: `{json.dumps(data['params'])}`; taken {data['started_at'][:16]}Z.\n")
    out.append(markdown_table(data["columns"], data["rows"]))
    if data["targets"]:
        out.append("")
        out.append(
            markdown_table(
                ["promise", "goal", "measured", "verdict"],
                numeric=False,
                rows=[
                    [
                        t["what"],
                        t["goal"],
                        t["measured"],
                        f"**{t['verdict']}**" if t["verdict"] != "met" else "met",
                    ]
                    for t in data["targets"]
                ],
            )
        )
    if data["notes"]:
        out.append("")
        out += [f"- {n}" for n in data["notes"]]
    return "\n".join(out)


# --------------------------------------------------------------------------- CLI


def parse_args(description: str, argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    p.add_argument(
        "--tools",
        default="",
        help="comma-separated subset of the tools to run (default: all)",
    )
    p.add_argument("--keep", action="store_true", help="keep the temporary folders")
    p.add_argument(
        "--tmp",
        default=os.environ.get("BENCH_TMP", ""),
        help="where the temporary folders go (default: the system temp dir; env BENCH_TMP)",
    )
    p.add_argument("--worker", default="", help=argparse.SUPPRESS)
    p.add_argument("--cfg", default="{}", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def selected(args: argparse.Namespace, tools: Sequence[str]) -> list[str]:
    if not args.tools:
        return list(tools)
    wanted = {t.strip() for t in args.tools.split(",") if t.strip()}
    return [t for t in tools if t in wanted]


# --------------------------------------------------------------------------- workers


class Workspace:
    """A root temp folder holding one fresh folder per (tool, measurement)."""

    def __init__(self, name: str, args: argparse.Namespace) -> None:
        base = args.tmp or None
        self.root = Path(tempfile.mkdtemp(prefix=f"heron-bench-{name}-", dir=base))
        self.keep = bool(args.keep)
        self._n = 0

    def new(self, tool: str) -> Path:
        self._n += 1
        path = self.root / f"{self._n:03d}-{tool}"
        (path / "data").mkdir(parents=True)
        (path / "env").mkdir()
        return path

    def close(self) -> None:
        if self.keep:
            print(f"temporary folders kept in {self.root}")
        else:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def worker_env(workdir: Path) -> dict[str, str]:
    """Environment for a worker: every tool local, offline, quiet, single-threaded BLAS,
    and every tool's config/cache folder inside the worker's own temp folder."""
    # Heron's own settings at their defaults (HERON_URL would send it to a server)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERON_")}
    # Bytecode is written and reused, as on every user's machine: otherwise a tool
    # installed from source (Heron here, in editable mode) compiles every module it
    # imports in every fresh process, while the peers' wheels ship compiled bytecode.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for var in ("MLFLOW_TRACKING_URI", "WANDB_API_KEY", "WANDB_BASE_URL"):
        env.pop(var, None)
    envdir = workdir / "env"
    env.update(
        {
            "PYTHONHASHSEED": "0",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "WANDB_MODE": "offline",
            "WANDB_SILENT": "true",
            "WANDB_DIR": str(workdir / "data"),
            "WANDB_CONFIG_DIR": str(envdir / "wandb-config"),
            "WANDB_CACHE_DIR": str(envdir / "wandb-cache"),
            "WANDB_DATA_DIR": str(envdir / "wandb-data"),
            "WANDB_ARTIFACT_DIR": str(envdir / "wandb-artifacts"),
            "WANDB_DISABLE_GIT": "true",
            "WANDB_DISABLE_CODE": "true",
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "DO_NOT_TRACK": "1",
            "GIT_PYTHON_REFRESH": "quiet",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "HOME": str(envdir),
            "XDG_CONFIG_HOME": str(envdir / "xdg-config"),
            "XDG_CACHE_HOME": str(envdir / "xdg-cache"),
        }
    )
    return env


def _tree_rss(proc: Any) -> int:
    """RSS of ``proc`` plus the *unique* memory (USS) of its descendants: a child
    forked from the worker shares its pages (a ``git`` started by a tool would
    otherwise count the whole interpreter twice), while a helper like W&B's
    ``wandb-core`` is counted in full."""
    import psutil

    try:
        total = int(proc.memory_info().rss)
        children = proc.children(recursive=True)
    except psutil.Error:
        return 0
    for child in children:
        with contextlib.suppress(psutil.Error):
            total += int(child.memory_full_info().uss)
    return total


def run_worker(
    script: str | Path,
    tool: str,
    cfg: JSON,
    workdir: Path,
    *,
    timeout: float = 900.0,
    sample_rss: bool = False,
) -> JSON:
    """Run one worker subprocess; return its result dict with ``ok`` set.

    The worker runs with the tool's data folder (``workdir/data``) as its current
    directory, so whatever a tool writes next to itself counts as its footprint.
    With ``sample_rss`` the memory of the worker's whole process tree (W&B runs a
    separate ``wandb-core`` process) is sampled every 20 ms: ``tree_peak_rss`` (see
    :func:`_tree_rss`).
    """
    import psutil

    data_dir = workdir / "data"
    cfg = {**cfg, "data_dir": str(data_dir)}
    cmd = [
        sys.executable,
        str(Path(script).resolve()),
        "--worker",
        tool,
        "--cfg",
        json.dumps(cfg),
    ]
    logs = workdir / "env"
    out_path, err_path = logs / f"{tool}.stdout", logs / f"{tool}.stderr"
    t0 = time.perf_counter()
    with out_path.open("w") as out, err_path.open("w") as err:
        proc = subprocess.Popen(
            cmd,
            cwd=data_dir,
            env=worker_env(workdir),
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        ps = psutil.Process(proc.pid)
        peak = 0
        timed_out = False
        while True:
            try:
                proc.wait(timeout=0.02 if sample_rss else 0.25)
                break
            except subprocess.TimeoutExpired:
                if sample_rss:
                    peak = max(peak, _tree_rss(ps))
                if time.perf_counter() - t0 > timeout:
                    timed_out = True
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)  # the worker's own group
                    proc.wait()
                    break
    wall = time.perf_counter() - t0
    stdout = out_path.read_text(errors="replace")
    result: JSON | None = None
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_MARKER):
            result = json.loads(line[len(RESULT_MARKER) :])
            break
    if result is None:
        tail = err_path.read_text(errors="replace").strip().splitlines()[-6:]
        why = f"timed out after {timeout:.0f} s" if timed_out else f"exit code {proc.returncode}"
        result = {"ok": False, "error": why + (": " + " | ".join(tail) if tail else "")}
    result.setdefault("ok", True)
    result["worker_wall_s"] = wall
    # Heron reports trouble in its background shipper on stderr (and carries on: the
    # spool keeps the points); a figure taken while it was failing must say so. Its
    # reproducibility warning is not such trouble: the workers' data folders are
    # outside any repository, so every run says no git commit was recorded.
    problems = [
        line.strip()
        for line in err_path.read_text(errors="replace").splitlines()
        if (line.startswith("heron:") and "may not be reproducible" not in line)
        or "could not be fully shipped" in line
    ]
    if problems:
        result["heron_problems"] = problems[:5]
    if sample_rss:
        result["tree_peak_rss"] = peak
    return result


def emit(result: JSON) -> None:
    """Print a worker's result line (the last thing a worker does)."""
    sys.stdout.flush()
    print(RESULT_MARKER + json.dumps(result, default=float), flush=True)


def worker_main(args: argparse.Namespace, workers: dict[str, Callable[[JSON], JSON]]) -> int:
    """Dispatch ``--worker TOOL``: run it, print its result (or its error)."""
    cfg = json.loads(args.cfg)
    fn = workers.get(args.worker)
    if fn is None:
        emit({"ok": False, "error": f"unknown worker {args.worker!r}"})
        return 2
    try:
        result = fn(cfg)
    except Exception as exc:
        traceback.print_exc()
        emit({"ok": False, "error": f"{type(exc).__name__}: {exc}"[:500]})
        return 1
    emit({"ok": True, **result})
    return 0


def error_text(result: JSON) -> str:
    return f"error: {str(result.get('error', 'failed'))[:200]}"


_HERON_STATUS: str | None = None


def heron_unavailable() -> str:
    """Empty when Heron's SDK and read API can be used, else why not (checked once, in a
    subprocess, because the SDK is still being written)."""
    global _HERON_STATUS
    if _HERON_STATUS is None:
        probe = (
            "import heron, sys\n"
            "missing = [n for n in ('init', 'Api') if not hasattr(heron, n)]\n"
            "sys.exit('heron.' + ', heron.'.join(missing) + ' missing' if missing else 0)\n"
        )
        r = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
        )
        lines = (r.stderr or r.stdout).strip().splitlines()
        _HERON_STATUS = "" if r.returncode == 0 else (lines[-1] if lines else "import failed")
    return _HERON_STATUS


def not_available_row(tool: str, width: int) -> list[str]:
    return [display(tool), "not available", *["–"] * (width - 2)]


# --------------------------------------------------------------------------- tools


def heron_init(data_dir: str | Path, config: JSON | None = None, project: str = "bench") -> Any:
    import heron

    return heron.init(
        project=project,
        dir=str(data_dir),
        config=config or {},
        system_metrics=False,
    )


def heron_run_id(run: Any) -> str:
    for attr in ("id", "run_id"):
        value = getattr(run, attr, None)
        if isinstance(value, str) and value:
            return value
    raise AttributeError("cannot find the run id on the Heron run object")


def mlflow_setup(data_dir: str | Path, experiment: str = "bench") -> str:
    """Point MLflow at a fresh SQLite store in ``data_dir``; return the experiment id."""
    import logging

    import mlflow

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.ERROR)
    data = Path(data_dir)
    mlflow.set_tracking_uri(f"sqlite:///{data / 'mlflow.db'}")
    exp_id = mlflow.create_experiment(experiment, artifact_location=(data / "artifacts").as_uri())
    mlflow.set_experiment(experiment_id=exp_id)
    return str(exp_id)


def wandb_init(data_dir: str | Path, config: JSON | None = None) -> Any:
    import wandb

    return wandb.init(
        project="bench",
        dir=str(data_dir),
        mode="offline",
        config=config or {},
        settings=wandb.Settings(
            x_disable_stats=True,  # no system metrics, like Heron's system_metrics=False
            console="off",
            disable_git=True,
            save_code=False,
            silent=True,
        ),
    )


def tb_writer(data_dir: str | Path) -> Any:
    from torch.utils.tensorboard import SummaryWriter

    return SummaryWriter(log_dir=str(Path(data_dir) / "tb"))


def mlflow_log_batch(client: Any, run_id: str, key: str, steps: Sequence[int], values: Any) -> None:
    """MLflow's fastest write path: ``log_batch`` in chunks of 1,000 (its limit)."""
    from mlflow.entities import Metric

    ts = int(time.time() * 1000)
    n = len(steps)
    for lo in range(0, n, 1000):
        hi = min(lo + 1000, n)
        client.log_batch(
            run_id,
            metrics=[Metric(key, float(values[i]), ts, int(steps[i])) for i in range(lo, hi)],
            synchronous=True,
        )


def loss_curve(n: int, seed: int = 0) -> list[float]:
    """A smooth training-loss curve computed in float32, as ``loss.item()`` would
    return it: exp(-t/2e4) + 0.01 * noise."""
    import numpy as np

    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=np.float32)
    loss = np.exp(-t / np.float32(2e4)) + np.float32(0.01) * rng.standard_normal(n).astype(
        np.float32
    )
    return [float(x) for x in loss.astype(np.float32)]


def lr_schedule(n: int, base: float = 3e-4, warmup: int = 1000) -> list[float]:
    """Linear warm-up then cosine decay, computed in double like torch schedulers."""
    out = []
    for t in range(n):
        if t < warmup:
            out.append(base * (t + 1) / warmup)
        else:
            p = (t - warmup) / max(1, n - warmup)
            out.append(base * 0.5 * (1 + math.cos(math.pi * p)))
    return out


def du_bytes(path: str | Path) -> tuple[int, int, int]:
    """(allocated bytes as ``du`` counts them, apparent bytes, number of files)."""
    allocated = apparent = files = 0
    for root, _dirs, names in os.walk(path):
        for name in names:
            try:
                st = os.lstat(os.path.join(root, name))
            except OSError:
                continue
            files += 1
            apparent += st.st_size
            allocated += getattr(st, "st_blocks", math.ceil(st.st_size / 512)) * 512
    return allocated, apparent, files
