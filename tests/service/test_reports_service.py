"""``heron.service.reports``: a project's reports, their limits and who may do what,
on both SQL backends."""

from __future__ import annotations

from pathlib import Path

import pytest

from heron.artifacts.local import LocalArtifactStore
from heron.errors import Forbidden, InvalidInput, NotFound
from heron.service import Caller, Tracking
from heron.service import reports as service_reports
from heron.service.reports import MAX_REPORT_BYTES, Reports
from heron.store.sql import SqlStore


@pytest.fixture
def tracking(store: SqlStore, tmp_path: Path) -> Tracking:
    return Tracking(store, LocalArtifactStore(tmp_path / "blobs"))


def acting(tracking: Tracking, name: str, role: str | None) -> Reports:
    roles = {} if role is None else {"proj": role}
    return Reports(tracking.with_caller(Caller(name, roles=roles, account=True)))  # type: ignore[arg-type]


def test_a_report_is_written_read_changed_and_deleted(tracking: Tracking) -> None:
    reports = Reports(tracking)
    body = "# Sweep\n\n```heron-chart\nkeys: val/acc\n```\n"
    made = reports.create("proj", "Sweep results", body)
    assert (made.title, made.body, made.created_by) == ("Sweep results", body, "local")
    second = reports.create("proj", "Second")
    assert reports.get("proj", made.id) == made
    changed = reports.update("proj", made.id, body="new text")
    assert (changed.title, changed.body) == ("Sweep results", "new text")
    assert changed.updated_at >= made.updated_at
    listed = reports.list("proj")
    assert [r.id for r in listed] == [made.id, second.id]  # the last changed first
    assert all(r.body == "" for r in listed)  # bodies are read one at a time
    assert reports.list("other") == []
    reports.delete("proj", made.id)
    with pytest.raises(NotFound, match=f"report {made.id} not found"):
        reports.get("proj", made.id)
    with pytest.raises(NotFound):  # a report is reached through its own project only
        reports.get("other", second.id)


def test_limits_are_clear_errors(tracking: Tracking, monkeypatch: pytest.MonkeyPatch) -> None:
    reports = Reports(tracking)
    with pytest.raises(InvalidInput, match="limit is 524,288"):
        reports.create("proj", "big", "é" * (MAX_REPORT_BYTES // 2 + 1))
    with pytest.raises(InvalidInput, match="report title"):
        reports.create("proj", "")
    with pytest.raises(InvalidInput, match="report title"):
        reports.create("proj", "x" * 257)
    with pytest.raises(InvalidInput, match="project name"):
        reports.create("no such/project", "t")
    monkeypatch.setattr(service_reports, "MAX_REPORTS_PER_PROJECT", 2)
    reports.create("proj", "a")
    reports.create("proj", "b")
    with pytest.raises(InvalidInput, match="has 2 reports, the limit"):
        reports.create("proj", "c")


def test_viewers_read_and_editors_write(tracking: Tracking) -> None:
    made = Reports(tracking).create("proj", "t", "body")
    viewer = acting(tracking, "vera", "viewer")
    assert viewer.get("proj", made.id).body == "body"
    with pytest.raises(Forbidden):
        viewer.update("proj", made.id, title="mine")
    with pytest.raises(Forbidden):
        viewer.delete("proj", made.id)
    with pytest.raises(Forbidden):
        acting(tracking, "nobody", None).get("proj", made.id)
    editor = acting(tracking, "eddie", "editor")
    assert editor.update("proj", made.id, title="better").updated_by == "eddie"
