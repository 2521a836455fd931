"""The workspace in the browser, over a store of its own that the real SDK filled: two
configurations (lr 0.1 and 0.01) with three seeds each, metrics under val/, train/ and
a bookkeeping epoch. The default layout, adding, removing, resizing and arranging
panels, saving a view and opening it again by its link, and seed groups drawn as their
mean with a band (checked by the drawn series' values). Screenshots in light, dark and
at 800 px go to ``test-artifacts/screenshots/``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

import heron
from tests.server.conftest import LiveServer, free_port
from tests.web.conftest import screenshot

STEPS = 10
BASE = {0.1: 0.5, 0.01: 0.3}  # val/acc at step 0 by lr; seed s adds 0.01 * s


def seed(folder: Path) -> None:
    quiet = {"system_metrics": False, "capture": False, "capture_console": False}
    for lr, base in BASE.items():
        for s in range(3):
            config = {"lr": lr, "seed": s}
            with heron.init("ws", dir=folder, config=config, name=f"lr{lr}-s{s}", **quiet) as run:  # type: ignore[arg-type]
                for step in range(STEPS):
                    acc = base + 0.01 * s + 0.02 * step
                    run.log({"val/acc": acc, "train/loss": 1 - acc, "epoch": step}, step=step)


@pytest.fixture(scope="module")
def server(ui_ready: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("web-workspace") / "store"
    seed(folder)
    live = LiveServer(str(folder), str(folder / "blobs"), free_port(), folder.parent / "server.log")
    live.start()
    yield live
    live.stop()


def sections(page: Any) -> list[str]:
    return [s.get_attribute("data-section") for s in page.locator("section.ws-section").all()]


def panel(page: Any, title: str) -> Any:
    return page.locator(f'figure.ws-panel[aria-label="{title}"]')


def test_default_layout_puts_results_first_and_draws_every_run(page: Any) -> None:
    page.goto("/p/ws/workspace", timeout=60_000)
    expect(page.locator("section.ws-section")).to_have_count(4, timeout=60_000)
    assert sections(page) == ["val", "train", "runs", "bookkeeping"]
    acc = panel(page, "val/acc").locator(".ws-line")
    expect(acc).to_have_attribute("data-series", "6")
    expect(acc).to_have_attribute("data-points", str(6 * STEPS))
    expect(panel(page, "Parallel coordinates")).to_be_visible()
    screenshot(page, "workspace")


def test_add_remove_resize_and_arrange_panels(page: Any) -> None:
    page.goto("/p/ws/workspace", timeout=60_000)
    val = page.locator('section.ws-section[data-section="val"]')
    expect(val.locator("figure.ws-panel")).to_have_count(1, timeout=60_000)
    # add: a Markdown panel and a line panel into val
    val.get_by_label("Add panel to val").select_option("markdown")
    val.get_by_label("Add panel to val").select_option("line")
    expect(val.locator("figure.ws-panel")).to_have_count(3)
    kinds = [f.get_attribute("data-kind") for f in val.locator("figure.ws-panel").all()]
    assert kinds == ["line", "markdown", "line"]
    # the new line panel gets its keys from its settings
    page.get_by_label("Settings of Line chart").click()
    page.get_by_label("Panel keys").select_option(["train/loss"])
    expect(val.locator('figure.ws-panel[aria-label="train/loss"] .ws-line')).to_have_attribute(
        "data-series", "6"
    )
    # resize: by the width control, and by dragging the corner
    notes = panel(page, "Notes")
    expect(notes).to_have_attribute("data-w", "3")
    notes.get_by_label("Width of Notes").select_option("1")
    expect(notes).to_have_attribute("data-w", "1")
    acc = panel(page, "val/acc")
    before = acc.bounding_box()
    handle = acc.get_by_label("Resize val/acc").bounding_box()
    page.mouse.move(handle["x"] + 5, handle["y"] + 5)
    page.mouse.down()
    page.mouse.move(handle["x"] + 5 + before["width"] * 1.1, handle["y"] + 105, steps=5)
    page.mouse.up()
    expect(acc).to_have_attribute("data-w", "2")
    assert int(acc.get_attribute("data-h")) >= 300
    # arrange: a button moves a panel, dragging a title bar onto another drops it there
    notes.get_by_label("Move Notes earlier").click()
    kinds = [f.get_attribute("aria-label") for f in val.locator("figure.ws-panel").all()]
    assert kinds == ["Notes", "val/acc", "train/loss"]
    val.locator('figure.ws-panel[aria-label="train/loss"] figcaption').drag_to(
        val.locator('figure.ws-panel[aria-label="Notes"]')
    )
    kinds = [f.get_attribute("aria-label") for f in val.locator("figure.ws-panel").all()]
    assert kinds == ["train/loss", "Notes", "val/acc"]
    # remove
    val.get_by_label("Remove Notes").click()
    expect(val.locator("figure.ws-panel")).to_have_count(2)
    # sections fold and move
    page.get_by_label("Collapse train").click()
    expect(page.locator('section.ws-section[data-section="train"]')).to_have_attribute(
        "data-collapsed", "1"
    )
    page.get_by_label("Move train up").click()
    assert sections(page)[:2] == ["train", "val"]
    # kept in this browser for the project
    page.reload()
    expect(page.locator("section.ws-section")).to_have_count(4, timeout=60_000)
    assert sections(page)[:2] == ["train", "val"]
    expect(page.locator('section.ws-section[data-section="val"] figure.ws-panel')).to_have_count(2)


def test_save_a_view_and_open_it_by_its_link(page: Any, browser: Any, server: LiveServer) -> None:
    page.goto("/p/ws/workspace", timeout=60_000)
    page.get_by_label("Workspace filter").fill("config.lr = 0.1", timeout=60_000)
    page.get_by_label("Workspace filter").press("Enter")
    acc = panel(page, "val/acc").locator(".ws-line")
    expect(acc).to_have_attribute("data-series", "3")
    page.get_by_label("Remove bookkeeping").click()
    page.get_by_label("View name").fill("lr 0.1 only")
    page.get_by_role("button", name="Save as view").click()
    expect(page).to_have_url(re.compile(r"/p/ws/workspace\?view=[0-9a-f]{16}$"))
    view_id = page.url.rsplit("=", 1)[1]
    expect(page.locator("h1")).to_have_text("lr 0.1 only")
    stored = httpx.get(f"{server.url}/api/v1/projects/ws/views/{view_id}").json()
    assert stored["state"]["runs"]["filter"] == "config.lr = 0.1"
    assert [s["name"] for s in stored["state"]["workspace"]["sections"]] == ["val", "train", "runs"]

    # the link, in a fresh browser (nothing kept locally), shows the same workspace
    context = browser.new_context(viewport={"width": 1366, "height": 800}, base_url=server.url)
    other = context.new_page()
    other.goto(f"/p/ws/workspace?view={view_id}", timeout=60_000)
    expect(other.locator("h1")).to_have_text("lr 0.1 only", timeout=60_000)
    expect(other.locator("section.ws-section")).to_have_count(3)
    assert sections(other) == ["val", "train", "runs"]
    expect(panel(other, "val/acc").locator(".ws-line")).to_have_attribute("data-series", "3")
    expect(other.get_by_label("Workspace filter")).to_have_value("config.lr = 0.1")
    # a change, saved into the view, is what the next visitor sees
    other.get_by_label("Remove runs").click()
    expect(other.locator('[data-testid="unsaved"]')).to_be_visible()
    other.get_by_role("button", name="Save", exact=True).click()
    expect(other.locator('[data-testid="unsaved"]')).to_have_count(0)
    context.close()
    page.reload()
    expect(page.locator("section.ws-section")).to_have_count(2, timeout=60_000)
    assert sections(page) == ["val", "train"]
    # the runs table opens with the view's filter
    expect(page.get_by_role("link", name="Runs table")).to_have_attribute(
        "href", re.compile(r"^/p/ws\?q=config\.lr")
    )


def test_seed_groups_draw_a_mean_and_a_band(page: Any) -> None:
    page.goto("/p/ws/workspace", timeout=60_000)
    acc = panel(page, "val/acc")
    line = acc.locator(".ws-line")
    expect(line).to_have_attribute("data-series", "6", timeout=60_000)
    acc.get_by_label("Settings of val/acc").click()
    acc.get_by_label("Panel groups").select_option("std")
    # two drawn series, the groups' means (3 seeds each) at every step
    expect(line).to_have_attribute("data-band", "std")
    expect(line).to_have_attribute("data-series", "2")
    expect(line).to_have_attribute("data-points", str(2 * STEPS))
    expect(line).to_have_attribute("data-drawn", re.compile(r"^lr=0\.(1|01)\|lr=0\.(1|01)$"))
    drawn = line.get_attribute("data-drawn").split("|")
    last = dict(zip(drawn, map(float, line.get_attribute("data-last").split("|")), strict=True))
    top = 0.02 * (STEPS - 1) + 0.01  # the seeds add 0, 0.01 and 0.02: their mean 0.01
    assert last == pytest.approx({"lr=0.1": BASE[0.1] + top, "lr=0.01": BASE[0.01] + top})
    spreads = [float(x) for x in line.get_attribute("data-spread").split("|")]
    assert spreads == pytest.approx([0.02, 0.02], rel=1e-3)  # mean ± std: std is 0.01
    acc.get_by_label("Panel groups").select_option("ci95")
    expect(line).to_have_attribute("data-band", "ci95")
    spreads = [float(x) for x in line.get_attribute("data-spread").split("|")]
    assert spreads == pytest.approx([2 * 4.303 * 0.01 / 3**0.5] * 2, rel=1e-3)  # t(2) = 4.303
    acc.get_by_label("Panel groups").select_option("minmax")
    expect(line).to_have_attribute("data-band", "minmax")
    spreads = [float(x) for x in line.get_attribute("data-spread").split("|")]
    assert spreads == pytest.approx([0.02, 0.02], rel=1e-3)
    screenshot(page, "workspace-bands")
    acc.get_by_label("Panel groups").select_option("")
    expect(line).to_have_attribute("data-series", "6")


def test_screenshots_dark_and_800px(browser: Any, server: LiveServer) -> None:
    for suffix, width, scheme in (("dark", 1366, "dark"), ("800px", 800, "light")):
        context = browser.new_context(
            viewport={"width": width, "height": 800}, base_url=server.url, color_scheme=scheme
        )
        page = context.new_page()
        page.goto("/p/ws/workspace", timeout=60_000)
        line = panel(page, "val/acc").locator(".ws-line")
        expect(line).to_have_attribute("data-series", "6", timeout=60_000)
        if width == 800:  # one panel a row, none wider than the page
            box = panel(page, "val/acc").bounding_box()
            assert box["x"] + box["width"] <= 800
        screenshot(page, f"workspace-{suffix}")
        context.close()


def test_panels_far_below_are_neither_fetched_nor_drawn_until_near_the_screen(
    browser: Any, server: LiveServer
) -> None:
    # 45 line panels (15 rows): the first draws val/acc, the last train/loss, the others
    # keys of their own (probe/k<i>), so the chart requests say which panels asked.
    keys = ["val/acc", *(f"probe/k{i}" for i in range(1, 44)), "train/loss"]
    panels = [
        {"id": f"p{i}", "kind": "line", "keys": [k], "w": 1, "h": 220} for i, k in enumerate(keys)
    ]
    state = {
        "workspace": {
            "version": 1,
            "sections": [{"id": "s", "name": "many", "collapsed": False, "panels": panels}],
        },
        "runs": {"filter": ""},
    }
    body = {"name": "many panels", "state": state}
    view = httpx.post(f"{server.url}/api/v1/projects/ws/views", json=body).json()["id"]
    context = browser.new_context(viewport={"width": 1366, "height": 800}, base_url=server.url)
    page = context.new_page()
    asked: list[str] = []

    def record(request: Any) -> None:
        if request.method == "POST" and request.url.endswith("/api/v1/series"):
            asked.extend(request.post_data_json["keys"])

    page.on("request", record)
    page.goto(f"/p/ws/workspace?view={view}", timeout=60_000)
    first = page.locator('figure.ws-panel[data-panel="p0"] .ws-line')
    expect(first).to_have_attribute("data-series", "6", timeout=60_000)
    assert first.locator("canvas").count() > 0
    last = page.locator('figure.ws-panel[data-panel="p44"]')
    middle = page.locator('figure.ws-panel[data-panel="p27"]')  # row 10 of 15
    for far in (last, middle):
        expect(far.locator(".ws-line")).to_have_attribute("data-loaded", "0")
        assert far.locator("canvas").count() == 0
    assert "val/acc" in asked and "train/loss" not in asked and "probe/k27" not in asked
    assert len(asked) < 30  # the panels on screen and just below, not all 45
    # the page keeps its height while panels load: no jump when the last one is reached
    height = page.evaluate("document.documentElement.scrollHeight")
    last.scroll_into_view_if_needed()
    expect(last.locator(".ws-line")).to_have_attribute("data-series", "6", timeout=60_000)
    assert last.locator("canvas").count() > 0 and "train/loss" in asked
    # a jump to the bottom passed the middle without stopping: still not asked for
    assert "probe/k27" not in asked
    expect(middle.locator(".ws-line")).to_have_attribute("data-loaded", "0")
    assert abs(page.evaluate("document.documentElement.scrollHeight") - height) < 300
    context.close()
