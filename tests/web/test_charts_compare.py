"""Charts, theme, keyboard and comparison in a real browser: the theme toggle repaints
the charts (read back from the canvas pixels), the hover lists every run that has a
value, the enlarged chart is a modal dialog that Esc closes, tabs follow the arrow keys,
a category axis of the parallel coordinates brushes into an ``in`` clause, and the
comparison marks the cells that differ from the reference run and diffs the recorded
code diffs."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.web.conftest import screenshot
from tests.web.seed import Seeded

TABLE = '[data-view="runs-table"]'

# the themes' --grid colours (web/src/styles.css), as the canvas stores them
LIGHT_GRID = (0xEC, 0xEC, 0xEA)
DARK_GRID = (0x27, 0x2C, 0x31)

COUNT_PIXELS = """(el, rgb) => {
  const c = el.querySelector("canvas");
  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4)
    if (d[i] === rgb[0] && d[i + 1] === rgb[1] && d[i + 2] === rgb[2] && d[i + 3] === 255) n++;
  return n;
}"""


def chart(page: Any, metric: str) -> Any:
    panel = page.locator(f'figure.chart-panel[data-metric="{metric}"]').first
    expect(panel).to_have_attribute("data-loaded", "1")
    return panel


def pixels(panel: Any, rgb: tuple[int, int, int]) -> int:
    return int(panel.locator(".line-chart").evaluate(COUNT_PIXELS, list(rgb)))


def active(page: Any, js: str) -> Any:
    """Evaluate ``js`` (an expression over ``el``) on the focused element."""
    return page.evaluate(f"() => {{ const el = document.activeElement; return {js}; }}")


def test_theme_toggle_repaints_charts_without_refetching(
    browser: Any, server: Any, seeded: Seeded
) -> None:
    context = browser.new_context(
        viewport={"width": 1366, "height": 800}, base_url=server.url, color_scheme="light"
    )
    page = context.new_page()
    try:
        rid = seeded.vision["resnet-lr0.001-bs32"]
        page.goto(f"/p/vision/runs/{rid}?tab=charts")
        loss = chart(page, "train/loss")
        expect(page.locator("html")).to_have_attribute("data-theme", "light")
        assert pixels(loss, LIGHT_GRID) > 200  # the grid, in the light theme's colour
        assert pixels(loss, DARK_GRID) == 0
        light_fg = loss.locator(".line-chart > div").get_attribute("data-axis-stroke")
        screenshot(page, "charts-light")

        fetched: list[str] = []
        page.on("request", lambda r: "/api/v1/series" in r.url and fetched.append(r.url))
        page.get_by_role("button", name="Switch to dark theme").click()
        expect(page.locator("html")).to_have_attribute("data-theme", "dark")
        expect(loss.locator(".line-chart")).to_have_attribute("data-theme-drawn", "dark")
        assert pixels(loss, DARK_GRID) > 200  # repainted: the dark grid...
        assert pixels(loss, LIGHT_GRID) == 0  # ...and nothing of the light one left
        dark_fg = page.evaluate(
            "() => getComputedStyle(document.documentElement).getPropertyValue('--fg').trim()"
        )
        expect(loss.locator(".line-chart > div")).to_have_attribute("data-axis-stroke", dark_fg)
        assert dark_fg != light_fg
        assert fetched == []  # the same data, repainted
        screenshot(page, "charts-dark")

        # the choice is remembered: the system's theme no longer matters
        page.emulate_media(color_scheme="light")
        page.reload()
        expect(page.locator("html")).to_have_attribute("data-theme", "dark")
        assert pixels(chart(page, "train/loss"), DARK_GRID) > 200
    finally:
        context.close()


def test_theme_is_set_before_the_app_runs_and_follows_the_system(browser: Any, server: Any) -> None:
    context = browser.new_context(base_url=server.url, color_scheme="dark")
    page = context.new_page()
    try:
        # without any of the app's JavaScript, index.html's inline script sets the theme:
        # a dark system never sees a light first paint
        page.route(re.compile(r"/assets/.*\.js$"), lambda route: route.abort())
        page.goto("/")
        assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
        assert page.evaluate("() => getComputedStyle(document.body).backgroundColor") == (
            "rgb(21, 24, 27)"
        )
        page.unroute(re.compile(r"/assets/.*\.js$"))
        page.goto("/")
        expect(page.get_by_role("button", name="Switch to light theme")).to_be_visible()
        # no choice made yet: the page follows the system when it changes
        page.emulate_media(color_scheme="light")
        expect(page.locator("html")).to_have_attribute("data-theme", "light")
        expect(page.get_by_role("button", name="Switch to dark theme")).to_be_visible()
        page.emulate_media(color_scheme="dark")
        expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    finally:
        context.close()


def test_hover_lists_every_run_with_a_value_there(page: Any, seeded: Seeded) -> None:
    ids = list(seeded.vision.values())
    page.goto("/p/vision/compare?tab=charts&" + "&".join(f"runs={i}" for i in ids))
    loss = chart(page, "train/loss")
    expect(loss).to_have_attribute("data-series", str(len(ids)))
    tip = loss.get_by_test_id("chart-tooltip")
    box = loss.locator(".u-over").bounding_box()
    # at step ~150 every run but "broken" (it logged step 0 only, then failed) has a value
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(tip).to_have_attribute("data-rows", str(len(ids) - 1))
    expect(tip).not_to_contain_text("broken")  # no stale value of a run that ended
    expect(tip).to_contain_text("diverged")
    values = [float(v) for v in tip.locator(".tooltip-row .num").all_inner_texts()]
    assert values == sorted(values, reverse=True)
    assert tip.locator(".tooltip-row.near").count() <= 1
    # at step 0 all of them
    page.mouse.move(box["x"] + 1, box["y"] + box["height"] / 2)
    expect(tip).to_have_attribute("data-rows", str(len(ids)))
    expect(tip).to_contain_text("broken")
    # near the window's right edge the list opens to the left, inside the window
    right = page.locator("figure.chart-panel").nth(1).locator(".u-over").bounding_box()
    page.mouse.move(right["x"] + right["width"] - 4, right["y"] + 10)
    tip2 = page.locator("figure.chart-panel").nth(1).get_by_test_id("chart-tooltip")
    expect(tip2).to_be_visible()
    t = tip2.bounding_box()
    viewport = page.viewport_size
    assert t["x"] >= 0 and t["x"] + t["width"] <= viewport["width"]
    assert t["y"] >= 0 and t["y"] + t["height"] <= viewport["height"]
    screenshot(page, "chart-hover")


def test_enlarged_chart_is_a_modal_dialog_esc_closes_it(page: Any, seeded: Seeded) -> None:
    rid = seeded.vision["resnet-lr0.01-bs32"]
    page.goto(f"/p/vision/runs/{rid}?tab=charts")
    chart(page, "val/acc")
    opener = page.get_by_role("button", name="Enlarge val/acc")
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="val/acc enlarged")
    expect(dialog).to_be_visible()
    expect(page).to_have_url(re.compile(r"big=val%2Facc"))  # a link opens it too
    expect(dialog.locator("figure.chart-panel")).to_have_attribute("data-loaded", "1")
    # the dialog took the focus, and Tab keeps it inside
    assert active(page, "!!el.closest('dialog')")
    page.keyboard.press("Tab")
    expect(dialog.locator(".line-chart")).to_be_focused()  # the chart itself is focusable
    screenshot(page, "chart-enlarged")

    # on the focused chart: + zooms in, Esc resets the zoom (the dialog stays)
    page.keyboard.press("+")
    expect(page).to_have_url(re.compile("xmin="))
    page.keyboard.press("Escape")
    expect(page).not_to_have_url(re.compile("xmin="))
    expect(dialog).to_be_visible()
    # then Esc closes it and the focus is back on the button that opened it
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(page).not_to_have_url(re.compile("big="))
    expect(opener).to_be_focused()

    # opened from a link: Esc closes it and the focus lands on that chart's button
    page.goto(f"/p/vision/runs/{rid}?tab=charts&big=train%2Floss")
    expect(page.get_by_role("dialog", name="train/loss enlarged")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_role("button", name="Enlarge train/loss")).to_be_focused()


def test_tabs_follow_the_arrow_keys_and_the_url(page: Any, seeded: Seeded) -> None:
    rid = seeded.vision["resnet-lr0.01-bs32"]
    page.goto(f"/p/vision/runs/{rid}")
    tabs = page.get_by_role("tablist", name="Run sections")
    overview = tabs.get_by_role("tab", name="Overview")
    expect(overview).to_have_attribute("aria-selected", "true")
    # one tab stop: only the selected tab is in the Tab order
    expect(tabs.locator('[role="tab"][tabindex="0"]')).to_have_count(1)
    overview.focus()
    page.keyboard.press("ArrowRight")
    charts = tabs.get_by_role("tab", name="Charts")
    expect(charts).to_be_focused()
    expect(charts).to_have_attribute("aria-selected", "true")
    expect(page).to_have_url(re.compile("tab=charts"))
    expect(page.get_by_role("tabpanel")).to_have_attribute("aria-labelledby", "run-tab-charts")
    page.keyboard.press("End")
    last = tabs.locator('[role="tab"]').last
    expect(last).to_be_focused()
    expect(last).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowRight")  # wraps around
    expect(overview).to_be_focused()
    expect(page).not_to_have_url(re.compile("tab="))
    page.keyboard.press("ArrowLeft")
    expect(last).to_be_focused()
    page.keyboard.press("Home")
    expect(overview).to_have_attribute("aria-selected", "true")

    # the comparison's tabs too
    a, b = seeded.vision["resnet-lr0.01-bs32"], seeded.vision["resnet-lr0.01-bs64"]
    page.goto(f"/p/vision/compare?runs={a}&runs={b}")
    config = page.get_by_role("tab", name="Config")
    config.focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Summary")).to_be_focused()
    expect(page).to_have_url(re.compile("tab=summary"))


def test_config_search_and_unusable_x_axis(page: Any, seeded: Seeded) -> None:
    rid = seeded.vision["resnet-lr0.01-bs32"]
    page.goto(f"/p/vision/runs/{rid}?tab=config")
    page.get_by_label("Search config").fill("optim")
    expect(page).to_have_url(re.compile("cq=optim"))
    expect(page.locator('[data-view="config"] tr[data-key]')).to_have_count(2)
    page.reload()
    expect(page.get_by_label("Search config")).to_have_value("optim")
    expect(page.locator('[data-view="config"] tr[data-key]')).to_have_count(2)

    # an x axis these charts do not have (a metric picked elsewhere) falls back to step
    page.goto(f"/p/vision/runs/{rid}?tab=charts&x=system/cpu.percent")
    expect(page.get_by_test_id("x-axis-note")).to_contain_text("system/cpu.percent")
    expect(page.get_by_label("X axis")).to_have_value("step")
    expect(chart(page, "train/loss")).to_have_attribute("data-points", "300")


def test_category_axis_brush_filters_the_table(page: Any) -> None:
    page.goto(
        "/p/vision?view=parallel&axis=config.optimizer.name&axis=config.lr&metric=metrics.val/acc"
    )
    canvas = page.get_by_test_id("parallel-canvas")
    expect(canvas).to_have_attribute("data-axes", "3")
    table = page.locator(TABLE)
    expect(table).to_have_attribute("data-total", "8")
    # the optimizer axis (first, at the left padding): "adam" at the bottom, "sgd" on top
    box = canvas.bounding_box()
    x = box["x"] + 60
    bottom = box["y"] + box["height"] - 28
    page.mouse.move(x, bottom + 8)
    page.mouse.down()
    page.mouse.move(x, bottom - 20, steps=5)
    page.mouse.up()
    expect(page).to_have_url(re.compile(r"brush=%5B%22config\.optimizer\.name%22%2C%22adam%22%5D"))
    expect(table).to_have_attribute("data-total", "3")  # the three adam runs of the grid
    expect(canvas).to_have_attribute("data-highlighted", "3")
    expect(page.locator(".brush-bar")).to_contain_text("config.optimizer.name ∈ {adam}")
    screenshot(page, "parallel-category-brush")
    # the brush is the filter clause `config.optimizer.name in ("adam")`: same runs
    page.goto('/p/vision?q=config.optimizer.name in ("adam")')
    expect(page.locator(TABLE)).to_have_attribute("data-total", "3")


SCRIPT = """
import sys, heron
config = {"lr": float(sys.argv[4]), "batch_size": int(sys.argv[5]), "opt": sys.argv[6]}
run = heron.init(project=sys.argv[2], name=sys.argv[3], dir=sys.argv[1], config=config,
                 system_metrics=False)
