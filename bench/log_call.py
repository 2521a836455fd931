"""(a) Per-call cost of logging one scalar, on the training thread.

What the training loop pays for ``run.log({"loss": x})`` and its peers' equivalents.
Calls are timed in batches with ``time.perf_counter_ns`` (batches of 10 calls for the
fast tools so the timer's own ~50 ns is amortised, one call per sample for MLflow's
synchronous path); median and p99 are over those samples, per call. Each tool runs in
its own subprocess after a warm-up; the time its finish/flush then takes to make the
points durable is shown separately (an asynchronous logger only moves the cost).

    python bench/log_call.py [--quick] [--tools heron,tensorboard,...]
"""

from __future__ import annotations

import gc
import random
import sys
import time
from typing import Any

import _common as c

NAME = "log_call"
TOOLS = [
    "noop",
    "heron",
    "heron-step",
    "heron-remote",
    "tensorboard",
    "wandb",
    "mlflow-async",
    "mlflow-sync",
]

# (calls measured, calls per timed sample) per tool, full / quick
SIZES: dict[str, tuple[int, int, int]] = {
    #                 full       quick   batch
    "noop": (1_000_000, 100_000, 10),
    "heron": (1_000_000, 100_000, 10),
    "heron-step": (1_000_000, 100_000, 10),
    "heron-remote": (1_000_000, 100_000, 10),
    "tensorboard": (100_000, 10_000, 10),
    "wandb": (20_000, 3_000, 10),
    "mlflow-async": (2_000, 300, 1),
    "mlflow-sync": (1_000, 200, 1),
}


def _summary(samples: list[int], batch: int, n: int, finish_s: float) -> c.JSON:
    per_call_us = [s / batch / 1000.0 for s in samples]
    return {
        "calls": n,
        "batch": batch,
        "samples": len(samples),
        "median_us": c.median(per_call_us),
        "p90_us": c.percentile(per_call_us, 90),
        "p99_us": c.percentile(per_call_us, 99),
        "max_us": max(per_call_us),
        "mean_us": sum(samples) / n / 1000.0,
        "finish_s": finish_s,
    }


