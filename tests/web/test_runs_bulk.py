"""Selecting every run that matches a filter (more than the table has loaded) and the
bulk actions on it, in a real browser against a real server; the store says what
changed."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from heron.errors import NotFound
from tests.server.conftest import LiveServer
from tests.web.conftest import screenshot
from tests.web.runs_api import create_runs, store_at
from tests.web.seed import Seeded

TABLE = '[data-view="runs-table"]'
MATCHING = 250  # more than the table's first page (100)
OTHERS = 40


def bar(page: Any) -> Any:
    return page.locator(".bulk-bar")


BULK_MS = 60_000  # a bulk change of every matching run, answered


def test_select_all_matching_and_tag_them_all(
    page: Any, server: LiveServer, seeded: Seeded
) -> None:
    specs = [{"name": f"train-{i}", "config": {"split": "train", "i": i}} for i in range(MATCHING)]
    specs += [{"name": f"hold-{i}", "config": {"split": "holdout", "i": i}} for i in range(OTHERS)]
    create_runs(server.url, "bulk", specs)

    page.goto("/p/bulk?q=" + quote('config.split = "train"'))
    table = page.locator(TABLE)
    expect(table).to_have_attribute("data-ready", "1")
    expect(table).to_have_attribute("data-total", str(MATCHING))
    # the header checkbox selects the loaded rows (one page), then offers all matching
    page.get_by_label("Select all loaded runs").check()
    expect(bar(page)).to_have_attribute("data-selected", "100")
    offer = page.get_by_test_id("select-all-matching")
    expect(offer).to_contain_text("All 100 runs loaded so far are selected")
    offer.get_by_role("button", name=f"Select all {MATCHING} runs matching this filter").click()
    expect(bar(page)).to_have_attribute("data-all", "1")
    expect(bar(page)).to_have_attribute("data-selected", str(MATCHING))
    expect(page).to_have_url(re.compile(r"[?&]all=1"))  # a flag, not 250 ids
    assert "sel=" not in page.url
    expect(page.get_by_label("Select all loaded runs")).to_be_checked()
    screenshot(page, "runs-select-all-matching")

    # the mode survives a reload (it is in the URL with the filter)
    page.reload()
    expect(bar(page)).to_have_attribute("data-selected", str(MATCHING))

    # one request tags every matching run, loaded or not
    bar(page).get_by_label("Tag for the selected runs").fill("bulk-a")
    bar(page).get_by_role("button", name="Add tag").click()
    # one request that changes 250 runs: on a busy machine it takes longer than
    # playwright's default 5 s, so wait for its answer explicitly
    expect(bar(page)).to_contain_text(f"Tagged {MATCHING} runs “bulk-a”.", timeout=BULK_MS)

    # untick one loaded row: all matching less one
    rows = page.locator(f"{TABLE} [data-run-id]")
    excluded = rows.first.get_attribute("data-run-id")
    rows.first.locator('input[type="checkbox"]').uncheck()
    expect(bar(page)).to_have_attribute("data-selected", str(MATCHING - 1))
    expect(page).to_have_url(re.compile(rf"ex={excluded}"))
    expect(page.get_by_label("Select all loaded runs")).not_to_be_checked()
    bar(page).get_by_label("Tag for the selected runs").fill("bulk-b")
    bar(page).get_by_role("button", name="Add tag").click()
    expect(bar(page)).to_contain_text(f"Tagged {MATCHING - 1} runs “bulk-b”.", timeout=BULK_MS)

    # compare is for 2..100 runs: refused with a hint, nothing navigates
    compare = bar(page).get_by_role("button", name="Compare")
    expect(compare).to_be_disabled()
    expect(compare).to_have_attribute("title", re.compile(r"2 to 100 runs, not 249"))
    compare.click(force=True)  # aria-disabled: still focusable, and says why
    expect(bar(page).get_by_role("status")).to_contain_text("narrow the filter")
    expect(page).to_have_url(re.compile(r"/p/bulk\?"))

    with store_at(seeded.folder) as store:
        tagged_a = store.search_runs("bulk", 'tags has "bulk-a"')
        tagged_b = store.search_runs("bulk", 'tags has "bulk-b"')
        holdout = store.search_runs("bulk", 'config.split = "holdout"')
    assert len(tagged_a) == MATCHING
    assert all(r.config["split"] == "train" for r in tagged_a)
    assert len(tagged_b) == MATCHING - 1 and excluded not in {r.id for r in tagged_b}
    assert len(holdout) == OTHERS and not any(r.tags for r in holdout)

    # a new filter ends the all-matching selection (it meant the old filter's runs)
    box = page.get_by_label("Filter runs")
    box.fill('config.split = "holdout"')
    box.press("Enter")
    expect(page.locator(TABLE)).to_have_attribute("data-total", str(OTHERS))
    expect(bar(page)).to_have_attribute("data-selected", "0")
    assert "all=1" not in page.url


def test_bulk_delete_offers_force_for_a_running_run(
    page: Any, server: LiveServer, seeded: Seeded
) -> None:
    (done,) = create_runs(server.url, "bulkdel", [{"name": "ended"}])
    (running,) = create_runs(server.url, "bulkdel", [{"name": "still-going"}], finished=False)
    page.goto("/p/bulkdel")
    table = page.locator(TABLE)
    expect(table).to_have_attribute("data-total", "2")
    # ticked in quick succession: the bar keeps its place, so the rows do not move
    for run_id in (done, running):
        page.locator(f'[data-run-id="{run_id}"] input[type="checkbox"]').check()
    expect(bar(page)).to_have_attribute("data-selected", "2")
    bar(page).get_by_role("button", name="Delete…").click()
    confirm = bar(page).get_by_role("group", name="Confirm delete")
    expect(confirm).to_contain_text("Delete 2 runs and their data? 1 is still running")
    screenshot(page, "runs-delete-force")
    # nothing is gone before the confirmation
    with store_at(seeded.folder) as store:
        assert store.get_run(running).state == "running"
    confirm.get_by_role("button", name="Force delete 2 runs").click()
    expect(page.get_by_role("status").filter(has_text="Deleted 2 runs.")).to_be_visible()
    expect(table).to_have_attribute("data-state", "empty")
    with store_at(seeded.folder) as store:
        for run_id in (done, running):
            with pytest.raises(NotFound):
                store.get_run(run_id)
