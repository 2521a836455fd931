"""``heron.service.projects``: a project's tags and its deletion mark, on both SQL
backends: a deleted project leaves the project list and comes back on restore; a
renamed project takes everything that named it along."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from heron.accounts import SqlAccounts
from heron.artifacts.local import LocalArtifactStore
from heron.errors import Conflict, Forbidden, InvalidInput, NotFound
from heron.service import Caller, Tracking
from heron.service import runs as service_runs
from heron.service.projects import MAX_TAG_VALUE, Projects
from heron.store import project_rename, reports_sql, schema, views_sql
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


def test_rename_moves_everything_that_names_the_project(store: SqlStore, tmp_path: Path) -> None:
    """Runs, members, alert rules and alerts, views, reports and marks move to the new
    name in one call; the audit log records it; the run -> project cache follows."""
    accounts = SqlAccounts(store)
    accounts.create_user("ann", created_by="test")
    accounts.set_role("ann", "proj", "admin")
    tracking = Tracking(store, LocalArtifactStore(tmp_path / "blobs"), accounts=accounts)
    run = new_run(store, project="proj")
    new_run(store, project="other")
    assert tracking.project_of(run.id) == "proj"  # cached
    now = time.time()

    def fill(conn: Connection) -> None:
        views_sql.add(conn, "v1", "proj", "my view", "{}", "ann", now)
        reports_sql.add(conn, "proj", "weekly", "text", "ann", now)
        conn.execute(
            insert(schema.alert_rules).values(
                project="proj", name="r", kind="alert", created_by="ann", created_at=now
            )
        )

    store.transactor.write(fill)
    projects = Projects(tracking.with_caller(Caller("ann", roles={"proj": "admin"}, account=True)))
    projects.set_tags("proj", {"team": "a"})
    moved = projects.rename("proj", "renamed")
    assert moved["projects"] == 1 and moved["memberships"] == 1 and moved["reports"] == 1
    assert [r.id for r in store.search_runs("renamed")] == [run.id]
    assert store.search_runs("proj") == []
    assert sorted(p.name for p in store.list_projects()) == ["other", "renamed"]
    assert tracking.project_of(run.id) == "renamed"
    assert [(m.user, m.role) for m in accounts.memberships(project="renamed")] == [("ann", "admin")]
    assert accounts.memberships(project="proj") == []
    assert Projects(tracking).marks("renamed").tags == {"team": "a"}
    assert Projects(tracking).marks("proj").tags == {}

    def names(conn: Connection) -> list[tuple[str, str]]:
        tables = (schema.saved_views, schema.reports, schema.alert_rules)
        return [(t.name, p) for t in tables for p in conn.execute(select(t.c.project)).scalars()]

    assert store.transactor.read(names) == [
        ("saved_views", "renamed"),
        ("reports", "renamed"),
        ("alert_rules", "renamed"),
    ]
    [entry] = [e for e in accounts.audit_log() if e.action == "project.rename"]
    assert (entry.actor, entry.target, entry.detail["new_name"]) == ("ann", "proj", "renamed")


def test_rename_refusals(tracking: Tracking, store: SqlStore) -> None:
    new_run(store, project="proj")
    new_run(store, project="taken")
    projects = Projects(tracking)
    with pytest.raises(Conflict, match="already exists"):
        projects.rename("proj", "taken")
    tracking.projects()  # nothing moved
    for bad in ("", "has space", "a/b", "-lead", "x" * 129):
        with pytest.raises(InvalidInput):
            projects.rename("proj", bad)
    with pytest.raises(InvalidInput):
        projects.rename("proj", "proj")
    with pytest.raises(NotFound):
        projects.rename("nothing-here", "fresh")
    assert sorted(p.name for p in tracking.projects()) == ["proj", "taken"]

    def acting(role: str) -> Projects:
        caller = Caller("ann", roles={"proj": role}, account=True)  # type: ignore[dict-item]
        return Projects(tracking.with_caller(caller))

    for role in ("viewer", "editor"):
        with pytest.raises(Forbidden):
            acting(role).rename("proj", "fresh")
    acting("admin").rename("proj", "fresh")
    assert sorted(p.name for p in tracking.projects()) == ["fresh", "taken"]


def test_rename_covers_every_table_that_names_a_project() -> None:
    """A table added later with a ``project`` column is renamed too, or this fails."""
    by_name = {t.name for t in schema.metadata.tables.values() if "project" in t.c}
    assert by_name == {t.name for t in project_rename.BY_NAME}
    by_id = {t.name for t in schema.metadata.tables.values() if "project_id" in t.c}
    assert by_id == {"runs", "artifact_versions", "artifact_aliases"}  # follow the id


def test_another_process_reads_a_renamed_run_again(
    store: SqlStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server's other worker cached the run's project: it reads it again once the
    cache entry is older than RUN_PROJECT_TTL_SECONDS (here: at once)."""
    blobs = LocalArtifactStore(tmp_path / "blobs")
    here, there = Tracking(store, blobs), Tracking(store, blobs)
    run = new_run(store, project="proj").id
    assert there.project_of(run) == "proj"
    assert there.runs_reads([run]) is store
    Projects(here).rename("proj", "renamed")
    assert there.project_of(run) == "proj"  # still cached
    monkeypatch.setattr(service_runs, "RUN_PROJECT_TTL_SECONDS", 0.0)
    assert there.project_of(run) == "renamed"
