"""heron.Api's saved views: listed, read by name and saved (new, then replaced), on a
store folder and on a real server over HTTP; the web UI's link opens what was saved."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from heron.api import Api
from heron.errors import InvalidInput, NotFound
from heron.local_dir import LocalDir
from heron.store import open_store
from heron.store.base import RunSpec
from tests.server.conftest import LiveServer, free_port

LAYOUT = {
    "workspace": {
        "version": 1,
        "sections": [
            {
                "id": "s0",
                "name": "val",
                "collapsed": False,
                "panels": [{"id": "p0", "kind": "line", "keys": ["val/acc"], "w": 1, "h": 220}],
            }
        ],
    },
    "runs": {"filter": "config.lr = 0.1"},
}


def _folder(root: Path) -> Path:
    folder = LocalDir.at(root).create()
    store = open_store(folder.db_url)
    store.create_run(RunSpec(id="r" * 16, project="proj", created_at=1.7e9))
    store.close()
    return root


@pytest.fixture(params=["folder", "server"])
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    root = _folder(tmp_path / "store")
    if request.param == "folder":
        with Api(root) as a:
            yield a
        return
    live = LiveServer(str(root), str(root / "blobs"), free_port(), tmp_path / "server.log")
    live.start()
    try:
        with Api(live.url) as a:
            yield a
    finally:
        live.stop()


def test_save_list_read_and_replace_a_view(api: Api) -> None:
    assert api.views("proj") == []
    saved = api.save_view("proj", "lr 0.1", LAYOUT)
    assert saved.name == "lr 0.1" and saved.state == LAYOUT and len(saved.id) == 16
    (listed,) = api.views("proj")
    assert (listed.id, listed.name, listed.project) == (saved.id, "lr 0.1", "proj")
    assert api.view("proj", "lr 0.1").state == LAYOUT
    assert api.view("proj", saved.id).name == "lr 0.1"  # by its id too
    # the same name again replaces the state, keeping the view (and so its link)
    wider = {**LAYOUT, "runs": {"filter": ""}}
    again = api.save_view("proj", "lr 0.1", wider)
    assert again.id == saved.id and api.view("proj", "lr 0.1").state == wider
    other = api.save_view("proj", "all", LAYOUT)
    assert [v.name for v in api.views("proj")] == ["all", "lr 0.1"] and other.id != saved.id


def test_unknown_views_and_bad_states_are_refused(api: Api) -> None:
    with pytest.raises(NotFound):
        api.view("proj", "nothing")
    with pytest.raises(InvalidInput):
        api.save_view("proj", " padded ", LAYOUT)
    with pytest.raises(InvalidInput):
        api.save_view("proj", "nan", {"x": float("nan")})
    assert api.views("proj") == []


def test_a_view_saved_from_python_is_what_the_server_serves(tmp_path: Path) -> None:
    root = _folder(tmp_path / "store")
    with Api(root) as a:
        saved = a.save_view("proj", "from python", LAYOUT)
    live = LiveServer(str(root), str(root / "blobs"), free_port(), tmp_path / "server.log")
    live.start()
    try:
        got = httpx.get(f"{live.url}/api/v1/projects/proj/views/{saved.id}").json()
        assert got["name"] == "from python" and got["state"] == LAYOUT
    finally:
        live.stop()
