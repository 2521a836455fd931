"""Bring a database's schema to the head revision, once, whoever gets there first.

Opening a store that is already at head costs one small query and does not import
Alembic. Otherwise the upgrade runs under a lock (SQLite: the write lock of
``BEGIN IMMEDIATE``; PostgreSQL: a transaction-scoped advisory lock) and re-checks the
revision inside it, so that processes opening a fresh store together upgrade it once.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from heron.errors import StoreError

if TYPE_CHECKING:  # HEAD_REVISION is read without SQLAlchemy (heron.store.lite)
    from sqlalchemy.engine import Connection

    from heron.store.engine import Transactor

HEAD_REVISION = "0015"  # tests/store/test_migrations.py checks it is Alembic's head
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Any constant 64-bit number, the same in every Heron process: "the schema lock".
_PG_SCHEMA_LOCK = 0x4E52_0001_5C4E_0001


def current_revision(conn: Connection) -> str | None:
    from sqlalchemy import inspect, text

    if conn.dialect.name == "sqlite":  # one small query, without an Inspector
        found = text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name")
        if conn.execute(found, {"name": "alembic_version"}).first() is None:
            return None
    elif not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def ensure_schema(transactor: Transactor) -> None:
    """Upgrade the database to :data:`HEAD_REVISION` unless it is there already."""
    if transactor.read(current_revision) == HEAD_REVISION:
        return
    transactor.write(_upgrade_locked)


def _upgrade_locked(conn: Connection) -> None:
    from sqlalchemy import text

    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_SCHEMA_LOCK})
    revision = current_revision(conn)
    if revision == HEAD_REVISION:
        return  # another process upgraded while we waited for the lock
    upgrade(conn, "head", known_from=revision)


def alembic_config(connection: Connection | None = None) -> Any:
    """An Alembic ``Config`` built in code (Heron ships no alembic.ini)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(conn: Connection, target: str = "head", known_from: str | None = None) -> None:
    """Run Alembic's upgrade on ``conn``, inside the caller's transaction."""
    from alembic import command
    from alembic.script import ScriptDirectory

    config = alembic_config(conn)
    if known_from is not None:
        try:
            ScriptDirectory.from_config(config).get_revision(known_from)
        except Exception:
            raise StoreError(
                f"the database is at schema revision {known_from!r}, which this version "
                "of Heron does not know: it was written by a newer Heron; upgrade heron"
            ) from None
    command.upgrade(config, target)
