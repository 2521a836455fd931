"""Browser tests: a real ``heron server`` subprocess on loopback over a store folder that
the real SDK filled (``seed.py``), driven by Debian's Chromium through Playwright.

Without Chromium or a built UI (``./scripts/setup`` builds it) the tests skip; under
``CI=true`` they fail instead. Screenshots of the main views go to
``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from heron.server.ui import STATIC_DIR
from tests.server.conftest import LiveServer, free_port
from tests.web.seed import Seeded, seed

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def browser_unavailable(reason: str) -> None:
    """Skip (fail under CI=true) a browser test that cannot run here."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the browser tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def ui_ready() -> None:
    if not CHROMIUM.exists():
        browser_unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    if not (STATIC_DIR / "index.html").is_file():
        browser_unavailable(f"the web UI is not built in {STATIC_DIR} (run ./scripts/setup)")


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    return seed(tmp_path_factory.mktemp("web") / "store")


@pytest.fixture(scope="session")
def server(ui_ready: None, seeded: Seeded) -> Iterator[LiveServer]:
    folder = seeded.folder
    live = LiveServer(str(folder), str(folder / "blobs"), free_port(), folder.parent / "server.log")
    live.start()
    yield live
    live.stop()


@pytest.fixture(scope="session")
def browser(ui_ready: None) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM))
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, server: LiveServer) -> Iterator[Any]:
    """A fresh page at a laptop's size; any uncaught script error fails the test."""
    context = browser.new_context(viewport={"width": 1366, "height": 800}, base_url=server.url)
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, f"script errors in the page: {errors}"


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
