"""(a) Per-call cost of logging one scalar, on the training thread.

What the training loop pays for ``run.log({"loss": x})`` and its peers' equivalents.
Calls are timed in batches with ``time.perf_counter_ns`` (batches of 10 calls for the
fast tools so the timer's own ~50 ns is amortised, one call per sample for MLflow's
synchronous path); median and p99 are over those samples, per call. Each tool runs in
its own subprocess after a warm-up; the time its finish/flush then takes to make the
points durable is shown separately (an asynchronous logger only moves the cost).

``heron-4v`` measures a 4-value call (``{"loss", "acc", "lr", "epoch"}``, the torch
loop's of (r)) on the compiled fast path (``heron.sdk._fastlog``) and on the pure-Python
one (``HERON_PURE_PYTHON=1``'s), both in one process, by CPU time:

- cold caches: per round, the training thread's CPU time (``time.thread_time_ns``) of
  a 1 MiB cache flush (one write per 64-byte line of a 1 MiB buffer: L1 and L2 are
  evicted) followed by one ``log`` call, and of the flush alone; the cost is the
  median of the first minus the median of the second. The two paths alternate within
  each round (which goes first alternates too);
- warm: the CPU time of blocks of consecutive calls, blocks of the two paths
  interleaved; the median block over its calls;
- in a torch loop (when torch is installed): the MLP step of (r)'s torch loop (SGD,
  batch 64, one thread), then the call with the step's 4 values, timed alone (wall,
  ``perf_counter_ns``; the dict is built before); the paths alternate every 50 steps,
  the median is over each path's calls. What a training step leaves in the caches,
  TLBs and branch predictors is colder than the flush above.

    python bench/log_call.py [--quick] [--tools heron,tensorboard,...,heron-4v]
"""

from __future__ import annotations

import gc
import random
import sys
import time
from pathlib import Path
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
    "heron-4v",
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
    "heron-4v": (20_000, 2_000, 100),  # cold rounds; warm blocks of `batch` calls
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


