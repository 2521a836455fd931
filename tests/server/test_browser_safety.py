"""Browser safety (heron.server.browser): each attack found against a loopback server,
replayed. DNS rebinding (a foreign Host), CSRF (a no-cors POST of a batch, a JSON body
sent as text/plain or untyped, a cross-origin Origin), CORS never granted, and the
security headers on every answer; live events still stream through the middleware."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from heron import wire
from heron.artifacts.digest import bytes_digest
from heron.artifacts.local import LocalArtifactStore
from heron.server import create_app
from heron.server.browser import allowed_hosts, host_allowed, host_name, same_origin
from heron.settings import Settings
from heron.store.sql import SqlStore
from tests.server.asgi import AppClient, app_client
from tests.server.conftest import ServerFactory
from tests.server.test_events import next_event, stream_events
from tests.store.helpers import batch

API = "/api/v1"
BATCH = {"content-type": wire.BATCH_CONTENT_TYPE}
EVIL = "http://evil.example"


def create(client: AppClient, run_id: str, **headers: str) -> httpx.Response:
    return client.post(f"{API}/runs", json={"id": run_id, "project": "proj"}, headers=headers)


def batch_body(run_id: str, seq: int, *, new: bool = False) -> bytes:
    events = [{"type": "create", "spec": {"id": run_id, "project": "proj"}}] if new else []
    return wire.encode_batch(batch(run_id, seq, events, loss=[1.0, 0.5]))  # type: ignore[arg-type]


def assert_problem(response: httpx.Response, status: int, kind: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["type"].endswith("/" + kind)
    assert body["detail"]


# --- DNS rebinding: the Host header ------------------------------------------------------


def test_a_foreign_host_can_neither_read_nor_delete(client: AppClient) -> None:
    assert create(client, "rebind0001").status_code == 200
    rebound = {"host": "evil.example:5310"}
    listed = client.get(f"{API}/projects", headers=rebound)
    assert_problem(listed, 421, "UntrustedHost")
    assert "evil.example" in listed.json()["detail"]
    assert "proj" not in listed.text
    deleted = client.post(f"{API}/runs/delete", json={"ids": ["rebind0001"]}, headers=rebound)
    assert_problem(deleted, 421, "UntrustedHost")
    assert client.get(f"{API}/runs/rebind0001").status_code == 200  # still there


@pytest.mark.parametrize("host", ["localhost:5310", "127.0.0.1:5310", "[::1]:5310", "LOCALHOST"])
def test_the_loopback_names_are_answered(client: AppClient, host: str) -> None:
    assert client.get(f"{API}/projects", headers={"host": host}).status_code == 200


def test_probes_by_address_still_work(client: AppClient) -> None:
    assert client.get("/healthz", headers={"host": "10.1.2.3:5310"}).status_code == 200


def test_allowed_hosts_defaults_and_setting() -> None:
    assert allowed_hosts(Settings()) == ["localhost", "127.0.0.1", "[::1]"]
    assert allowed_hosts(Settings(server_host="0.0.0.0")) == ["localhost", "127.0.0.1", "[::1]"]
    assert allowed_hosts(Settings(server_host="::")) == ["localhost", "127.0.0.1", "[::1]"]
    assert allowed_hosts(Settings(server_host="10.1.2.3"))[-1] == "10.1.2.3"
    assert allowed_hosts(Settings(server_host="fd00::1"))[-1] == "[fd00::1]"
    env = {"HERON_ALLOWED_HOSTS": "heron.internal, *.corp.example,"}
    assert allowed_hosts(Settings.from_env(env)) == ["heron.internal", "*.corp.example"]
    patterns = ["heron.internal", "*.corp.example"]
    assert host_allowed("heron.internal", patterns)
    assert host_allowed("ml.corp.example", patterns)
    assert not host_allowed("corp.example", patterns)
    assert not host_allowed("evilcorp.example", patterns)
    assert not host_allowed("heron.internal.evil.example", patterns)
    assert host_allowed("anything", ["*"])
    assert host_name("[::1]:5310") == "[::1]" and host_name("Localhost.:80") == "localhost"


def test_a_configured_host_is_answered(
    store: SqlStore, artifacts: LocalArtifactStore, tmp_path: Path
) -> None:
    settings = Settings(dir=tmp_path / "unused", allowed_hosts="heron.corp.example")
    app = create_app(store, artifacts, settings, static_dir=tmp_path / "no-ui")
    with app_client(app) as client:
        assert client.get(f"{API}/projects", headers={"host": "heron.corp.example"}).is_success
        refused = client.get(f"{API}/projects")  # localhost: not named any more
        assert_problem(refused, 421, "UntrustedHost")


# --- CSRF: Content-Type and Origin --------------------------------------------------------


def test_a_no_cors_batch_cannot_create_or_poison_a_run(client: AppClient) -> None:
    # What fetch(url, {method: "POST", mode: "no-cors", body}) sends: text/plain.
    plain = {"content-type": "text/plain;charset=UTF-8", "origin": EVIL}
    made = client.post(
        f"{API}/runs/csrf000001/batches",
        content=batch_body("csrf000001", 1, new=True),
        headers=plain,
    )
    assert_problem(made, 415, "UnsupportedMediaType")
    assert client.get(f"{API}/runs/csrf000001").status_code == 404
    # A victim run's next sequence number is not taken either (nor with a Blob body:
    # no Content-Type at all).
    assert create(client, "victim0001").status_code == 200
    for headers in (plain, {"origin": EVIL}, {}):  # an untyped body, from anyone
        poisoned = client.post(
            f"{API}/runs/victim0001/batches", content=batch_body("victim0001", 1), headers=headers
        )
        assert_problem(poisoned, 415, "UnsupportedMediaType")
    ok = client.post(
        f"{API}/runs/victim0001/batches", content=batch_body("victim0001", 1), headers=BATCH
    )
    assert ok.status_code == 200 and ok.json()["applied"]


def test_a_cross_origin_write_is_refused_whatever_its_type(client: AppClient) -> None:
    refused = client.post(
        f"{API}/runs/other00001/batches",
        content=batch_body("other00001", 1, new=True),
        headers={**BATCH, "origin": EVIL},
    )
    assert_problem(refused, 403, "CrossOriginRefused")
    assert_problem(create(client, "other00001", origin="null"), 403, "CrossOriginRefused")
    no_origin = create(client, "other00001", **{"sec-fetch-site": "cross-site"})
    assert_problem(no_origin, 403, "CrossOriginRefused")
    assert client.get(f"{API}/runs/other00001").status_code == 404


def test_the_servers_own_pages_and_plain_clients_may_write(client: AppClient) -> None:
    assert create(client, "own0000001", origin="http://localhost").status_code == 200
    own = {"origin": "http://localhost", "sec-fetch-site": "same-origin"}
    assert create(client, "own0000002", **own).status_code == 200
    assert create(client, "own0000003").status_code == 200  # the Python client, curl
    patched = client.patch(f"{API}/runs/own0000001", json={"add_tags": ["x"]}, headers=own)
    assert patched.status_code == 200, patched.text


def test_json_routes_take_only_json(client: AppClient) -> None:
    body = b'{"id": "typed00001", "project": "proj"}'
    own = {"origin": "http://localhost"}  # even from the server's own page
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = own if content_type is None else {**own, "content-type": content_type}
        sent = client.post(f"{API}/runs", content=body, headers=headers)
        assert_problem(sent, 415, "UnsupportedMediaType")
        assert "application/json" in sent.json()["detail"]
    typed = {"content-type": "application/json; charset=utf-8"}
    assert client.post(f"{API}/runs", content=body, headers=typed).status_code == 200


def test_blob_uploads_take_only_octet_stream(client: AppClient) -> None:
    data = b"some bytes"
    url = f"{API}/blobs/{bytes_digest(data)}"
    refused = client.put(url, content=data, headers={"content-type": "text/plain"})
    assert_problem(refused, 415, "UnsupportedMediaType")
    assert client.head(url).status_code == 404
    stored = client.put(url, content=data, headers={"content-type": "application/octet-stream"})
    assert stored.status_code == 200


def test_same_origin_compares_host_and_port() -> None:
    assert same_origin("http://localhost:5310", "http", "localhost:5310")
    assert same_origin("http://localhost", "http", "localhost:80")
    assert same_origin("https://heron.corp.example", "http", "heron.corp.example")  # TLS proxy
    assert not same_origin("http://localhost:8080", "http", "localhost:5310")
    assert not same_origin("http://evil.example", "http", "localhost:5310")
    assert not same_origin("null", "http", "localhost")


# --- CORS and security headers ------------------------------------------------------------


def test_cors_is_never_granted(client: AppClient) -> None:
    preflight = client.request(
        "OPTIONS",
        f"{API}/runs",
        headers={"origin": EVIL, "access-control-request-method": "POST"},
    )
    answers = [preflight, client.get(f"{API}/projects", headers={"origin": EVIL})]
    for response in answers:
        assert not any(k.lower().startswith("access-control-") for k in response.headers)


def assert_secure_headers(response: httpx.Response) -> str:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"
    csp = response.headers["content-security-policy"]
    for part in (
        "default-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'self'",
    ):
        assert part in csp, (part, csp)
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    return csp


def test_every_answer_carries_the_security_headers(client: AppClient, app: FastAPI) -> None:
    from fastapi import APIRouter

    boom = APIRouter()

    @boom.get("/boom")
    def fail() -> None:
        raise RuntimeError("boom")

    app.router.routes.insert(0, boom.routes[0])
    answers = [
        client.get(f"{API}/projects"),
        client.get(f"{API}/runs/nosuchrun1"),  # 404 problem
        client.get("/"),  # the UI (here: the not-built page)
        client.get("/healthz"),
        client.get(f"{API}/projects", headers={"host": "evil.example"}),  # refused
        client.get("/boom"),  # an unexpected error (500)
    ]
    assert answers[-1].status_code == 500
    for response in answers:
        assert_secure_headers(response)


def test_the_ui_page_allows_only_its_own_inline_script(
    store: SqlStore, artifacts: LocalArtifactStore, tmp_path: Path
) -> None:
    static = tmp_path / "ui"
    static.mkdir()
    script = "\n  document.documentElement.dataset.theme = 'dark';\n"
    (static / "index.html").write_text(
        f"<!doctype html><html><head><script>{script}</script>"
        '<script type="module" src="/assets/app.js"></script></head><body></body></html>'
    )
    app = create_app(store, artifacts, Settings(dir=tmp_path / "unused"), static_dir=static)
    with app_client(app) as client:
        page = client.get("/runs/some/where")
        csp = assert_secure_headers(page)
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
        api = client.get(f"{API}/projects")  # not a page: no script hash at all
        assert "sha256-" not in api.headers["content-security-policy"]


def test_api_docs_come_from_this_server(client: AppClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert_secure_headers(page)
    html = page.text
    assert "cdn" not in html.lower() and "http://" not in html and "https://" not in html
    sources = [part.split('"', 1)[0] for part in html.split('src="')[1:]]
    assert sources and all(s.startswith("/api/docs/") for s in sources)
    assert "<script>" not in html  # no inline script
    links = [part.split('"', 1)[0] for part in html.split('href="')[1:]]
    for url in sources + links:
        got = client.get(url)
        assert got.status_code == 200 and got.content, url
    assert client.get("/api/docs/..%2f..%2fbrowser.py").status_code == 404
    assert client.get("/api/docs/index.html").status_code == 404


# --- live events stream through the middleware --------------------------------------------


def test_live_events_still_stream(
    server_process: ServerFactory, sqlite_url: str, tmp_path: Path
) -> None:
    base = server_process(sqlite_url, tmp_path / "blobs").url
    events, close = stream_events(f"{base}/api/v1/events?project=proj")
    try:
        sent = httpx.post(
            f"{base}/api/v1/runs/stream0001/batches",
            content=batch_body("stream0001", 1, new=True),
            headers={**BATCH, "origin": base},  # the UI's own origin
        )
        assert sent.status_code == 200, sent.text
        assert sent.headers["x-frame-options"] == "DENY"
        assert next_event(events, "run")["run"] == "stream0001"
        assert next_event(events, "points")["keys"] == ["loss"]
    finally:
        close()