def worker(tool: str, cfg: c.JSON) -> c.JSON:
    n, batch, warmup = int(cfg["n"]), int(cfg["batch"]), int(cfg["warmup"])
    data_dir = cfg["data_dir"]
    rng = random.Random(0)
    vals = [rng.random() for _ in range(batch)]
    n_batches = n // batch
    samples: list[int] = []
    append = samples.append
    clock = time.perf_counter_ns
    sink: Any = None

    if tool == "noop":
        for _ in range(warmup // batch):
            for x in vals:
                sink = {"loss": x}
        gc.collect()
        for _ in range(n_batches):
            t0 = clock()
            for x in vals:
                sink = {"loss": x}
            append(clock() - t0)
        del sink
        return _summary(samples, batch, n_batches * batch, 0.0)

    if tool == "heron-remote":
        # The same call, logging to a real `heron server` on loopback: the network
        # is the shipper thread's business, never the training thread's.
        from pathlib import Path

        import _servers
        import heron

        work = Path(data_dir)
        for folder in ("env", "data"):
            (work / folder).mkdir(parents=True, exist_ok=True)
        store = f"sqlite:///{work / 'server.db'}"
        with _servers.heron_server(store, work) as server:
            run = heron.init(
                "bench", url=server.url, dir=str(work / "client"), system_metrics=False
            )
            for _ in range(warmup // batch):
                for x in vals:
                    run.log({"loss": x})
            gc.collect()
            for _ in range(n_batches):
                t0 = clock()
                for x in vals:
                    run.log({"loss": x})
                append(clock() - t0)
            t0 = clock()
            run.finish()
            return _summary(samples, batch, n_batches * batch, (clock() - t0) / 1e9)

    if tool in ("heron", "heron-step"):
        run = c.heron_init(data_dir)
        step = 0
        for _ in range(warmup // batch):
            for x in vals:
                run.log({"loss": x}, step=step)
                step += 1
        gc.collect()
        if tool == "heron":
            for _ in range(n_batches):
                t0 = clock()
                for x in vals:
                    run.log({"loss": x})
                append(clock() - t0)
        else:
            for _ in range(n_batches):
                t0 = clock()
                for x in vals:
                    run.log({"loss": x}, step=step)
                    step += 1
                append(clock() - t0)
        t0 = clock()
        run.finish()
        return _summary(samples, batch, n_batches * batch, (clock() - t0) / 1e9)

    if tool == "tensorboard":
        writer = c.tb_writer(data_dir)
        step = 0
        for _ in range(warmup // batch):
            for x in vals:
                writer.add_scalar("loss", x, step)
                step += 1
        gc.collect()
        for _ in range(n_batches):
            t0 = clock()
            for x in vals:
                writer.add_scalar("loss", x, step)
                step += 1
            append(clock() - t0)
        t0 = clock()
        writer.close()
        return _summary(samples, batch, n_batches * batch, (clock() - t0) / 1e9)

    if tool == "wandb":
        wrun = c.wandb_init(data_dir)
        for _ in range(warmup // batch):
            for x in vals:
                wrun.log({"loss": x})
        gc.collect()
        for _ in range(n_batches):
            t0 = clock()
            for x in vals:
                wrun.log({"loss": x})
            append(clock() - t0)
        t0 = clock()
        wrun.finish()
        return _summary(samples, batch, n_batches * batch, (clock() - t0) / 1e9)

    if tool in ("mlflow-sync", "mlflow-async"):
        import mlflow

        c.mlflow_setup(data_dir)
        sync = tool == "mlflow-sync"
        mlflow.start_run()
        step = 0
        for _ in range(warmup // batch):
            for x in vals:
                mlflow.log_metric("loss", x, step=step, synchronous=sync)
                step += 1
        gc.collect()
        for _ in range(n_batches):
            t0 = clock()
            for x in vals:
                mlflow.log_metric("loss", x, step=step, synchronous=sync)
                step += 1
            append(clock() - t0)
        t0 = clock()
        mlflow.end_run()  # waits for the asynchronous queue to drain
        return _summary(samples, batch, n_batches * batch, (clock() - t0) / 1e9)

    raise ValueError(tool)


WORKERS = {t: (lambda cfg, t=t: worker(t, cfg)) for t in TOOLS}


def main() -> int:
    args = c.parse_args(__doc__ or NAME)
    if args.worker:
        return c.worker_main(args, WORKERS)
    report = c.Report(
        name=NAME,
        title="(a) per-call cost of logging one scalar",
        description=__doc__ or "",
        quick=args.quick,
        partial=bool(args.tools),
        params={
            t: {"calls": s[1 if args.quick else 0], "batch": s[2]}
            for t, s in SIZES.items()
            if t in c.selected(args, TOOLS)
        },
        columns=[
            "tool",
            "calls",
            "median / call",
            "p99 / call",
            "mean / call",
            "× Heron (median)",
            "finish / flush after",
        ],
    )
    heron_why = c.heron_unavailable()
    results: dict[str, c.JSON] = {}
    with c.Workspace(NAME, args) as ws:
        for tool in c.selected(args, TOOLS):
            if tool.startswith("heron") and heron_why:
                results[tool] = {"ok": False, "error": heron_why, "unavailable": True}
                continue
            full, quick, batch = SIZES[tool]
            cfg = {"n": quick if args.quick else full, "batch": batch, "warmup": 1000}
            print(f"  {tool}: {cfg['n']:,} calls ...", file=sys.stderr, flush=True)
            results[tool] = c.run_worker(__file__, tool, cfg, ws.new(tool))
    heron_med = results.get("heron", {}).get("median_us")
    for tool, r in results.items():
        if not r["ok"]:
            report.rows.append(
                c.not_available_row(tool, 7)
                if r.get("unavailable")
                else [c.display(tool), c.error_text(r), "–", "–", "–", "–", "–"]
            )
            continue
        report.rows.append(
            [
                c.display(tool),
                f"{r['calls']:,}",
                c.fmt_us(r["median_us"]),
                c.fmt_us(r["p99_us"]),
                c.fmt_us(r["mean_us"]),
                "–" if tool == "noop" else c.fmt_ratio(r["median_us"], heron_med),
                "–" if tool == "noop" else c.fmt_time(r["finish_s"]),
            ]
        )
    report.raw = results

    def med(tool: str) -> float | None:
        r = results.get(tool, {})
        return r.get("median_us") if r.get("ok") else None

    h, tb, ml = med("heron"), med("tensorboard"), med("mlflow-sync")
    remote = med("heron-remote")
    report.targets = [
        c.Target(
            "Heron run.log median",
            "≤ 1.5 µs",
            c.fmt_us(h),
            None if h is None else h <= 1.5,
        ),
        c.Target(  # the network is never on the training thread: the same bound
            "Heron run.log median, remote mode (real `heron server` on loopback)",
            "same as local (≤ 1.5 µs)",
            c.fmt_us(remote) + (f" (local {c.fmt_us(h)})" if h is not None else ""),
            None if remote is None else remote <= 1.5,
        ),
        c.Target(
            "vs TensorBoard add_scalar",
            "≥ 5× cheaper",
            c.fmt_ratio(tb, h) if h and tb else "–",
            None if not (h and tb) else tb / h >= 5,
        ),
        c.Target(
            "vs MLflow sync log_metric",
            "≥ 1000× cheaper",
            c.fmt_ratio(ml, h) if h and ml else "–",
            None if not (h and ml) else ml / h >= 1000,
        ),
    ]
    report.notes = [
        "Per-call figures are over timed samples of `batch` consecutive calls "
        "(10 for the fast tools, 1 for MLflow); the user's dict literal is included.",
        "'finish / flush after' is the time run.finish() / writer.close() / "
        "mlflow.end_run() then took to make every logged point durable; it is not "
        "part of the per-call figure.",
        "W&B is timed through run.log (what wandb.log forwards to), offline, with "
        "system stats off; MLflow async is log_metric(..., synchronous=False).",
    ]
    if heron_why:
        report.notes.append(f"Heron not available in this run: {heron_why}")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
