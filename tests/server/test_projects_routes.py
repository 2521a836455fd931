"""``POST /projects/{project}/rename`` over the in-process app: a skin over
``heron.service.projects`` (its rules are tested on both databases in tests/service):
the project admin renames, an editor or viewer is refused, bad or taken names are 4xx."""

from __future__ import annotations

from pathlib import Path

import pytest

import heron
from heron.accounts import SqlAccounts
from heron.artifacts.local import LocalArtifactStore
from heron.errors import Conflict, InvalidInput
from heron.server import create_app
from heron.settings import Settings
from heron.store import open_store
from tests.remote.inprocess import URL, remote_stores
from tests.server.asgi import app_client
from tests.store.helpers import new_run

API = "/api/v1"


def test_rename_route(sqlite_url: str, tmp_path: Path) -> None:
    with open_store(sqlite_url) as store:
        run = new_run(store, project="proj").id
        new_run(store, project="taken")
        book = SqlAccounts(store)
        tokens = {}
        for name, role in (("ed", "editor"), ("vic", "viewer"), ("ada", "admin")):
            book.create_user(name, created_by="test")
            book.set_role(name, "proj", role)  # type: ignore[arg-type]
            tokens[name] = {"Authorization": f"Bearer {book.issue_token(name, 't').secret}"}
        blobs = LocalArtifactStore(tmp_path / "blobs", durable=False)
        settings = Settings(dir=tmp_path / "unused")
        app = create_app(store, blobs, settings, static_dir=tmp_path / "no-ui", auth=True)
        with app_client(app) as client:
            url = f"{API}/projects/proj/rename"
            for who in ("ed", "vic"):
                refused = client.post(url, json={"new_name": "fresh"}, headers=tokens[who])
                assert refused.status_code == 403, refused.text
            ada = tokens["ada"]
            assert client.post(url, json={"new_name": "a b"}, headers=ada).status_code == 400
            assert client.post(url, json={"new_name": ""}, headers=ada).status_code == 422
            assert client.post(url, json={"name": "x"}, headers=ada).status_code == 422
            taken = client.post(url, json={"new_name": "taken"}, headers=ada)
            assert taken.status_code == 409 and "already exists" in taken.json()["detail"]
            done = client.post(url, json={"new_name": "fresh"}, headers=ada)
            assert done.status_code == 200, done.text
            body = done.json()
            assert (body["old_name"], body["name"]) == ("proj", "fresh")
            assert body["moved"]["projects"] == 1 and body["moved"]["memberships"] == 3
            # the admin's role moved with the project: the run reads under its new name
            got = client.get(f"{API}/runs/{run}", headers=ada)
            assert got.status_code == 200 and got.json()["project"] == "fresh"
            again = client.post(url, json={"new_name": "other"}, headers=ada)
            assert again.status_code == 403  # nobody is a member of "proj" any more


def test_api_renames_through_a_server(sqlite_url: str, tmp_path: Path) -> None:
    """``heron.Api.rename_project`` on a server's address calls the route."""
    with open_store(sqlite_url) as store:
        run = new_run(store, project="proj").id
        new_run(store, project="taken")
        blobs = LocalArtifactStore(tmp_path / "blobs", durable=False)
        with (
            remote_stores(store, blobs, tmp_path) as remote,
            heron.Api(URL, transport=remote.transport) as api,
        ):
            assert api.remote
            assert api.rename_project("proj", "fresh")["projects"] == 1
            assert api.run(run).project == "fresh"
            with pytest.raises(Conflict, match="already exists"):
                api.rename_project("fresh", "taken")
            with pytest.raises(InvalidInput):
                api.rename_project("fresh", "a b")
