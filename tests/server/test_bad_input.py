"""Hostile input gets a clear 4xx problem and changes nothing; never a 500.

Each case is something an attacker sent to ``heron server`` that once answered 500 (or
was accepted where it should not be): integers past int64, lone surrogates, names and
keys past the column limits, control characters, huge notes, impossible times, file
names outside Latin-1. Over SQLite and PostgreSQL (the ``client`` fixture).
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import uvicorn

from heron import wire
from heron.artifacts.digest import bytes_digest
from heron.artifacts.local import LocalArtifactStore
from heron.errors import InvalidInput
from heron.keys import (
    MAX_CONFIG_PATH_LENGTH,
    MAX_FREE_TEXT_BYTES,
    MAX_KEY_LENGTH,
    MAX_RUN_NAME_LENGTH,
)
from heron.server import create_app
from heron.service import Tracking
from heron.settings import Settings
from heron.store.base import Batch, RunSpec
from heron.store.sql import SqlStore
from tests.server.asgi import AppClient
from tests.server.conftest import free_port
from tests.store.helpers import batch

API = "/api/v1"
BIG = 2**63
LONE = "\ud800"
JSON = "application/json"


def create(client: AppClient, run_id: str = "run0000001", **spec: Any) -> dict[str, Any]:
    response = client.post(f"{API}/runs", json={"id": run_id, "project": "proj", **spec})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def refused(response: httpx.Response, status: int | None = None) -> dict[str, Any]:
    """A 4xx problem JSON (exactly ``status`` when given)."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    if status is not None:
        assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == response.status_code and body["detail"]
    return body  # type: ignore[no-any-return]


def send_json(client: AppClient, method: str, url: str, body: Any) -> httpx.Response:
    """``body`` as JSON with \\u escapes: httpx's ``json=`` cannot encode a lone surrogate."""
    content = json.dumps(body)
    return client.request(method, url, content=content, headers={"content-type": JSON})


def runs_of(client: AppClient) -> list[dict[str, Any]]:
    return client.get(f"{API}/runs").json()["runs"]  # type: ignore[no-any-return]


# --- 1. integers past int64 -----------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/runs?limit={BIG}"),
        ("GET", f"/runs?offset={BIG}"),
        ("GET", f"/artifacts/{BIG}"),
        ("GET", f"/artifacts/{BIG}/files/a.txt"),
        ("GET", f"/models/m/versions/{BIG}"),
        ("DELETE", f"/webhooks/{BIG}"),
        ("GET", f"/webhooks/{BIG}/deliveries"),
        ("GET", f"/runs/run0000001/console?after={BIG}"),
        ("GET", f"/runs?limit={2**64}"),
    ],
)
def test_integers_past_int64_in_urls_are_refused(client: AppClient, method: str, path: str) -> None:
    create(client)
    client.post(f"{API}/models", json={"name": "m"})
    response = client.request(method, API + path)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        refused(response)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/runs/table", {"limit": BIG}),
        ("/runs/table", {"offset": BIG}),
        ("/models/m/transitions", {"version": BIG, "stage": "staging"}),
        ("/models/m/aliases", {"version": BIG, "alias": "best"}),
        ("/models/m/versions", {"artifact_id": BIG}),
    ],
)
def test_integers_past_int64_in_bodies_are_refused(
    client: AppClient, path: str, body: dict[str, Any]
) -> None:
    create(client)
    client.post(f"{API}/models", json={"name": "m"})
    response = client.post(API + path, json=body)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        refused(response)


def test_a_batch_seq_past_int64_is_refused_and_changes_nothing(client: AppClient) -> None:
    create(client)
    b = batch("run0000001", 1, loss=[1.0])
    huge = Batch(run_id=b.run_id, seq=BIG, metrics=b.metrics, events=b.events)
    response = client.post(
        f"{API}/runs/run0000001/batches",
        content=wire.encode_batch(huge),
        headers={"content-type": wire.BATCH_CONTENT_TYPE},
    )
    refused(response, 400)
    assert client.get(f"{API}/runs/run0000001/history").json() == {}


def test_a_step_past_int64_in_an_event_is_refused(client: AppClient) -> None:
    create(client)
    events: list[Any] = [{"type": "summary", "set": {"best": 1}, "step": BIG, "time": 1.0}]
    response = client.post(
        f"{API}/runs/run0000001/batches",
        content=wire.encode_batch(batch("run0000001", 1, events)),
        headers={"content-type": wire.BATCH_CONTENT_TYPE},
    )
    assert response.status_code < 500, response.text


