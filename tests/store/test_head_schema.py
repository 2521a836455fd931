"""heron.store.head_schema: a new SQLite store made from HEAD_SCHEMA is the store the
migrations make. Regenerate HEAD_SCHEMA after adding a migration:

    python -m tests.store.test_head_schema
"""

from __future__ import annotations

import re
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from heron.store import head_schema, migrate, open_store

_CATALOG = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"


def _catalog(path: Path) -> list[tuple[str, str, str, str | None]]:
    """sqlite_master without root pages: every table and index (automatic ones, from
    UNIQUE and PRIMARY KEY constraints, included), with its SQL."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(_CATALOG).fetchall()
    finally:
        conn.close()


def migrated_statements(path: Path) -> list[str]:
    """The CREATE statements of a database upgraded from empty through every migration."""
    open_store(f"sqlite:///{path}").close()
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL "
            "AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
        )
        return [sql for (sql,) in rows]
    finally:
        conn.close()


def test_schema_revision_is_the_head() -> None:
    assert head_schema.SCHEMA_REVISION == migrate.HEAD_REVISION, (
        "a migration was added: regenerate HEAD_SCHEMA (python -m tests.store.test_head_schema)"
    )


def test_new_store_equals_the_migrated_one(tmp_path: Path) -> None:
    migrated, made = tmp_path / "migrated.db", tmp_path / "made.db"
    migrated_statements(migrated)
    assert head_schema.create_sqlite(made)
    assert _catalog(made) == _catalog(migrated)
    for path in (made, migrated):
        conn = sqlite3.connect(path)
        try:
            assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
                (migrate.HEAD_REVISION,)
            ]
            assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
            # No migration leaves rows behind (else HEAD_SCHEMA would need them too).
            tables = [
                t
                for (t,) in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT IN ('alembic_version', 'sqlite_sequence')"
                )
            ]
            assert tables
            for table in tables:
                assert conn.execute(f'SELECT count(*) FROM "{table}"').fetchone() == (0,), table
        finally:
            conn.close()


def test_a_made_store_opens_without_migrating(tmp_path: Path) -> None:
    path = tmp_path / "heron.db"
    assert head_schema.create_sqlite(path)
    before = _catalog(path)
    with open_store(f"sqlite:///{path}") as store:
        assert store.list_projects() == []
    assert _catalog(path) == before


def test_an_existing_database_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "heron.db"
    open_store(f"sqlite:///{path}").close()
    before = _catalog(path)
    assert not head_schema.create_sqlite(path)
    assert _catalog(path) == before
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    assert not head_schema.create_sqlite(other)  # not empty: the migrations decide


def test_concurrent_creators_make_it_once(tmp_path: Path) -> None:
    path = tmp_path / "heron.db"
    start = threading.Barrier(4)

    def creator(_: int) -> bool:
        start.wait()  # all four at once
        return head_schema.create_sqlite(path)

    with ThreadPoolExecutor(4) as pool:
        made = list(pool.map(creator, range(4)))  # re-raises a creator's error
    assert sorted(made) == [False, False, False, True]
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)
    finally:
        conn.close()


def regenerate(target: Path) -> None:
    """Rewrite HEAD_SCHEMA and SCHEMA_REVISION in ``target`` (head_schema.py)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        statements = migrated_statements(Path(folder) / "heron.db")
    body = "".join(f"    {sql!r},\n" for sql in statements)
    text = target.read_text()
    text = re.sub(
        r"(^HEAD_SCHEMA = \(.*?\n).*?(^\)  # end of HEAD_SCHEMA)",
        lambda m: m.group(1) + body + m.group(2),
        text,
        count=1,
        flags=re.S | re.M,
    )
    text = re.sub(
        r'^SCHEMA_REVISION = "\w+"',
        f'SCHEMA_REVISION = "{migrate.HEAD_REVISION}"',
        text,
        count=1,
        flags=re.M,
    )
    target.write_text(text)


if __name__ == "__main__":
    regenerate(Path(head_schema.__file__))
