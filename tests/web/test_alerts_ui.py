"""The alerts bell and page in a real browser, over a real ``heron server`` of its own
(a fresh store: the shared seeded server's projects stay as other tests expect).
A NaN shipped to the server raises an alert; the bell counts it; the page lists it,
marks it read (the bell goes quiet) and edits rules."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from heron import wire
from tests.server.conftest import LiveServer, free_port
from tests.store.helpers import batch
from tests.web.conftest import screenshot

RUN = "alertrun01"


@pytest.fixture
def live(ui_ready: None, tmp_path: Path) -> Iterator[LiveServer]:
    folder = tmp_path / "store"
    server = LiveServer(str(folder), str(folder / "blobs"), free_port(), tmp_path / "server.log")
    server.start()
    yield server
    server.stop()


def _ship(url: str, seq: int, **metrics: list[float]) -> None:
    events = [{"type": "create", "spec": {"id": RUN, "project": "watch"}}] if seq == 1 else []
    body = wire.encode_batch(batch(RUN, seq, events, **metrics))  # type: ignore[arg-type]
    answer = httpx.post(
        f"{url}/api/v1/runs/{RUN}/batches",
        content=body,
        headers={"content-type": wire.BATCH_CONTENT_TYPE},
    )
    assert answer.status_code == 200, answer.text


def test_the_bell_counts_a_nan_alert_and_the_page_reads_it(browser: Any, live: LiveServer) -> None:
    api = f"{live.url}/api/v1"
    _ship(live.url, 1, loss=[1.0])
    rule = {"name": "nan loss", "kind": "nan", "key": "loss"}
    assert httpx.post(f"{api}/projects/watch/alert-rules", json=rule).status_code == 201
    _ship(live.url, 2, loss=[float("nan")])

    context = browser.new_context(viewport={"width": 1366, "height": 800}, base_url=live.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto("/")
        bell = page.locator(".alerts-bell")
        expect(bell).to_have_attribute("data-unread", "1")
        expect(page.get_by_role("button", name="1 unread alert")).to_contain_text("1")
        page.get_by_role("button", name="1 unread alert").click()
        page.get_by_role("menuitem").filter(has_text="watch").click()

        view = page.locator('[data-view="alerts"]')
        row = view.locator("tr[data-alert]")
        expect(row).to_have_count(1)
        expect(row).to_have_attribute("data-unread", "true")
        expect(row).to_contain_text("NaN in loss")
        expect(row.get_by_role("link", name=RUN)).to_be_visible()
        expect(view.locator('[data-rule="nan loss"]')).to_contain_text("NaN or infinity in loss")
        screenshot(page, "alerts")

        view.get_by_role("button", name="Mark all read").click()
        expect(row).to_have_attribute("data-unread", "false")
        expect(bell).to_have_attribute("data-unread", "0")

        # The rules editor: a bad rule says why, a good one is listed, then removed.
        editor = page.get_by_role("form", name="Add a rule")
        editor.get_by_label("Name", exact=True).fill("too hot")
        editor.get_by_label("When", exact=True).select_option("threshold")
        editor.get_by_label("Metric", exact=True).fill("gpu/temp")
        editor.get_by_label("Threshold", exact=True).fill("hot")
        editor.get_by_role("button", name="Add rule").click()
        expect(editor.get_by_role("alert")).to_have_text("The threshold must be a number.")
        editor.get_by_label("Threshold", exact=True).fill("90")
        editor.get_by_label("Webhooks", exact=True).fill("http://169.254.169.254/latest")
        editor.get_by_role("button", name="Add rule").click()
        expect(editor.get_by_role("alert")).to_contain_text("HERON_WEBHOOK_ALLOW")
        editor.get_by_label("Webhooks", exact=True).fill("")
        editor.get_by_role("button", name="Add rule").click()
        added = view.locator('[data-rule="too hot"]')
        expect(added).to_contain_text("gpu/temp > 90")
        added.get_by_role("checkbox").click()  # checked again once the server says so
        expect(added.get_by_role("checkbox")).not_to_be_checked()
        added.get_by_role("button", name="Remove").click()
        expect(added).to_have_count(0)
        rules = httpx.get(f"{api}/projects/watch/alert-rules").json()
        assert [r["name"] for r in rules] == ["nan loss"]
    finally:
        context.close()
    assert not errors, f"script errors in the page: {errors}"