# --- 2. lone surrogates -------------------------------------------------------------
@pytest.mark.parametrize(
    "spec",
    [
        {"project": "p" + LONE},
        {"name": "run" + LONE},
        {"group": "g" + LONE},
        {"tags": ["t" + LONE]},
        {"notes": "n" + LONE},
        {"config": {"k" + LONE: 1}},
        {"config": {"k": "v" + LONE}},
        {"config": {"k": ["v" + LONE]}},
        {"system": {"host": "h" + LONE}},
        {"resume_key": "r" + LONE},
    ],
)
def test_lone_surrogates_in_a_new_run_are_refused(client: AppClient, spec: dict[str, Any]) -> None:
    body = {"id": "run0000009", "project": "proj", **spec}
    refused(send_json(client, "POST", f"{API}/runs", body), 400)
    assert runs_of(client) == []


@pytest.mark.parametrize(
    "patch",
    [{"name": "x" + LONE}, {"notes": "x" + LONE}, {"add_tags": ["x" + LONE]}],
)
def test_lone_surrogates_in_a_patch_are_refused(client: AppClient, patch: dict[str, Any]) -> None:
    before = create(client, name="kept", notes="old")
    refused(send_json(client, "PATCH", f"{API}/runs/run0000001", patch), 400)
    after = client.get(f"{API}/runs/run0000001").json()
    assert (after["name"], after["notes"], after["tags"]) == ("kept", "old", before["tags"])


@pytest.mark.parametrize(
    "url",
    [
        f"{API}/runs?filter=config.a%20%3D%20%22%ED%A0%80%22",
        f"{API}/runs?project=p%ED%A0%80",
    ],
)
def test_lone_surrogates_in_query_strings_do_not_fail(client: AppClient, url: str) -> None:
    # %ED%A0%80 is the (invalid) UTF-8 of U+D800: it decodes to U+FFFD, never a 500
    create(client)
    assert client.get(url).status_code < 500


def test_lone_surrogates_in_filters_are_refused(client: AppClient) -> None:
    create(client)
    body = {"filter": f'config.a = "{LONE}"'}
    refused(send_json(client, "POST", f"{API}/runs/table", body), 400)


def test_lone_surrogates_in_any_json_body_are_refused(client: AppClient) -> None:
    refused(send_json(client, "POST", f"{API}/models", {"name": "m", "description": LONE}), 400)
    assert client.get(f"{API}/models").json() == []
    # an escaped backslash before "ud800" is plain text, and a pair is a real character
    ok = client.post(f"{API}/models", json={"name": "m", "description": "\\ud800 \U0001f600"})
    assert ok.status_code == 201, ok.text


# --- 3. lengths past the columns ------------------------------------------------------
@pytest.mark.parametrize(
    "spec",
    [
        {"name": "r" * (MAX_RUN_NAME_LENGTH + 1)},
        {"group": "g" * (MAX_RUN_NAME_LENGTH + 1)},
        {"project": "p" * 300},
        {"tags": ["t" * 300]},
        {"config": {"k" * 10_000: 1}},
        {"config": {"k" * (MAX_CONFIG_PATH_LENGTH + 1): 1}},
        {"resume_key": "r" * 10_000},
    ],
)
def test_names_and_keys_past_their_limits_are_refused(
    client: AppClient, spec: dict[str, Any]
) -> None:
    body = {"id": "run0000009", "project": "proj", **spec}
    refused(client.post(f"{API}/runs", json=body), 400)
    assert runs_of(client) == []


def test_names_at_their_limits_are_accepted(client: AppClient) -> None:
    run = create(client, name="r" * MAX_RUN_NAME_LENGTH, config={"k" * MAX_KEY_LENGTH: 1})
    assert run["name"] == "r" * MAX_RUN_NAME_LENGTH


def test_a_long_name_in_a_patch_is_refused(client: AppClient) -> None:
    create(client, name="kept")
    long = {"name": "r" * (MAX_RUN_NAME_LENGTH + 1)}
    refused(client.patch(f"{API}/runs/run0000001", json=long), 400)
    assert client.get(f"{API}/runs/run0000001").json()["name"] == "kept"


