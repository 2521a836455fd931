"""Run page (overview, charts with exact series and point counts, files with previews,
lineage, notes), comparison, and a live run updating while the page is open."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from typing import Any

from playwright.sync_api import expect

from tests.web.conftest import screenshot
from tests.web.seed import LOSS_STEPS, VAL_POINTS, Seeded


def chart(page: Any, metric: str) -> Any:
    panel = page.locator(f'figure.chart-panel[data-metric="{metric}"]').first
    expect(panel).to_have_attribute("data-loaded", "1")
    return panel


def test_run_overview_and_charts(page: Any, seeded: Seeded) -> None:
    rid = seeded.vision["resnet-lr0.001-bs32"]
    page.goto(f"/p/vision/runs/{rid}")
    expect(page.locator('[data-view="overview"]')).to_contain_text("Python")
    expect(page.locator('[data-view="summary"] tr[data-key="val/acc"]')).to_contain_text("(max)")
    screenshot(page, "run-overview")

    page.get_by_role("tab", name="Charts").click()
    loss = chart(page, "train/loss")
    expect(loss).to_have_attribute("data-series", "1")
    expect(loss).to_have_attribute("data-logged", str(LOSS_STEPS))
    expect(loss).to_have_attribute("data-points", str(LOSS_STEPS))  # fewer points than buckets
    expect(chart(page, "val/acc")).to_have_attribute("data-points", str(VAL_POINTS))
    expect(page.locator('details[data-namespace="train"] figure')).to_have_count(2)
    screenshot(page, "run-charts")

    # smoothing and log scale live in the URL; hovering shows the value at x
    page.get_by_label("EMA weight").fill("0.8")
    page.get_by_label("log y").check()
    expect(page).to_have_url(re.compile(r"smooth=0\.8.*logy=1"))
    box = loss.locator(".u-over").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(loss.get_by_test_id("chart-tooltip")).to_contain_text("resnet-lr0.001-bs32")

    # drag to zoom: the range goes into the URL and fewer points are fetched
    page.get_by_label("log y").click()
    expect(page).not_to_have_url(re.compile("logy="))
    page.mouse.move(box["x"] + 5, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 4, box["y"] + 20, steps=5)
    page.mouse.up()
    expect(page).to_have_url(re.compile("xmin="))
    expect(loss).not_to_have_attribute("data-points", str(LOSS_STEPS))
    assert 0 < int(loss.get_attribute("data-points")) < LOSS_STEPS / 2

    # enlarge
    page.get_by_role("button", name="Enlarge val/acc").click()
    expect(page.get_by_role("dialog", name="val/acc enlarged")).to_be_visible()


def test_nonfinite_points_are_marked(page: Any, seeded: Seeded) -> None:
    page.goto(f"/p/vision/runs/{seeded.nonfinite_run}?tab=charts")
    loss = chart(page, "train/loss")
    expect(loss).to_have_attribute("data-nonfinite", "2")  # one NaN, one +inf
    expect(loss).to_have_attribute("data-points", str(LOSS_STEPS - 2))
    expect(loss).to_contain_text("2 non-finite")


def test_files_previews_and_lineage(page: Any, seeded: Seeded) -> None:
    rid = seeded.vision["resnet-lr0.001-bs32"]
    page.goto(f"/p/vision/runs/{rid}?tab=artifacts")
    files = page.locator('[data-view="artifacts"]')
    files.locator('button[data-path="metrics.json"]').click()
    expect(page.locator('[data-preview="json"] pre')).to_contain_text('"epoch": 7')
    files.locator('button[data-path="predictions.csv"]').click()
    expect(page.locator('[data-preview="csv"] tbody tr')).to_have_count(3)
    files.locator('button[data-path="sample.png"]').click()
    img = page.locator('[data-preview="image"] img')
    expect(img).to_be_visible()
    page.wait_for_function("() => document.querySelector('.preview-image')?.naturalWidth === 4")
    expect(page).to_have_url(re.compile("file=sample.png"))
    expect(files.locator('[data-artifact="resnet-weights:v0"]')).to_be_visible()
    screenshot(page, "run-files")

    user = seeded.vision["resnet-lr0.001-bs64"]
    page.goto(f"/p/vision/runs/{user}?tab=artifacts")
    expect(page.locator('[data-artifact="resnet-weights:v0"]')).to_be_visible()  # used

    page.goto(f"/p/vision/runs/{rid}?tab=logs")
    expect(page.locator('[data-view="logs"]')).to_contain_text("epoch 2 done")


def test_notes_render_markdown_safely_and_save(page: Any, seeded: Seeded) -> None:
    rid = seeded.nlp["bert-0"]
    page.goto(f"/p/nlp/runs/{rid}?tab=notes")
    page.get_by_role("button", name="Edit notes").click()
    page.get_by_label("Notes (Markdown)").fill(
        "## Result\n**good** <script>window.pwned=1</script>"
    )
    page.get_by_role("button", name="Save").click()
    notes = page.locator(".markdown")
    expect(notes.locator("h3")).to_have_text("Result")
    expect(notes.locator("strong")).to_have_text("good")
    expect(notes).to_contain_text("<script>")  # shown as text, never run
    assert page.evaluate("() => window.pwned") is None
    page.reload()
    expect(page.locator(".markdown h3")).to_have_text("Result")  # stored


def test_compare_two_runs(page: Any, seeded: Seeded) -> None:
    a = seeded.vision["resnet-lr0.01-bs32"]
    b = seeded.vision["resnet-lr0.01-bs64"]
    page.goto("/p/vision")
    for rid in (a, b):
        page.locator(f'[data-run-id="{rid}"] input[type="checkbox"]').check()
    page.get_by_role("link", name="Compare").click()
    view = page.locator('[data-view="compare"]')
    expect(view).to_have_attribute("data-runs", "2")
    diff = page.locator('[data-view="diff"]')
    # same lr and momentum (folded away); batch size and optimizer differ
    expect(diff).to_have_attribute("data-differing", "2")
    expect(diff.locator('tr[data-key="batch_size"]')).to_be_visible()
    expect(diff.locator('tr[data-key="lr"]')).to_have_count(0)
    screenshot(page, "compare-config")

    page.get_by_role("tab", name="Summary").click()
    acc = page.locator('[data-view="summary-compare"] tr[data-key="val/acc"]')
    expect(acc.locator('[data-best="1"]')).to_have_count(1)
    page.get_by_role("tab", name="Charts").click()
    expect(chart(page, "train/loss")).to_have_attribute("data-series", "2")
    expect(chart(page, "train/loss")).to_have_attribute("data-logged", str(2 * LOSS_STEPS))
    screenshot(page, "compare-charts")
    # legend toggles hide a run everywhere
    page.locator(f'.legend [data-run-id="{b}"]').click()
    expect(chart(page, "train/loss")).to_have_attribute("data-series", "1")


def test_dark_theme(page: Any, seeded: Seeded) -> None:
    page.goto(f"/p/vision/runs/{seeded.nonfinite_run}?tab=charts")
    page.get_by_role("button", name="Switch to dark theme").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    chart(page, "train/loss")
    screenshot(page, "run-charts-dark")


LIVE_SCRIPT = """
import sys, time, heron
run = heron.init(project="live", name="live-run", dir=sys.argv[1], system_metrics=False)
gate = sys.argv[2]
for step in range(10):
    run.log({"loss": 1.0 / (step + 1)}, step=step)
