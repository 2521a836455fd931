"""(k) Big runs stay small: bytes per point on disk, and reading a long series back.

Two value shapes, one metric ``loss`` per run, ``step`` 0..n-1:

* ``float32``: the smooth training curve computed in float32 (``loss.item()``);
* ``float64``: uniform random doubles (nothing for a compressor to find).

**On disk.** Each tool writes ``n`` points of each shape through its own logging API
(Heron ``run.log(..., step=i)`` + ``finish()``, MLflow ``log_batch`` in chunks of
1,000, TensorBoard ``add_scalar``, W&B offline ``run.log``); once the writing process
has exited, ``du`` of its folder less ``du`` of the folder an empty run leaves (the
schema, the run's record), divided by ``n``; the whole folder's figure is shown too.
Heron's figure is also taken *before* the process exits (right after ``finish()``):
the run's end checkpoints SQLite's write-ahead log, so the store's size is honest
while the process lives on.

**Reading.** A fresh process reads the float32 run back through each tool's read
path, timed from constructing the reader: Heron ``Api(dir).runs()[0].series(["loss"])``
(numpy arrays) and ``history(["loss"], as_numpy=True)``; MLflow
``get_metric_history``; TensorBoard ``EventAccumulator`` + ``Scalars``. Points per
second and the peak RSS of the reading process (full size: Heron 1M points, the peers
200,000: writing 1M points takes them tens of minutes on 2 cores; rates and bytes per
point are compared, not times); Heron's store is opened (and the run
found) before the clock starts, shown apart. Heron also reads a run of
``n_big`` points (10M), written through the store's ingest in batches of 1M points
(what the shipper does with a spool; untimed), where the peers are not run: writing
10M points takes them tens of minutes; its bytes are also split by column (steps,
times, values: chunk format 3's sections) and block summaries (``lod``). Heron's
reads are each repeated in three fresh processes, ``series()`` and ``history()``
taking turns, and the median shown (the machine this runs on is often shared: the
CPU time is the steadier figure).

    python bench/big_runs.py [--quick]
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _common as c

NAME = "big_runs"
TOOLS = ["heron", "mlflow", "tensorboard", "wandb"]
N_FULL, N_QUICK = 1_000_000, 100_000
N_PEERS_FULL = 200_000  # the peers write 1M points in tens of minutes on 2 cores
N_BIG_FULL, N_BIG_QUICK = 10_000_000, 1_000_000
READ_REPEATS = 3  # Heron's reads: each in a fresh process, the median shown
KINDS = ("float32", "float64")


def _values(n: int, kind: str) -> list[float]:
    if kind == "float32":
        return c.loss_curve(n)
    import numpy as np

    return [float(x) for x in np.random.default_rng(1).random(n)]


def write(tool: str, cfg: c.JSON) -> c.JSON:
    n, kind, data_dir = int(cfg["n"]), str(cfg["kind"]), Path(cfg["data_dir"])
    values = _values(n, kind)
    out: c.JSON = {"points": n}
    if tool == "heron":
        run = c.heron_init(data_dir, project="big")
        for i, v in enumerate(values):
            run.log({"loss": v}, step=i)
        run.finish()
        out["live_bytes"] = c.du_bytes(data_dir)[0]  # before this process exits
    elif tool == "mlflow":
        import mlflow

        exp_id = c.mlflow_setup(data_dir)
        client = mlflow.MlflowClient()
        run_id = client.create_run(exp_id).info.run_id
        c.mlflow_log_batch(client, run_id, "loss", range(n), values)
        client.set_terminated(run_id)
        out["run_id"] = run_id
    elif tool == "tensorboard":
        writer = c.tb_writer(data_dir)
        for i, v in enumerate(values):
            writer.add_scalar("loss", v, i)
        writer.close()
    elif tool == "wandb":
        wrun = c.wandb_init(data_dir)
        for i, v in enumerate(values):
            wrun.log({"loss": v}, step=i)
        wrun.finish()
    else:
        raise ValueError(tool)
    return out


def write_heron_big(cfg: c.JSON) -> c.JSON:
    """``n`` float32-curve points through the store's ingest, 1M per batch."""
    import numpy as np

    from heron.local_dir import LocalDir
    from heron.store import open_store
    from heron.store.base import Batch, RunSpec, Series

    n = int(cfg["n"])
    folder = LocalDir.at(cfg["data_dir"])
    folder.create()
    store = open_store(folder.db_url)
    store.create_run(RunSpec(id="big0000000001", project="big", created_at=time.time()))
    rng = np.random.default_rng(0)
    t0, seq = time.time(), 1
    for lo in range(0, n, 1_000_000):
        m = min(1_000_000, n - lo)
        steps = np.arange(lo, lo + m, dtype=np.int64)
        times = t0 + np.cumsum(rng.integers(1, 4, m)) * 1e-6  # a tight loop's clock
        t0 = float(times[-1])
        t = steps.astype(np.float32)
        noise = np.float32(0.01) * rng.standard_normal(m).astype(np.float32)
        values = (np.exp(-t / np.float32(n / 5)) + noise).astype(np.float64)
        store.ingest(Batch("big0000000001", seq, {"loss": Series(steps, times, values)}))
        seq += 1
    store.ingest(Batch("big0000000001", seq, {}, [{"type": "state", "state": "finished"}]))
    store.close()
    return {"points": n, **_chunk_bytes(folder.db_url, n)}


