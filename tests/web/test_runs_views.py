"""Projects page, runs table (filter, sort, columns, grouping, bulk tag), parallel
coordinates and scatter, in a real browser against a real server."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.web.conftest import screenshot
from tests.web.seed import Seeded

TABLE = '[data-view="runs-table"]'


def ready_table(page: Any) -> Any:
    table = page.locator(TABLE)
    expect(table).to_have_attribute("data-ready", "1")
    return table


def first_row_names(page: Any, n: int) -> list[str]:
    rows = page.locator(f'{TABLE} [role="row"][data-run-id]')
    expect(rows.first).to_be_visible()
    return [rows.nth(i).locator('[data-col="name"]').inner_text() for i in range(n)]


def test_projects_page_lists_projects_with_run_counts_and_searches(page: Any) -> None:
    page.goto("/")
    vision = page.locator('tr[data-project="vision"]')
    expect(vision).to_contain_text("8")
    expect(page.locator('tr[data-project="nlp"]')).to_contain_text("2")
    screenshot(page, "projects")
    page.get_by_label("Search projects").fill("vis")
    expect(page.locator("tr[data-project]")).to_have_count(1)
    expect(page).to_have_url(re.compile("q=vis"))  # the search is part of the shareable URL
    vision.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/p/vision$"))
    expect(ready_table(page)).to_have_attribute("data-total", "8")


def test_filter_sort_and_inline_filter_errors(page: Any, seeded: Seeded) -> None:
    page.goto("/p/vision")
    table = ready_table(page)
    expect(table).to_have_attribute("data-total", "8")

    box = page.get_by_label("Filter runs")
    box.fill("config.lr < 0.05")
    box.press("Enter")
    expect(table).to_have_attribute("data-total", "4")
    expect(page).to_have_url(re.compile(r"q=config\.lr"))

    # numbers sort as numbers: batch size 32 before 64 ascending, both lrs ordered
    page.locator('[data-col="config.lr"] button').click()  # descending first
    expect(table).to_have_attribute("data-sort", "-config.lr")
    expect(table).to_have_attribute("data-ready", "1")
    assert all("lr0.01-" in n for n in first_row_names(page, 2))
    page.locator('[data-col="config.lr"] button').click()
    expect(table).to_have_attribute("data-sort", "config.lr")
    expect(table).to_have_attribute("data-ready", "1")
    assert all("lr0.001-" in n for n in first_row_names(page, 2))
    screenshot(page, "runs-table")

    # a bad filter is shown inline; the table keeps what it had
    box.fill("config.lr <")
    box.press("Enter")
    error = page.get_by_test_id("filter-error")
    expect(error).to_be_visible()
    expect(error).not_to_be_empty()
    expect(page.locator(f"{TABLE} [data-run-id]").first).to_be_visible()

    # back restores the previous (valid) filter
    page.go_back()
    expect(error).to_be_hidden()
    expect(table).to_have_attribute("data-total", "4")

    # quick filter on state
    page.get_by_label("Filter runs").fill("")
    page.get_by_label("Filter runs").press("Enter")
    page.get_by_role("button", name="failed", exact=True).click()
    expect(table).to_have_attribute("data-total", "1")
    expect(page.locator(f'{TABLE} [data-run-id="{seeded.failed_run}"]')).to_be_visible()


def test_sort_by_metric_and_keyboard_open(page: Any, seeded: Seeded) -> None:
    page.goto("/p/vision?sort=metrics.train/loss")
    table = ready_table(page)
    # lowest final loss first; the run with a single point (1.0) is last among them
    names = first_row_names(page, 8)
    assert names[-1] == "broken"
    page.locator(f"{TABLE} .scroller").focus()
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/runs/{seeded.failed_run}"))
    expect(page.get_by_test_id("end-reason")).to_contain_text("shapes do not match")
    assert table  # the table was there before navigating


def test_column_picker_and_grouping(page: Any) -> None:
    page.goto("/p/vision")
    ready_table(page)
    page.get_by_test_id("columns-button").click()
    page.get_by_role("dialog").get_by_placeholder("Search keys").fill("momentum")
    column = page.locator('.thead [data-col="config.optimizer.momentum"]')
    expect(column).to_be_visible()  # one of the default columns
    page.get_by_role("dialog").get_by_role("checkbox").first.uncheck()
    page.get_by_role("button", name="Done").click()
    expect(column).to_have_count(0)
    expect(page).to_have_url(re.compile("cc=1"))  # the pick is in the URL
    page.reload()
    expect(ready_table(page).locator('.thead [data-col="config.lr"]')).to_be_visible()
    expect(column).to_have_count(0)

    page.get_by_label("Group by").select_option("config.lr")
    groups = page.locator('[data-view="groups"]')
    expect(groups).to_have_attribute("data-groups", "5")  # 0.001 0.01 0.1 0.5 1.0
    expect(groups.locator('tr[data-group="0.01"] [data-count]')).to_have_text("2")
    screenshot(page, "runs-grouped")
    groups.get_by_role("button", name="0.01").click()
    expect(ready_table(page)).to_have_attribute("data-total", "2")


def test_bulk_tag_selected_runs(page: Any, seeded: Seeded) -> None:
    page.goto("/p/nlp")
    ready_table(page)
    for rid in seeded.nlp.values():
        page.locator(f'[data-run-id="{rid}"] input[type="checkbox"]').check()
    bar = page.get_by_role("toolbar", name="Selected runs")
    expect(bar).to_have_attribute("data-selected", "2")
    bar.get_by_label("Tag for the selected runs").fill("reviewed")
    bar.get_by_role("button", name="Add tag").click()
    expect(bar).to_contain_text("Tagged 2 runs")
    for rid in seeded.nlp.values():
        expect(page.locator(f'[data-run-id="{rid}"] [data-col="tags"]')).to_contain_text("reviewed")
    # the new tag becomes a quick filter at once (tags come from the whole project)
    page.locator(".tag-chip", has_text="#reviewed").click()
    expect(ready_table(page)).to_have_attribute("data-total", "2")


def test_parallel_coordinates_brush_filters_the_table(page: Any) -> None:
    page.goto(
        "/p/vision?view=parallel&axis=config.lr&axis=config.batch_size&metric=metrics.val/acc"
    )
    canvas = page.get_by_test_id("parallel-canvas")
    expect(canvas).to_have_attribute("data-lines", "8")
    expect(canvas).to_have_attribute("data-axes", "3")
    table = ready_table(page)
    screenshot(page, "parallel-coordinates")
    # brush the bottom fifth of the lr axis (the first axis, at the left padding)
    box = canvas.bounding_box()
    x = box["x"] + 60
    top = box["y"] + 28
    bottom = box["y"] + box["height"] - 28
    page.mouse.move(x, bottom + 2)
    page.mouse.down()
    page.mouse.move(x, bottom - (bottom - top) * 0.2, steps=5)
    page.mouse.up()
    expect(page).to_have_url(re.compile("brush=config.lr"))
    # lr in [0, ~0.2]: the six grid runs, not lr 0.5 or 1.0
    expect(table).to_have_attribute("data-total", "6")
    expect(canvas).to_have_attribute("data-highlighted", "6")
    page.get_by_role("button", name="Clear brushes").click()
    expect(table).to_have_attribute("data-total", "8")


def test_scatter_plots_a_config_value_against_a_metric(page: Any) -> None:
    page.goto("/p/vision?view=scatter&sx=config.lr&sy=metrics.train/loss")
    canvas = page.get_by_test_id("scatter-canvas")
    expect(canvas).to_have_attribute("data-points", "8")
    page.get_by_label("Y", exact=True).select_option("metrics.val/acc")
    expect(canvas).to_have_attribute("data-points", "7")  # the failed run has no val/acc
    screenshot(page, "scatter")
