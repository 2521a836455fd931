"""Reports (issue 16, item 6): written in the UI, saved on the server, their live blocks
(a chart as inline SVG, a table, a run set) drawn from the project's runs, opened again
by their link, exported as one static HTML file; Markdown stays safe (no raw HTML)."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.server.conftest import LiveServer
from tests.web.conftest import screenshot
from tests.web.runs_api import store_at
from tests.web.seed import Seeded

BODY = """# Learning rate sweep

The baseline <script>alert(1)</script> holds up.

```heron-chart
title: Validation accuracy
runs: tags has "baseline"
keys: val/acc, train/loss
limit: 3
```

```heron-table
runs: name like "resnet-*"
columns: val/acc, config.lr
sort: -metrics.val/acc
limit: 4
```

```heron-runs
runs: tags has "baseline"
```

```heron-chart
keys: val/acc
limit: 999
```
"""


def test_a_report_is_written_shared_and_exported(
    page: Any, server: LiveServer, seeded: Seeded
) -> None:
    page.goto("/p/vision/reports")
    page.get_by_role("button", name="New report").click()
    expect(page).to_have_url(re.compile(r"/p/vision/reports/\d+\?edit=1"))
    page.get_by_label("Report title").fill("LR sweep")
    page.get_by_label("Report (Markdown)").fill(BODY)
    preview = page.get_by_label("Preview")
    expect(preview.locator('[data-block="chart"] svg path').first).to_be_visible()
    page.get_by_role("button", name="Save").click()
    expect(page.locator('[data-view="report"]')).to_be_visible()
    url = page.url
    report_id = int(url.rsplit("/", 1)[1])

    with store_at(seeded.folder) as store:
        saved = store.transactor.read(
            lambda c: c.exec_driver_sql(
                "SELECT title, body FROM reports WHERE id = ?", (report_id,)
            ).one()
        )
    assert tuple(saved) == ("LR sweep", BODY)

    # opened by its link in a fresh page: the blocks read the runs as they are now
    page.goto(url)
    article = page.locator(".report-article")
    expect(article.locator("h2")).to_have_text("Learning rate sweep")
    expect(article).to_contain_text("<script>alert(1)</script>")  # shown as text, never run
    assert article.locator("script").count() == 0
    baseline = [name for name in seeded.vision if name.startswith("resnet-lr0.01-")]
    chart = article.locator('[data-block="chart"]').first
    expect(chart).to_have_attribute("data-lines", str(2 * len(baseline)))  # 2 keys per run
    table = article.locator('[data-block="table"]')
    expect(table).to_have_attribute("data-count", "4")
    expect(article.locator('[data-block="runs"]')).to_have_attribute(
        "data-count", str(len(baseline))
    )
    expect(article.locator(".block-error")).to_contain_text("limit is a whole number from 1 to 20")
    screenshot(page, "report")

    with page.expect_download() as got:
        page.get_by_test_id("export-html").click()
    html = got.value.path().read_text()
    assert "<svg" in html and "<path" in html
    assert "<script" not in html.replace("&lt;script&gt;", "")
    assert f'href="{server.url}/p/vision/runs/' in html
    assert "LR sweep" in html

    # listed, then deleted
    page.goto("/p/vision/reports")
    expect(page.locator(f'[data-report-id="{report_id}"]')).to_contain_text("LR sweep")
    page.goto(url)
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Delete").click()
    expect(page).to_have_url(re.compile(r"/p/vision/reports$"))
    expect(page.locator(f'[data-report-id="{report_id}"]')).to_have_count(0)
