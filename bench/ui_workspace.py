"""(h2) The workspace in headless Chromium: 30 panels over 20 runs, rendered and
scrolled.

A worker writes project ``ws`` through Heron's ``Store`` (untimed): 20 finished runs
(config ``lr``, ``seed``), each with 30 metric keys (``val/m0..9``, ``train/m0..9``,
``aux/m0..9``) of ``points`` steps. Another worker starts a real ``heron server`` on it,
saves a view of 30 line panels (three sections of ten, each panel one key over the
20 runs) through the REST API, and drives Debian's Chromium (``/usr/bin/chromium``)
with Playwright:

* **render, whole workspace**: open the view's link in a fresh page whose window is
  tall enough to show all 30 panels; from the navigation's start until every panel
  has drawn its 20 series (``performance.now()`` at that moment), median of fresh pages;
* **first visit**: the same, once, on a server just started and a fresh browser
  (nothing cached: the server keeps the series it answered, ``heron.server.chart_cache``);
* **render, first screen**: the same at a laptop's window (1366 x 800): until the
  panels on screen have drawn (the others load as they scroll into view);
* **scroll**: in that window, the page scrolled to the bottom and back by
  ``requestAnimationFrame`` (40 px a frame), every frame's time taken; the first pass
  draws the panels below the fold as they come in, the second scrolls drawn panels;
  the frame rate is frames / elapsed, and "long frames" those over 20 ms; a plain
  page of text as tall, scrolled alike, is the control (what the machine gives);
* **workspace chunk**: the gzipped JavaScript the workspace adds (loaded on demand;
  the first page is ``ui_browser``'s).

Needs the built UI (``./scripts/setup``) and Chromium.

    python bench/ui_workspace.py [--quick]
"""

from __future__ import annotations

import gzip
import os
import sys
import time
from pathlib import Path
from typing import Any

import _common as c
from ui_browser import CHROMIUM, _server

