"""Accounts on a server: who may do what, credentials, sign-in, rate limits, the audit
log. In-process over both SQL backends (``store``), with accounts on."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from heron import wire
from heron.server.app import create_app
from heron.server.auth import LOGIN_FAILURES, SESSION_COOKIE, TOKEN_FAILURES
from heron.settings import Settings
from heron.store.sql import SqlStore
from tests.server.asgi import AppClient, app_client
from tests.server.test_routes import API
from tests.store.helpers import batch

ADMIN_PASSWORD = "correct horse battery"


@pytest.fixture
def app(store: SqlStore, artifacts: Any, tmp_path: Path) -> FastAPI:
    settings = Settings(admin_user="root", admin_password=ADMIN_PASSWORD)
    return create_app(store, artifacts, settings, static_dir=tmp_path / "no-ui", auth=True)


@pytest.fixture
def client(app: FastAPI) -> Iterator[AppClient]:
    with app_client(app) as test_client:
        yield test_client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def admin_token(client: AppClient) -> str:
    body = {"name": "root", "password": ADMIN_PASSWORD, "token_name": "tests"}
    response = client.post(f"{API}/auth/token", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["secret"])


def account(client: AppClient, admin: str, name: str, **roles: str) -> str:
    """A service account with ``roles`` (project=role), and a token of it."""
    made = client.post(f"{API}/users", json={"name": name, "service": True}, headers=bearer(admin))
    assert made.status_code == 201, made.text
    for project, role in roles.items():
        put = client.put(
            f"{API}/projects/{project}/members/{name}", json={"role": role}, headers=bearer(admin)
        )
        assert put.status_code == 200, put.text
    issued = client.post(f"{API}/tokens", json={"name": "t", "user": name}, headers=bearer(admin))
    assert issued.status_code == 201, issued.text
    return str(issued.json()["secret"])


def make_run(client: AppClient, token: str, run_id: str, project: str) -> int:
    body = {"id": run_id, "project": project}
    return client.post(f"{API}/runs", json=body, headers=bearer(token)).status_code


# --- credentials ---------------------------------------------------------------------------


def test_without_a_credential_only_public_paths_answer(client: AppClient) -> None:
    refused = client.get(f"{API}/runs", params={"project": "p"})
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Bearer")
    assert "HERON_TOKEN" in refused.json()["detail"]
    for path in (f"{API}/auth/config", f"{API}/openapi.json", "/healthz", "/"):
        assert client.get(path).status_code in (200, 404), path  # "/": no UI built here
    assert client.get(f"{API}/auth/config").json()["auth"] is True
    assert client.get("/metrics").status_code == 401  # the scrape carries a token too
    wrong = client.get(f"{API}/projects", headers=bearer("heron_" + "x" * 43))
    assert wrong.status_code == 401 and "not valid" in wrong.json()["detail"]


def test_a_revoked_token_stops_working_at_once(client: AppClient) -> None:
    admin = admin_token(client)
    issued = client.post(f"{API}/tokens", json={"name": "ci"}, headers=bearer(admin)).json()
    secret, token_id = issued["secret"], issued["token"]["id"]
    assert client.get(f"{API}/auth/me", headers=bearer(secret)).json()["name"] == "root"
    listed = client.get(f"{API}/tokens", headers=bearer(admin)).json()
    assert all("secret" not in t and "hash" not in t for t in listed)
    assert any(t["prefix"] == secret[: len(t["prefix"])] for t in listed)
    assert client.delete(f"{API}/tokens/{token_id}", headers=bearer(admin)).status_code == 200
    assert client.get(f"{API}/auth/me", headers=bearer(secret)).status_code == 401


def test_expired_tokens_and_disabled_users_are_refused(client: AppClient, app: FastAPI) -> None:
    admin = admin_token(client)
    ci = account(client, admin, "ci", proj="editor")
    accounts = app.state.heron.accounts.accounts
    soon = accounts.issue_token("ci", "short", expires_in_days=1)
    assert accounts.authenticate(soon.secret) is not None
    assert accounts.authenticate(soon.secret, now=time.time() + 2 * 86_400) is None
    patch = client.patch(f"{API}/users/ci", json={"disabled": True}, headers=bearer(admin))
    assert patch.status_code == 200 and patch.json()["disabled"] is True
    assert client.get(f"{API}/auth/me", headers=bearer(ci)).status_code == 401


def test_mlflow_basic_auth_carries_the_token_as_password(client: AppClient) -> None:
    import base64

    admin = admin_token(client)
    basic = base64.b64encode(f"root:{admin}".encode()).decode()
    me = client.get(f"{API}/auth/me", headers={"Authorization": f"Basic {basic}"})
    assert me.status_code == 200 and me.json()["name"] == "root"
    wrong = base64.b64encode(f"root:{ADMIN_PASSWORD}".encode()).decode()  # not a password
    assert (
        client.get(f"{API}/auth/me", headers={"Authorization": f"Basic {wrong}"}).status_code == 401
    )


# --- roles -------------------------------------------------------------------------------


def test_a_viewer_reads_but_cannot_write(client: AppClient) -> None:
    admin = admin_token(client)
    assert make_run(client, admin, "run0000001", "proj") == 200
    viewer = account(client, admin, "vera", proj="viewer")
    assert client.get(f"{API}/runs/run0000001", headers=bearer(viewer)).status_code == 200
    writes = [
        ("POST", f"{API}/runs", {"json": {"id": "run0000002", "project": "proj"}}),
        ("PATCH", f"{API}/runs/run0000001", {"json": {"name": "x"}}),
        ("POST", f"{API}/runs/delete", {"json": {"ids": ["run0000001"], "force": True}}),
        ("POST", f"{API}/runs/run0000001/heartbeat", {"json": {"at": time.time()}}),
        (
            "POST",
            f"{API}/runs/run0000001/batches",
            {
                "content": wire.encode_batch(batch("run0000001", 1, [], loss=[1.0])),
                "headers": {"content-type": wire.BATCH_CONTENT_TYPE},
            },
        ),
        ("PUT", f"{API}/projects/proj/members/vera", {"json": {"role": "admin"}}),
        ("PUT", f"{API}/blobs/sha256:{'0' * 64}", {"content": b"x"}),
    ]
    for method, url, kwargs in writes:
        headers = {**kwargs.pop("headers", {}), **bearer(viewer)}
        response = client.request(method, url, headers=headers, **kwargs)
        assert response.status_code == 403, (method, url, response.text)
    assert client.get(f"{API}/runs/run0000001", headers=bearer(admin)).json()["name"] != "x"


def test_an_editor_of_one_project_cannot_read_another(client: AppClient) -> None:
    admin = admin_token(client)
    assert make_run(client, admin, "runa000001", "a") == 200
    assert make_run(client, admin, "runb000001", "b") == 200
    ed = account(client, admin, "eddie", a="editor")
    assert client.get(f"{API}/runs/runa000001", headers=bearer(ed)).status_code == 200
    assert make_run(client, ed, "runa000002", "a") == 200
    for url in (
        f"{API}/runs/runb000001",
        f"{API}/runs/runb000001/history",
        f"{API}/projects/b/keys",
        f"{API}/events?project=b",
        f"{API}/runs?project=b",
    ):
        assert client.get(url, headers=bearer(ed)).status_code == 403, url
    chart = {"runs": ["runa000001", "runb000001"], "keys": ["loss"]}
    assert client.post(f"{API}/series", json=chart, headers=bearer(ed)).status_code == 403
    assert [p["name"] for p in client.get(f"{API}/projects", headers=bearer(ed)).json()] == ["a"]
    assert client.get(f"{API}/runs", headers=bearer(ed)).status_code == 403  # every project


def test_a_new_project_is_claimed_by_its_first_writer(client: AppClient) -> None:
    admin = admin_token(client)
    assert make_run(client, admin, "runt000001", "taken") == 200
    ann = account(client, admin, "ann")
    assert make_run(client, ann, "runt000002", "taken") == 403  # someone else's project
    assert make_run(client, ann, "runm000001", "mine") == 200
    me = client.get(f"{API}/auth/me", headers=bearer(ann)).json()
    assert me["roles"] == {"mine": "admin"}
    run = client.get(f"{API}/runs/runm000001", headers=bearer(ann)).json()
    assert run["created_by"] == "ann"
    # the creator is who ships the run, whatever the batch says
    create = {"type": "create", "spec": {"id": "runm000002", "project": "mine"}}
    create["spec"]["created_by"] = "root"
    body = wire.encode_batch(batch("runm000002", 1, [create], loss=[1.0]))
    headers = {"content-type": wire.BATCH_CONTENT_TYPE, **bearer(ann)}
    assert (
        client.post(f"{API}/runs/runm000002/batches", content=body, headers=headers).status_code
        == 200
    )
    assert client.get(f"{API}/runs/runm000002", headers=bearer(ann)).json()["created_by"] == "ann"


def test_protected_stages_and_webhooks_need_a_site_admin(client: AppClient) -> None:
    admin = admin_token(client)
    assert make_run(client, admin, "runr000001", "reg") == 200
    blob = put_blob_as(client, admin, b"weights")
    files = [{"path": "w.bin", "digest": blob, "size": 7}]
    made = client.post(
        f"{API}/models/clf/versions",
        json={"run_id": "runr000001", "files": files},
        headers=bearer(admin),
    )
    assert made.status_code == 201, made.text
    protect = {"protected": ["production"]}
    assert client.patch(f"{API}/models/clf", json=protect, headers=bearer(admin)).status_code == 200
    ed = account(client, admin, "eddie", reg="editor")
    move = {"version": 1, "stage": "production"}
    refused = client.post(f"{API}/models/clf/transitions", json=move, headers=bearer(ed))
    assert refused.status_code == 403, refused.text
    assert (
        client.post(f"{API}/models/clf/transitions", json=move, headers=bearer(admin)).status_code
        == 200
    )
    assert client.get(f"{API}/webhooks", headers=bearer(ed)).status_code == 403
    nobody = account(client, admin, "nobody")
    assert client.get(f"{API}/models", headers=bearer(nobody)).status_code == 403


def put_blob_as(client: AppClient, token: str, data: bytes) -> str:
    import hashlib

    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    response = client.put(f"{API}/blobs/{digest}", content=data, headers=bearer(token))
    assert response.status_code == 200, response.text
    return digest


# --- sign-in -----------------------------------------------------------------------------


def test_sign_in_sets_a_strict_http_only_cookie_and_sign_out_ends_it(client: AppClient) -> None:
    login = client.post(f"{API}/auth/login", json={"name": "root", "password": ADMIN_PASSWORD})
    assert login.status_code == 200, login.text
    cookie = login.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    for flag in ("HttpOnly", "SameSite=strict", "Path=/"):
        assert flag.lower() in cookie.lower(), cookie
    assert client.get(f"{API}/auth/me").json()["name"] == "root"  # the cookie is sent
    assert client.post(f"{API}/auth/logout").status_code == 204
    session = cookie.split(";", 1)[0].split("=", 1)[1]
    me = client.get(f"{API}/auth/me", headers={"Cookie": f"{SESSION_COOKIE}={session}"})
    assert me.status_code == 401  # the session was revoked, not only forgotten


def test_a_cross_site_request_with_the_cookie_is_refused(client: AppClient) -> None:
    assert (
        client.post(
            f"{API}/auth/login", json={"name": "root", "password": ADMIN_PASSWORD}
        ).status_code
        == 200
    )
    forged = client.post(
        f"{API}/runs/delete",
        json={"ids": ["run0000001"]},
        headers={"Origin": "http://evil.example"},
    )
    assert forged.status_code == 403


def test_wrong_passwords_are_rate_limited(client: AppClient) -> None:
    for _ in range(LOGIN_FAILURES):
        wrong = client.post(f"{API}/auth/login", json={"name": "root", "password": "x" * 12})
        assert wrong.status_code == 403
    blocked = client.post(f"{API}/auth/login", json={"name": "root", "password": ADMIN_PASSWORD})
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1


def test_wrong_tokens_are_rate_limited(client: AppClient, app: FastAPI) -> None:
    for _ in range(TOKEN_FAILURES):
        assert client.get(f"{API}/auth/me", headers=bearer("heron_" + "y" * 43)).status_code == 401
    valid = app.state.heron.accounts.accounts.issue_token("root", "x").secret
    assert client.get(f"{API}/auth/me", headers=bearer(valid)).status_code == 429


def test_a_new_password_ends_every_session(client: AppClient) -> None:
    assert (
        client.post(
            f"{API}/auth/login", json={"name": "root", "password": ADMIN_PASSWORD}
        ).status_code
        == 200
    )
    admin = admin_token(client)
    change = client.patch(
        f"{API}/users/root", json={"password": "another long passphrase"}, headers=bearer(admin)
    )
    assert change.status_code == 200
    assert client.get(f"{API}/auth/me", headers={"Authorization": ""}).status_code == 401
    assert client.get(f"{API}/auth/me", headers=bearer(admin)).status_code == 200  # tokens stay


# --- the audit log -----------------------------------------------------------------------


def test_the_audit_log_records_who_did_what(client: AppClient) -> None:
    client.post(f"{API}/auth/login", json={"name": "root", "password": "wrong password!"})
    admin = admin_token(client)
    assert make_run(client, admin, "run0000009", "proj") == 200
    viewer = account(client, admin, "vera", proj="viewer")
    client.post(
        f"{API}/runs/delete", json={"ids": ["run0000009"], "force": True}, headers=bearer(admin)
    )
    entries = client.get(f"{API}/audit", headers=bearer(admin)).json()
    actions = {(e["actor"], e["action"]) for e in entries}
    for expected in [
        ("root", "login.failed"),
        ("root", "token.create"),
        ("root", "user.create"),
        ("root", "role.set"),
        ("root", "runs.delete"),
    ]:
        assert expected in actions, expected
    assert all(e["ip"] for e in entries if e["detail"].get("first") is None)  # bootstrap: no ip
    assert client.get(f"{API}/audit", headers=bearer(viewer)).status_code == 403
    only = client.get(f"{API}/audit", params={"action": "role.set"}, headers=bearer(admin)).json()
    assert [e["target"] for e in only] == ["proj/vera"]


def test_a_stale_session_cookie_does_not_block_signing_in_again(client: AppClient) -> None:
    stale = {"Cookie": f"{SESSION_COOKIE}=heron_{'z' * 43}"}  # revoked, expired or unknown
    assert client.get(f"{API}/auth/me", headers=stale).status_code == 401
    assert client.get(f"{API}/auth/config", headers=stale).status_code == 200
    login = {"name": "root", "password": ADMIN_PASSWORD}
    assert client.post(f"{API}/auth/login", json=login, headers=stale).status_code == 200
