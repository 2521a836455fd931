"""Every route of the API refuses a caller without a credential, and a signed-in
account without a role (and a viewer, for writes), on a server with accounts on.

The routes come from the app itself (the OpenAPI document and every mounted route
under the API prefixes), so a new route is checked without anyone listing it."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from heron import wire
from heron.server.app import create_app
from heron.server.auth import is_public
from heron.settings import Settings
from heron.store.sql import SqlStore
from tests.server.asgi import AppClient, app_client
from tests.store.helpers import batch

ADMIN_PASSWORD = "correct horse battery"
BLOB = b"weights"
DIGEST = "sha256:" + hashlib.sha256(BLOB).hexdigest()
VALUES = {
    "run_id": "run0000001",
    "project": "proj",
    "name": "root",
    "user": "root",
    "digest": DIGEST,
    "version": "1",
    "version_id": "1",
    "webhook_id": "1",
    "token_id": "1",
    "alias": "best",
    "ref": "model:best",
    "rule_id": "1",
    "report_id": "1",
    "comment_id": "1",
}
# Body fields that name what the call acts on: the seeded run and project, so that an
# allowed call would do something (an empty list would succeed by doing nothing, and a
# new project would be claimed by its first writer).
FIELDS: dict[str, Any] = {
    "id": "run0000001",
    "project": "proj",
    "ids": ["run0000001"],
    "runs": ["run0000001"],
    "run_id": "run0000001",
}
# What an account without any role may still do: about itself, and lists filtered to
# what it may read (checked to be empty below).
SELF_SERVICE = {
    ("GET", "/api/v1/auth/me"),
    ("POST", "/api/v1/auth/logout"),
    ("GET", "/api/v1/tokens"),
    ("POST", "/api/v1/tokens"),
    ("GET", "/metrics"),  # the server's own counters, no project's data
    *(("GET", path) for path in ("/api/v1/projects", "/api/v1/sweeps", "/api/v1/alerts/unread")),
}
FILTERED_LISTS = {("GET", "/api/v1/projects"), ("GET", "/api/v1/sweeps")}
# Reads that take their question as a POST body, and marking alerts read: a viewer's.
VIEWER_POSTS = re.compile(
    r"^/api/v1/(series|runs/table|projects/\{project\}/(analysis/\w+|alerts/read))$"
)


@pytest.fixture
def app(store: SqlStore, artifacts: Any, tmp_path: Path) -> FastAPI:
    settings = Settings(admin_user="root", admin_password=ADMIN_PASSWORD)
    return create_app(store, artifacts, settings, static_dir=tmp_path / "no-ui", auth=True)


@pytest.fixture
def client(app: FastAPI) -> Iterator[AppClient]:
    with app_client(app) as test_client:
        yield test_client


def routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path template) of every API route: the OpenAPI document's, and every
    mounted route under an API prefix (hidden ones included)."""
    found = {
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete", "head"}
    }
    for route in app.routes:
        if isinstance(route, APIRoute) or hasattr(route, "methods"):
            path = getattr(route, "path", "")
            for method in getattr(route, "methods", None) or ():
                if method != "HEAD" or path.startswith("/api/v1/blobs"):
                    found.add((method, path))
    return sorted(
        (m, p)
        for m, p in found
        if p.startswith(("/api/", "/ajax-api/", "/metrics")) and not is_public(p)
    )


def concrete(path: str) -> str:
    return re.sub(r"\{([^}:]+)(?::[^}]*)?\}", lambda m: VALUES.get(m.group(1), "x"), path)


def example(schema: dict[str, Any], spec: dict[str, Any]) -> Any:
    """A value of ``schema`` that passes validation: the required fields only."""
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return example(schema[key][0], spec)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        wanted = [k for k in props if k in schema.get("required", []) or k in FIELDS]
        return {k: FIELDS[k] if fits(props[k], k) else example(props[k], spec) for k in wanted}
    if kind == "array":
        return [example(schema.get("items", {}), spec)] * schema.get("minItems", 0)
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return False
    return "x" * max(1, schema.get("minLength", 1))