def _chunk_bytes(db_url: str, n: int) -> c.JSON:
    """Bytes per point of the stored chunks by column (steps, times, values: the
    planes of each, as chunk format 3 lays them out) and of their block summaries."""
    from sqlalchemy import create_engine, text

    from heron.store import chunks

    engine = create_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT data, lod FROM metric_chunks")).all()
    engine.dispose()
    split = {"steps": 0, "times": 0, "values": 0, "lod": 0, "header": 0}
    for data, summary in rows:
        data = bytes(data)
        split["lod"] += len(summary or b"")
        split["header"] += 6
        if data[0] != 3:  # the split is of format 3's sections
            continue
        flags, count = data[1], chunks.point_count(data)
        steps = 16 if flags & chunks.STEPS_LINEAR else len(_section(data, 6, count, "steps"))
        times = len(_section(data, 6 + steps, count, "times", flags))
        split["steps"] += steps
        split["times"] += times
        split["values"] += len(data) - 6 - steps - times
    if not split["values"]:  # no chunk of format 3 (an older Heron wrote them)
        return {"bytes_per_point": {"lod": split["lod"] / n}}
    return {"bytes_per_point": {k: v / n for k, v in split.items()}}


def _section(data: bytes, start: int, count: int, what: str, flags: int = 0) -> bytes:
    """The bytes of the steps (delta) or times section of a format-3 chunk at ``start``."""
    from heron.store import chunks

    pos = start
    if what == "steps" or flags & chunks.TIMES_MICROS:
        pos += 9  # first value, delta width
        width, count = data[start + 8], count - 1
    else:
        width = 8
    for _ in range(width if count > 0 else 0):
        mode = data[pos]
        if mode == chunks.PLANE_RAW:
            pos += 1 + count
        elif mode == chunks.PLANE_CONST:
            pos += 2
        else:
            pos += 5 + int.from_bytes(data[pos + 1 : pos + 5], "little")
    return data[start:pos]


def read(tool: str, cfg: c.JSON) -> c.JSON:
    data_dir = cfg["data_dir"]
    fn: Callable[[], Any]
    opened: float | None = None
    if tool in ("heron", "heron-history"):
        import heron

        t0 = time.perf_counter()
        run = heron.Api(data_dir).runs("big")[0]
        opened = time.perf_counter() - t0  # shown apart: the read is of the points

        def fn() -> Any:
            if tool == "heron":
                return run.series(["loss"])["loss"].values
            return run.history(["loss"], as_numpy=True)["loss"]

    elif tool == "mlflow":
        import mlflow

        mlflow.set_tracking_uri(f"sqlite:///{data_dir}/mlflow.db")

        def fn() -> Any:
            return mlflow.MlflowClient().get_metric_history(cfg["run_id"], "loss")

    elif tool == "tensorboard":
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

        def fn() -> Any:
            acc = EventAccumulator(f"{data_dir}/tb", size_guidance={"scalars": 0})
            acc.Reload()
            return acc.Scalars("loss")

    else:
        raise ValueError(tool)
    t0, c0 = time.perf_counter(), time.process_time()
    got = len(fn())
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "got": got,
        "peak_rss": peak,
        "open_seconds": opened,
    }


WORKERS: dict[str, Callable[[c.JSON], c.JSON]] = {"write-heron-big": write_heron_big}
for _t in TOOLS:
    WORKERS[f"write-{_t}"] = lambda cfg, t=_t: write(t, cfg)
for _t in ("heron", "heron-history", "mlflow", "tensorboard"):
    WORKERS[f"read-{_t}"] = lambda cfg, t=_t: read(t, cfg)