# --- 5. times ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "at",
    [1e400, -1e400, time.time() + 3 * 86400, 1e18],
    ids=["inf", "-inf", "in-3-days", "1e18"],  # stable ids: pytest-xdist workers compare them
)
def test_impossible_heartbeats_are_refused(client: AppClient, at: float) -> None:
    create(client)
    body = f'{{"at": {at!r}}}'.replace("inf", "1e400")
    response = client.post(
        f"{API}/runs/run0000001/heartbeat",
        content=body,
        headers={"content-type": "application/json"},
    )
    refused(response, 400)


def test_an_infinite_created_at_is_refused(client: AppClient) -> None:
    body = '{"id": "run0000009", "project": "proj", "created_at": 1e400}'
    response = client.post(
        f"{API}/runs", content=body, headers={"content-type": "application/json"}
    )
    refused(response, 400)
    assert runs_of(client) == []


def test_a_recent_heartbeat_and_created_at_are_accepted(client: AppClient) -> None:
    create(client, created_at=time.time() + 60)
    response = client.post(f"{API}/runs/run0000001/heartbeat", json={"at": time.time() + 60})
    assert response.status_code == 204, response.text


def test_an_infinite_crash_time_is_refused(client: AppClient) -> None:
    create(client)
    body = '{"at": 1e400, "reason": "gone"}'
    response = client.post(
        f"{API}/runs/run0000001/crashed",
        content=body,
        headers={"content-type": "application/json"},
    )
    refused(response, 400)
    assert client.get(f"{API}/runs/run0000001").json()["state"] == "running"


# --- 6. control characters and surrounding whitespace ---------------------------------
@pytest.mark.parametrize(
    "spec",
    [
        {"project": "proj\n"},
        {"name": "run\n"},
        {"name": " run"},
        {"name": "a\x1b[31mb"},
        {"group": "g\n"},
        {"group": "g\t"},
        {"tags": ["t\n"]},
        {"tags": [" t"]},
        {"name": "a\u2028b"},
    ],
)
def test_names_with_control_characters_or_edge_spaces_are_refused(
    client: AppClient, spec: dict[str, Any]
) -> None:
    body = {"id": "run0000009", "project": "proj", **spec}
    refused(client.post(f"{API}/runs", json=body), 400)
    assert runs_of(client) == []


def test_names_with_inner_spaces_and_any_script_are_accepted(client: AppClient) -> None:
    run = create(client, name="baseline 2 (漢字)", group="sweep a", tags=["needs review"])
    assert run["name"] == "baseline 2 (漢字)"


def test_notes_keep_newlines_and_tabs(client: AppClient) -> None:
    assert create(client, notes="line 1\n\tline 2\r\n")["notes"] == "line 1\n\tline 2\r\n"


