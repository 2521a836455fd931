"""(c) Reading back the history of one metric with 100,000 points.

One subprocess writes the points (untimed: loss for steps 0..n-1); a *fresh*
subprocess then reads them back through each tool's own read path, several times,
constructing the reader each time as a user script would:

* Heron: ``heron.Api(dir).run(run_id).history(["loss"])`` (a pandas DataFrame), the
  numpy form of the same read (``as_numpy=True``), and the DataFrame read through one
  ``Api`` opened once (opening a store also ships what dead processes left in its
  spool, so it is not free);
* MLflow: ``MlflowClient().get_metric_history(run_id, "loss")`` (SQLite store);
* TensorBoard: ``EventAccumulator(logdir, size_guidance={"scalars": 0})``, ``Reload()``,
  ``Scalars("loss")``;
* W&B offline: its read API (``wandb.Api``) needs a server; the only offline read
  path is the ``wandb leet inspect --json RUN.wandb`` CLI, which dumps the run's
  records as JSON lines, whose history records are then parsed.

The first read of each process is shown apart (it pays for lazy imports, connection
setup and cold caches); the median is over the following ones.

    python bench/read_history.py [--quick]
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _common as c

NAME = "read_history"
TOOLS = ["heron", "heron-numpy", "heron-reuse", "mlflow", "tensorboard", "wandb"]
N_FULL = N_QUICK = 100_000  # the target is for this size; quick mode reads less often
READS_FULL, READS_QUICK = 11, 4


def _count(obj: Any) -> int:
    """Number of points in whatever a read returned."""
    if isinstance(obj, dict):
        for key in ("loss", "step", "steps", "values"):
            if key in obj:
                return _count(obj[key])
        return _count(next(iter(obj.values())))
    for attr in ("steps", "step", "values"):
        inner = getattr(obj, attr, None)
        if inner is not None and not callable(inner) and hasattr(inner, "__len__"):
            return len(inner)
    return len(obj)


def write(tool: str, cfg: c.JSON) -> c.JSON:
    n = int(cfg["n"])
    data_dir = cfg["data_dir"]
    values = c.loss_curve(n)
    if tool == "heron":
        run = c.heron_init(data_dir)
        for v in values:
            run.log({"loss": v})
        run.finish()
        return {"run_id": c.heron_run_id(run)}
    if tool == "mlflow":
        import mlflow

        exp_id = c.mlflow_setup(data_dir)
        client = mlflow.MlflowClient()
        run_id = client.create_run(exp_id).info.run_id
        c.mlflow_log_batch(client, run_id, "loss", range(n), values)
        client.set_terminated(run_id)
        return {"run_id": run_id}
    if tool == "tensorboard":
        writer = c.tb_writer(data_dir)
        for i, v in enumerate(values):
            writer.add_scalar("loss", v, i)
        writer.close()
        return {"run_id": "tb"}
    if tool == "wandb":
        wrun = c.wandb_init(data_dir)
        for v in values:
            wrun.log({"loss": v})
        wrun.finish()
        return {"run_id": wrun.id}
    raise ValueError(tool)


def wandb_offline_history(path: Path, key: str) -> tuple[list[int], list[float]]:
    """W&B's only offline read path: ``wandb leet inspect --json`` dumps the records
    of a run's ``.wandb`` log, one JSON object per line; keep the history records."""
    exe = Path(sys.executable).with_name("wandb")
    out = subprocess.run(
        [str(exe), "leet", "inspect", "--json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    steps: list[int] = []
    values: list[float] = []
    for line in out.splitlines():
        if '"type":"history"' not in line:
            continue
        item = json.loads(line)["history"]["item"]
        if key in item:
            steps.append(int(item["_step"]))
            values.append(float(item[key]))
    return steps, values


def read(tool: str, cfg: c.JSON) -> c.JSON:
    reads, run_id = int(cfg["reads"]), cfg["run_id"]
    data_dir = cfg["data_dir"]
    fn: Callable[[], Any]
    if tool == "heron":
        import heron

        def fn() -> Any:
            return heron.Api(data_dir).run(run_id).history(["loss"])

    elif tool == "heron-numpy":
        import heron

        def fn() -> Any:
            return heron.Api(data_dir).run(run_id).history(["loss"], as_numpy=True)

    elif tool == "heron-reuse":
        import heron

        api = heron.Api(data_dir)

        def fn() -> Any:
            return api.run(run_id).history(["loss"])

    elif tool == "mlflow":
        import mlflow

        mlflow.set_tracking_uri(f"sqlite:///{data_dir}/mlflow.db")

        def fn() -> Any:
            return mlflow.MlflowClient().get_metric_history(run_id, "loss")

    elif tool == "tensorboard":
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

        def fn() -> Any:
            acc = EventAccumulator(f"{data_dir}/tb", size_guidance={"scalars": 0})
            acc.Reload()
            return acc.Scalars("loss")

    elif tool == "wandb":
        (log_file,) = Path(data_dir).glob("wandb/offline-run-*/run-*.wandb")

        def fn() -> Any:
            return wandb_offline_history(log_file, "loss")[0]

    else:
        raise ValueError(tool)
    times = []
    got = 0
    for _ in range(reads):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
        got = _count(out)
        del out
    return {"first_s": times[0], "median_s": c.median(times[1:]), "times": times, "got": got}


WORKERS: dict[str, Callable[[c.JSON], c.JSON]] = {}
for _t in TOOLS:
    WORKERS[f"write-{_t}"] = lambda cfg, t=_t: write(t, cfg)
    WORKERS[f"read-{_t}"] = lambda cfg, t=_t: read(t, cfg)


def main() -> int:
    args = c.parse_args(__doc__ or NAME)
    if args.worker:
        return c.worker_main(args, WORKERS)
    n = N_QUICK if args.quick else N_FULL
    reads = READS_QUICK if args.quick else READS_FULL
    report = c.Report(
        name=NAME,
        title=f"(c) reading back a {n:,}-point history",
        description=__doc__ or "",
        quick=args.quick,
        partial=bool(args.tools),
        params={"points": n, "reads_per_process": reads},
        columns=["tool", "read path", "first read", "median read", "points read", "× Heron"],
    )
    paths = {
        "heron": 'Api(dir).run(id).history(["loss"]) → DataFrame',
        "heron-numpy": "the same, numpy form",
        "heron-reuse": 'api.run(id).history(["loss"]), one Api for all reads',
        "mlflow": "MlflowClient().get_metric_history",
        "tensorboard": "EventAccumulator.Reload + Scalars",
        "wandb": "`wandb leet inspect --json` + parse history records",
    }
    heron_why = c.heron_unavailable()
    results: dict[str, c.JSON] = {}
    tools = c.selected(args, TOOLS)
    with c.Workspace(NAME, args) as ws:
        written: dict[str, tuple[Any, str]] = {}
        for tool in tools:
            if tool.startswith("heron") and heron_why:
                results[tool] = {"ok": False, "error": heron_why, "unavailable": True}
                continue
            base = "heron" if tool.startswith("heron") else tool
            if base not in written:
                workdir = ws.new(base)
                print(f"  {base}: writing {n:,} points ...", file=sys.stderr, flush=True)
                w = c.run_worker(__file__, f"write-{base}", {"n": n}, workdir)
                if not w["ok"]:
                    results[tool] = w
                    continue
                written[base] = (workdir, w["run_id"])
            workdir, run_id = written[base]
            print(f"  {tool}: reading ...", file=sys.stderr, flush=True)
            cfg = {"n": n, "reads": reads, "run_id": run_id}
            results[tool] = c.run_worker(__file__, f"read-{tool}", cfg, workdir)
    heron_med = results.get("heron", {}).get("median_s")
    for tool, r in results.items():
        if r.get("unavailable"):
            report.rows.append(c.not_available_row(tool, 6))
        elif not r["ok"]:
            report.rows.append([c.display(tool), c.error_text(r), "–", "–", "–", "–"])
        else:
            report.rows.append(
                [
                    c.display(tool),
                    paths[tool],
                    c.fmt_time(r["first_s"]),
                    c.fmt_time(r["median_s"]),
                    f"{r['got']:,}" + ("" if r["got"] == n else " (INCOMPLETE)"),
                    c.fmt_ratio(r["median_s"], heron_med),
                ]
            )
    report.raw = results
    h = results.get("heron", {})
    measured = h.get("median_s") if h.get("ok") and "median_s" in h else None
    report.targets = [
        c.Target(
            f"Heron: read a {n:,}-point history",
            "≤ 20 ms",
            c.fmt_time(measured),
            None if measured is None else measured <= 0.020,
        )
    ]
    report.notes = [
        "W&B offline: wandb.Api reads only from a W&B server; the one offline read path is "
        "the `wandb leet inspect --json` CLI of the wandb version used here, which dumps "
        "every record of the run's .wandb log as JSON; its history records are parsed. "
        "The figure includes starting that CLI.",
        "The target is checked on the first Heron row (a new Api for every read, as "
        "specified). MLflow caches its SQLAlchemy store per tracking URI, so only its "
        "first read pays for opening the database.",
        "Each read constructs the reader from scratch (Api / MlflowClient / "
        "EventAccumulator), as a fresh script would; the first read in the process is "
        "shown apart.",
    ]
    if heron_why:
        report.notes.append(f"Heron not available in this run: {heron_why}")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