def _reads(workers: list[str], cfg: c.JSON, workdir: Path, repeats: int) -> list[c.JSON]:
    """For each worker, the median (by wall time) of ``repeats`` reads, each in a fresh
    process, the workers taking turns (the first read after a big write pays for the
    memory the writer just gave back; turns spread that over all); tries kept."""
    tries: list[list[c.JSON]] = [[] for _ in workers]
    for _ in range(repeats):
        for i, worker in enumerate(workers):
            tries[i].append(c.run_worker(__file__, worker, cfg, workdir))
    out = []
    for runs in tries:
        done = sorted((r for r in runs if r["ok"]), key=lambda r: r["seconds"])
        if not done:
            out.append(runs[0])
            continue
        picked = dict(done[(len(done) - 1) // 2])
        picked["tries"] = [{k: r.get(k) for k in ("seconds", "cpu_seconds")} for r in runs]
        out.append(picked)
    return out


def _mib(x: float | None) -> str:
    return "–" if x is None else f"{x / 2**20:,.0f} MiB"


def _rate(r: c.JSON) -> float | None:
    return r["got"] / r["seconds"] if r.get("ok") and r.get("seconds") else None


def main() -> int:
    args = c.parse_args(__doc__ or NAME)
    if args.worker:
        return c.worker_main(args, WORKERS)
    n = N_QUICK if args.quick else N_FULL
    n_big = N_BIG_QUICK if args.quick else N_BIG_FULL
    report = c.Report(
        name=NAME,
        title=f"(k) big runs: bytes per point ({n:,} points) and long reads",
        description=__doc__ or "",
        quick=args.quick,
        partial=bool(args.tools),
        params={"points": n, "big_points": n_big},
        columns=["tool", "what", "measured", "per point / rate", "× Heron", "peak RSS"],
    )
    heron_why = c.heron_unavailable()
    sizes: dict[tuple[str, str], c.JSON] = {}
    reads: dict[str, c.JSON] = {}
    with c.Workspace(NAME, args) as ws:
        for tool in c.selected(args, TOOLS):
            if tool == "heron" and heron_why:
                continue
            empty_dir = ws.new(f"{tool}-empty")
            empty = c.run_worker(__file__, f"write-{tool}", {"n": 0, "kind": "float64"}, empty_dir)
            empty_bytes = c.du_bytes(empty_dir / "data")[0] if empty["ok"] else None
            m = n if tool == "heron" or args.quick else N_PEERS_FULL
            for kind in KINDS:
                workdir = ws.new(f"{tool}-{kind}")
                print(f"  {tool}: writing {m:,} {kind} points ...", file=sys.stderr, flush=True)
                w = c.run_worker(
                    __file__, f"write-{tool}", {"n": m, "kind": kind}, workdir, timeout=3600
                )
                if w["ok"]:
                    w["du_per_point"] = c.du_bytes(workdir / "data")[0] / m
                    if empty_bytes is not None:  # less what an empty run leaves
                        w["marginal"] = (c.du_bytes(workdir / "data")[0] - empty_bytes) / m
                sizes[(tool, kind)] = w
                if kind == "float32" and w["ok"] and tool != "wandb":
                    print(f"  {tool}: reading back ...", file=sys.stderr, flush=True)
                    cfg = {"run_id": w.get("run_id")}
                    if tool == "heron":
                        workers = ["read-heron", "read-heron-history"]
                        got = _reads(workers, cfg, workdir, READ_REPEATS)
                        reads["heron"], reads["heron-history"] = got
                    else:
                        reads[tool] = _reads([f"read-{tool}"], cfg, workdir, 1)[0]
        if "heron" in c.selected(args, TOOLS) and not heron_why:
            workdir = ws.new("heron-big")
            print(f"  heron: ingesting {n_big:,} points ...", file=sys.stderr, flush=True)
            w = c.run_worker(__file__, "write-heron-big", {"n": n_big}, workdir, timeout=3600)
            if w["ok"]:
                w["du_per_point"] = c.du_bytes(workdir / "data")[0] / n_big
                workers = ["read-heron", "read-heron-history"]
                got = _reads(workers, {}, workdir, READ_REPEATS)
                reads["heron-big"], reads["heron-big-history"] = got
            sizes[("heron-big", "float32")] = w
    for kind in KINDS:
        base = sizes.get(("heron", kind), {}).get("marginal")
        for tool in TOOLS:
            r = sizes.get((tool, kind))
            if r is None:
                continue
            if not r["ok"]:
                failed = [c.display(tool), f"{kind}: on disk", c.error_text(r)]
                report.rows.append(failed + ["–"] * 3)
                continue
            live, m = r.get("live_bytes"), r["points"]
            extra = f"; before exit {live / m:.2f}" if live else ""
            marginal = r.get("marginal")
            report.rows.append(
                [
                    c.display(tool),
                    f"{kind}, {m:,} points: on disk",
                    c.fmt_bytes(r["du_per_point"] * m),
                    ("–" if marginal is None else f"{marginal:.2f} B/point")
                    + f" (whole folder {r['du_per_point']:.2f}{extra})",
                    c.fmt_ratio(marginal, base),
                    "–",
                ]
            )
    big = sizes.get(("heron-big", "float32"))
    if big and big["ok"]:
        split = big.get("bytes_per_point") or {}
        parts = ", ".join(f"{k} {v:.2f}" for k, v in split.items() if k != "header")
        report.rows.append(
            [
                "Heron (ingest)",
                f"float32, {n_big:,} points: on disk",
                c.fmt_bytes(big["du_per_point"] * n_big),
                f"{big['du_per_point']:.2f} B/point" + (f" ({parts})" if parts else ""),
                "–",
                "–",
            ]
        )
    heron_rate = _rate(reads.get("heron", {}))
    m = n if args.quick else N_PEERS_FULL
    labels = {
        "heron": f"read {n:,}: series()",
        "heron-history": f"read {n:,}: history(as_numpy=True)",
        "mlflow": f"read {m:,}: get_metric_history",
        "tensorboard": f"read {m:,}: EventAccumulator",
        "heron-big": f"read {n_big:,}: series()",
        "heron-big-history": f"read {n_big:,}: history(as_numpy=True)",
    }
    for key, label in labels.items():
        r = reads.get(key)
        if r is None:
            continue
        tool = "heron" if key.startswith("heron") else key
        if not r["ok"]:
            report.rows.append([c.display(tool), label, c.error_text(r)] + ["–"] * 3)
            continue
        rate = _rate(r)
        opened = r.get("open_seconds")
        report.rows.append(
            [
                c.display(tool),
                label + ("" if opened is None else f" (opening: {c.fmt_time(opened)})"),
                c.fmt_time(r["seconds"]) + f" (CPU {c.fmt_time(r['cpu_seconds'])})",
                f"{rate / 1e6:.1f}M points/s" if rate else "–",
                "–" if key.startswith("heron-big") else c.fmt_ratio(heron_rate, rate),
                _mib(r["peak_rss"]),
            ]
        )
    report.raw = {"sizes": {f"{t}/{k}": r for (t, k), r in sizes.items()}, "reads": reads}
    f32 = sizes.get(("heron", "float32"), {}).get("marginal")
    f64 = sizes.get(("heron", "float64"), {}).get("marginal")
    rb = reads.get("heron-big", {})
    rate_big = _rate(rb)
    peak_big = rb.get("peak_rss") if rb.get("ok") else None
    report.targets = [
        c.Target(
            "Heron: float32-exact values on disk",
            "≤ 4 B/point",
            "–" if f32 is None else f"{f32:.2f} B/point",
            None if f32 is None else f32 <= 4.0,
        ),
        c.Target(
            "Heron: random float64 values on disk",
            "≤ 8.5 B/point",
            "–" if f64 is None else f"{f64:.2f} B/point",
            None if f64 is None else f64 <= 8.5,
        ),
        c.Target(
            f"Heron: read {n_big:,} points",
            "≥ 20M points/s",
            "–" if rate_big is None else f"{rate_big / 1e6:.1f}M points/s",
            None if rate_big is None else rate_big >= 20e6,
        ),
        c.Target(
            f"Heron: peak RSS reading {n_big:,} points",
            "≤ 300 MiB",
            _mib(peak_big),
            None if peak_big is None else peak_big <= 300 * 2**20,
        ),
    ]
    report.notes = [
        "× Heron: for bytes, the tool's bytes per point over Heron's; for reads, Heron's "
        "points per second over the tool's (both: how many times Heron is better).",
        "The result of a 10M-point read is 240 MB of arrays (int64 steps, float64 times "
        "and values): the peak RSS cannot be below that plus the interpreter.",
        f"Heron's reads: the median (by wall time) of {READ_REPEATS} reads, each in a fresh "
        "process; CPU is that read's user + system time (page faults of the result "
        "arrays included). Load average at the end of the run: "
        + ", ".join(f"{x:.1f}" for x in os.getloadavg())
        + ".",
        "W&B offline has no read path but its `wandb leet inspect` CLI (see read_history); "
        "it is not read here. Its folder also holds its debug logs.",
    ]
    if heron_why:
        report.notes.append(f"Heron not available in this run: {heron_why}")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