NAME = "ui_workspace"
FULL = {"runs": 20, "keys": 30, "points": 5_000, "reps": 5}
QUICK = {"runs": 20, "keys": 30, "points": 1_000, "reps": 2}
SECTIONS = ("val", "train", "aux")
FRAME_BUDGET_MS = 20.0  # a frame longer than this missed a 60 Hz vsync (16.7 ms) clearly


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
    n = cfg["points"]
    steps = np.arange(n, dtype=np.int64)
    per = cfg["keys"] // len(SECTIONS)
    for i in range(cfg["runs"]):
        spec = RunSpec(
            id=new_run_id(),
            project="ws",
            config={"lr": [0.1, 0.01][i % 2], "seed": i // 2},
            created_at=now + i,
        )
        store.create_run(spec)
        metrics = {}
        for s in SECTIONS:
            for k in range(per):
                y = np.exp(-steps / (n / (2 + k))) + 0.02 * rng.standard_normal(n) + 0.01 * i
                metrics[f"{s}/m{k}"] = Series(steps, now + steps * 0.01, y)
        finished = [{"type": "state", "state": "finished", "time": now + 3600}]
        store.ingest(Batch(spec.id, 1, metrics, finished))
    store.close()
    return {"setup_s": time.perf_counter() - t0, "store": str(folder.root)}


def _view(url: str, cfg: c.JSON) -> str:
    """A saved view of 30 line panels (three sections of ten), through the REST API."""
    import httpx

    per = cfg["keys"] // len(SECTIONS)
    sections = [
        {
            "id": f"s{si}",
            "name": s,
            "collapsed": False,
            "panels": [
                {"id": f"{s}{k}", "kind": "line", "keys": [f"{s}/m{k}"], "w": 1, "h": 220}
                for k in range(per)
            ],
        }
        for si, s in enumerate(SECTIONS)
    ]
    state = {"workspace": {"version": 1, "sections": sections}, "runs": {"filter": ""}}
    body = {"name": "bench", "state": state}
    answer = httpx.post(f"{url}/api/v1/projects/ws/views", json=body, timeout=60)
    answer.raise_for_status()
    return str(answer.json()["id"])


DRAWN = """([n, runs]) => {
  const lines = [...document.querySelectorAll('.ws-line')];
  const inView = (el) => { const r = el.getBoundingClientRect();
    return r.bottom > 0 && r.top < window.innerHeight; };
  const want = n === 0 ? lines.filter(inView) : lines;
  if (want.length === 0 || (n > 0 && lines.length < n)) return null;
  const done = want.every((el) => el.dataset.series === String(runs) && el.querySelector('canvas'));
  return done ? { t: performance.now(), panels: want.length } : null;
}"""

SCROLL = """async ([step]) => {
  const frames = [];
  // the bottom as it is now (panels drawn as they come in may change the page's height)
  const bottom = () => document.documentElement.scrollHeight - window.innerHeight;
  let last = await new Promise((r) => requestAnimationFrame(r));
  const t0 = last;
  for (const dir of [1, -1]) {
    for (let i = 0; i < 5000; i++) {
      const y = window.scrollY;
      if ((dir > 0 && y >= bottom() - 1) || (dir < 0 && y <= 0)) break;
      window.scrollBy(0, dir * step);
      const t = await new Promise((r) => requestAnimationFrame(r));
      frames.push(t - last);
      last = t;
    }
  }
  return { frames, elapsed: last - t0, height: bottom() };
}"""


PANELS = """() => [...document.querySelectorAll('figure.ws-panel')].map((f) =>
  `${f.getAttribute('aria-label')}: ${f.querySelector('.ws-line')?.dataset.series ?? '-'}`
  + ` ${f.querySelector('.error-text')?.textContent ?? ''}`).join('; ')"""


def _wait_drawn(page: Any, n: int, runs: int) -> Any:
    """Wait until the panels (n: all n of them; 0: those on screen) are drawn; on a
    timeout, say what each panel shows."""
    try:
        return page.wait_for_function(DRAWN, arg=[n, runs], timeout=120_000, polling="raf")
    except Exception as exc:
        raise RuntimeError(f"{exc}; panels: {page.evaluate(PANELS)}") from None


def _render(ctx: Any, link: str, cfg: c.JSON, whole: bool) -> tuple[float, int]:
    page = ctx.new_page()
    page.goto(link, wait_until="commit")
    n = cfg["keys"] if whole else 0
    handle = _wait_drawn(page, n, cfg["runs"])
    got = handle.json_value()
    page.close()
    return got["t"] / 1000, got["panels"]


def _scroll(ctx: Any, link: str, cfg: c.JSON) -> c.JSON:
    page = ctx.new_page()
    page.goto(link, wait_until="commit")
    _wait_drawn(page, 0, cfg["runs"])
    first = page.evaluate(SCROLL, [40])  # panels below the fold load as they come in
    _wait_drawn(page, cfg["keys"], cfg["runs"])
    second = page.evaluate(SCROLL, [40])  # every panel drawn
    # the control: a page as tall, of plain text, scrolled the same way on this machine
    page.goto("/", wait_until="load")
    page.evaluate(
        "(h) => { const d = document.createElement('div'); d.style.height = h + 'px';"
        " d.textContent = 'text '.repeat(20000); document.body.append(d); }",
        second["height"],
    )
    control = page.evaluate(SCROLL, [40])
    page.close()
    return {"first": first, "second": second, "control": control}


def browse(cfg: c.JSON) -> c.JSON:
    from playwright.sync_api import sync_playwright

    proc, url = _server(cfg["store"], Path(cfg["data_dir"]) / "server.log")
    out: c.JSON = {"whole_s": [], "screen_s": [], "scroll": [], "load": [os.getloadavg()[0]]}
    try:
        view = _view(url, cfg)
        link = f"/p/ws/workspace?view={view}"
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM)
            tall = browser.new_context(viewport={"width": 1366, "height": 4800}, base_url=url)
            laptop = browser.new_context(viewport={"width": 1366, "height": 800}, base_url=url)
            # first: a visit to a server just started, nothing cached anywhere (the server
            # keeps the downsampled series it answered: heron.server.chart_cache)
            out["cold_s"], out["cold_panels"] = _render(tall, link, cfg, True)
            scripts: list[tuple[str, bytes]] = []
            warm = laptop.new_page()  # the server's first answers, the chunks cached
            warm.on(
                "response",
                lambda r: r.request.resource_type == "script" and scripts.append((r.url, r.body())),
            )
            warm.goto(link)
            _wait_drawn(warm, 0, cfg["runs"])
            warm.close()
            lazy = [b for u, b in scripts if "/assets/WorkspacePage" in u]
            out["chunk_gzip"] = sum(len(gzip.compress(b, 9)) for b in lazy)
            for _ in range(cfg["reps"]):
                t, panels = _render(tall, link, cfg, True)
                out["whole_s"].append(t)
                out["whole_panels"] = panels
                t, panels = _render(laptop, link, cfg, False)
                out["screen_s"].append(t)
                out["screen_panels"] = panels
            for _ in range(max(1, cfg["reps"] // 2)):
                out["scroll"].append(_scroll(laptop, link, cfg))
            browser.close()
        out["load"].append(os.getloadavg()[0])
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return out


WORKERS = {"write-heron": write, "browse-heron": browse}


# --------------------------------------------------------------------------- parent


def _frames(passes: list[c.JSON]) -> c.JSON:
    frames = [f for p in passes for f in p["frames"]]
    elapsed = sum(p["elapsed"] for p in passes)
    return {
        "fps": 1000 * len(frames) / elapsed if elapsed else None,
        "median_ms": c.median(frames) if frames else None,
        "p95_ms": c.percentile(frames, 95) if frames else None,
        "long": sum(f > FRAME_BUDGET_MS for f in frames),
        "count": len(frames),
    }


def main() -> int:
    args = c.parse_args(__doc__ or NAME)
    if args.worker:
        return c.worker_main(args, WORKERS)
    sizes = QUICK if args.quick else FULL
    report = c.Report(
        name=NAME,
        title=(
            f"(h2) workspace in headless Chromium ({sizes['keys']} panels x "
            f"{sizes['runs']} runs x {sizes['points']:,} points)"
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
    ok = bool(r.get("ok"))
    whole = c.median(r["whole_s"]) if ok else None
    screen = c.median(r["screen_s"]) if ok else None
    first = _frames([s["first"] for s in r["scroll"]]) if ok else {}
    second = _frames([s["second"] for s in r["scroll"]]) if ok else {}
    control = _frames([s["control"] for s in r["scroll"]]) if ok else {}
    if ok:

        def frames_row(what: str, f: c.JSON) -> list[str]:
            return [
                what,
                f"{f['fps']:.1f} fps",
                f"median frame {f['median_ms']:.1f} ms, p95 {f['p95_ms']:.1f} ms",
                f"{f['long']} of {f['count']} frames over {FRAME_BUDGET_MS:.0f} ms",
            ]

        report.rows = [
            [
                "render, whole workspace (window 1366 x 4800)",
                c.fmt_time(whole),
                ", ".join(c.fmt_time(x) for x in r["whole_s"]),
                f"{r['whole_panels']} panels x {sizes['runs']} series drawn",
            ],
            [
                "render, whole workspace, first visit (server just started)",
                c.fmt_time(r["cold_s"]),
                "",
                f"{r['cold_panels']} panels x {sizes['runs']} series drawn",
            ],
            [
                "render, first screen (1366 x 800)",
                c.fmt_time(screen),
                ", ".join(c.fmt_time(x) for x in r["screen_s"]),
                f"{r['screen_panels']} panels on screen drawn",
            ],
            frames_row("scroll, panels loading as they come in", first),
            frames_row("scroll, every panel drawn", second),
            frames_row("control: a plain page as tall, scrolled alike", control),
            ["workspace chunk (gzip, on demand)", c.fmt_bytes(r["chunk_gzip"]), "", ""],
        ]
    else:
        report.rows = [["all", c.error_text(r), "–", "–"]]
    fps = second.get("fps") if ok else None
    report.targets = [
        c.Target(
            f"UI: workspace of {sizes['keys']} panels x {sizes['runs']} runs renders",
            "≤ 1.5 s",
            c.fmt_time(whole),
            None if whole is None else whole <= 1.5,
        ),
        c.Target(
            "UI: workspace scrolls at 60 fps",
            "≥ 58 fps (60 Hz, 2 dropped frames a second at most)",
            "–" if fps is None else f"{fps:.1f} fps",
            None if fps is None else fps >= 58,
        ),
    ]
    report.notes = [
        "Times include the server's work (30 chart requests of 20 runs each, downsampled "
        "in the store) and the browser's rendering; the server and Chromium share the "
        "machine.",
        "The renders after the first visit get the series the server kept "
        "(heron.server.chart_cache: answers kept while the store's block summaries say "
        "the points are the same); the first visit reads and downsamples every series.",
        "Frame times are requestAnimationFrame intervals in headless Chromium while the "
        "page scrolls 40 px a frame; the target is read on the second pass (every panel "
        "drawn), the first pass is shown for what loading on scroll costs.",
        "'set-up' (writing the store through Store.ingest) is not timed: "
        + (c.fmt_time(r.get("setup_s")) if r.get("setup_s") else "–"),
    ]
    if ok and r.get("load"):
        report.notes.append(
            "1-minute load average on the machine (2 cores, shared with other work) as the "
            f"browsing began and ended: {r['load'][0]:.1f} and {r['load'][-1]:.1f}; the "
            "control row is what any page got meanwhile."
        )
    if args.quick:
        report.notes.append("Quick mode: fewer points, so the targets are only indicative.")
    if why:
        report.notes.append(f"Not measured: {why}")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