run.flush()
import pathlib
while not pathlib.Path(gate).exists():   # the test lets it go on once the page is open
    time.sleep(0.05)
for step in range(10, 40):
    run.log({"loss": 1.0 / (step + 1)}, step=step)
    run.flush()
    time.sleep(0.05)
run.finish()
"""


def test_live_run_updates_without_reload(page: Any, seeded: Seeded, tmp_path: Any) -> None:
    gate = tmp_path / "go"
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(LIVE_SCRIPT), str(seeded.folder), str(gate)]
    )
    try:
        # the runs table shows the new run as it starts
        page.goto("/p/live")
        row = page.locator('[data-view="runs-table"] [data-run-id]').first
        expect(row).to_contain_text("live-run", timeout=15_000)
        expect(row).to_contain_text("running")
        row.get_by_role("link").click()
        page.get_by_role("tab", name="Charts").click()
        loss = chart(page, "loss")
        expect(loss).to_have_attribute("data-logged", "10")
        # a running run's duration ticks between the server's updates
        duration = page.get_by_test_id("run-duration")
        shown = duration.inner_text()
        expect(duration).not_to_have_text(shown, timeout=5_000)
        gate.touch()
        # no reload: the charts and the state follow the server's live events
        expect(loss).to_have_attribute("data-logged", "40", timeout=20_000)
        expect(page.locator('[data-view="run"]')).to_have_attribute("data-state", "finished")
        screenshot(page, "live-run")
    finally:
        gate.touch()
        proc.wait(timeout=60)
    assert proc.returncode == 0
