"""Opening stores: URLs, SQLite settings, lock retries, errors."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from heron.errors import StoreError
from heron.store import engine, open_store, schema
from heron.store.sql import SqlStore
from tests.store.helpers import batch, new_run


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u@h/db", "SQLite"),
        ("sqlite://", "in-memory"),
        ("sqlite:///:memory:", "in-memory"),
        ("not a url", "not a valid database URL"),
    ],
)
def test_bad_urls(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        open_store(url)


def test_postgres_url_means_psycopg3() -> None:
    assert engine.parse_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert engine.parse_url("postgres://u@h/db").drivername == "postgresql+psycopg"


def test_unreachable_postgres_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="cannot open the store") as caught:
        open_store("postgresql+psycopg://postgres:secret@127.0.0.1:1/nothing")
    message = str(caught.value)
    assert "secret" not in message and "***" in message and "127.0.0.1:1" in message
    assert "check that the database server is running" in message
    assert caught.value.__cause__ is not None  # the driver's error, kept for debugging


@pytest.mark.parametrize(
    ("driver_message", "advice"),
    [
        ("file is not a database", "restore it from a backup"),
        ("database disk image is malformed", "restore it from a backup"),
        ("attempt to write a readonly database", "may read and write"),
        ("unable to open database file", "may read and write"),
        ("database or disk is full", "free some disk space"),
        ("connection refused\nIs the server running?", "database server is running"),
        ("something nobody foresaw", "check the database server's log"),
    ],
)
def test_store_failures_say_what_to_do(driver_message: str, advice: str) -> None:
    error = engine.store_failure("sqlite:////data/heron.db", RuntimeError(driver_message))
    assert isinstance(error, StoreError)
    assert error.message.startswith("the store at sqlite:////data/heron.db failed: ")
    assert advice in error.message
    assert "\n" not in error.message  # the first line of a driver's message only


def test_sqlite_creates_folders_and_sets_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "heron.db"
    with open_store(f"sqlite:///{path}") as store:
        assert path.exists()
        with store._engine.connect() as conn:
            pragma = {
                name: conn.execute(text(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
    assert pragma == {
        "journal_mode": "wal",
        "synchronous": 1,  # NORMAL
        "foreign_keys": 1,
        "busy_timeout": int(engine.SQLITE_BUSY_TIMEOUT_S * 1000),
    }


def test_sqlite_unusable_path_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(StoreError, match="cannot create the folder"):
        open_store(f"sqlite:///{tmp_path / 'file' / 'sub' / 'heron.db'}")
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(StoreError, match="cannot open the store"):
        open_store(f"sqlite:///{tmp_path / 'dir.db'}")


def test_sqlite_write_lock_held_elsewhere_is_waited_out(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holding the write lock longer than the busy timeout: we retry."""
    monkeypatch.setattr(engine, "SQLITE_BUSY_TIMEOUT_S", 0.02)
    with open_store(sqlite_url) as store:
        run = new_run(store)
        blocker = sqlite3.connect(
            sqlite_url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False
        )
        blocker.execute("BEGIN IMMEDIATE")
        released = threading.Event()

        def release() -> None:
            time.sleep(0.3)
            blocker.execute("COMMIT")
            released.set()

        thread = threading.Thread(target=release)
        thread.start()
        result = store.ingest(batch(run.id, 1, loss=[1.0]))
        thread.join()
        blocker.close()
        assert released.is_set() and result.applied
        assert store.get_run(run.id).metrics["loss"].count == 1


def test_insert_if_absent(store: SqlStore) -> None:
    row = {"name": "p", "created_at": 1.0}
    with store._engine.begin() as conn:
        assert engine.insert_if_absent(conn, schema.projects, row, ["name"]) is True
        assert engine.insert_if_absent(conn, schema.projects, row, ["name"]) is False


def test_store_is_a_context_manager(sqlite_url: str) -> None:
    with open_store(sqlite_url) as store:
        assert "heron.db" in repr(store)


@pytest.mark.postgres
def test_postgres_connections_dropped_by_a_restart_are_replaced(postgres_store_url: str) -> None:
    import psycopg

    with open_store(postgres_store_url) as store:
        run = new_run(store)
        database = postgres_store_url.rsplit("/", 1)[1]
        with psycopg.connect(host="127.0.0.1", user="postgres", dbname="test") as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (database,),
            )
        assert store.ingest(batch(run.id, 1, loss=[1.0])).applied
        assert store.get_run(run.id).ingested_seq == 1


def test_fixed_rows_binds_names_and_lists_and_wraps_driver_errors(store: SqlStore) -> None:
    new_run(store, "p", id="fixed00001")
    new_run(store, "p", id="fixed00002")
    sql = "SELECT id FROM runs WHERE id IN :ids AND state = :state ORDER BY id"
    found = store._tx.read(
        lambda conn: engine.fixed_rows(conn, sql, {"ids": ["fixed00002", "x"], "state": "running"})
    )
    assert found == [("fixed00002",)]
    with pytest.raises(StoreError, match="nowhere"):
        store._tx.read(lambda conn: engine.fixed_rows(conn, "SELECT 1 FROM nowhere"))
