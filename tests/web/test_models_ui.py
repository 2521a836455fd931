"""The model registry pages: the models list, a model's versions, promoting and rolling
back from the UI (with the history and stage badges following), the refusal shown when
there is nothing to roll back to, and comparing two versions.

A store of its own (``seed_models``), so the promotions here never touch the runs that
the other browser tests count; the ``server`` fixture is overridden for this module.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.server.conftest import LiveServer, free_port
from tests.web.conftest import screenshot
from tests.web.seed_models import EMPTY_MODEL, MODEL, SeededModels, seed_models


@pytest.fixture(scope="module")
def models_seeded(tmp_path_factory: pytest.TempPathFactory) -> SeededModels:
    return seed_models(tmp_path_factory.mktemp("web-models") / "store")


@pytest.fixture(scope="module")
def server(ui_ready: None, models_seeded: SeededModels) -> Iterator[LiveServer]:
    folder = models_seeded.folder
    live = LiveServer(str(folder), str(folder / "blobs"), free_port(), folder.parent / "server.log")
    live.start()
    yield live
    live.stop()


def version_row(page: Any, version: int) -> Any:
    return page.locator(f'table.versions-table tr[data-version="{version}"]')


def history(server: LiveServer) -> list[dict[str, Any]]:
    answer = httpx.get(f"{server.url}/api/v1/models/{MODEL}/history")
    answer.raise_for_status()
    entries: list[dict[str, Any]] = answer.json()
    return entries


def test_models_list_search_and_empty_states(page: Any) -> None:
    page.goto("/")
    page.get_by_role("link", name="Models", exact=True).click()
    expect(page).to_have_url(re.compile(r"/models$"))
    table = page.locator("table.models-table")
    expect(table).to_have_attribute("data-count", "2")
    churn = table.locator(f'tr[data-model="{MODEL}"]')
    expect(churn).to_contain_text("Predicts which customers cancel next month")
    expect(churn).to_contain_text("team: growth")
    expect(churn).to_contain_text("v3")  # latest
    expect(churn.locator('[data-holders="production"]')).to_have_text("v1")
    expect(churn.locator('[data-holders="staging"]')).to_have_text("v2")
    expect(churn.locator('[data-alias="champion"]')).to_be_visible()
    fraud = table.locator(f'tr[data-model="{EMPTY_MODEL}"]')
    expect(fraud).to_contain_text("none")
    screenshot(page, "models-list")

    # the search narrows by tag, keeps the query in the URL, and says when nothing matches
    page.get_by_label("Search models").fill("risk")
    expect(table).to_have_attribute("data-count", "1")
    expect(table.locator("tbody tr")).to_have_attribute("data-model", EMPTY_MODEL)
    expect(page).to_have_url(re.compile(r"q=risk"))
    page.get_by_label("Search models").fill("no-such-model")
    expect(page.get_by_text("No model matches")).to_be_visible()

    # a model without versions says how to register one
    page.goto(f"/models/{EMPTY_MODEL}")
    expect(page.get_by_text("No versions yet")).to_be_visible()
    expect(page.get_by_text("No transitions yet")).to_be_visible()


def test_unknown_model_shows_the_servers_error(page: Any) -> None:
    page.goto("/models/does-not-exist")
    expect(page.get_by_role("alert")).to_contain_text("does-not-exist")


def test_promote_and_roll_back_from_the_ui(
    page: Any, server: LiveServer, models_seeded: SeededModels
) -> None:
    page.goto("/models")
    page.get_by_role("link", name=MODEL).click()
    expect(page.locator("table.versions-table")).to_have_attribute("data-count", "3")
    expect(version_row(page, 1).locator("[data-stage]")).to_have_text("production")
    expect(version_row(page, 2).locator("[data-stage]")).to_have_text("staging")
    # the source run links to its run page, with its key metric beside it
    run_link = version_row(page, 2).get_by_role("link", name=models_seeded.run_names[2])
    expect(run_link).to_have_attribute("href", f"/p/shop/runs/{models_seeded.runs[2]}")
    expect(version_row(page, 2).locator('td[data-metric="val/auc"]')).not_to_have_text("–")
    screenshot(page, "model-page")

    # promote v2 to production with a reason; v1 is archived (the checkbox defaults on)
    before = len(history(server))
    page.get_by_role("button", name="Move v2 to production").click()
    dialog = page.get_by_role("dialog", name="Move v2 to production")
    expect(dialog.get_by_label("Archive the version(s) now in production")).to_be_checked()
    dialog.get_by_label("Reason").fill("beats v1 on auc")
    screenshot(page, "model-promote-dialog")
    dialog.get_by_role("button", name="Promote to production").click()
    expect(dialog).to_be_hidden()
    expect(version_row(page, 2)).to_have_attribute("data-stage", "production")
    expect(version_row(page, 1)).to_have_attribute("data-stage", "archived")
    expect(page.locator('.holders [data-holders="production"]')).to_have_text("v2")
    timeline = page.locator('[data-view="history"]')
    newest = timeline.locator("li").first
    expect(newest).to_contain_text("v1")  # the auto-archive is the newest entry
    expect(newest).to_contain_text("auto-archived")
    promoted = timeline.locator("li").nth(1)
    expect(promoted).to_contain_text("v2")
    expect(promoted).to_contain_text("staging → production")
    expect(promoted).to_contain_text("beats v1 on auc")
    entries = history(server)
    assert len(entries) == before + 2
    assert (entries[-2]["version"], entries[-2]["to_value"], entries[-2]["reason"]) == (
        2,
        "production",
        "beats v1 on auc",
    )
    screenshot(page, "model-promoted")

    # roll production back: v1 returns, v2 is archived, both entries marked as a rollback
    rollback = page.locator('[data-rollback-target="production"]')
    expect(rollback).to_contain_text("v2 → v1")
    rollback.get_by_role("button", name="Roll back production").click()
    dialog = page.get_by_role("dialog", name="Roll back production")
    dialog.get_by_label("Reason").fill("canary error rate up")
    dialog.get_by_role("button", name="Roll back").click()
    expect(dialog).to_be_hidden()
    expect(version_row(page, 1)).to_have_attribute("data-stage", "production")
    expect(version_row(page, 2)).to_have_attribute("data-stage", "archived")
    expect(page.locator('.holders [data-holders="production"]')).to_have_text("v1")
    rolled = timeline.locator('li[data-rollback="1"]')
    expect(rolled).to_have_count(2)
    expect(rolled.first).to_contain_text("v1")
    expect(rolled.first).to_contain_text("archived → production")
    expect(rolled.first).to_contain_text("canary error rate up")
    entries = history(server)
    assert [e["rollback_of"] is not None for e in entries[-2:]] == [True, True]
    assert entries[-1]["version"] == 1 and entries[-1]["to_value"] == "production"
    screenshot(page, "model-rolled-back")

    # nothing further back: the server's 409 is shown in the dialog and nothing changes
    expect(rollback).to_contain_text("nothing earlier")
    rollback.get_by_role("button", name="Roll back production").click()
    dialog = page.get_by_role("dialog", name="Roll back production")
    dialog.get_by_role("button", name="Roll back").click()
    error = dialog.get_by_role("alert")
    expect(error).to_have_attribute("data-status", "409")
    expect(error).to_contain_text("nothing to roll back to")
    screenshot(page, "model-rollback-refused")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert len(history(server)) == len(entries)


def test_compare_two_versions(page: Any) -> None:
    page.goto(f"/models/{MODEL}")
    compare = page.get_by_role("button", name=re.compile("^Compare"))
    expect(compare).to_be_disabled()
    page.get_by_label("Select v2 to compare").check()
    page.get_by_label("Select v1 to compare").check()
    expect(compare).to_have_text("Compare v1 and v2")
    compare.click()
    expect(page).to_have_url(re.compile(rf"/models/{MODEL}/compare\?a=1&b=2$"))
    diff = page.locator('[data-view="diff"]')
    expect(diff).to_have_attribute("data-differing", "3")  # lr, depth, features.region
    expect(diff).to_have_attribute("data-same", "1")
    expect(diff.locator('tr[data-key="depth"]')).to_contain_text("6")
    auc = page.locator('[data-view="summary-compare"] tr[data-key="val/auc"]')
    expect(auc.locator("td[data-best]")).to_have_count(1)
    expect(auc.locator("td").nth(2)).to_have_attribute("data-best", "1")  # v2's auc is higher
    screenshot(page, "model-compare")

    # the pickers rewrite the shareable URL
    page.get_by_label("Second version").select_option("3")
    expect(page).to_have_url(re.compile(r"a=1&b=3"))
    expect(page.locator('[data-version-card="3"]')).to_be_visible()
    page.get_by_role("button", name="Switch to dark theme").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    screenshot(page, "model-compare-dark")
