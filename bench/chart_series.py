"""(j) One chart of 100 runs: ``POST /api/v1/series`` through a real server.

A worker process fills a store with 100 runs of 100,000 points of ``loss`` each (a
noisy training curve, written straight through ``Store.ingest``, 100k points per
batch) on SQLite (a fresh folder) and on PostgreSQL (a fresh database). A real
``heron server`` subprocess then serves it, and the parent asks for what the UI asks
for when it overlays 100 runs on one chart: ``{"runs": [100 ids], "keys": ["loss"],
"x_axis": "step", "buckets": 1000}``. Timed on the client, from sending the request
until the whole JSON answer is received: the first request apart (cold caches),
then the median and p90 of the next ones. Parsing the answer with Python's ``json``
module is timed apart (the browser's ``JSON.parse`` is several times faster). The
answer is checked: 100 series, each reporting every point (``total``) in at most
1,000 buckets.

    python bench/chart_series.py [--quick]
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import _common as c
import _servers as s

NAME = "chart_series"
TOOLS = ["heron-sqlite", "heron-postgres"]
RUNS = 100
BUCKETS = 1000
POINTS_FULL, POINTS_QUICK = 100_000, 10_000
REQUESTS_FULL, REQUESTS_QUICK = 20, 5


def fill(cfg: c.JSON) -> c.JSON:
    """Worker: write ``runs`` runs of ``n`` points into the store at ``cfg['store']``."""
    import numpy as np

    from heron.ids import new_run_id
    from heron.store import open_store
    from heron.store.base import Batch, RunSpec, Series

    n, runs = int(cfg["n"]), int(cfg["runs"])
    store = open_store(cfg["store"])
    steps = np.arange(n, dtype=np.int64)
    ids = []
    t0 = time.perf_counter()
    for i in range(runs):
        start = time.time() - 3600
        spec = RunSpec(id=new_run_id(), project="bench", config={"seed": i}, created_at=start)
        store.create_run(spec)
        values = np.asarray(c.loss_curve(n, seed=i), dtype=np.float64)
        times = start + steps * 0.01
        end = {"type": "state", "state": "finished", "time": float(times[-1]),
               "error": None, "traceback": None}  # fmt: skip
        store.ingest(
            Batch(spec.id, seq=1, metrics={"loss": Series(steps, times, values)}, events=[end])
        )
        ids.append(spec.id)
    fill_s = time.perf_counter() - t0
    store.close()
    return {"ids": ids, "fill_s": fill_s, "points": n * runs}


WORKERS = {"fill": fill}


def measure(store: str, workdir: Any, n: int, requests: int) -> c.JSON:
    import httpx

    filled = c.run_worker(__file__, "fill", {"store": store, "n": n, "runs": RUNS}, workdir)
    if not filled["ok"]:
        return filled
    body = {"runs": filled["ids"], "keys": ["loss"], "x_axis": "step", "buckets": BUCKETS}
    times: list[float] = []
    parse: list[float] = []
    with s.heron_server(store, workdir) as server, httpx.Client(timeout=120) as client:
        url = f"{server.url}/api/v1/series"
        for _ in range(requests + 1):
            t0 = time.perf_counter()
            response = client.post(url, json=body)
            times.append(time.perf_counter() - t0)  # the whole answer is in
            if response.status_code != 200:
                return {"ok": False, "error": f"HTTP {response.status_code}: {response.text[:300]}"}
            t0 = time.perf_counter()
            answer = json.loads(response.content)
            parse.append(time.perf_counter() - t0)
        size = len(response.content)
    series = answer.get("series", [])
    checked = (
        len(series) == RUNS
        and {x["run"] for x in series} == set(filled["ids"])
        and all(x["total"] == n and x["sampled"] and 0 < len(x["x"]) <= BUCKETS for x in series)
    )
    warm = times[1:]
    return {
        "ok": True,
        "first_s": times[0],
        "median_s": c.median(warm),
        "p90_s": c.percentile(warm, 90),
        "parse_s": c.median(parse[1:]),
        "response_bytes": size,
        "checked": checked,
        "fill_s": filled["fill_s"],
        "points": filled["points"],
    }


def main() -> int:
    args = c.parse_args(__doc__ or NAME)
    if args.worker:
        return c.worker_main(args, WORKERS)
    n = POINTS_QUICK if args.quick else POINTS_FULL
    requests = REQUESTS_QUICK if args.quick else REQUESTS_FULL
    report = c.Report(
        name=NAME,
        title=f"(j) one chart of {RUNS} runs × {n:,} points through the server",
        description=__doc__ or "",
        quick=args.quick,
        partial=bool(args.tools),
        params={"runs": RUNS, "points_per_run": n, "buckets": BUCKETS, "requests": requests},
        columns=[
            "store",
            "points stored",
            "first request",
            "median request",
            "p90 request",
            "answer size",
            "json.loads",
            "answer checked",
        ],
    )
    heron_why = c.heron_unavailable()
    pg_why = s.postgres_unavailable()
    results: dict[str, c.JSON] = {}
    with c.Workspace(NAME, args) as ws:
        for tool in c.selected(args, TOOLS):
            print(f"  {tool}: {RUNS} runs × {n:,} points ...", file=sys.stderr, flush=True)
            workdir = ws.new(tool)
            try:
                if heron_why or (tool == "heron-postgres" and pg_why):
                    why = heron_why or pg_why
                    results[tool] = {"ok": False, "error": why, "unavailable": True}
                elif tool == "heron-sqlite":
                    store = f"sqlite:///{workdir / 'data' / 'heron.db'}"
                    results[tool] = measure(store, workdir, n, requests)
                else:
                    with s.postgres_database() as url:
                        results[tool] = measure(url, workdir, n, requests)
            except Exception as exc:
                results[tool] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:400]}
    for tool, r in results.items():
        label = {"heron-sqlite": "Heron, SQLite", "heron-postgres": "Heron, PostgreSQL"}[tool]
        if not r["ok"]:
            report.rows.append(
                [label, "not available" if r.get("unavailable") else c.error_text(r), *["–"] * 6]
            )
            continue
        report.rows.append(
            [
                label,
                c.fmt_num(r["points"]),
                c.fmt_time(r["first_s"]),
                c.fmt_time(r["median_s"]),
                c.fmt_time(r["p90_s"]),
                c.fmt_bytes(r["response_bytes"]),
                c.fmt_time(r["parse_s"]),
                "yes" if r["checked"] else "NO",
            ]
        )
        if not r["checked"]:
            report.notes.append(f"WARNING: {tool}: the answer did not have the expected shape.")
    report.raw = results
    for tool in TOOLS:
        r = results.get(tool, {})
        median = r.get("median_s") if r.get("ok") else None
        report.targets.append(
            c.Target(
                f"Heron: chart of {RUNS} runs × {n:,} points ({tool.removeprefix('heron-')})",
                "≤ 200 ms",
                c.fmt_time(median),
                None if median is None else median <= 0.2 and bool(r.get("checked")),
            )
        )
    report.notes += [
        "Timed on the client over loopback HTTP: request, the server's reads and "
        "downsampling, JSON encoding and transfer, until the whole answer is in. "
        "Parsing it with Python's json module is the json.loads column.",
        "The store is filled through Store.ingest in one worker process (100k points per "
        "batch); filling is not timed here.",
    ]
    if args.quick:
        report.notes.append(
            f"Quick mode: {n:,} points per run instead of 100,000; the target is for 100,000."
        )
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
