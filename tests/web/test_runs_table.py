"""The runs table's states (loading, error, empty, no match), column choices kept per
project, links back to the table, the keyboard and the popovers, in a real browser
against a real server."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote, urlencode

from playwright.sync_api import expect

from tests.server.conftest import LiveServer
from tests.web.conftest import screenshot
from tests.web.runs_api import create_runs
from tests.web.seed import Seeded

TABLE = '[data-view="runs-table"]'
PROBLEM = {"content_type": "application/problem+json"}


def table_state(page: Any, state: str) -> Any:
    table = page.locator(TABLE)
    expect(table).to_have_attribute("data-state", state)
    return table


def test_loading_then_error_with_retry(page: Any) -> None:
    body = json.dumps({"title": "Store error", "status": 503, "detail": "the database is down"})
    mode = "hold"
    held: list[Any] = []

    def table_route(route: Any) -> None:
        if mode == "hold":
            held.append(route)  # no answer yet: the page waits for its first rows
        elif mode == "fail":
            route.fulfill(status=503, body=body, **PROBLEM)
        else:
            route.continue_()

    page.route("**/api/v1/runs/table", table_route)
    page.goto("/p/vision")
    table = table_state(page, "loading")  # skeleton rows under the real headers
    expect(table.get_by_role("status", name="Loading runs")).to_be_visible()
    expect(table.locator('.thead [data-col="name"]')).to_be_visible()
    expect(table.locator(".skeleton-rows .tr")).to_have_count(8)
    screenshot(page, "runs-loading")

    # the first page fails: an error box with the server's message and Retry
    mode = "fail"
    for route in held:
        route.fulfill(status=503, body=body, **PROBLEM)
    table_state(page, "error")
    error = page.get_by_test_id("table-error")
    expect(error).to_contain_text("the database is down")
    screenshot(page, "runs-error")
    mode = "pass"
    error.get_by_role("button", name="Retry").click()
    expect(table_state(page, "rows")).to_have_attribute("data-total", "8")


def test_empty_project_and_no_match_states(page: Any) -> None:
    page.goto("/p/nothing-here")
    table_state(page, "empty")
    empty = page.get_by_test_id("no-runs")
    expect(empty).to_contain_text("No runs in this project yet")
    expect(empty.locator("pre")).to_contain_text('heron.init(project="nothing-here")')
    expect(empty.locator("pre")).to_contain_text("run.log(")
    expect(page.get_by_test_id("keys-error")).to_have_count(0)  # no keys yet is no error
    screenshot(page, "runs-empty-project")

    page.goto("/p/vision?state=running&q=" + quote("config.lr > 100"))
    table_state(page, "no-match")
    no_match = page.get_by_test_id("no-match")
    expect(no_match).to_contain_text("No run matches this filter")
    screenshot(page, "runs-no-match")
    no_match.get_by_role("button", name="Clear filter").click()
    expect(table_state(page, "rows")).to_have_attribute("data-total", "8")
    assert "q=" not in page.url and "state=" not in page.url


def test_keys_that_fail_to_load_are_shown_with_retry(page: Any) -> None:
    body = {"title": "Internal server error", "status": 500, "detail": "keys exploded"}
    page.route(
        "**/api/v1/projects/vision/keys",
        lambda route: route.fulfill(status=500, body=json.dumps(body), **PROBLEM),
    )
    page.goto("/p/vision")
    notice = page.get_by_test_id("keys-error")
    expect(notice).to_contain_text("keys exploded")
    expect(page.get_by_test_id("columns-button")).to_be_disabled()
    page.unroute("**/api/v1/projects/vision/keys")
    notice.get_by_role("button", name="Retry").click()
    expect(notice).to_have_count(0)
    expect(page.get_by_test_id("columns-button")).to_be_enabled()


def pick_columns(page: Any, search: str) -> None:
    """Untick the first column the search finds, then close the picker."""
    page.get_by_test_id("columns-button").click()
    dialog = page.get_by_role("dialog", name="Choose columns")
    dialog.get_by_placeholder("Search keys").fill(search)
    dialog.get_by_role("checkbox").first.click()
    dialog.get_by_role("button", name="Done").click()
    expect(dialog).to_have_count(0)


def test_column_choice_is_kept_per_project(page: Any, seeded: Seeded) -> None:
    momentum = '.thead [data-col="config.optimizer.momentum"]'
    page.goto("/p/vision")
    table_state(page, "rows")
    expect(page.locator(momentum)).to_be_visible()  # a default column
    pick_columns(page, "momentum")
    expect(page.locator(momentum)).to_have_count(0)

    # another project keeps its own columns
    page.goto("/p/nlp")
    table_state(page, "rows")
    expect(page.locator('.thead [data-col="metrics.loss"]')).to_be_visible()
    pick_columns(page, "loss")
    expect(page.locator('.thead [data-col="metrics.loss"]')).to_have_count(0)

    # back to a bare link: the last pick comes back, and into the URL (shareable)
    page.goto("/p/vision")
    table_state(page, "rows")
    expect(page.locator('.thead [data-col="config.lr"]')).to_be_visible()
    expect(page.locator(momentum)).to_have_count(0)
    expect(page).to_have_url(re.compile(r"cc=1"))
    # a link that names its columns wins over the saved pick
    page.goto("/p/vision?cc=1&col=config.optimizer.momentum")
    table_state(page, "rows")
    expect(page.locator(momentum)).to_be_visible()
    expect(page.locator('.thead [data-col="config.lr"]')).to_have_count(0)
    page.goto("/p/nlp")
    expect(page.locator('.thead [data-col="config.lr"]')).to_be_visible()
    expect(page.locator('.thead [data-col="metrics.loss"]')).to_have_count(0)

    # Defaults forgets the pick
    page.get_by_test_id("columns-button").click()
    page.get_by_role("dialog").get_by_role("button", name="Defaults").click()
    page.goto("/p/nlp")
    expect(page.locator('.thead [data-col="metrics.loss"]')).to_be_visible()


def test_links_back_to_the_table_keep_its_query(page: Any, seeded: Seeded) -> None:
    query = urlencode({"q": "config.lr < 0.05", "sort": "name"})  # as the browser writes it
    page.goto(f"/p/vision?{query}")
    expect(table_state(page, "rows")).to_have_attribute("data-total", "4")
    run_id = seeded.vision["resnet-lr0.001-bs32"]
    page.locator(f'{TABLE} [data-run-id="{run_id}"] [data-col="name"] a').click()
    expect(page).to_have_url(re.compile(rf"/runs/{run_id}"))
    crumb = page.get_by_role("navigation", name="breadcrumb").get_by_role("link", name="vision")
    expect(crumb).to_have_attribute("href", f"/p/vision?{query}")
    page.get_by_role("link", name="Back to runs").click()
    expect(page).to_have_url(re.compile(r"/p/vision\?q=config\.lr"))
    expect(table_state(page, "rows")).to_have_attribute("data-total", "4")
    expect(page.locator(TABLE)).to_have_attribute("data-sort", "name")


def test_slash_focuses_the_filter_and_escape_leaves_it(page: Any) -> None:
    page.goto("/p/vision")
    table = table_state(page, "rows")
    scroller = table.locator(".scroller")
    box = page.get_by_label("Filter runs")
    page.locator("h1").click()  # focus nowhere in particular
    page.keyboard.press("/")
    expect(box).to_be_focused()
    expect(box).to_have_value("")  # the slash is not typed into it
    page.keyboard.type("config.lr < 0.05")
    page.keyboard.press("Enter")
    expect(table).to_have_attribute("data-total", "4")
    # "/" inside the box is just a character; Esc drops the edit and leaves
    page.keyboard.type(" / typo")
    page.keyboard.press("Escape")
    expect(box).to_have_value("config.lr < 0.05")
    expect(scroller).to_be_focused()
    # from the table, "/" jumps back to the filter
    page.keyboard.press("ArrowDown")
    page.keyboard.press("/")
    expect(box).to_be_focused()


def test_active_row_is_announced_and_resets_with_the_query(page: Any) -> None:
    page.goto("/p/vision")
    table = table_state(page, "rows")
    scroller = table.locator(".scroller")
    scroller.focus()
    expect(scroller).to_have_attribute("aria-activedescendant", "runs-row-0")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(scroller).to_have_attribute("aria-activedescendant", "runs-row-2")
    expect(page.locator("#runs-row-2")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#runs-row-0")).to_have_attribute("aria-selected", "false")
    page.locator('.thead [data-col="name"] button').click()  # another sort: another query
    expect(table).to_have_attribute("data-sort", "-name")
    expect(scroller).to_have_attribute("aria-activedescendant", "runs-row-0")
    # the tags column cannot be sorted, and does not pretend to
    tags = page.locator('.thead [data-col="tags"]')
    expect(tags.get_by_role("button")).to_have_count(0)
    expect(tags).not_to_have_attribute("aria-sort", re.compile(".*"))
    expect(tags).to_have_attribute("title", re.compile("not sortable"))


def test_column_picker_closes_on_escape_and_outside_click(page: Any) -> None:
    page.goto("/p/vision")
    table_state(page, "rows")
    button = page.get_by_test_id("columns-button")
    dialog = page.get_by_role("dialog", name="Choose columns")
    button.click()
    expect(dialog.get_by_placeholder("Search keys")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(button).to_be_focused()  # the focus comes back to where it was
    button.click()
    expect(dialog).to_be_visible()
    page.locator("h1").click()
    expect(dialog).to_have_count(0)


def test_tag_chips_beyond_twelve_are_behind_more(page: Any, server: LiveServer) -> None:
    tags = [f"tag-{i:02d}" for i in range(16)]
    create_runs(server.url, "tagged", [{"name": f"r{i}", "tags": [t]} for i, t in enumerate(tags)])
    page.goto("/p/tagged")
    table = table_state(page, "rows")
    expect(page.locator(".tag-chip")).to_have_count(12)
    more = page.get_by_test_id("more-tags")
    expect(more).to_have_text("more… (4)")
    more.click()
    popover = page.get_by_role("dialog", name="More tags")
    popover.get_by_label("Search tags").fill("15")
    expect(popover.get_by_role("button")).to_have_count(1)
    screenshot(page, "runs-more-tags")
    popover.get_by_role("button", name="#tag-15").click()
    expect(popover).to_have_count(0)
    expect(page).to_have_url(re.compile("tag=tag-15"))
    expect(table).to_have_attribute("data-total", "1")
    # the active tag now has a chip of its own
    expect(page.locator(".tag-chip.on")).to_have_text("#tag-15")
    expect(page.locator(".tag-chip")).to_have_count(12)
