"""The bugs a realistic project showed (issue 16), each in a real browser over a store of
its own (``seed_ui_bugs``: a sweep of three learning rates x two seeds, seven metric
keys, system metrics, a summary-only key, a spike in a bucketed chart, a crashed run).

The ``server`` fixture is overridden for this module. Screenshots of each page touched
go to ``test-artifacts/screenshots/`` in light, dark and at 800 px.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.server.conftest import LiveServer, free_port
from tests.web.conftest import screenshot
from tests.web.seed_ui_bugs import PROJECT, SPIKE, SeededSweep, seed_sweep

TABLE = '[data-view="runs-table"]'
FIRST = "resnet50-imagenet-cosine-warmup5-wd0.0005-lr0.001-seed1"  # has the spike and notes


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> SeededSweep:
    return seed_sweep(tmp_path_factory.mktemp("web-ui-bugs") / "store")


@pytest.fixture(scope="module")
def server(ui_ready: None, sweep: SeededSweep) -> Iterator[LiveServer]:
    folder = sweep.folder
    live = LiveServer(str(folder), str(folder / "blobs"), free_port(), folder.parent / "server.log")
    live.start()
    yield live
    live.stop()


def shots(browser: Any, server: LiveServer, path: str, name: str, ready: str) -> None:
    """Screenshots of ``path`` in the dark theme and at 800 px (the light one is the test's)."""
    for suffix, viewport, scheme in (("dark", 1366, "dark"), ("800px", 800, "light")):
        context = browser.new_context(
            viewport={"width": viewport, "height": 800}, base_url=server.url, color_scheme=scheme
        )
        try:
            page = context.new_page()
            page.goto(path)
            expect(page.locator(ready).first).to_be_visible()
            screenshot(page, f"ui-bugs-{name}-{suffix}")
        finally:
            context.close()


def test_plots_choose_keys_that_have_values_and_say_why_not(
    page: Any, browser: Any, server: LiveServer
) -> None:
    page.goto(f"/p/{PROJECT}?view=parallel")
    canvas = page.get_by_test_id("parallel-canvas")
    expect(canvas).to_have_attribute("data-lines", "7")
    # a result metric, not the alphabetically first key (a summary-only one, or lr)
    expect(page.get_by_label("Metric", exact=True)).to_have_value("metrics.val/acc")
    # tick labels sit on a backing of the panel's colour, not over the lines
    boxes = json.loads(canvas.get_attribute("data-label-boxes"))
    assert len(boxes) >= 5
    tinted = canvas.evaluate(
        """(c, boxes) => {
          const ctx = c.getContext("2d");
          const r = window.devicePixelRatio || 1;
          let n = 0;
          for (const [x, y, w, h] of boxes) {
            const d = ctx.getImageData(x * r, y * r, w * r, h * r).data;
            for (let i = 0; i < d.length; i += 4) {
              const px = [d[i], d[i + 1], d[i + 2]];
              const hi = Math.max(...px), lo = Math.min(...px);
              if (hi - lo > 40) n++; // a run's colour; labels are grey on the panel
            }
          }
          return n;
        }""",
        boxes,
    )
    assert tinted == 0
    screenshot(page, "ui-bugs-parallel-light")
    # the summary-only key is offered as summary.<key>, which the server answers
    page.get_by_label("Metric", exact=True).select_option("summary.best_val_acc")
    expect(canvas).to_have_attribute("data-lines", "7")
    expect(page.get_by_test_id("plot-empty-reason")).to_have_count(0)

    page.goto(f"/p/{PROJECT}?view=scatter")
    expect(page.get_by_label("Y", exact=True)).to_have_value("metrics.val/acc")
    # every run with both values (the crashed one has no batch_size)
    expect(page.get_by_test_id("scatter-canvas")).to_have_attribute("data-points", "6")
    # a key no run has a value for: the plot says why it is empty
    page.goto(f"/p/{PROJECT}?view=scatter&q=name+%3D+%22crashed-run%22&sx=config.model.depth")
    expect(page.get_by_label("X", exact=True)).to_have_value("config.model.depth")
    # the filtered runs' answer can take longer than playwright's 5 s on a busy machine
    reason = page.get_by_test_id("plot-empty-reason")
    expect(reason).to_contain_text("config.model.depth", timeout=30_000)
    shots(
        browser,
        server,
        f"/p/{PROJECT}?view=parallel",
        "parallel",
        '[data-testid="parallel-canvas"]',
    )


def test_system_tab_draws_against_wall_time(page: Any, sweep: SeededSweep) -> None:
    page.goto(f"/p/{PROJECT}/runs/{sweep.runs[FIRST]}?tab=system")
    panel = page.locator('figure.chart-panel[data-metric="system/cpu.percent"]')
    expect(panel).to_have_attribute("data-loaded", "1")
    expect(panel).to_have_attribute("data-points", "5")  # not all at one x (step 0)
    expect(page.get_by_label("X axis", exact=True).first).to_have_value("time")
    # the Charts tab keeps step
    page.get_by_role("tab", name="Charts").click()
    expect(page.get_by_label("X axis", exact=True).first).to_have_value("step")


def test_bucketed_chart_keeps_a_spike_in_range(
    page: Any, browser: Any, server: LiveServer, sweep: SeededSweep
) -> None:
    path = f"/p/{PROJECT}/runs/{sweep.runs[FIRST]}?tab=charts"
    page.goto(path)
    panel = page.locator('figure.chart-panel[data-metric="train/loss"]')
    expect(panel).to_have_attribute("data-loaded", "1")
    chart = panel.locator(".line-chart > div")
    expect(chart).to_have_attribute("data-y-range", re.compile(r"^-?[\d.e+-]+,-?[\d.e+-]+$"))
    lo, hi = (float(v) for v in chart.get_attribute("data-y-range").split(","))
    assert hi >= SPIKE > lo  # the spike (a bucket's max) is inside the drawn range
    screenshot(page, "ui-bugs-charts-light")
    shots(browser, server, path, "charts", 'figure.chart-panel[data-loaded="1"]')


def test_runs_table_name_headers_defaults_and_numbers(
    browser: Any, server: LiveServer, sweep: SeededSweep
) -> None:
    context = browser.new_context(viewport={"width": 800, "height": 800}, base_url=server.url)
    page = context.new_page()
    try:
        page.goto(f"/p/{PROJECT}")
        table = page.locator(TABLE)
        expect(table).to_have_attribute("data-state", "rows")
        heads = table.locator(".thead [data-col]")
        cols = [h.get_attribute("data-col") for h in heads.all()]
        data = [c for c in cols if c and c.startswith(("metrics.", "config."))]
        # result metrics first, in the order users look for them (not lr, epoch, system)
        assert data[:4] == [
            "metrics.val/acc",
            "metrics.val/loss",
            "metrics.train/acc",
            "metrics.train/loss",
        ]
        # at 800 px a metric column is in view without scrolling
        scroller = table.locator(".scroller").bounding_box()
        first_metric = table.locator('.thead [data-col="metrics.val/acc"]').bounding_box()
        assert first_metric["x"] + first_metric["width"] <= scroller["x"] + scroller["width"]
        # the name has a tooltip with the whole name
        row = table.locator(f'.tr[data-run-id="{sweep.runs[FIRST]}"]')
        expect(row.locator('[data-col="name"] a')).to_have_attribute("title", FIRST)
        # the metric lr and config.lr read differently
        page.goto(f"/p/{PROJECT}?col=metrics.lr&col=config.lr&col=config.optimizer.eps&cc=1")
        expect(table).to_have_attribute("data-state", "rows")
        metric_lr = table.locator('.thead [data-col="metrics.lr"]').inner_text()
        config_lr = table.locator('.thead [data-col="config.lr"]').inner_text()
        assert metric_lr != config_lr and "config" in config_lr.lower()
        # numbers without 1.0000000e-8 style
        eps = row.locator('[data-col="config.optimizer.eps"]')
        expect(eps).to_have_text("1e-8")
        screenshot(page, "ui-bugs-runs-800px")

        # the Name column stays in view when the table scrolls sideways...
        name_cell = row.locator('[data-col="name"]')
        before = name_cell.bounding_box()
        table.locator(".scroller").evaluate("el => { el.scrollLeft = 400; }")
        page.wait_for_function(
            "() => document.querySelector('[data-view=\"runs-table\"] .scroller').scrollLeft > 0"
        )
        assert abs(name_cell.bounding_box()["x"] - before["x"]) < 1
        # ...and resizes by dragging its header's edge
        grip = table.get_by_test_id("name-resizer").bounding_box()
        page.mouse.move(grip["x"] + 3, grip["y"] + 10)
        page.mouse.down()
        page.mouse.move(grip["x"] + 123, grip["y"] + 10, steps=4)
        page.mouse.up()
        assert name_cell.bounding_box()["width"] == pytest.approx(before["width"] + 120, abs=2)
    finally:
        context.close()
    shots(browser, server, f"/p/{PROJECT}", "runs", f'{TABLE}[data-state="rows"]')


def test_config_values_sit_on_their_keys_line(page: Any, sweep: SeededSweep) -> None:
    page.goto(f"/p/{PROJECT}/runs/{sweep.runs[FIRST]}?tab=config")
    row = page.locator('[data-view="config"] tr[data-key="model.depth"]')
    key = row.locator("td.key div").last.bounding_box()
    value = row.locator("td.val span").bounding_box()
    assert abs((key["y"] + key["height"] / 2) - (value["y"] + value["height"] / 2)) < 4
    expect(page.locator('[data-view="config"] tr[data-key="optimizer.eps"] td.val')).to_have_text(
        "1e-8"
    )


def test_notes_render_tables_and_headings(
    page: Any, browser: Any, server: LiveServer, sweep: SeededSweep
) -> None:
    page.goto(f"/p/{PROJECT}/runs/{sweep.runs[FIRST]}?tab=notes")
    notes = page.locator(".markdown")
    expect(notes.locator("table td").first).to_have_text("0.001")
    expect(notes.locator("table th")).to_have_count(2)
    heading = notes.locator("h2", has_text="Sweep notes")
    font_size = "e => parseFloat(getComputedStyle(e).fontSize)"
    body_size = float(notes.locator("td").first.evaluate(font_size))
    size = float(heading.evaluate(font_size))
    weight = int(heading.evaluate("e => parseInt(getComputedStyle(e).fontWeight)"))
    assert size > body_size and weight >= 600
    screenshot(page, "ui-bugs-notes-light")
    shots(
        browser,
        server,
        f"/p/{PROJECT}/runs/{sweep.runs[FIRST]}?tab=notes",
        "notes",
        ".markdown table",
    )


def test_log_search_leaves_no_blank_row(page: Any, sweep: SeededSweep) -> None:
    page.goto(f"/p/{PROJECT}/runs/{sweep.crashed}?tab=logs")
    console = page.locator('[data-view="console"]')
    expect(console).to_have_attribute("data-total", "42")
    page.get_by_label("Search console output").fill("loss")
    expect(page.get_by_test_id("console-count")).to_have_text("40 of 42 lines match")
    lines = console.locator(".console-line")
    expect(lines.last).to_contain_text("out of memory")
    boxes = [b for b in (el.bounding_box() for el in lines.all()) if b]
    boxes.sort(key=lambda b: b["y"])
    for above, below in itertools.pairwise(boxes):
        assert below["y"] - (above["y"] + above["height"]) < 1  # no gap between matches


def test_compare_stars_only_results_without_ties(
    page: Any, browser: Any, server: LiveServer, sweep: SeededSweep
) -> None:
    ids = [sweep.runs[n] for n in sweep.runs if n != "crashed-run"][:4]
    page.goto(f"/p/{PROJECT}/compare?tab=summary&" + "&".join(f"runs={i}" for i in ids))
    summary = page.locator('[data-view="summary-compare"]')
    expect(summary.locator('tr[data-key="val/acc"] td.num')).to_have_count(4)
    for key in ("system/cpu.percent", "lr", "epoch"):
        expect(summary.locator(f'tr[data-key="{key}"] [data-best]')).to_have_count(0)
    expect(summary.locator('tr[data-key="val/acc"] [data-best]')).to_have_count(1)
    # best_val_acc: 0.899 for each seed 1 run, a tie: no star
    expect(summary.locator('tr[data-key="best_val_acc"] [data-best]')).to_have_count(0)
    screenshot(page, "ui-bugs-compare-light")
    shots(
        browser,
        server,
        page.url.removeprefix(server.url),
        "compare",
        '[data-view="summary-compare"]',
    )
