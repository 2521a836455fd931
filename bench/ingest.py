"""(b) 100,000 points end to end, until they are durable.

Wall time from the first logged point until all of them are in the tool's store:

* Heron: ``run.log({"loss": v})`` per point, then ``run.flush()`` (returns once every
  point is in the SQLite store); the stored count is checked afterwards, untimed.
* MLflow: ``MlflowClient.log_batch`` in chunks of 1,000 (its per-call limit and its
  fastest path; logging 100k points one by one with ``log_metric`` would take minutes),
  then ``set_terminated``.
* TensorBoard: ``SummaryWriter.add_scalar`` per point, then ``flush()`` + ``close()``.
* W&B offline: ``run.log({"loss": v})`` per point, then ``run.finish()``.

Import and run creation are not timed. Each tool runs in its own subprocess.

    python bench/ingest.py [--quick]
"""

from __future__ import annotations

import sys
import time

import _common as c

NAME = "ingest"
TOOLS = ["heron", "mlflow", "tensorboard", "wandb"]
N_FULL = N_QUICK = 100_000  # the target is for this size; it is cheap enough


def worker(tool: str, cfg: c.JSON) -> c.JSON:
    n = int(cfg["n"])
    data_dir = cfg["data_dir"]
    values = c.loss_curve(n)
    clock = time.perf_counter
    extra: c.JSON = {}

    if tool == "heron":
        run = c.heron_init(data_dir)
        t0 = clock()
        for v in values:
            run.log({"loss": v})
        t1 = clock()
        run.flush()
        t2 = clock()
        import heron

        # what is in the store right after flush(), before finish() and without the
        # spool recovery opening an Api normally does
        with heron.Api(data_dir, recover=False) as api:
            extra["stored_points"] = len(api.run(c.heron_run_id(run)).series(["loss"])["loss"])
        t3 = clock()
        run.finish()
        extra["finish_after_flush_s"] = clock() - t3
    elif tool == "mlflow":
        import mlflow

        exp_id = c.mlflow_setup(data_dir)
        client = mlflow.MlflowClient()
        run_id = client.create_run(exp_id).info.run_id
        steps = range(n)
        t0 = clock()
        c.mlflow_log_batch(client, run_id, "loss", steps, values)
        t1 = clock()
        client.set_terminated(run_id)
        t2 = clock()
    elif tool == "tensorboard":
        writer = c.tb_writer(data_dir)
        t0 = clock()
        for i, v in enumerate(values):
            writer.add_scalar("loss", v, i)
        t1 = clock()
        writer.flush()
        writer.close()
        t2 = clock()
    elif tool == "wandb":
        wrun = c.wandb_init(data_dir)
        t0 = clock()
        for v in values:
            wrun.log({"loss": v})
        t1 = clock()
        wrun.finish()
        t2 = clock()
    else:
        raise ValueError(tool)
    return {"points": n, "log_s": t1 - t0, "durable_s": t2 - t1, "total_s": t2 - t0, **extra}


WORKERS = {t: (lambda cfg, t=t: worker(t, cfg)) for t in TOOLS}


def main() -> int:
    args = c.parse_args(__doc__ or NAME)
    if args.worker:
        return c.worker_main(args, WORKERS)
    n = N_QUICK if args.quick else N_FULL
    report = c.Report(
        name=NAME,
        title=f"(b) {n:,} points end to end until durable",
        description=__doc__ or "",
        quick=args.quick,
        partial=bool(args.tools),
        params={"points": n},
        columns=[
            "tool",
            "write path",
            "logging",
            "flush / finish",
            "total until durable",
            "points / s",
            "× Heron (total)",
        ],
    )
    paths = {
        "heron": "run.log per point + run.flush()",
        "mlflow": "log_batch × 1,000 + set_terminated",
        "tensorboard": "add_scalar per point + flush/close",
        "wandb": "run.log per point + finish()",
    }
    heron_why = c.heron_unavailable()
    results: dict[str, c.JSON] = {}
    with c.Workspace(NAME, args) as ws:
        for tool in c.selected(args, TOOLS):
            if tool == "heron" and heron_why:
                results[tool] = {"ok": False, "error": heron_why, "unavailable": True}
                continue
            print(f"  {tool}: {n:,} points ...", file=sys.stderr, flush=True)
            results[tool] = c.run_worker(__file__, tool, {"n": n}, ws.new(tool))
    heron_total = results.get("heron", {}).get("total_s")
    for tool, r in results.items():
        if not r["ok"]:
            report.rows.append(
                c.not_available_row(tool, 7)
                if r.get("unavailable")
                else [c.display(tool), c.error_text(r), *["–"] * 5]
            )
            continue
        report.rows.append(
            [
                c.display(tool),
                paths[tool],
                c.fmt_time(r["log_s"]),
                c.fmt_time(r["durable_s"]),
                c.fmt_time(r["total_s"]),
                c.fmt_num(r["points"] / r["total_s"]),
                c.fmt_ratio(r["total_s"], heron_total),
            ]
        )
    report.raw = results
    h = results.get("heron", {})
    if h.get("ok") and h.get("stored_points") == n:
        report.notes.append(
            f"Checked: all {n:,} of Heron's points were in the store when flush() returned "
            "(read back before finish(), without spool recovery)."
        )
    elif h.get("ok"):
        report.notes.append(
            f"Heron stored {h.get('stored_points')} points of {n:,} after flush(): "
            "flush() did not make every point durable."
        )
    measured = h.get("total_s") if h.get("ok") else None
    report.targets = [
        c.Target(
            f"Heron: {n:,} points logged + flushed",
            "≤ 0.5 s",
            c.fmt_time(measured),
            None if measured is None else measured <= 0.5 and h.get("stored_points") == n,
        )
    ]
    report.notes += [
        "Import and run creation are excluded; 'flush / finish' is what it took after the "
        "last log call until the points were durable.",
        "MLflow is given its batch API (1,000 points per call); the others log point by point.",
    ]
    if heron_why:
        report.notes.append(f"Heron not available in this run: {heron_why}")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
