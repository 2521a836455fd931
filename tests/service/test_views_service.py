"""heron.service.views over a real store (SQLite and PostgreSQL): save, list, read,
rename, replace, delete; names unique per project; limits on names, state size and
depth; a viewer reads, an editor writes, a stranger does neither."""

from __future__ import annotations

import pytest

from heron.errors import Conflict, Forbidden, InvalidInput, NotFound, PayloadTooLarge
from heron.service.access import LOCAL, Caller
from heron.service.views import (
    MAX_VIEW_DEPTH,
    MAX_VIEW_NAME_LENGTH,
    MAX_VIEW_STATE_BYTES,
    Views,
    check_view_state,
)
from heron.store.sql import SqlStore

STATE = {"workspace": {"sections": [{"name": "val", "panels": []}]}, "runs": {"filter": "x"}}


def views(store: SqlStore, caller: Caller = LOCAL) -> Views:
    return Views(store.transactor, caller, clock=lambda: 1000.0)


def test_a_view_round_trips_and_its_name_is_unique_per_project(store: SqlStore) -> None:
    v = views(store)
    made = v.create("proj", "Sweep overview", STATE)
    assert len(made.id) == 16 and made.state == STATE and made.created_by == "local"
    assert v.get("proj", made.id) == made
    with pytest.raises(Conflict, match="already has a view named 'Sweep overview'"):
        v.create("proj", "Sweep overview", {})
    other = v.create("other", "Sweep overview", {})  # another project: fine
    second = v.create("proj", "A first", {"runs": {}})
    assert [x.name for x in v.list_views("proj")] == ["A first", "Sweep overview"]
    assert v.list_views("proj")[1].size == len(check_view_state(STATE).encode())
    with pytest.raises(Conflict):
        v.update("proj", second.id, name="Sweep overview")
    renamed = v.update("proj", second.id, name="Renamed")
    assert renamed.state == {"runs": {}}  # the state stays
    replaced = v.update("proj", second.id, state={"workspace": {}})
    assert (replaced.name, replaced.state) == ("Renamed", {"workspace": {}})
    with pytest.raises(NotFound):
        v.get("proj", other.id)  # a view is read through its own project only
    v.delete("proj", second.id)
    with pytest.raises(NotFound):
        v.get("proj", second.id)
    with pytest.raises(NotFound):
        v.delete("proj", second.id)
    with pytest.raises(NotFound):
        v.get("proj", "../etc")


def test_limits_on_names_and_states(store: SqlStore) -> None:
    v = views(store)
    for bad in ("", " padded", "x" * (MAX_VIEW_NAME_LENGTH + 1), "line\nbreak"):
        with pytest.raises(InvalidInput):
            v.create("proj", bad, {})
    big = {"blob": "x" * MAX_VIEW_STATE_BYTES}
    with pytest.raises(PayloadTooLarge, match="the limit is 262,144"):
        v.create("proj", "big", big)
    deep: dict[str, object] = {}
    node = deep
    for _ in range(MAX_VIEW_DEPTH + 1):
        node["a"] = {}
        node = node["a"]  # type: ignore[assignment]
    with pytest.raises(InvalidInput, match="nests deeper"):
        v.create("proj", "deep", deep)
    with pytest.raises(InvalidInput, match="finite numbers"):
        v.create("proj", "nan", {"x": float("nan")})
    with pytest.raises(InvalidInput):
        v.create("proj", "not an object", [1, 2])  # type: ignore[arg-type]
    assert v.list_views("proj") == []


def test_viewers_read_editors_write_strangers_neither(store: SqlStore) -> None:
    made = views(store).create("proj", "shared", STATE)
    viewer = views(store, Caller("vic", roles={"proj": "viewer"}))
    editor = views(store, Caller("eda", roles={"proj": "editor"}))
    stranger = views(store, Caller("sam", roles={"elsewhere": "admin"}))
    assert viewer.get("proj", made.id).state == STATE
    with pytest.raises(Forbidden):
        viewer.create("proj", "mine", {})
    with pytest.raises(Forbidden):
        viewer.update("proj", made.id, name="x")
    with pytest.raises(Forbidden):
        viewer.delete("proj", made.id)
    with pytest.raises(Forbidden):
        stranger.get("proj", made.id)
    with pytest.raises(Forbidden):
        stranger.list_views("proj")
    changed = editor.update("proj", made.id, state={"runs": {"sort": ["-metrics.acc"]}})
    assert (changed.updated_by, changed.created_by) == ("eda", "local")
    editor.delete("proj", made.id)
    assert viewer.list_views("proj") == []
