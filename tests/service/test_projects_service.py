"""``heron.service.projects``: a project's tags and its deletion mark, on both SQL
backends: a deleted project leaves the project list and comes back on restore."""

from __future__ import annotations

from pathlib import Path

import pytest

from heron.artifacts.local import LocalArtifactStore
from heron.errors import Conflict, Forbidden, InvalidInput, NotFound
from heron.service import Caller, Tracking
from heron.service.projects import MAX_TAG_VALUE, Projects
from heron.store.sql import SqlStore
from tests.store.helpers import new_run


@pytest.fixture
def tracking(store: SqlStore, tmp_path: Path) -> Tracking:
    return Tracking(store, LocalArtifactStore(tmp_path / "blobs"))


def test_tags_delete_and_restore(tracking: Tracking, store: SqlStore) -> None:
    new_run(store, project="proj")
    new_run(store, project="other")
    projects = Projects(tracking)
    assert projects.set_tags("proj", {"team": "a", "x": "1"}).tags == {"team": "a", "x": "1"}
    assert projects.set_tags("proj", {"phase": "2"}, ["x"]).tags == {"team": "a", "phase": "2"}
    with pytest.raises(NotFound):
        projects.set_tags("proj", {}, ["x"])
    with pytest.raises(InvalidInput):
        projects.set_tags("proj", {"long": "v" * (MAX_TAG_VALUE + 1)})
    projects.delete("proj")
    assert [p.name for p in tracking.projects()] == ["other"]
    assert list(projects.deleted()) == ["proj"]
    assert projects.marks("proj").tags == {"team": "a", "phase": "2"}  # kept
    with pytest.raises(Conflict):
        projects.check_active("proj")
    assert len(store.search_runs("proj")) == 1  # the runs stay
    projects.restore("proj")
    assert [p.name for p in tracking.projects()] == ["other", "proj"]
    assert projects.deleted() == {}
    with pytest.raises(NotFound):
        projects.delete("no-runs")


def test_who_may(tracking: Tracking, store: SqlStore) -> None:
    new_run(store, project="proj")

    def acting(role: str) -> Projects:
        caller = Caller("ann", roles={"proj": role}, account=True)  # type: ignore[dict-item]
        return Projects(tracking.with_caller(caller))

    with pytest.raises(Forbidden):
        acting("viewer").set_tags("proj", {"k": "v"})
    acting("editor").set_tags("proj", {"k": "v"})
    assert acting("viewer").marks("proj").tags == {"k": "v"}
    with pytest.raises(Forbidden):
        acting("editor").delete("proj")
    acting("admin").delete("proj")
    assert acting("viewer").deleted().keys() == {"proj"}
    assert Projects(tracking.with_caller(Caller("bob", account=True))).deleted() == {}
