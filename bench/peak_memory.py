"""(f) Peak memory of a process logging 1,000,000 points.

One subprocess per tool imports the tool, starts a run, logs 1M points of one metric
(one call per point; MLflow through ``log_batch`` in chunks of 1,000, its only
practical path at this size) and finishes the run. Reported:

* RSS after import + run creation (what the tool costs before logging anything);
* the process's own RSS high-water mark (``getrusage`` ``ru_maxrss``);
* the high-water mark of the whole process tree, sampled every 20 ms by the parent:
  the process's RSS plus the unique memory (USS) of its child processes (W&B does its
  work in a separate ``wandb-core`` process, which the process's own figure would
  miss; a short-lived child forked by a tool, e.g. ``git``, shares the parent's pages
  and is not counted twice);
* the growth while logging (process peak − RSS after init).

A bare interpreter that only imports numpy and loops is the baseline.

    python bench/peak_memory.py [--quick]
"""

from __future__ import annotations

import resource
import sys
import time

import _common as c

NAME = "peak_memory"
TOOLS = ["python", "heron", "mlflow", "tensorboard", "wandb"]
N_FULL, N_QUICK = 1_000_000, 100_000


def _rss() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


def worker(tool: str, cfg: c.JSON) -> c.JSON:
    n = int(cfg["n"])
    data_dir = cfg["data_dir"]
    import numpy  # noqa: F401  (every tool below imports it; the baseline too)

    t0 = time.perf_counter()
    if tool == "python":
        after_init = _rss()
        sink = 0.0
        for i in range(n):
            sink += 1.0 / (1.0 + i * 1e-4)
    elif tool == "heron":
        run = c.heron_init(data_dir)
        after_init = _rss()
        for i in range(n):
            run.log({"loss": 1.0 / (1.0 + i * 1e-4)})
        run.finish()
    elif tool == "mlflow":
        import mlflow
        from mlflow.entities import Metric

        exp_id = c.mlflow_setup(data_dir)
        client = mlflow.MlflowClient()
        run_id = client.create_run(exp_id).info.run_id
        after_init = _rss()
        ts = int(time.time() * 1000)
        for lo in range(0, n, 1000):
            batch = [
                Metric("loss", 1.0 / (1.0 + i * 1e-4), ts, i) for i in range(lo, min(n, lo + 1000))
            ]
            client.log_batch(run_id, metrics=batch)
        client.set_terminated(run_id)
    elif tool == "tensorboard":
        writer = c.tb_writer(data_dir)
        after_init = _rss()
        for i in range(n):
            writer.add_scalar("loss", 1.0 / (1.0 + i * 1e-4), i)
        writer.close()
    elif tool == "wandb":
        wrun = c.wandb_init(data_dir)
        after_init = _rss()
        for i in range(n):
            wrun.log({"loss": 1.0 / (1.0 + i * 1e-4)})
        wrun.finish()
    else:
        raise ValueError(tool)
    end = _rss()
    # ru_maxrss (KiB on Linux) and psutil's RSS are read differently; never report a
    # high-water mark below a reading actually seen
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, after_init, end)
    return {
        "points": n,
        "after_init_rss": after_init,
        "peak_rss": peak,
        "end_rss": end,
        "elapsed_s": time.perf_counter() - t0,
    }


WORKERS = {t: (lambda cfg, t=t: worker(t, cfg)) for t in TOOLS}


def main() -> int:
    args = c.parse_args(__doc__ or NAME)
    if args.worker:
        return c.worker_main(args, WORKERS)
    n = N_QUICK if args.quick else N_FULL
    report = c.Report(
        name=NAME,
        title=f"(f) peak memory logging {n:,} points",
        description=__doc__ or "",
        quick=args.quick,
        partial=bool(args.tools),
        params={"points": n},
        columns=[
            "tool",
            "RSS after init",
            "peak RSS (process)",
            "peak (process tree: RSS + children USS)",
            "growth while logging",
            "× Heron (tree peak)",
            "time taken",
        ],
    )
    heron_why = c.heron_unavailable()
    results: dict[str, c.JSON] = {}
    with c.Workspace(NAME, args) as ws:
        for tool in c.selected(args, TOOLS):
            if tool == "heron" and heron_why:
                results[tool] = {"ok": False, "error": heron_why, "unavailable": True}
                continue
            print(f"  {tool}: {n:,} points ...", file=sys.stderr, flush=True)
            r = c.run_worker(__file__, tool, {"n": n}, ws.new(tool), sample_rss=True, timeout=1800)
            if r["ok"]:  # the tree is never smaller than the process's own exact peak
                r["tree_peak_rss"] = max(r["tree_peak_rss"], r["peak_rss"])
            results[tool] = r
    heron_peak = results.get("heron", {}).get("tree_peak_rss")
    for tool, r in results.items():
        if r.get("unavailable"):
            report.rows.append(c.not_available_row(tool, 7))
        elif not r["ok"]:
            report.rows.append([c.display(tool), c.error_text(r), *["–"] * 5])
        else:
            report.rows.append(
                [
                    c.display(tool),
                    c.fmt_bytes(r["after_init_rss"]),
                    c.fmt_bytes(r["peak_rss"]),
                    c.fmt_bytes(r["tree_peak_rss"]),
                    c.fmt_bytes(r["peak_rss"] - r["after_init_rss"]),
                    "–" if tool == "python" else c.fmt_ratio(r["tree_peak_rss"], heron_peak),
                    c.fmt_time(r["elapsed_s"]),
                ]
            )
    report.raw = results
    report.notes = [
        "The process-tree peak is sampled every 20 ms (a very short spike can be missed) "
        "and is never shown below the process's own peak, which is exact.",
        "There is no stated target for this benchmark; it shows that logging does not "
        "accumulate points in memory.",
    ]
    if heron_why:
        report.notes.append(f"Heron not available in this run: {heron_why}")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
