"""Values the database cannot hold are the caller's mistake (InvalidInput), and an
emptied database file is never silently made a new store."""

from __future__ import annotations

from pathlib import Path

import pytest

from heron.errors import InvalidInput, NotFound, StoreError
from heron.store import engine
from heron.store.base import RunSpec
from heron.store.sql import SqlStore


def test_an_empty_database_file_is_refused_not_recreated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "EMPTY_FILE_GRACE_S", 0.1)
    path = tmp_path / "heron.db"
    with SqlStore(f"sqlite:///{path}") as store:
        store.create_run(RunSpec(id="run0000001", project="p"))
    path.write_bytes(b"")  # truncated to 0 bytes
    with pytest.raises(StoreError) as raised:
        SqlStore(f"sqlite:///{path}")
    message = raised.value.message
    assert str(path) in message and "empty" in message
    assert "backup" in message and "delete" in message
    assert path.stat().st_size == 0  # nothing was written into it


def test_a_missing_database_file_makes_a_new_store(tmp_path: Path) -> None:
    path = tmp_path / "new" / "heron.db"
    with SqlStore(f"sqlite:///{path}") as store:
        assert store.search_runs() == []
    assert path.stat().st_size > 0
    with SqlStore(f"sqlite:///{path}") as again:  # and it opens again
        assert again.search_runs() == []


def test_integers_past_int64_are_invalid_input(store: SqlStore) -> None:
    with pytest.raises((InvalidInput, NotFound)):
        store.artifact_by_id(2**63)
    with pytest.raises((InvalidInput, NotFound)):
        store.search_runs(limit=2**63)


def test_lone_surrogates_are_invalid_input_on_every_path(store: SqlStore) -> None:
    with pytest.raises(InvalidInput):
        store.create_run(RunSpec(id="run0000001", project="p", config={"a": "\ud800"}))
    assert store.search_runs() == []
    store.create_run(RunSpec(id="run0000002", project="p"))
    with pytest.raises(InvalidInput):
        store.search_runs("p", 'config.a = "\ud800"')


def test_a_config_path_past_its_column_is_invalid_input(store: SqlStore) -> None:
    with pytest.raises(InvalidInput, match="512"):
        store.create_run(RunSpec(id="run0000001", project="p", config={"k" * 10_000: 1}))
    assert store.search_runs() == []