def compiled_vs_python(cfg: c.JSON) -> c.JSON:
    """``heron-4v``: a 4-value ``run.log``, compiled and pure Python, cold and warm
    (module doc), in this one process."""
    import os

    import heron.sdk.run as run_module

    rounds, batch = int(cfg["n"]), int(cfg["batch"])
    fast = run_module._fast
    if fast is None:
        return {"ok": False, "error": "heron.sdk._fastlog is not built (no C compiler?)"}
    runs = {}
    for path, module in (("compiled", fast), ("python", None)):
        run_module._fast = module  # what a run started now takes
        runs[path] = c.heron_init(Path(cfg["data_dir"]) / path)
        runs[path]._shapes.clear()
    run_module._fast = fast
    for run in runs.values():
        for i in range(1000):  # the shape, the code and the first pages
            run.log({"loss": 1 / (i + 1), "acc": i / 1000, "lr": 1e-3, "epoch": 1})
    flush_buf, zeros = bytearray(1 << 20), bytes((1 << 20) // 64)

    def flush() -> None:
        flush_buf[::64] = zeros

    tt = time.thread_time_ns
    cold: dict[str, list[int]] = {p: [] for p in runs}
    alone: dict[str, list[int]] = {p: [] for p in runs}
    warm: dict[str, list[float]] = {p: [] for p in runs}
    order = (("compiled", "python"), ("python", "compiled"))
    gc.collect()
    gc.disable()
    load = os.getloadavg()
    for r in range(rounds):
        x = r * 1e-4
        for path in order[r % 2]:
            log = runs[path].log
            t0 = tt()
            flush()
            log({"loss": x, "acc": x, "lr": 1e-3, "epoch": 1})
            t1 = tt()
            flush()
            t2 = tt()
            cold[path].append(t1 - t0)
            alone[path].append(t2 - t1)
        if r % 20 == 0:  # a warm block of each path now and then
            for path in order[r // 20 % 2]:
                log = runs[path].log
                t0 = tt()
                for _ in range(batch):
                    log({"loss": x, "acc": x, "lr": 1e-3, "epoch": 1})
                warm[path].append((tt() - t0) / batch)
    gc.enable()
    in_loop = _in_torch_loop(runs, steps=rounds // 3)
    load_after = os.getloadavg()
    for run in runs.values():
        run.finish()
    out: c.JSON = {"rounds": rounds, "batch": batch, "load": [load[0], load_after[0]]}
    for path in runs:
        out[f"{path}_cold_us"] = (c.median(cold[path]) - c.median(alone[path])) / 1000
        out[f"{path}_warm_us"] = c.median(warm[path]) / 1000
        out[f"{path}_flush_us"] = c.median(alone[path]) / 1000
        out[f"{path}_warm_blocks"] = len(warm[path])
        if in_loop:
            out[f"{path}_loop_us"] = c.median(in_loop[path]) / 1000
            out[f"{path}_loop_calls"] = len(in_loop[path])
    return out


def _in_torch_loop(runs: dict[str, Any], steps: int) -> dict[str, list[int]] | None:
    """Each path's calls timed inside a small torch training loop (module doc); None
    without torch."""
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = torch.nn.Sequential(
        torch.nn.Linear(128, 256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, 256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, 10),
    )
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    x_all, y_all = torch.randn(8192, 128), torch.randint(0, 10, (8192,))
    clock = time.perf_counter_ns
    found: dict[str, list[int]] = {p: [] for p in runs}
    paths = list(runs)
    for i in range(steps + 200):
        lo = (i * 64) % (8192 - 64)
        x, y = x_all[lo : lo + 64], y_all[lo : lo + 64]
        logits = model(x)
        loss = loss_fn(logits, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        values = {
            "train/loss": loss.item(),
            "train/acc": (logits.argmax(dim=1) == y).float().mean().item(),
            "lr": 0.05,
            "epoch": i // 128,
        }
        path = paths[i // 50 % 2]
        log = runs[path].log
        t0 = clock()
        log(values)
        t1 = clock()
        if i >= 200:  # warm-up: the shapes, torch's first steps
            found[path].append(t1 - t0)
    return found


def worker(tool: str, cfg: c.JSON) -> c.JSON:
    if tool == "heron-4v":
        return compiled_vs_python(cfg)
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
        if tool == "heron-4v" and r["ok"]:
            for path, name in (("compiled", "compiled"), ("python", "pure Python")):
                for temp in ("cold", "warm", "loop"):
                    if f"{path}_{temp}_us" not in r:
                        continue
                    count = {
                        "cold": r["rounds"],
                        "warm": r[f"{path}_warm_blocks"] * r["batch"],
                        "loop": r.get(f"{path}_loop_calls", 0),
                    }[temp]
                    what = {
                        "cold": "cold caches (CPU)",
                        "warm": "warm caches (CPU)",
                        "loop": "in a torch loop (wall)",
                    }[temp]
                    report.rows.append(
                        [
                            f"Heron, 4 values, {name}, {what}",
                            f"{count:,}",
                            c.fmt_us(r[f"{path}_{temp}_us"]),
                            "–",
                            "–",
                            "–",
                            "–",
                        ]
                    )
            continue
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
    four = results.get("heron-4v", {})
    cold = four.get("compiled_cold_us") if four.get("ok") else None
    report.targets = [
        c.Target(
            "Heron 4-value run.log, cold caches, compiled (CPU; heron-4v)",
            "≤ 2 µs",
            c.fmt_us(cold)
            + (f" (pure Python {c.fmt_us(four['python_cold_us'])})" if cold is not None else ""),
            None if cold is None else cold <= 2.0,
        ),
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
        "heron-4v rows: CPU time of the training thread (module doc); cold = "
        "(1 MiB cache flush + one call) − (the flush alone), medians over interleaved "
        "rounds; 1-minute load average before/after: "
        + ("/".join(f"{x:.1f}" for x in four["load"]) if four.get("ok") else "–")
        + ".",
    ]
    if heron_why:
        report.notes.append(f"Heron not available in this run: {heron_why}")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
