"""The Media tab (docs/media.md) in Chromium, over a ``heron server`` whose store the real
SDK filled with media: images at steps behind a shared slider, histograms over steps
as a heatmap, a table sorted and filtered with an image cell, text and audio; and the
comparison's images side by side."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from playwright.sync_api import expect

import heron
from tests.server.conftest import LiveServer
from tests.web.conftest import screenshot
from tests.web.seed import Seeded


@pytest.fixture(scope="module")
def media_runs(server: LiveServer, seeded: Seeded) -> list[str]:
    """Two runs with media, logged by the real SDK into the served store."""
    ids = []
    for shade in (40, 200):
        with heron.init(
            "media-ui",
            dir=seeded.folder,
            system_metrics=False,
            capture=False,
            capture_console=False,
        ) as run:
            for step in range(3):
                pixels = np.full((16, 24, 3), shade, np.uint8)
                pixels[:, : 8 * (step + 1)] = (255, 0, 0)
                image = heron.Image(
                    pixels,
                    caption=f"shade {shade} step {step}",
                    boxes=[{"box": [1, 1, 8, 8], "label": "box"}],
                )
                values = np.random.default_rng(step).normal(step, 1, 500)
                run.log({"samples": image, "weights": heron.Histogram(values)}, step=step * 10)
            table = heron.Table(
                columns=["name", "score", "picture"],
                data=[["b", 2.0, None], ["a", 10.0, heron.Image(pixels)], ["c", 1.0, None]],
            )
            text, tone = heron.Text("once upon a time"), heron.Audio(np.zeros(800), 8000)
            run.log({"preds": table, "sample": text, "tone": tone}, step=20)
            ids.append(run.id)
    return ids


def _loaded(image: Any) -> bool:
    return bool(image.evaluate("img => img.complete && img.naturalWidth > 0"))


def test_media_tab_shows_every_kind(page: Any, media_runs: list[str]) -> None:
    rid = media_runs[0]
    page.goto(f"/p/media-ui/runs/{rid}?tab=media")
    view = page.locator('[data-view="media"]')
    samples = view.locator('[data-media-key="samples"]')
    expect(samples.locator("figcaption")).to_contain_text("shade 40 step 2")  # the last step first
    expect(page.get_by_test_id("media-step")).to_have_text("20")
    image = samples.locator("img").first
    expect(image).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth === 24", arg=image.element_handle()
    )
    expect(samples.locator(".media-boxes text")).to_have_text("box")

    # The slider moves every stepped panel to the step chosen, and the URL keeps it.
    page.get_by_label("media step").fill("0")
    expect(samples.locator("figcaption")).to_contain_text("shade 40 step 0")
    assert "mstep=0" in page.url

    heat = view.locator('[data-media-key="weights"] [data-kind="histogram"]')
    expect(heat).to_have_attribute("data-steps", "3")
    assert heat.locator("canvas").evaluate("c => c.width") == 3

    page.get_by_label("media step").fill("2")
    table = view.locator('[data-media-key="preds"]')
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(3)
    table.get_by_role("button", name="score").click()  # ascending
    expect(rows.first).to_contain_text("c")
    table.get_by_role("button", name="score").click()  # descending
    expect(rows.first).to_contain_text("a")
    assert _loaded(rows.first.locator("img")) or rows.first.locator("img").count() == 1
    table.get_by_label("filter preds").fill("b")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("b")

    expect(view.locator('[data-media-key="sample"] pre')).to_have_text("once upon a time")
    audio = view.locator('[data-media-key="tone"] audio')
    assert "/media/blob" in (audio.get_attribute("src") or "")
    screenshot(page, "run-media")


def test_compare_shows_images_side_by_side(page: Any, media_runs: list[str]) -> None:
    ids = media_runs
    page.goto(f"/p/media-ui/compare?{'&'.join(f'runs={r}' for r in ids)}&tab=media")
    panel = page.locator('[data-view="media-compare"] [data-media-key="samples"]')
    expect(panel.locator("figcaption")).to_have_count(2)
    expect(panel.locator(f'[data-run-id="{ids[1]}"] figcaption')).to_contain_text(
        "shade 200 step 2"
    )
    screenshot(page, "compare-media")