def fits(schema: dict[str, Any], field: str) -> bool:
    """Whether FIELDS' value for ``field`` has the type ``schema`` asks for."""
    if field not in FIELDS:
        return False
    options = schema.get("anyOf", [schema])
    kinds = {o.get("type"): o for o in options}
    value = FIELDS[field]
    if isinstance(value, list):
        return "array" in kinds and kinds["array"].get("items", {}).get("type") == "string"
    return "string" in kinds


def body_and_query(app: FastAPI, method: str, path: str) -> tuple[Any, dict[str, Any]]:
    spec = app.openapi()
    operation = spec["paths"].get(path, {}).get(method.lower(), {})
    query = {
        p["name"]: VALUES.get(p["name"], example(p.get("schema", {}), spec))
        for p in operation.get("parameters", [])
        if p.get("in") == "query" and p.get("required")
    }
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    return (example(schema, spec) if schema else {}), query


def call(
    client: AppClient, method: str, path: str, token: str | None, app: FastAPI | None = None
) -> int:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    url = concrete(path)
    body, query = body_and_query(app, method, path) if app is not None else ({}, {})
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    if method in {"POST", "PUT", "PATCH"}:
        if path.endswith("/batches"):
            body = wire.encode_batch(batch("run0000001", 99, [], loss=[1.0]))
            headers["Content-Type"] = wire.BATCH_CONTENT_TYPE
            return client.request(method, url, content=body, headers=headers).status_code
        if path.startswith("/api/v1/blobs"):
            headers["Content-Type"] = "application/octet-stream"
            return client.request(method, url, content=BLOB, headers=headers).status_code
        return client.request(method, url, json=body, headers=headers).status_code
    return client.request(method, url, headers=headers).status_code


def seed(client: AppClient) -> tuple[str, str, str]:
    """An admin, a viewer of proj and an account without roles; a run in proj."""
    login = {"name": "root", "password": ADMIN_PASSWORD, "token_name": "t"}
    admin = client.post("/api/v1/auth/token", json=login).json()["secret"]
    auth = {"Authorization": f"Bearer {admin}"}
    assert (
        client.post(
            "/api/v1/runs",
            json=VALUES | {"id": "run0000001"} and {"id": "run0000001", "project": "proj"},
            headers=auth,
        ).status_code
        == 200
    )
    put = client.put(
        f"/api/v1/blobs/{DIGEST}",
        content=BLOB,
        headers={**auth, "Content-Type": "application/octet-stream"},
    )
    assert put.status_code == 200
    tokens = []
    for name, role in (("vera", "viewer"), ("nobody", None)):
        assert (
            client.post(
                "/api/v1/users", json={"name": name, "service": True}, headers=auth
            ).status_code
            == 201
        )
        if role:
            client.put(f"/api/v1/projects/proj/members/{name}", json={"role": role}, headers=auth)
        issued = client.post("/api/v1/tokens", json={"name": "t", "user": name}, headers=auth)
        tokens.append(issued.json()["secret"])
    return admin, tokens[0], tokens[1]


def test_every_route_refuses_anonymous_and_roleless_callers(
    client: AppClient, app: FastAPI
) -> None:
    _, _, nobody = seed(client)
    checked = routes(app)
    assert len(checked) > 60, checked  # the walk found the API
    failures = []
    for method, path in checked:
        anonymous = call(client, method, path, None)
        if anonymous != 401:
            failures.append(f"anonymous {method} {path}: {anonymous}")
        if (method, path) in SELF_SERVICE:
            continue
        roleless = call(client, method, path, nobody, app)
        if roleless not in (403, 404):
            failures.append(f"no role {method} {path}: {roleless}")
    assert not failures, "\n".join(failures)
    for method, path in FILTERED_LISTS:
        got = client.request(method, path, headers={"Authorization": f"Bearer {nobody}"})
        assert got.status_code == 200 and got.json() == [], path


def test_every_write_refuses_a_viewer(client: AppClient, app: FastAPI) -> None:
    _, viewer, _ = seed(client)
    failures = []
    for method, path in routes(app):
        if method in {"GET", "HEAD"} or (method, path) in SELF_SERVICE or VIEWER_POSTS.match(path):
            continue
        got = call(client, method, path, viewer, app)
        if got not in (403, 404):
            failures.append(f"viewer {method} {path}: {got}")
    assert not failures, "\n".join(failures)
