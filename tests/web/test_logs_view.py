"""The Logs tab: the console a run printed (captured by the real SDK in ``seed.py``),
virtualised and paged, searchable, downloadable, stderr apart, saved log files below;
and a live run's new lines appearing without a reload."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import httpx
from playwright.sync_api import expect

from tests.server.conftest import LiveServer
from tests.web.conftest import screenshot
from tests.web.seed import CONSOLE_LINES, Seeded

FIRST_LOAD = 2000  # LogsTab.tsx's PAGE


def test_logs_tab_shows_the_captured_console(page: Any, seeded: Seeded, server: LiveServer) -> None:
    rid = seeded.vision["resnet-lr0.001-bs32"]
    page.goto(f"/p/vision/runs/{rid}?tab=logs")
    console = page.locator('[data-view="console"]')
    expect(console).to_have_attribute("data-total", str(CONSOLE_LINES))
    expect(console).to_have_attribute("data-loaded", str(FIRST_LOAD))  # the newest first
    # Scrolled to the end: the last lines are on screen, the first ones not even built.
    last = console.locator(f'[data-line="{CONSOLE_LINES}"]')
    expect(last).to_have_text(f"{CONSOLE_LINES}epoch 2 done")
    assert console.locator(".console-line").count() < 200  # virtualised
    warning = console.locator('.console-line[data-stream="stderr"]').filter(has_text="warning")
    expect(warning).to_contain_text("the learning rate is low")
    bar = console.locator(f'[data-line="{CONSOLE_LINES - 2}"]')
    expect(bar).to_have_attribute("data-stream", "stderr")
    expect(bar).to_contain_text("validating 100%")  # a redrawn bar keeps its last drawing
    screenshot(page, "run-logs")

    # Older lines a page at a time, then search across what is loaded.
    page.get_by_role("button", name="Load earlier lines").click()
    expect(console).to_have_attribute("data-loaded", str(CONSOLE_LINES))
    expect(page.get_by_role("button", name="Load earlier lines")).to_have_count(0)
    page.get_by_label("Search console output").fill("STEP 1234 LOSS")
    expect(page.get_by_test_id("console-count")).to_contain_text("1 of")
    expect(console.locator(".console-line")).to_have_count(1)
    expect(console.locator(".console-line")).to_contain_text("step 1234 loss 0.0008")

    # The whole log as a file, and the log file the script saved itself.
    href = page.get_by_role("link", name="Download").first.get_attribute("href")
    text = httpx.get(server.url + href).text
    assert text.splitlines()[:2] == ["step 0 loss 1.0000", "step 1 loss 0.5000"]
    assert len(text.splitlines()) == CONSOLE_LINES
    saved = page.locator('[data-view="logs"] [data-path="logs/dataloader.log"]')
    expect(saved).to_contain_text("worker 1 started")


def test_a_run_without_output_says_so(page: Any, seeded: Seeded) -> None:
    page.goto(f"/p/nlp/runs/{seeded.nlp['bert-0']}?tab=logs")
    expect(page.locator('[data-view="logs"]')).to_contain_text(
        "No console output was captured for this run"
    )


LIVE_SCRIPT = """
import pathlib, sys, time, heron
run = heron.init(project="live-logs", name="printer", dir=sys.argv[1], system_metrics=False)
gate = pathlib.Path(sys.argv[2])
print("first line")
run.flush()
while not gate.exists():   # the test lets it go on once the page shows the first line
    time.sleep(0.05)
for i in range(30):
    print(f"live line {i}")
    time.sleep(0.02)
run.flush()
done = pathlib.Path(sys.argv[3])
while not done.exists():   # still running until the test has seen the lines
    time.sleep(0.05)
run.finish()
"""


def test_logs_follow_a_live_run(page: Any, seeded: Seeded, tmp_path: Any) -> None:
    gate, done = tmp_path / "go", tmp_path / "done"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(LIVE_SCRIPT),
            str(seeded.folder),
            str(gate),
            str(done),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        page.goto("/p/live-logs")
        row = page.locator('[data-view="runs-table"] [data-run-id]').first
        expect(row).to_contain_text("printer", timeout=15_000)
        row.get_by_role("link").click()
        page.get_by_role("tab", name="Logs").click()
        console = page.locator('[data-view="console"]')
        expect(console.locator('[data-line="1"]')).to_contain_text("first line")
        gate.touch()
        # No reload: the lines arrive with the server's live events and the view follows.
        expect(console.locator('[data-line="31"]')).to_contain_text("live line 29", timeout=20_000)
        expect(console).to_have_attribute("data-total", "31")
        expect(page.locator('[data-view="run"]')).to_have_attribute("data-state", "running")
        done.touch()
        expect(page.locator('[data-view="run"]')).to_have_attribute(
            "data-state", "finished", timeout=20_000
        )
    finally:
        gate.touch()
        done.touch()
        proc.wait(timeout=60)
    assert proc.returncode == 0
