"""The report and comment routes over the in-process app: the round trip, bad input as
4xx (never a 500), and with accounts the author of a comment is the calling account,
a viewer reads but does not write, and only the author or a project admin deletes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from heron.accounts import SqlAccounts
from heron.artifacts.local import LocalArtifactStore
from heron.server import create_app
from heron.settings import Settings
from heron.store import open_store
from heron.store.sql import SqlStore
from tests.server.asgi import app_client
from tests.store.helpers import new_run

API = "/api/v1"


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Iterator[SqlStore]:
    """The rules' tests run on both databases (tests/service); the skin on SQLite."""
    opened = open_store(sqlite_url)
    try:
        yield opened
    finally:
        opened.close()


def _app(store: SqlStore, tmp_path: Path, auth: bool = False) -> FastAPI:
    blobs = LocalArtifactStore(tmp_path / "blobs", durable=False)
    settings = Settings(dir=tmp_path / "unused")
    return create_app(store, blobs, settings, static_dir=tmp_path / "no-ui", auth=auth)


def test_reports_round_trip_and_bad_input(sqlite_store: SqlStore, tmp_path: Path) -> None:
    with app_client(_app(sqlite_store, tmp_path)) as client:
        url = f"{API}/projects/proj/reports"
        made = client.post(url, json={"title": "Sweep", "body": "# Hi\n```heron-runs\n```"})
        assert made.status_code == 201, made.text
        report = made.json()
        assert (report["title"], report["created_by"]) == ("Sweep", "local")
        [listed] = client.get(url).json()
        assert listed["id"] == report["id"] and "body" not in listed
        patched = client.patch(f"{url}/{report['id']}", json={"body": "new"})
        assert patched.status_code == 200 and patched.json()["title"] == "Sweep"
        assert client.get(f"{url}/{report['id']}").json()["body"] == "new"
        assert client.get(f"{API}/projects/other/reports/{report['id']}").status_code == 404
        assert client.post(url, json={"title": ""}).status_code == 422
        assert client.post(url, json={"title": "x", "extra": 1}).status_code == 422
        assert client.post(url, json={"title": " x"}).status_code == 400
        big = client.post(url, json={"title": "big", "body": "é" * 300_000})
        assert big.status_code == 400 and "limit is 524,288" in big.json()["detail"]
        assert client.get(f"{url}/x").status_code == 422
        assert client.delete(f"{url}/{report['id']}").status_code == 204
        assert client.delete(f"{url}/{report['id']}").status_code == 404


def test_comment_authors_and_roles(sqlite_store: SqlStore, tmp_path: Path) -> None:
    run = new_run(sqlite_store).id
    book = SqlAccounts(sqlite_store)
    tokens = {}
    for name, role in (("eda", "editor"), ("ed2", "editor"), ("vic", "viewer"), ("ada", "admin")):
        book.create_user(name, created_by="test")
        book.set_role(name, "proj", role)  # type: ignore[arg-type]
        tokens[name] = {"Authorization": f"Bearer {book.issue_token(name, 't').secret}"}
    with app_client(_app(sqlite_store, tmp_path, auth=True)) as client:
        url = f"{API}/runs/{run}/comments"
        made = client.post(url, json={"body": "looks **good**"}, headers=tokens["eda"])
        assert made.status_code == 201, made.text
        comment = made.json()
        assert comment["author"] == "eda" and comment["edited_at"] is None
        assert client.post(url, json={"body": "me too"}, headers=tokens["vic"]).status_code == 403
        assert [c["body"] for c in client.get(url, headers=tokens["vic"]).json()] == [
            "looks **good**"
        ]
        one = f"{url}/{comment['id']}"
        assert client.patch(one, json={"body": "x"}, headers=tokens["ed2"]).status_code == 403
        assert client.delete(one, headers=tokens["ed2"]).status_code == 403
        edited = client.patch(one, json={"body": "looks fine"}, headers=tokens["eda"])
        assert edited.status_code == 200 and edited.json()["edited_at"] is not None
        assert client.post(url, json={"body": "  "}, headers=tokens["eda"]).status_code == 400
        assert client.post(url, json={"body": ""}, headers=tokens["eda"]).status_code == 422
        assert client.delete(one, headers=tokens["ada"]).status_code == 204  # an admin
        assert client.get(url, headers=tokens["eda"]).json() == []
        assert (
            client.get(f"{API}/runs/nosuchrun0/comments", headers=tokens["ada"]).status_code == 404
        )