for step in range(5):
    run.log({"loss": 1.0 / (step + 1)}, step=step)
if len(sys.argv) > 7:
    run.summary["best_epoch"] = int(sys.argv[7])
run.finish()
print(run.id)
"""


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def test_compare_marks_cells_against_the_reference_and_diffs_code(
    page: Any, seeded: Seeded, tmp_path: Path
) -> None:
    # three runs from a git repository, each with different uncommitted changes
    project = f"cmp-{uuid.uuid4().hex[:6]}"
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(
        repo,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "0",
    )
    train = repo / "train.py"
    train.write_text("".join(f"line {i}\n" for i in range(20)))
    _git(repo, "add", "train.py")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "1")
    ids = []
    specs = [
        ("a", "0.01", "32", "adam", "7", "line 3 is now A"),
        ("b", "0.01", "64", "sgd", "", "line 3 is now B"),
        ("c", "0.1", "32", "adam", "9", "line 3 is now A"),
    ]
    for name, lr, bs, opt, best, change in specs:
        lines = [f"line {i}" for i in range(20)]
        lines[3] = change
        train.write_text("\n".join(lines) + "\n")
        args = [str(seeded.folder), project, name, lr, bs, opt] + ([best] if best else [])
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(SCRIPT), *args],
            cwd=repo,
            check=True,
            timeout=120,
            capture_output=True,
            text=True,
        )
        ids.append(done.stdout.strip().splitlines()[-1])
    ids_by_name = dict(zip("abc", ids, strict=True))
    page.goto(f"/p/{project}/compare?" + "&".join(f"runs={i}" for i in ids))
    diff = page.locator('[data-view="diff"]')

    def marks(key: str) -> list[bool]:
        cells = diff.locator(f'tr[data-key="{key}"] td:not(.key)')
        return [c.get_attribute("data-differs") == "1" for c in cells.all()]

    def heads() -> list[str]:
        return [h.get_attribute("data-run-id") for h in diff.locator("th[data-run-id]").all()]

    # against run a (the first): cells, not whole rows
    expect(diff).to_have_attribute("data-differing", "3", timeout=15_000)
    assert heads() == ids
    assert marks("lr") == [False, False, True]
    assert marks("batch_size") == [False, True, False]
    assert marks("opt") == [False, True, False]
    screenshot(page, "compare-cells")
    # pick b as the reference: it moves first and the marks follow it
    page.get_by_label("Reference run").select_option(ids_by_name["b"])
    expect(page).to_have_url(re.compile(f"ref={ids_by_name['b']}"))
    expect(diff.locator("th[data-run-id]").first).to_have_attribute("data-run-id", ids_by_name["b"])
    assert marks("lr") == [False, False, True]  # b, a, c
    assert marks("batch_size") == [False, True, True]
    assert marks("opt") == [False, True, True]

    # the summary shows run.summary's values, as the run page does
    page.get_by_role("tab", name="Summary").click()
    best = page.locator('[data-view="summary-compare"] tr[data-key="best_epoch"] td.num')
    expect(best).to_have_count(3)
    assert best.all_inner_texts()[0].strip() == "–"  # b set none
    assert best.nth(1).get_attribute("data-override") == "1"

    # the code: each run's recorded diff, loaded when asked for
    page.get_by_role("tab", name="Environment & code").click()
    page.get_by_role("button", name="Show recorded diffs").click()
    code = page.locator('[data-view="code-diffs"]')
    expect(code).to_have_attribute("data-loaded", "1")
    columns = code.locator(".diff-column")
    expect(columns).to_have_count(3)
    expect(columns.nth(0)).to_contain_text("+line 3 is now B")
    expect(columns.nth(1)).to_contain_text("+line 3 is now A")
    screenshot(page, "compare-code-diffs")

    # exactly two runs: a unified diff of the two diffs
    page.goto(
        f"/p/{project}/compare?tab=environment&runs={ids_by_name['a']}&runs={ids_by_name['b']}"
    )
    page.get_by_role("button", name="Show recorded diffs").click()
    unified = page.get_by_test_id("diff-of-diffs")
    expect(unified).to_contain_text("-+line 3 is now A")
    expect(unified).to_contain_text("++line 3 is now B")
    page.get_by_role("button", name="Side by side").click()
    expect(page.locator(".diff-column")).to_have_count(2)
    # same changes: said so
    page.goto(
        f"/p/{project}/compare?tab=environment&runs={ids_by_name['a']}&runs={ids_by_name['c']}"
    )
    page.get_by_role("button", name="Show recorded diffs").click()
    expect(page.get_by_test_id("diffs-same")).to_be_visible()
