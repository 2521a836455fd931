"""The live path for real: the page is open first, then a training script (the real
SDK, another process) starts a run, and the page shows it without a reload."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.web.conftest import screenshot
from tests.web.seed import Seeded

SCRIPT = """
import pathlib, sys, time, heron
folder, project, gate = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
run = heron.init(project=project, name="appears-live", dir=folder, system_metrics=False)
run.log({"loss": 1.0}, step=0)
run.flush()
deadline = time.monotonic() + 60
while not gate.exists() and time.monotonic() < deadline:  # the test says when to finish
    time.sleep(0.05)
run.finish()
"""


def start_script(folder: Path, project: str, gate: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(SCRIPT), str(folder), project, str(gate)]
    )


def mark_document(page: Any) -> None:
    """A flag on this document: a reload (or navigation) would lose it."""
    page.evaluate("window.__heronNoReload = true")


def still_same_document(page: Any) -> bool:
    return bool(page.evaluate("window.__heronNoReload === true"))


def test_a_new_run_appears_in_the_open_runs_table(
    page: Any, seeded: Seeded, tmp_path: Path
) -> None:
    page.goto("/p/live-table")
    table = page.locator('[data-view="runs-table"]')
    expect(table).to_have_attribute("data-state", "empty")  # open before the run exists
    mark_document(page)
    gate = tmp_path / "finish"
    proc = start_script(seeded.folder, "live-table", gate)
    try:
        row = table.locator("[data-run-id]")
        expect(row).to_have_count(1, timeout=20_000)
        expect(row).to_contain_text("appears-live")
        expect(row.locator('[data-col="state"]')).to_have_text("running")
        expect(page.get_by_test_id("run-total")).to_have_text("1 run")
        gate.touch()
        expect(row.locator('[data-col="state"]')).to_have_text("finished", timeout=20_000)
        screenshot(page, "live-new-run")
        assert still_same_document(page)
    finally:
        gate.touch()
        proc.wait(timeout=60)
    assert proc.returncode == 0


def test_a_new_project_appears_on_the_open_projects_page(
    page: Any, seeded: Seeded, tmp_path: Path
) -> None:
    page.goto("/")
    projects = page.locator('[data-view="projects"]')
    expect(projects.locator('tr[data-project="vision"]')).to_be_visible()
    # the stream is open (the slow fallback poll runs only while it is broken)
    expect(projects).to_have_attribute("data-live", "open")
    expect(page.locator('tr[data-project="live-projects"]')).to_have_count(0)
    mark_document(page)
    gate = tmp_path / "finish"
    gate.touch()  # this run may finish at once
    proc = start_script(seeded.folder, "live-projects", gate)
    try:
        fresh = page.locator('tr[data-project="live-projects"]')
        expect(fresh).to_be_visible(timeout=20_000)
        expect(fresh.locator("td.num")).to_have_text("1")
        screenshot(page, "live-new-project")
        assert still_same_document(page)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == 0
