"""(l) Reads as a fresh process meets them: open, first search, the CLI, first history.

Every figure is the first of its kind in a new process (the interpreter and the tool
already imported, unless said otherwise; Heron's ``from heron import Api`` is shown
apart), the median over ``reps`` processes:

* **open**: Heron ``heron.Api(dir)`` (it ships dead spools and reaps stale runs when
  there are any: here there are none); MLflow ``MlflowClient(uri)`` and its store
  made (``client._tracking_client.store``: the engine and the schema check);
* **first search** over 1,000 runs (and over 10,000, Heron only: making 10,000
  MLflow runs takes the better part of an hour here) — the query of
  ``search_runs.py``: Heron ``api.runs(filter="config.lr < 0.01 and metrics.val/acc
  >= 0.5", order_by="-metrics.val/acc", limit=100)``, MLflow ``search_runs`` with the
  string form that selects the same runs;
* **CLI listing, end to end**: ``heron runs ls -p bench`` vs ``mlflow runs list
  --experiment-id ID``, wall time of the whole command (interpreter start included);
* **first history** of a 100,000-point metric: Heron ``run.history(["loss"])`` with
  pandas already imported (pandas' own import, about 0.3 s, is shown apart) and the
  numpy form ``history(["loss"], as_numpy=True)``; MLflow ``get_metric_history``;
  TensorBoard ``EventAccumulator.Reload`` + ``Scalars``.

TensorBoard and W&B offline have no local query over runs (rows left out). Heron's
steps (and both CLIs) also get a ``(CPU)`` row: the process's own CPU time for the
same step (``time.process_time`` in the worker; the command's user + system time from
``getrusage`` for the CLI), which a loaded machine inflates far less than wall time.

    python bench/fresh_reads.py [--quick]
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import _common as c
import search_runs as sr

NAME = "fresh_reads"
REPS_FULL, REPS_QUICK = 5, 3
RUNS_BIG_FULL, RUNS_BIG_QUICK = 10_000, 2_000
HISTORY_POINTS = 100_000


def setup_heron(cfg: c.JSON) -> c.JSON:
    """``n`` runs of search_runs' generator (through the store's ingest: 10,000 runs
    through ``heron.init`` would take an hour) and one run of 100,000 points."""
    import numpy as np

    from heron.local_dir import LocalDir
    from heron.store import open_store
    from heron.store.base import Batch, RunSpec, Series

    folder = LocalDir.at(cfg["data_dir"])
    folder.create()
    store = open_store(folder.db_url)
    t0 = time.time() - 86_400
    for i, (config, steps) in enumerate(sr.run_specs(int(cfg["n"]))):
        run_id = f"r{i:011d}"
        store.create_run(RunSpec(id=run_id, project="bench", config=config, created_at=t0 + i))
        metrics = {
            key: Series(
                np.arange(3, dtype=np.int64),
                np.full(3, t0 + i),
                np.array([s[key] for s in steps]),
            )
            for key in sr.METRICS
        }
        finished = [{"type": "state", "state": "finished", "time": t0 + i + 1}]
        store.ingest(Batch(run_id, 1, metrics, finished))  # type: ignore[arg-type]
    values = np.array(c.loss_curve(HISTORY_POINTS))
    steps = np.arange(HISTORY_POINTS, dtype=np.int64)
    store.create_run(RunSpec(id="history00001", project="history", created_at=t0))
    loss = Series(steps, t0 + steps * 1e-3, values)
    done = [{"type": "state", "state": "finished", "time": t0 + 100}]
    store.ingest(Batch("history00001", 1, {"loss": loss}, done))  # type: ignore[arg-type]
    store.close()
    return {}


def setup_mlflow(cfg: c.JSON) -> c.JSON:
    import mlflow

    out = sr.write("mlflow", {**cfg, "n": cfg["n"]})
    client = mlflow.MlflowClient()
    hist = client.create_run(out["experiment_id"]).info.run_id
    c.mlflow_log_batch(client, hist, "loss", range(HISTORY_POINTS), c.loss_curve(HISTORY_POINTS))
    client.set_terminated(hist)
    return {"experiment_id": out["experiment_id"], "history_run": hist}


def setup_tensorboard(cfg: c.JSON) -> c.JSON:
    writer = c.tb_writer(cfg["data_dir"])
    for i, v in enumerate(c.loss_curve(HISTORY_POINTS)):
        writer.add_scalar("loss", v, i)
    writer.close()
    return {}


def measure(tool: str, cfg: c.JSON) -> c.JSON:
    """One fresh process: one measurement named by ``cfg["what"]``."""
    what, data_dir = cfg["what"], cfg["data_dir"]
    out: c.JSON = {}
    if tool == "heron":
        t0, c0 = time.perf_counter(), time.process_time()
        from heron import Api  # ``import heron`` is lazy: this loads the read side

        out["import_s"] = time.perf_counter() - t0
        out["import_cpu_s"] = time.process_time() - c0
        if what == "history":
            t0 = time.perf_counter()
            import pandas  # noqa: F401  (its import is not Heron's)

            out["pandas_import_s"] = time.perf_counter() - t0
        t0, c0 = time.perf_counter(), time.process_time()
        api = Api(data_dir)
        out["open_s"] = time.perf_counter() - t0
        out["open_cpu_s"] = time.process_time() - c0
        t0, c0 = time.perf_counter(), time.process_time()
        if what == "search":
            found = list(
                api.runs("bench", filter=sr.HERON_FILTER, order_by=["-metrics.val/acc"], limit=100)
            )
            out["got"] = len(found)
        elif what in ("history", "history-numpy"):
            table = api.run("history00001").history(["loss"], as_numpy=what == "history-numpy")
            out["got"] = len(table["loss"])
        out["first_s"] = time.perf_counter() - t0
        out["first_cpu_s"] = time.process_time() - c0
        return out
    if tool == "mlflow":
        import mlflow

        t0 = time.perf_counter()
        client = mlflow.MlflowClient(f"sqlite:///{data_dir}/mlflow.db")
        client._tracking_client.store  # noqa: B018  (made on first use: make it now)
        out["open_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        if what == "search":
            found = client.search_runs(
                [cfg["experiment_id"]],
                filter_string=sr.MLFLOW_FILTER,
                order_by=["metrics.val_acc DESC"],
                max_results=100,
            )
            out["got"] = len(found)
        elif what == "history":
            out["got"] = len(client.get_metric_history(cfg["history_run"], "loss"))
        out["first_s"] = time.perf_counter() - t0
        return out
    if tool == "tensorboard":
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

        t0 = time.perf_counter()
        acc = EventAccumulator(f"{data_dir}/tb", size_guidance={"scalars": 0})
        acc.Reload()
        out["got"] = len(acc.Scalars("loss"))
        out["first_s"] = time.perf_counter() - t0
        return out
    raise ValueError(tool)


WORKERS: dict[str, Callable[[c.JSON], c.JSON]] = {
    "setup-heron": setup_heron,
    "setup-mlflow": setup_mlflow,
    "setup-tensorboard": setup_tensorboard,
    "measure-heron": lambda cfg: measure("heron", cfg),
    "measure-mlflow": lambda cfg: measure("mlflow", cfg),
    "measure-tensorboard": lambda cfg: measure("tensorboard", cfg),
}


def _cli(workdir: Path, argv: list[str], cpu: list[float] | None = None) -> float:
    """Wall seconds of a whole command, run as a user would (in the tool's folder);
    its CPU seconds (user + system) appended to ``cpu``."""
    data = workdir / "data"
    env = c.worker_env(workdir)
    env["HERON_DIR"] = str(data)
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{data}/mlflow.db"
    exe = Path(sys.executable).parent / argv[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(
        [str(exe), *argv[1:]], cwd=data, env=env, capture_output=True, text=True, timeout=300
    )
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if cpu is not None:
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {done.stderr.strip()[-300:]}")
    return seconds


def main() -> int:
    args = c.parse_args(__doc__ or NAME)
    if args.worker:
        return c.worker_main(args, WORKERS)
    reps = REPS_QUICK if args.quick else REPS_FULL
    n_big = RUNS_BIG_QUICK if args.quick else RUNS_BIG_FULL
    n = sr.N_QUICK if args.quick else sr.N_FULL
    report = c.Report(
        name=NAME,
        title="(l) reads in a fresh process",
        description=__doc__ or "",
        quick=args.quick,
        partial=bool(args.tools),
        params={"runs": n, "runs_big": n_big, "history_points": HISTORY_POINTS, "reps": reps},
        columns=["measurement", "tool", "median (fresh processes)", "min", "× Heron"],
    )
    tools = [t for t in c.selected(args, ["heron", "mlflow", "tensorboard"])]
    found: dict[tuple[str, str], list[float]] = {}
    errors: list[str] = []

    def record(row: str, tool: str, values: list[float]) -> None:
        if values:
            found[(row, tool)] = values

    load_before = os.getloadavg()[0]
    with c.Workspace(NAME, args) as ws:
        for tool in tools:
            sizes = [n, n_big] if tool == "heron" else [n]
            if tool == "tensorboard":
                sizes = [0]
            for size in sizes:
                workdir = ws.new(f"{tool}-{size}")
                print(f"  {tool}: setting up ({size:,} runs) ...", file=sys.stderr, flush=True)
                setup = c.run_worker(__file__, f"setup-{tool}", {"n": size}, workdir, timeout=7200)
                if not setup["ok"]:
                    errors.append(f"{tool} set-up: {c.error_text(setup)}")
                    continue
                cfg = {k: v for k, v in setup.items() if k not in ("ok",)}
                whats = ["search"] if size == n_big else ["open", "search", "history"]
                if tool == "heron" and size == n:
                    whats.append("history-numpy")
                if tool == "tensorboard":
                    whats = ["history"]
                for what in whats:
                    print(f"  {tool}: {what} x{reps} ...", file=sys.stderr, flush=True)
                    results = [
                        c.run_worker(__file__, f"measure-{tool}", {**cfg, "what": what}, workdir)
                        for _ in range(reps)
                    ]
                    bad = [r for r in results if not r["ok"]]
                    if bad:
                        errors.append(f"{tool} {what}: {c.error_text(bad[0])}")
                    ok = [r for r in results if r["ok"]]
                    label = {
                        "open": "open the store",
                        "search": f"first search, {size:,} runs",
                        "history": f"first history, {HISTORY_POINTS:,} points",
                        "history-numpy": f"first history, {HISTORY_POINTS:,} points, numpy",
                    }[what]
                    key = "open_s" if what == "open" else "first_s"
                    record(label, tool, [r[key] for r in ok if r.get(key) is not None])
                    cpu_key = key.replace("_s", "_cpu_s")
                    record(f"{label} (CPU)", tool, [r[cpu_key] for r in ok if cpu_key in r])
                    if what == "open" and tool == "heron":
                        record("from heron import Api (apart)", tool, [r["import_s"] for r in ok])
                    if what == "history" and tool == "heron":
                        record("import pandas (apart)", tool, [r["pandas_import_s"] for r in ok])
                if size == n and tool in ("heron", "mlflow"):
                    argv = (
                        ["heron", "runs", "ls", "-p", "bench"]
                        if tool == "heron"
                        else ["mlflow", "runs", "list", "--experiment-id", cfg["experiment_id"]]
                    )
                    try:
                        cpu: list[float] = []
                        record(
                            f"CLI listing, {size:,} runs, end to end",
                            tool,
                            [_cli(workdir, argv, cpu) for _ in range(reps)],
                        )
                        record(f"CLI listing, {size:,} runs, end to end (CPU)", tool, cpu)
                    except (RuntimeError, subprocess.TimeoutExpired) as exc:
                        errors.append(str(exc)[:300])
    rows: dict[str, None] = dict.fromkeys(row for row, _ in found)
    for row in rows:
        heron = found.get((row, "heron"))
        heron_med = c.median(heron) if heron else None
        for tool in ("heron", "mlflow", "tensorboard"):
            values = found.get((row, tool))
            if not values:
                continue
            med = c.median(values)
            report.rows.append(
                [row, c.display(tool), c.fmt_time(med), c.fmt_time(min(values)),
                 c.fmt_ratio(med, heron_med)]
            )  # fmt: skip
    report.raw = {f"{row} / {tool}": v for (row, tool), v in found.items()}

    def heron_med(row: str) -> float | None:
        values = found.get((row, "heron"))
        return c.median(values) if values else None

    def target(what: str, row: str, goal_s: float) -> c.Target:
        med = heron_med(row)
        goal = f"≤ {goal_s * 1e3:.0f} ms"
        return c.Target(what, goal, c.fmt_time(med), None if med is None else med <= goal_s)

    report.targets = [
        target("Heron: heron.Api() open, fresh process", "open the store", 0.020),
        target(f"Heron: first search over {n:,} runs", f"first search, {n:,} runs", 0.015),
        target(f"Heron: first search over {n_big:,} runs", f"first search, {n_big:,} runs", 0.060),
        target("Heron: `heron runs ls`, end to end", f"CLI listing, {n:,} runs, end to end", 0.150),
        target(
            "Heron: first history(), pandas' import apart",
            f"first history, {HISTORY_POINTS:,} points",
            0.025,
        ),
    ]
    report.notes = [
        "× Heron: the tool's median over Heron's (above 1: Heron is faster).",
        "(CPU): the process's own CPU time for the same step (user + system; the whole "
        "command's for the CLI), which other processes on the machine inflate far less "
        f"than wall time; load average (1 min) {load_before:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end, on {os.cpu_count()} CPUs.",
        "MLflow's search uses `params.lr LIKE '0.00%'` (it cannot compare params with <); "
        "the same runs are selected.",
        *errors,
    ]
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
