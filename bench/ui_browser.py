"""(h) The web UI in headless Chromium: the runs table at 10,000 runs, a chart of
100 runs x 100,000 points, and the JavaScript the first page loads.

A worker writes the store through Heron's ``Store`` (untimed): project ``table`` with
10,000 finished runs (config ``lr``, ``batch_size``, ``seed``; summary metrics
``acc`` and ``loss``), project ``chart`` with 100 runs of 100,000 ``loss`` points
each. Another worker starts a real ``heron server`` on that store and drives Debian's
Chromium (``/usr/bin/chromium``) with Playwright:

* **table first render**: open ``/p/table`` in a fresh page; from the navigation's
  start until the first page of rows is on screen (``performance.now()`` at that
  moment), median of several fresh pages;
* **sort by a metric**: click the ``acc`` header; from the click until the table shows
  the first page in the new order, median over alternating directions;
* **chart**: on a comparison of the 100 runs, click the *Charts* tab; from the click
  until the ``loss`` chart has drawn all 100 downsampled series (median of fresh pages);
* **first page JS**: every script the projects page loads, gzip-compressed (level 9).

Needs the built UI (``./scripts/setup``) and Chromium.

    python bench/ui_browser.py [--quick]
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import _common as c

NAME = "ui_browser"
TOOLS = ["heron"]
FULL = {"runs": 10_000, "chart_runs": 100, "points": 100_000, "reps": 5}
QUICK = {"runs": 2_000, "chart_runs": 20, "points": 20_000, "reps": 3}
CHROMIUM = "/usr/bin/chromium"


# --------------------------------------------------------------------------- workers


def write(cfg: c.JSON) -> c.JSON:
    import numpy as np

    from heron.ids import new_run_id
    from heron.local_dir import LocalDir
    from heron.store import open_store
    from heron.store.base import Batch, RunSpec, Series

    t0 = time.perf_counter()
    folder = LocalDir.at(Path(cfg["data_dir"]) / "store").create()
    store = open_store(folder.db_url)
    rng = np.random.default_rng(0)
    now = time.time() - 86_400
    finished = [{"type": "state", "state": "finished", "time": now + 3600}]

    def one(spec: RunSpec, metrics: dict[str, Series]) -> None:
        store.create_run(spec)
        store.ingest(Batch(spec.id, 1, metrics, finished))

    for i in range(cfg["runs"]):
        spec = RunSpec(
            id=new_run_id(),
            project="table",
            config={
                "lr": float(10 ** rng.uniform(-5, -1)),
                "batch_size": int(2 ** rng.integers(4, 9)),
                "seed": i,
            },
            created_at=now + i,
        )
        values = rng.uniform(0, 1, 2)
        one(
            spec,
            {
                k: Series(np.array([0]), np.array([now + i]), np.array([v]))
                for k, v in zip(("acc", "loss"), values, strict=True)
            },
        )
    n = cfg["points"]
    steps = np.arange(n, dtype=np.int64)
    for i in range(cfg["chart_runs"]):
        spec = RunSpec(id=new_run_id(), project="chart", config={"seed": i}, created_at=now + i)
        loss = np.exp(-steps / (n / 5)) + 0.05 * rng.standard_normal(n) + 0.01 * i
        one(spec, {"loss": Series(steps, now + steps * 0.01, loss)})
    store.close()
    return {"setup_s": time.perf_counter() - t0, "store": str(folder.root)}


def _server(store: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    import socket

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = [
        sys.executable,
        "-c",
        "from heron.cli.main import main; main()",
        "server",
        "--store",
        store,
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    with log.open("ab") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"heron server did not start: {log.read_text()[-500:]}")


def browse(cfg: c.JSON) -> c.JSON:
    from playwright.sync_api import sync_playwright

    proc, url = _server(cfg["store"], Path(cfg["data_dir"]) / "server.log")
    out: c.JSON = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM)
            ctx = browser.new_context(viewport={"width": 1366, "height": 800}, base_url=url)
            out.update(_first_page_js(ctx))
            out.update(_table(ctx, cfg))
            out.update(_chart(ctx, url, cfg))
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return out


def _first_page_js(ctx: Any) -> c.JSON:
    page = ctx.new_page()
    scripts: list[bytes] = []
    page.on("response", lambda r: r.request.resource_type == "script" and scripts.append(r.body()))
    page.goto("/", wait_until="networkidle")
    page.close()
    return {
        "js_raw": sum(map(len, scripts)),
        "js_gzip": sum(len(gzip.compress(b, 9)) for b in scripts),
        "js_files": len(scripts),
    }


READY = '[data-view="runs-table"][data-ready="1"] [data-run-id]'


def _table(ctx: Any, cfg: c.JSON) -> c.JSON:
    firsts, sorts = [], []
    total = None
    for rep in range(cfg["reps"]):
        page = ctx.new_page()
        page.goto(
            "/p/table?col=metrics.acc&col=metrics.loss&col=config.lr&cc=1", wait_until="commit"
        )
        page.wait_for_selector(READY, timeout=60_000)
        firsts.append(page.evaluate("performance.now()") / 1000)
        total = page.get_attribute('[data-view="runs-table"]', "data-total")
        header = page.locator('[data-col="metrics.acc"] button')
        for want in ("-metrics.acc", "metrics.acc"):
            t0 = time.perf_counter()
            header.click()
            page.wait_for_selector(
                f'[data-view="runs-table"][data-sort="{want}"][data-ready="1"] [data-run-id]',
                timeout=60_000,
            )
            sorts.append(time.perf_counter() - t0)
        if rep == 0:
            first = page.locator('[data-run-id] [data-col="metrics.acc"]').first.inner_text()
            out_first = first
        page.close()
    return {
        "first_render_s": firsts,
        "sort_s": sorts,
        "table_total": total,
        "ascending_first_acc": out_first,
    }


def _chart(ctx: Any, url: str, cfg: c.JSON) -> c.JSON:
    import httpx

    rows = httpx.post(
        url + "/api/v1/runs/table", json={"project": "chart", "columns": []}, timeout=60
    ).json()
    ids = rows["ids"]
    query = "&".join(f"runs={i}" for i in ids)
    times, points = [], []
    for _ in range(cfg["reps"]):
        page = ctx.new_page()
        page.goto(f"/p/chart/compare?{query}")
        page.wait_for_selector('[data-view="compare"]', timeout=60_000)
        t0 = time.perf_counter()
        page.get_by_role("tab", name="Charts").click()
        page.wait_for_selector(
            f'figure[data-metric="loss"][data-series="{len(ids)}"] canvas', timeout=60_000
        )
        page.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        times.append(time.perf_counter() - t0)
        fig = page.locator('figure[data-metric="loss"]')
        points.append(
            [int(fig.get_attribute("data-points") or 0), int(fig.get_attribute("data-logged") or 0)]
        )
        page.close()
    return {"chart_s": times, "chart_points": points, "chart_runs": len(ids)}


WORKERS = {"write-heron": write, "browse-heron": browse}


# --------------------------------------------------------------------------- parent


def main() -> int:
    args = c.parse_args(__doc__ or NAME)
    if args.worker:
        return c.worker_main(args, WORKERS)
    sizes = QUICK if args.quick else FULL
    report = c.Report(
        name=NAME,
        title=(
            f"(h) web UI in headless Chromium ({sizes['runs']:,} runs; "
            f"{sizes['chart_runs']} x {sizes['points']:,} points)"
        ),
        description=__doc__ or "",
        quick=args.quick,
        partial=False,
        params=sizes,
        columns=["measurement", "median", "all runs", "check"],
    )
    from heron.server.ui import STATIC_DIR

    why = c.heron_unavailable()
    if not why and not (STATIC_DIR / "index.html").is_file():
        why = "the web UI is not built (./scripts/setup)"
    if not why and not os.path.exists(CHROMIUM):
        why = f"no Chromium at {CHROMIUM}"
    r: c.JSON = {"ok": False, "error": why}
    if not why:
        with c.Workspace(NAME, args) as ws:
            workdir = ws.new("heron")
            print("  writing the store ...", file=sys.stderr, flush=True)
            w = c.run_worker(__file__, "write-heron", sizes, workdir, timeout=3600)
            if w["ok"]:
                print("  browsing ...", file=sys.stderr, flush=True)
                r = c.run_worker(
                    __file__, "browse-heron", {**sizes, "store": w["store"]}, workdir, timeout=1800
                )
                r["setup_s"] = w["setup_s"]
            else:
                r = w
    report.raw = r
    med = {
        k: c.median(r[k]) if r.get("ok") else None for k in ("first_render_s", "sort_s", "chart_s")
    }
    if r.get("ok"):
        pts = r["chart_points"][0]
        report.rows = [
            [
                "runs table first render",
                c.fmt_time(med["first_render_s"]),
                ", ".join(c.fmt_time(x) for x in r["first_render_s"]),
                f"{r['table_total']} runs",
            ],
            [
                "sort by a metric",
                c.fmt_time(med["sort_s"]),
                ", ".join(c.fmt_time(x) for x in r["sort_s"]),
                f"lowest acc first: {r['ascending_first_acc']}",
            ],
            [
                "chart drawn from the click",
                c.fmt_time(med["chart_s"]),
                ", ".join(c.fmt_time(x) for x in r["chart_s"]),
                f"{r['chart_runs']} series, {pts[0]:,} of {pts[1]:,} points drawn",
            ],
            [
                "first page JS (gzip)",
                c.fmt_bytes(r["js_gzip"]),
                f"{r['js_files']} files, {c.fmt_bytes(r['js_raw'])} raw",
                "",
            ],
        ]
    else:
        report.rows = [["all", c.error_text(r), "–", "–"]]

    def target(what: str, goal: str, value: float | None, limit: float, fmt: Any) -> c.Target:
        return c.Target(what, goal, fmt(value), None if value is None else value <= limit)

    js = r.get("js_gzip") if r.get("ok") else None
    report.targets = [
        target(
            f"UI: runs table first render ({sizes['runs']:,} runs)",
            "≤ 1 s",
            med["first_render_s"],
            1.0,
            c.fmt_time,
        ),
        target("UI: sort the runs table by a metric", "≤ 300 ms", med["sort_s"], 0.3, c.fmt_time),
        target(
            f"UI: chart of {sizes['chart_runs']} runs x {sizes['points']:,} points",
            "≤ 1.5 s",
            med["chart_s"],
            1.5,
            c.fmt_time,
        ),
        target("UI: first page JS, gzipped", "≤ 400 KB", js, 400 * 1024, c.fmt_bytes),
    ]
    report.notes = [
        "Times include the server's work (paging, sorting and downsampling in the store) "
        "and the browser's rendering; the server and Chromium share the machine.",
        "'set-up' (writing the store through Store.ingest) is not timed: "
        + (c.fmt_time(r.get("setup_s")) if r.get("setup_s") else "–"),
    ]
    if args.quick:
        report.notes.append("Quick mode: smaller sizes, so the targets are only indicative.")
    if why:
        report.notes.append(f"Not measured: {why}")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
