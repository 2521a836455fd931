"""Single sign-on against a real OpenID Connect provider started by the test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from heron.server.app import create_app
from heron.settings import Settings
from heron.store.sql import SqlStore
from tests.server.asgi import AppClient, app_client
from tests.server.conftest import free_port
from tests.server.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, running_provider

API = "/api/v1"


@pytest.fixture
def provider() -> Iterator[Provider]:
    with running_provider(free_port()) as running:
        yield running


@pytest.fixture
def app(store: SqlStore, artifacts: Any, tmp_path: Path, provider: Provider) -> FastAPI:
    settings = Settings(
        admin_user="root",
        admin_password="correct horse battery",
        oidc_issuer=provider.url,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        oidc_name="Test IdP",
    )
    return create_app(store, artifacts, settings, static_dir=tmp_path / "no-ui", auth=True)


@pytest.fixture
def client(app: FastAPI) -> Iterator[AppClient]:
    with app_client(app) as test_client:
        yield test_client


def sign_on(client: AppClient) -> httpx.Response:
    """The browser's round trip: Heron, the provider, Heron's callback."""
    begin = client.get(f"{API}/auth/oidc/login")
    assert begin.status_code == 302, begin.text
    at_provider = httpx.get(begin.headers["location"])  # the provider signs the person in
    assert at_provider.status_code == 302, at_provider.text
    back = urlsplit(at_provider.headers["location"])
    assert back.path == f"{API}/auth/oidc/callback"
    return client.get(f"{back.path}?{back.query}")


def test_sign_on_creates_the_account_and_a_session(client: AppClient, app: FastAPI) -> None:
    config = client.get(f"{API}/auth/config").json()
    assert config["sso"] == "Test IdP" and config["sso_login_url"] == f"{API}/auth/oidc/login"
    done = sign_on(client)
    assert done.status_code == 302 and done.headers["location"] == "/"
    assert "httponly" in done.headers["set-cookie"].lower()
    me = client.get(f"{API}/auth/me").json()
    assert me["name"] == "ada" and me["account"] is True and me["site_admin"] is False
    user = app.state.heron.accounts.accounts.get_user("ada")
    assert user.sso and not user.has_password and user.email == "ada@example.com"
    # the same person again: the same account, not a new one
    client.post(f"{API}/auth/logout")
    assert sign_on(client).status_code == 302
    assert [u.name for u in app.state.heron.accounts.accounts.list_users()] == ["ada", "root"]
    log = app.state.heron.accounts.accounts.audit_log(action="login")
    assert log[0].detail["sso"] == "Test IdP"


def test_an_answer_this_browser_did_not_ask_for_is_refused(client: AppClient) -> None:
    begin = client.get(f"{API}/auth/oidc/login")
    at_provider = httpx.get(begin.headers["location"])
    query = parse_qs(urlsplit(at_provider.headers["location"]).query)
    forged = client.get(
        f"{API}/auth/oidc/callback", params={"code": query["code"][0], "state": "not-mine"}
    )
    assert forged.status_code == 403 and "does not match" in forged.json()["detail"]
    assert client.get(f"{API}/auth/me").status_code == 401


@pytest.mark.parametrize(
    ("claim", "value"),
    [("aud", "someone-else"), ("nonce", "replayed"), ("iss", "http://evil.example")],
)
def test_an_id_token_for_something_else_is_refused(
    client: AppClient, provider: Provider, claim: str, value: str
) -> None:
    provider.tamper = {claim: value}
    refused = sign_on(client)
    assert refused.status_code == 403, refused.text
    assert "not valid" in refused.json()["detail"]


def test_an_admin_made_account_is_linked_by_verified_email(
    client: AppClient, app: FastAPI, provider: Provider
) -> None:
    accounts = app.state.heron.accounts.accounts
    accounts.create_user("ada.l", email="ADA@example.com", created_by="root")
    assert sign_on(client).status_code == 302
    assert client.get(f"{API}/auth/me").json()["name"] == "ada.l"
    provider.person = {**provider.person, "sub": "u-999", "email_verified": False}
    client.post(f"{API}/auth/logout")
    assert sign_on(client).status_code == 302  # unverified: a new account, not ada.l's
    assert client.get(f"{API}/auth/me").json()["name"] == "ada"
