"""The alert routes over the in-process app: rules, the bell, the delivery log, who may
do what (with accounts), bad input as 4xx; a NaN shipped over HTTP reaches the
webhook receiver once."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from heron import wire
from heron.accounts import SqlAccounts
from heron.artifacts.local import LocalArtifactStore
from heron.server import create_app
from heron.settings import Settings
from heron.store.sql import SqlStore
from tests.registry.receiver import Receiver, receiver
from tests.server.asgi import AppClient, app_client
from tests.store.helpers import T0, batch, series

__all__ = ["receiver"]

API = "/api/v1"


def _app(store: SqlStore, tmp_path: Path, receiver: Receiver, auth: bool = False) -> FastAPI:
    settings = Settings.from_env(
        {"HERON_WEBHOOK_ALLOW": f"127.0.0.1:{receiver.port}"}, dir=tmp_path / "unused"
    )
    blobs = LocalArtifactStore(tmp_path / "blobs", durable=False)
    return create_app(store, blobs, settings, static_dir=tmp_path / "no-ui", auth=auth)


@pytest.fixture
def app(store: SqlStore, tmp_path: Path, receiver: Receiver) -> FastAPI:
    return _app(store, tmp_path, receiver)


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Iterator[SqlStore]:
    """For the route-level checks that do not depend on the database (the engine's tests
    run on both): SQLite only, to keep the suite fast."""
    from heron.store import open_store

    opened = open_store(sqlite_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def client(app: FastAPI) -> Iterator[AppClient]:
    with app_client(app) as test_client:
        yield test_client


def ship(client: AppClient, run: str, seq: int, **kwargs: object) -> None:
    events = [{"type": "create", "spec": {"id": run, "project": "proj"}}] if seq == 1 else []
    body = wire.encode_batch(batch(run, seq, events, **kwargs))  # type: ignore[arg-type]
    answer = client.post(
        f"{API}/runs/{run}/batches",
        content=body,
        headers={"content-type": wire.BATCH_CONTENT_TYPE},
    )
    assert answer.status_code == 200, answer.text


def test_a_nan_over_http_is_one_alert_in_the_bell_and_one_webhook_post(
    app: FastAPI, client: AppClient, receiver: Receiver
) -> None:
    rule = {"name": "nan loss", "kind": "nan", "key": "loss", "webhooks": [receiver.url]}
    made = client.post(f"{API}/projects/proj/alert-rules", json=rule)
    assert made.status_code == 201, made.text
    assert made.json()["condition"] == "NaN or infinity in loss"
    ship(client, "run0000001", 1, loss=[1.0, float("nan")])
    ship(client, "run0000001", 2, loss=series([float("nan")], steps=[5]))
    alerts = app.state.heron.tracking.alerts
    assert alerts.wait(30)

    assert client.get(f"{API}/alerts/unread").json() == {"total": 1, "projects": {"proj": 1}}
    [alert] = client.get(f"{API}/projects/proj/alerts").json()
    assert (alert["title"], alert["repeats"], alert["status"]) == ("NaN in loss", 1, "sent")
    assert [json.loads(body)["text"].split("\n")[0] for _, body in receiver.requests] == [
        "[error] NaN in loss"
    ]
    [delivery] = client.get(f"{API}/projects/proj/alerts/deliveries").json()
    assert (delivery["channel"], delivery["status"], delivery["target"]) == (
        "webhook",
        "delivered",
        receiver.url,
    )
    read = client.post(f"{API}/projects/proj/alerts/read", json={"ids": None})
    assert read.json() == {"marked": 1}
    assert client.get(f"{API}/alerts/unread").json() == {"total": 0, "projects": {}}
    assert client.get(f"{API}/projects/proj/alerts", params={"unread": True}).json() == []


def test_rules_listed_switched_and_removed(client: AppClient) -> None:
    body = {"name": "slow", "kind": "stale", "minutes": 30}
    rule = client.post(f"{API}/projects/proj/alert-rules", json=body).json()
    off = client.patch(f"{API}/projects/proj/alert-rules/{rule['id']}", json={"enabled": False})
    assert off.json()["enabled"] is False
    assert [r["name"] for r in client.get(f"{API}/projects/proj/alert-rules").json()] == ["slow"]
    assert (
        client.request("DELETE", f"{API}/projects/other/alert-rules/{rule['id']}").status_code
        == 404
    )
    assert (
        client.request("DELETE", f"{API}/projects/proj/alert-rules/{rule['id']}").status_code == 204
    )
    assert client.get(f"{API}/projects/proj/alert-rules").json() == []


BAD_RULES: list[tuple[object, int, str]] = [
    ({"name": "x", "kind": "sometimes"}, 422, "kind"),
    ({"name": "x", "kind": "nan", "extra": 1}, 422, "extra"),
    ({"name": "x", "kind": "divergence", "key": "loss", "factor": 1.0}, 400, "above 1"),
    ({"name": "x", "kind": "nan", "webhooks": ["http://169.254.169.254/"]}, 400, "ALLOW"),
    ({"name": "x", "kind": "nan", "emails": ["nobody"]}, 400, "e-mail"),
    ({"name": "x", "kind": "nan", "webhooks": ["http://a.example/"] * 11}, 422, "webhooks"),
    ({"name": "x", "kind": "nan", "key": "bad key!"}, 400, "metric pattern"),
]


def test_bad_rules_are_4xx_problems(
    sqlite_store: SqlStore, tmp_path: Path, receiver: Receiver
) -> None:
    with app_client(_app(sqlite_store, tmp_path, receiver)) as client:
        _bad_rules(client)


def _bad_rules(client: AppClient) -> None:
    for body, status, says in BAD_RULES:
        answer = client.post(f"{API}/projects/proj/alert-rules", json=body)
        assert answer.status_code == status, (body, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert says in answer.text, (body, answer.text)
    bad_project = client.post(
        f"{API}/projects/no%20such/alert-rules", json={"name": "x", "kind": "nan"}
    )
    assert bad_project.status_code == 400, bad_project.text
    assert client.get(f"{API}/projects/proj/alerts", params={"limit": 0}).status_code == 422


def test_readers_read_admins_edit_and_see_whole_urls(
    sqlite_store: SqlStore, tmp_path: Path, receiver: Receiver
) -> None:
    store = sqlite_store
    book = SqlAccounts(store)
    tokens = {}
    for name, role in (("ada", "admin"), ("vic", "viewer")):
        book.create_user(name, created_by="test")
        book.set_role(name, "proj", role)  # type: ignore[arg-type]
        tokens[name] = {"Authorization": f"Bearer {book.issue_token(name, 't').secret}"}
    rule = {"name": "hook", "kind": "state", "webhooks": [receiver.url + "T0KEN/secret"]}
    with app_client(_app(store, tmp_path, receiver, auth=True)) as client:
        url = f"{API}/projects/proj/alert-rules"
        assert client.post(url, json=rule, headers=tokens["vic"]).status_code == 403
        made = client.post(url, json=rule, headers=tokens["ada"])
        assert made.status_code == 201, made.text
        [seen] = client.get(url, headers=tokens["vic"]).json()
        assert seen["webhooks"] == [f"http://127.0.0.1:{receiver.port}/…"]
        [whole] = client.get(url, headers=tokens["ada"]).json()
        assert whole["webhooks"] == [receiver.url + "T0KEN/secret"]
        assert client.get(f"{API}/projects/proj/alerts", headers=tokens["vic"]).status_code == 200
        other = client.get(f"{API}/projects/elsewhere/alerts", headers=tokens["vic"])
        assert other.status_code in (403, 404)
        gone = client.request("DELETE", f"{url}/{made.json()['id']}", headers=tokens["vic"])
        assert gone.status_code == 403


def test_the_background_loop_raises_stale_run_alerts(
    sqlite_store: SqlStore, tmp_path: Path
) -> None:
    """The server checks stale rules beside its reaper; its alerts' clock is moved on
    instead of waiting (the crash reaper is kept out of the way by a long crash_after)."""
    settings = Settings(dir=tmp_path / "unused", crash_after=1e9)
    blobs = LocalArtifactStore(tmp_path / "blobs", durable=False)
    app = create_app(
        sqlite_store, blobs, settings, static_dir=tmp_path / "no-ui", reap_seconds=0.05
    )
    alerts = app.state.heron.tracking.alerts
    with app_client(app) as client:
        ship(client, "run0000009", 1, loss=[1.0])
        rule = {"name": "stalled", "kind": "stale", "minutes": 10}
        assert client.post(f"{API}/projects/proj/alert-rules", json=rule).status_code == 201
        alerts.clock = lambda: T0 + 11 * 60  # the point was logged at T0 (tests.store.helpers)
        raised = threading.Event()
        for _ in range(2000):  # the loop runs every 0.05 s; give up after many of its turns
            found = client.get(f"{API}/projects/proj/alerts").json()
            if found:
                raised.set()
                break
            raised.wait(0.05)
        assert raised.is_set(), "the background loop raised no stale alert"
        assert [a["title"] for a in found] == ["run run0000009 is stale"]
