"""A closed SQLite store's engine serves the next store on the same file, and only
while that file is the same file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from heron.store import idle_engines, open_store
from heron.store.sql import SqlStore
from tests.store.helpers import new_run


def test_reopening_the_same_file_reuses_the_engine(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'heron.db'}"
    first = open_store(url)
    assert isinstance(first, SqlStore)
    made = new_run(first, "p")
    engine = first._engine
    first.close()
    first.close()  # twice is harmless: the engine is kept once
    second = open_store(url)
    assert isinstance(second, SqlStore)
    assert second._engine is engine
    assert second.get_run(made.id).id == made.id
    third = open_store(url)  # while the second is open, a store gets its own engine
    assert isinstance(third, SqlStore) and third._engine is not engine
    second.close()
    third.close()


def test_a_replaced_file_gets_a_fresh_engine(tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    url = f"sqlite:///{folder / 'heron.db'}"
    with open_store(url) as store:
        old = new_run(store, "p")
    with open_store(f"sqlite:///{tmp_path / 'other.db'}") as other:
        replacement = new_run(other, "p")
    shutil.rmtree(folder)  # the folder is deleted and another process logs there anew
    folder.mkdir()
    shutil.copy(tmp_path / "other.db", folder / "heron.db")
    with open_store(url) as store:  # the kept connections would still see the old file
        assert [r.id for r in store.search_runs("p")] == [replacement.id] != [old.id]
    shutil.rmtree(folder)
    with open_store(url) as store:  # and a folder that is simply gone starts empty
        assert store.search_runs("p") == []


def test_at_most_a_few_engines_are_kept(tmp_path: Path) -> None:
    for i in range(idle_engines.MAX_IDLE + 3):
        open_store(f"sqlite:///{tmp_path / str(i) / 'heron.db'}").close()
    assert len(idle_engines._idle) <= idle_engines.MAX_IDLE


@pytest.mark.postgres
def test_postgres_engines_are_disposed_on_close(postgres_url: str) -> None:
    store = open_store(postgres_url)
    assert isinstance(store, SqlStore)
    store.close()
    assert store._engine.pool.checkedin() == 0  # no connection left open on the server
    assert all(engine is not store._engine for engine, _ in idle_engines._idle.values())
