"""Signing in, tokens and the viewer's read-only state in the browser, against a real
``heron server`` with accounts on (HERON_AUTH=on, the first admin from
HERON_ADMIN_USER/HERON_ADMIN_PASSWORD) over runs made through its REST API; and the UI of
a server without accounts, which has no sign-in at all."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.server.conftest import LiveServer, free_port
from tests.web.conftest import screenshot
from tests.web.runs_api import new_id

ADMIN = "root"
ADMIN_PASSWORD = "correct horse battery"
VIEWER = "vera"
VIEWER_PASSWORD = "viewer password 1"
PROJECT = "demo"
TABLE = '[data-view="runs-table"]'


def seed(api: httpx.Client) -> None:
    """Three runs over the REST API (as the SDK's remote backend makes them: faster)."""
    for i in range(3):
        body = {"id": new_id(), "project": PROJECT, "name": f"run-{i}", "config": {"i": i}}
        made = api.post("/runs", json=body)
        assert made.status_code == 200, made.text


def start(folder: Path, env: dict[str, str]) -> LiveServer:
    log = folder.parent / f"server-{free_port()}.log"
    return LiveServer(str(folder), str(folder / "blobs"), free_port(), log, env=env).start()


@pytest.fixture(scope="module")
def auth_server(ui_ready: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Accounts on; a viewer of PROJECT made through the REST API by the admin."""
    folder = tmp_path_factory.mktemp("web-auth") / "store"
    env = {
        "HERON_AUTH": "on",
        "HERON_ADMIN_USER": ADMIN,
        "HERON_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    live = start(folder, env)
    with httpx.Client(base_url=live.url + "/api/v1") as api:
        issued = api.post("/auth/token", json={"name": ADMIN, "password": ADMIN_PASSWORD})
        assert issued.status_code == 201, issued.text
        api.headers["Authorization"] = f"Bearer {issued.json()['secret']}"
        made = api.post("/users", json={"name": VIEWER, "password": VIEWER_PASSWORD})
        assert made.status_code == 201, made.text
        role = api.put(f"/projects/{PROJECT}/members/{VIEWER}", json={"role": "viewer"})
        assert role.status_code == 200, role.text
        seed(api)
    yield live
    live.stop()


@pytest.fixture
def auth_page(browser: Any, auth_server: LiveServer) -> Iterator[Any]:
    """A fresh page on the server with accounts; any uncaught script error fails."""
    context = browser.new_context(viewport={"width": 1366, "height": 800}, base_url=auth_server.url)
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, f"script errors in the page: {errors}"


def sign_in(page: Any, name: str, password: str) -> None:
    form = page.get_by_role("form", name="Sign in")
    form.get_by_label("User name").fill(name)
    form.get_by_label("Password").fill(password)
    form.get_by_role("button", name="Sign in").click()


def test_sign_in_create_a_token_and_sign_out(auth_page: Any, auth_server: LiveServer) -> None:
    page, server = auth_page, auth_server
    # nobody signed in: the sign-in page stands in for the runs table
    page.goto(f"/p/{PROJECT}")
    expect(page.locator('[data-view="signin"]')).to_be_visible()
    screenshot(page, "signin")
    sign_in(page, ADMIN, "wrong password!")
    expect(page.get_by_role("alert")).to_contain_text(
        re.compile("wrong user name or password", re.I)
    )

    # signed in: back where the user was, the runs listed
    sign_in(page, ADMIN, ADMIN_PASSWORD)
    expect(page).to_have_url(re.compile(rf"/p/{PROJECT}$"))
    expect(page.locator(TABLE)).to_have_attribute("data-total", "3")
    expect(page.get_by_test_id("read-only")).to_have_count(0)

    # a token: its secret shown once, with a warning; it authenticates the API
    page.get_by_test_id("user-menu").click()
    page.get_by_role("menuitem", name="API tokens").click()
    form = page.get_by_role("form", name="New token")
    form.get_by_label("Token name").fill("ci-laptop")
    form.get_by_role("button", name="Create token").click()
    shown = page.get_by_test_id("new-token")
    expect(shown).to_contain_text("not shown again")
    secret = page.get_by_test_id("token-secret").inner_text().strip()
    assert secret.startswith("heron_")
    row = page.locator('tr[data-token="ci-laptop"]')
    expect(row).to_have_attribute("data-status", "active")
    screenshot(page, "tokens")
    me = httpx.get(f"{server.url}/api/v1/auth/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.json()["name"] == ADMIN
    page.reload()
    expect(row).to_be_visible()
    expect(page.get_by_test_id("token-secret")).to_have_count(0)  # never again
    assert secret not in page.content()
    # revoking ends it at once
    row.get_by_role("button", name="Revoke ci-laptop").click()
    expect(row).to_have_attribute("data-status", "revoked")
    gone = httpx.get(f"{server.url}/api/v1/auth/me", headers={"Authorization": f"Bearer {secret}"})
    assert gone.status_code == 401

    # site admins see the users and the audit log
    page.goto("/admin/users")
    expect(page.locator(f'tr[data-user="{VIEWER}"]')).to_be_visible()
    # a service account for CI: no password, a token issued by the admin
    form = page.get_by_role("form", name="New user")
    form.get_by_label("User name").fill("ci-bot")
    form.get_by_label("service account").check()
    form.get_by_role("button", name="Create user").click()
    bot = page.locator('tr[data-user="ci-bot"]')
    expect(bot).to_contain_text("service")
    bot.get_by_role("button", name="Issue token").click()
    bot_secret = page.get_by_test_id("token-secret").inner_text().strip()
    who = httpx.get(
        f"{server.url}/api/v1/auth/me", headers={"Authorization": f"Bearer {bot_secret}"}
    )
    assert who.json()["name"] == "ci-bot"
    page.goto("/admin/audit?action=token.revoke")
    expect(page.locator('table.audit-table tr[data-action="token.revoke"]')).to_have_count(1)

    # sign out: the sign-in page, wherever one goes
    page.get_by_test_id("user-menu").click()
    page.get_by_role("menuitem", name="Sign out").click()
    expect(page.locator('[data-view="signin"]')).to_be_visible()
    page.goto(f"/p/{PROJECT}")
    expect(page.locator('[data-view="signin"]')).to_be_visible()
    assert httpx.get(f"{server.url}/api/v1/runs?project={PROJECT}").status_code == 401


def test_a_viewer_sees_the_read_only_state(auth_page: Any) -> None:
    page = auth_page
    page.goto(f"/p/{PROJECT}")
    sign_in(page, VIEWER, VIEWER_PASSWORD)
    table = page.locator(TABLE)
    expect(table).to_have_attribute("data-total", "3")
    badge = page.get_by_test_id("read-only")
    expect(badge).to_have_attribute("title", "read-only: you are a viewer of this project")

    # selecting runs offers compare, not tags or delete
    table.locator('[data-run-id] input[type="checkbox"]').first.check()
    bar = page.locator(".bulk-bar")
    expect(bar).to_have_attribute("data-selected", "1")
    expect(bar.get_by_role("button", name=re.compile("Delete"))).to_have_count(0)
    expect(bar.get_by_role("button", name="Add tag")).to_be_disabled()
    expect(page.get_by_test_id("bulk-read-only")).to_be_visible()
    screenshot(page, "runs-read-only")

    # the members page lists, without the controls of a project admin
    page.get_by_role("link", name="Members").click()
    expect(page.locator(f'tr[data-member="{VIEWER}"]')).to_have_attribute("data-role", "viewer")
    expect(page.get_by_role("form", name="Add member")).to_have_count(0)
    # no users page for a viewer
    page.get_by_test_id("user-menu").click()
    expect(page.get_by_role("menuitem", name="Users")).to_have_count(0)
    page.keyboard.press("Escape")

    # the session ends (here: its cookie is gone): the next call's 401 signs in again
    page.context.clear_cookies()
    page.get_by_role("link", name="Models").click()
    expect(page.locator('[data-view="signin"]')).to_be_visible()
    expect(page).to_have_url(re.compile(r"/models$"))
    sign_in(page, VIEWER, VIEWER_PASSWORD)
    expect(page.locator('[data-view="models"]')).to_be_visible()


def test_without_accounts_there_is_no_sign_in(page: Any) -> None:
    """The shared live server of tests/web (no accounts): the UI as it always was."""
    page.goto("/")
    expect(page.locator('[data-view="projects"]')).to_be_visible()
    page.goto("/p/vision")
    expect(page.locator(TABLE)).to_have_attribute("data-ready", "1")
    expect(page.locator('[data-view="signin"]')).to_have_count(0)
    expect(page.get_by_test_id("user-menu")).to_have_count(0)
    expect(page.get_by_role("link", name="Members")).to_have_count(0)
    expect(page.get_by_test_id("read-only")).to_have_count(0)
    page.locator(f'{TABLE} [data-run-id] input[type="checkbox"]').first.check()
    expect(page.locator(".bulk-bar").get_by_role("button", name="Delete…")).to_be_enabled()
