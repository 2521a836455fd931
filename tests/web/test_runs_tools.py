"""The runs table's tools (issue 16, items 3-5; issue 18's duration): column presets,
CSV export of the table as shown, tags edited in place (table and run page), filter
autocomplete, key search by regex, parallel coordinates coloured by a value with log
axes; durations are active time. Each test makes its own small project over the API."""

from __future__ import annotations

import csv
import io
import re
import time
from typing import Any
from urllib.parse import quote

import httpx
from playwright.sync_api import expect

from heron import wire
from heron.store.base import Batch
from tests.server.conftest import LiveServer
from tests.store.helpers import series
from tests.web.conftest import screenshot
from tests.web.runs_api import API, create_runs, new_id, store_at
from tests.web.seed import Seeded

TABLE = '[data-view="runs-table"]'


def ready(page: Any, total: int) -> None:
    table = page.locator(TABLE)  # under load a first page may take a while: 15 s
    expect(table).to_have_attribute("data-ready", "1", timeout=15_000)
    expect(table).to_have_attribute("data-total", str(total), timeout=15_000)


def test_presets_and_csv_export_follow_the_table(page: Any, server: LiveServer) -> None:
    specs = [
        {"name": f"lr-{i}", "config": {"lr": 10.0 ** -(i + 1), "opt": "adam" if i % 2 else "sgd"}}
        for i in range(4)
    ]
    create_runs(server.url, "tools-csv", specs)
    page.goto(
        "/p/tools-csv?cc=1&col=config.lr&col=config.opt&sort=config.lr&q="
        + quote('config.opt = "sgd"')
    )
    ready(page, 2)
    # a preset remembers the columns shown; choosing it later brings them back
    page.get_by_test_id("presets-button").click()
    page.get_by_label("Preset name").fill("lr and opt")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_test_id("presets-button")).to_have_text("Presets: lr and opt")
    page.keyboard.press("Escape")
    page.goto("/p/tools-csv?cc=1&col=config.opt")
    ready(page, 4)
    page.get_by_test_id("presets-button").click()
    page.get_by_role("button", name="lr and opt (2)", exact=True).click()
    expect(page).to_have_url(re.compile(r"col=config\.lr&col=config\.opt"))

    # the export: the filter's runs in the table's sort, its columns in their order
    page.goto(
        "/p/tools-csv?cc=1&col=config.opt&col=config.lr&sort=-config.lr&q="
        + quote('config.opt = "sgd"')
    )
    ready(page, 2)
    with page.expect_download() as got:
        page.get_by_test_id("export-csv").click()
    text = got.value.path().read_text()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "id",
        "name",
        "state",
        "config.opt",
        "config.lr",
        "group",
        "tags",
        "created",
        "duration",
    ]
    assert [(r[1], r[3], float(r[4])) for r in rows[1:]] == [
        ("lr-0", "sgd", 0.1),
        ("lr-2", "sgd", 0.001),
    ]
    assert got.value.suggested_filename.startswith("tools-csv-runs-")


def test_tags_are_edited_in_the_table_and_on_the_run_page(
    page: Any, server: LiveServer, seeded: Seeded
) -> None:
    ids = create_runs(server.url, "tools-tags", [{"name": "a", "tags": ["old"]}, {"name": "b"}])
    page.goto("/p/tools-tags")
    ready(page, 2)
    row = page.locator(f'{TABLE} [data-run-id="{ids[0]}"]')
    row.hover()
    row.get_by_role("button", name="Add a tag").click()
    row.get_by_label("New tag").fill("best")
    row.get_by_label("New tag").press("Enter")
    expect(row.locator('[data-tag="best"]')).to_be_visible()
    row.get_by_role("button", name="Remove tag old").click()
    expect(row.locator('[data-tag="old"]')).to_have_count(0)
    with store_at(seeded.folder) as store:
        assert store.get_run(ids[0]).tags == ("best",)

    page.goto(f"/p/tools-tags/runs/{ids[1]}")
    editor = page.get_by_test_id("tag-editor")
    editor.get_by_role("button", name="Add a tag").click()
    editor.get_by_label("New tag").fill("promising")
    editor.get_by_label("New tag").press("Enter")
    expect(editor.locator('[data-tag="promising"]')).to_be_visible()
    with store_at(seeded.folder) as store:
        assert store.get_run(ids[1]).tags == ("promising",)