# --- 7. notes size ------------------------------------------------------------------
def test_notes_past_the_limit_are_refused(client: AppClient, store: SqlStore) -> None:
    create(client, notes="old")
    tracking = Tracking(store, LocalArtifactStore(Path("unused"), durable=False))
    with pytest.raises(InvalidInput, match="limit"):
        tracking.update_run("run0000001", notes="x" * (MAX_FREE_TEXT_BYTES + 1))
    with pytest.raises(InvalidInput, match="limit"):  # counted in UTF-8 bytes
        tracking.update_run("run0000001", notes="é" * (MAX_FREE_TEXT_BYTES // 2 + 1))
    spec = RunSpec(id="run0000009", project="p", notes="x" * (MAX_FREE_TEXT_BYTES + 1))
    with pytest.raises(InvalidInput, match="limit"):
        tracking.create_run(spec)
    assert client.get(f"{API}/runs/run0000001").json()["notes"] == "old"
    assert [r["id"] for r in runs_of(client)] == ["run0000001"]


def test_notes_at_the_limit_are_accepted(client: AppClient, store: SqlStore) -> None:
    create(client)
    tracking = Tracking(store, LocalArtifactStore(Path("unused"), durable=False))
    notes = "é" * (MAX_FREE_TEXT_BYTES // 2)  # two bytes each in UTF-8
    assert tracking.update_run("run0000001", notes=notes).notes == notes


# --- 8. downloads of files named outside Latin-1 ------------------------------------------
@pytest.mark.parametrize("name", ["漢字.txt", "😀.txt", 'quo"te; 100%.txt', "plain.txt"])
def test_downloads_of_any_file_name(client: AppClient, name: str) -> None:
    data = b"hello"
    digest = bytes_digest(data)
    octets = {"content-type": "application/octet-stream"}
    assert client.put(f"{API}/blobs/{digest}", content=data, headers=octets).status_code == 200
    create(client)
    event: Any = {"type": "file", "file": {"path": name, "digest": digest, "size": len(data)}}
    response = client.post(
        f"{API}/runs/run0000001/batches",
        content=wire.encode_batch(batch("run0000001", 1, [event])),
        headers={"content-type": wire.BATCH_CONTENT_TYPE},
    )
    assert response.status_code == 200, response.text
    response = client.get(f"{API}/runs/run0000001/files/{quote(name)}")
    assert response.status_code == 200, response.text
    assert response.content == data
    disposition = response.headers["content-disposition"]
    disposition.encode("latin-1")
    assert disposition.isascii()
    assert f"filename*=UTF-8''{quote(name, safe='')}" in disposition
    fallback = disposition.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback.endswith(".txt") and not {'"', "\\", "%"} & set(fallback)


# --- 4. an unexpected failure answers a problem and keeps the connection --------------------
@pytest.fixture
def live_app(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[str, SqlStore]]:
    store = SqlStore(sqlite_url)
    artifacts = LocalArtifactStore(tmp_path / "blobs", durable=False)
    settings = Settings(dir=tmp_path / "unused")
    app = create_app(store, artifacts, settings, static_dir=tmp_path / "no-ui")
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", store
    finally:
        server.should_exit = True
        thread.join(30)
        store.close()


def test_an_unexpected_error_answers_500_problem_and_keeps_the_connection(
    live_app: tuple[str, SqlStore], monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    url, store = live_app

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(store, "count_runs", broken)
    with httpx.Client(base_url=url) as client:
        first = client.get(f"{API}/runs/count")
        assert first.status_code == 500
        assert first.headers["content-type"].startswith("application/problem+json")
        body = first.json()
        assert body["status"] == 500 and "secret" not in first.text
        where = first.extensions["network_stream"].get_extra_info("client_addr")
        second = client.get("/healthz")
        assert second.status_code == 200
        assert second.extensions["network_stream"].get_extra_info("client_addr") == where
    assert any("secret internals" in r.getMessage() or r.exc_info for r in caplog.records)


def test_nan_is_not_a_time(client: AppClient) -> None:
    create(client)
    body = '{"at": NaN}'
    response = client.post(
        f"{API}/runs/run0000001/heartbeat",
        content=body,
        headers={"content-type": "application/json"},
    )
    refused(response)
    assert math.isnan(float("nan"))


@pytest.mark.parametrize(
    "at",
    [math.inf, -math.inf, math.nan, time.time() + 3 * 86400],
    ids=["inf", "-inf", "nan", "in-3-days"],  # stable ids: pytest-xdist workers compare them
)
def test_impossible_event_times_in_a_batch_are_refused(client: AppClient, at: float) -> None:
    create(client)
    events: list[Any] = [{"type": "state", "state": "finished", "time": at}]
    response = client.post(
        f"{API}/runs/run0000001/batches",
        content=wire.encode_batch(batch("run0000001", 1, events)),
        headers={"content-type": wire.BATCH_CONTENT_TYPE},
    )
    refused(response, 400)
    run = client.get(f"{API}/runs/run0000001").json()
    assert run["state"] == "running" and run["ingested_seq"] == -1


def test_every_limit_is_documented() -> None:
    from heron.keys import MAX_NAME_LENGTH, MAX_PATH_LENGTH, MAX_RESUME_KEY_LENGTH, MAX_TAG_LENGTH
    from heron.registry.egress import MAX_URL_LENGTH
    from heron.store.checks import MAX_FUTURE_S

    docs = Path(__file__).resolve().parents[2] / "docs" / "server.md"
    limits = docs.read_text(encoding="utf-8").split("## Limits", 1)[1].split("\n## ", 1)[0]
    assert "1 MiB (1,048,576 bytes)" in limits and MAX_FREE_TEXT_BYTES == 1_048_576
    assert f"{MAX_FUTURE_S:,.0f} s" in limits and "2^63-1" in limits
    for value in (
        MAX_NAME_LENGTH,
        MAX_RUN_NAME_LENGTH,
        MAX_TAG_LENGTH,
        MAX_KEY_LENGTH,
        MAX_CONFIG_PATH_LENGTH,
        MAX_RESUME_KEY_LENGTH,
        MAX_PATH_LENGTH,
    ):
        assert str(value) in limits, value
    assert f"{MAX_URL_LENGTH:,}" in limits
