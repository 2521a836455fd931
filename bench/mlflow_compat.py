"""MLflow compatibility and importers: the ``mlflow`` client against ``mlflow server`` and
against ``heron server`` side by side, and ``heron import`` speed.

* ``log_metric``: one point per call, ``--calls`` calls, through ``MlflowClient`` to a
  real ``mlflow server`` (SQLite backend store, 1 worker) and a real ``heron server``
  (SQLite, 1 worker), one after the other in this run: calls/s (= points/s).
* ``log_batch``: 1,000 points per call (MLflow's limit), ``--batches`` calls: calls/s
  and points/s.
* ``heron import tensorboard``: a log of 1,000,000 scalar points (one run, written
  with tensorboardX's ``SummaryWriter.add_scalar``), imported into a fresh embedded
  store: points/s, wall and CPU seconds (target: under 60 s).
* ``heron import mlflow``: an MLflow SQLite store of 100 runs of 1,000 points each
  (written with ``MlflowClient.log_batch``), imported: runs/s, points/s.

    python bench/mlflow_compat.py [--quick] [--tools client,tb-import,mlflow-import]
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path
from typing import Any

import _common as c
import _servers

SIZES = {"calls": 300, "batches": 20, "tb_points": 1_000_000, "runs": 100, "run_points": 1000}
QUICK = {"calls": 100, "batches": 5, "tb_points": 20_000, "runs": 10, "run_points": 100}


def client_rates(url: str, sizes: dict[str, int]) -> dict[str, float]:
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    client = MlflowClient(url)
    experiment = client.create_experiment(f"bench-{int(time.time() * 1000)}")
    run = client.create_run(experiment).info.run_id
    now = int(time.time() * 1000)
    started = time.perf_counter()
    for i in range(sizes["calls"]):
        client.log_metric(run, "loss", 1.0 / (i + 1), timestamp=now + i, step=i)
    single = time.perf_counter() - started
    run2 = client.create_run(experiment).info.run_id
    started = time.perf_counter()
    for b in range(sizes["batches"]):
        metrics = [Metric("loss", 1.0 / (i + 1), now + i, b * 1000 + i) for i in range(1000)]
        client.log_batch(run2, metrics=metrics)
    batched = time.perf_counter() - started
    stored = len(client.get_metric_history(run2, "loss"))
    assert stored == sizes["batches"] * 1000, stored
    return {
        "log_metric_calls_s": sizes["calls"] / single,
        "log_batch_calls_s": sizes["batches"] / batched,
        "log_batch_points_s": sizes["batches"] * 1000 / batched,
    }


def tb_import(workdir: Path, points: int) -> dict[str, float]:
    import tensorboardX

    from heron.connect import connect
    from heron.importers.tensorboard import import_tensorboard
    from heron.service import Tracking

    logdir = workdir / "tb"
    started = time.perf_counter()
    with tensorboardX.SummaryWriter(str(logdir / "run"), max_queue=10_000) as writer:
        for i in range(points):
            writer.add_scalar("loss", 1.0 / (i + 1), i)
    written = time.perf_counter() - started
    with connect(workdir / "heron-tb", create=True) as conn:
        started, cpu = time.perf_counter(), time.process_time()
        report = import_tensorboard(Tracking(conn.store, conn.blobs), logdir)
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert report.points == points, report
        [run] = conn.store.search_runs("tensorboard")
        assert len(conn.store.history(run.id)["loss"]) == points
    return {
        "tb_write_s": written,
        "tb_import_s": took,
        "tb_import_cpu_s": cpu,
        "tb_points_s": points / took,
    }


def mlflow_import(workdir: Path, runs: int, per_run: int) -> dict[str, float]:
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    from heron.connect import connect
    from heron.importers.mlflow import import_mlflow
    from heron.service import Tracking

    uri = f"sqlite:///{workdir / 'mlflow.db'}"
    client = MlflowClient(uri)
    experiment = client.create_experiment("source")
    for r in range(runs):
        run = client.create_run(experiment, run_name=f"r{r}").info.run_id
        client.log_param(run, "lr", str(0.1 / (r + 1)))
        for start in range(0, per_run, 1000):
            chunk = range(start, min(per_run, start + 1000))
            client.log_batch(run, metrics=[Metric("loss", 1.0 / (i + 1), 0, i) for i in chunk])
        client.set_terminated(run)
    with connect(workdir / "heron-ml", create=True) as conn:
        started, cpu = time.perf_counter(), time.process_time()
        report = import_mlflow(Tracking(conn.store, conn.blobs), uri, registry=None)
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert report.runs_imported == runs and report.points == runs * per_run, report
    return {
        "ml_import_s": took,
        "ml_import_cpu_s": cpu,
        "ml_runs_s": runs / took,
        "ml_points_s": runs * per_run / took,
    }


def main() -> int:
    args = c.parse_args(__doc__ or "")
    sizes = QUICK if args.quick else SIZES
    warnings.simplefilter("ignore")
    parts = c.selected(args, ["client", "tb-import", "mlflow-import"])
    raw: dict[str, Any] = {}
    with c.Workspace("mlflow-compat", args) as ws:
        if "client" in parts:
            work = ws.new("mlflow")
            with _servers.mlflow_server(work, workers=1) as server:
                raw["mlflow"] = client_rates(server.url, sizes)
            work = ws.new("heron")
            db = f"sqlite:///{work / 'data' / 'heron.db'}"
            with _servers.heron_server(db, work) as server:
                raw["heron"] = client_rates(server.url, sizes)
        if "tb-import" in parts:
            raw["tb"] = tb_import(ws.new("tb"), sizes["tb_points"])
        if "mlflow-import" in parts:
            raw["ml"] = mlflow_import(ws.new("ml"), sizes["runs"], sizes["run_points"])
    rows: list[list[str]] = []
    if "client" in parts:
        m, h = raw["mlflow"], raw["heron"]
        rows += [
            [
                "log_metric calls/s (= points/s)",
                c.fmt_num(m["log_metric_calls_s"]),
                c.fmt_num(h["log_metric_calls_s"]),
            ],
            [
                "log_batch calls/s (1,000 points)",
                c.fmt_num(m["log_batch_calls_s"]),
                c.fmt_num(h["log_batch_calls_s"]),
            ],
            [
                "log_batch points/s",
                c.fmt_num(m["log_batch_points_s"]),
                c.fmt_num(h["log_batch_points_s"]),
            ],
        ]
    if "tb-import" in parts:
        tb = raw["tb"]
        rows += [
            [
                f"import tensorboard: {sizes['tb_points']:,} points, points/s",
                "",
                c.fmt_num(tb["tb_points_s"]),
            ],
            [
                "import tensorboard: wall s (CPU s)",
                "",
                f"{tb['tb_import_s']:.1f} ({tb['tb_import_cpu_s']:.1f})",
            ],
        ]
    if "mlflow-import" in parts:
        ml = raw["ml"]
        rows += [
            [
                f"import mlflow: {sizes['runs']} runs x {sizes['run_points']:,} points, runs/s",
                "",
                c.fmt_num(ml["ml_runs_s"]),
            ],
            ["import mlflow: points/s", "", c.fmt_num(ml["ml_points_s"])],
            [
                "import mlflow: wall s (CPU s)",
                "",
                f"{ml['ml_import_s']:.1f} ({ml['ml_import_cpu_s']:.1f})",
            ],
        ]
    report = c.Report(
        name="mlflow_compat",
        title="MLflow client against mlflow server and heron server; heron import",
        description=__doc__ or "",
        quick=args.quick,
        params=sizes,
        partial=bool(args.tools),
        columns=["measure", "mlflow server", "heron server"],
        rows=rows,
        raw=raw,
    )
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