def test_filter_autocomplete_offers_fields_operators_and_values(
    page: Any, server: LiveServer
) -> None:
    ids = create_runs(server.url, "tools-filter", [{"name": "x", "config": {"lr": 0.1}}])
    metrics = Batch(ids[0], 2, metrics={"val/acc": series([0.5, 0.9])})
    with httpx.Client(base_url=server.url + API) as client:
        response = client.post(
            f"/runs/{ids[0]}/batches",
            content=wire.encode_batch(metrics),
            headers={"content-type": wire.BATCH_CONTENT_TYPE},
        )
        assert response.status_code == 200, response.text
    page.goto("/p/tools-filter")
    ready(page, 1)
    box = page.get_by_label("Filter runs")
    box.click()
    box.type("val/acc")
    options = page.get_by_role("listbox", name="Suggestions").get_by_role("option")
    expect(options.first).to_have_text("metrics.val/acc")
    box.press("Tab")
    expect(box).to_have_value("metrics.val/acc ")
    expect(options.first).to_have_text("=")  # operators come next
    box.type("> 0.8")
    box.press("Enter")  # no suggestion chosen: Enter applies the filter
    ready(page, 1)
    screenshot(page, "runs-filter-autocomplete")
    # a bare key already compared is offered its full name
    box.fill("")
    box.type("val/acc > 0.95")
    expect(options.first).to_contain_text("metrics.val/acc")
    box.press("ArrowDown")
    box.press("Enter")
    expect(box).to_have_value("metrics.val/acc > 0.95")

    # key search by regex in the column picker
    page.get_by_test_id("columns-button").click()
    search = page.get_by_label("Search keys")
    search.fill("/^config\\.l/")
    dialog = page.get_by_role("dialog", name="Choose columns")
    expect(dialog.locator(".check-row")).to_have_count(1)
    search.fill("/(/")
    expect(dialog).to_contain_text("Not a regular expression")


def test_parallel_coordinates_colour_and_log_axes(page: Any, server: LiveServer) -> None:
    specs = [
        {"name": f"r{i}", "config": {"lr": 10.0 ** -(i + 1), "wd": float(i)}} for i in range(5)
    ]
    create_runs(server.url, "tools-pc", specs)
    page.goto("/p/tools-pc?view=parallel&axis=config.lr&axis=config.wd")
    canvas = page.get_by_test_id("parallel-canvas")
    expect(canvas).to_have_attribute("data-lines", "5")
    expect(canvas).to_have_attribute("data-log-axes", "")
    page.get_by_role("button", name="Log scale for config.lr").click()
    expect(canvas).to_have_attribute("data-log-axes", "config.lr")
    expect(page).to_have_url(re.compile(r"pclog=config\.lr"))
    # wd holds a 0: no log scale offered for it
    expect(page.get_by_role("button", name="Log scale for config.wd")).to_have_count(0)
    page.get_by_label("Colour by", exact=True).select_option("config.wd")
    expect(canvas).to_have_attribute("data-color-by", "config.wd")
    legend = page.get_by_test_id("pc-legend")
    expect(legend).to_contain_text("Colour: config.wd")
    expect(page.get_by_test_id("pc-legend-lo")).to_have_text("0")
    expect(page.get_by_test_id("pc-legend-hi")).to_have_text("4")
    screenshot(page, "runs-parallel-colour-log")


def test_durations_are_active_time(page: Any, server: LiveServer) -> None:
    """A resumed run (an hour dead between a crash and its resume, 400 s of work) shows
    400 s in the table and on its page, not 4,400 s."""
    run_id, now = new_id(), time.time()
    spec = {
        "id": run_id,
        "project": "tools-duration",
        "name": "resumed",
        "created_at": now - 4400,
        "system": {"heron": {"inactive_seconds": 4000.0}},
    }
    with httpx.Client(base_url=server.url + API) as client:
        assert client.post("/runs", json=spec).status_code == 200
        end = Batch(run_id, 1, events=[{"type": "state", "state": "finished", "time": now}])
        response = client.post(
            f"/runs/{run_id}/batches",
            content=wire.encode_batch(end),
            headers={"content-type": wire.BATCH_CONTENT_TYPE},
        )
        assert response.status_code == 200
    page.goto("/p/tools-duration")
    ready(page, 1)
    cell = page.locator(f'{TABLE} [data-run-id="{run_id}"] [data-col="duration"]')
    expect(cell).to_have_text("6m 40s")
    page.goto(f"/p/tools-duration/runs/{run_id}")
    expect(page.get_by_test_id("run-duration")).to_have_text("6m 40s")
