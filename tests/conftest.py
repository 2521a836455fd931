"""Fixtures shared by every test package.

``store_url`` / ``store`` run a test against both SQL backends; ``empty_db_url`` gives
a database without schema (migration tests). PostgreSQL is the server on
127.0.0.1:5432 (user ``postgres``, trust auth, admin database ``test``). Several people
run the suite against that server at once, so databases are private and uniquely
named: ``postgres_url`` creates one per test; store tests share one per session, which
``postgres_store_url`` empties before each test. Without the server the PostgreSQL
cases skip, except under ``CI=true``, where they fail.

The suite also runs on pytest-xdist workers (``pytest -n 2 --dist loadgroup``): each
worker is its own session (its own temporary folders and session databases), and
``XDIST_GROUPS`` keeps the folders whose session fixtures must not be duplicated on
one worker. Parametrised ids must be the same in every worker (no times, no random
bytes in them). ``pytest tests/x.py`` runs in one process as before.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from heron.store.sql import SqlStore

# s3_server / s3_bucket / s3_env: a real S3-protocol server for any test package.
pytest_plugins = ["tests.s3_server"]

PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_USER = "postgres"
PG_ADMIN_DB = "test"


def postgres_unavailable(reason: str) -> None:
    """Skip (fail under CI=true) a test that needs PostgreSQL."""
    message = f"PostgreSQL at {PG_HOST}:{PG_PORT} is not usable: {reason}"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI=true: PostgreSQL tests must run)")
    pytest.skip(message)


def _admin_connection() -> Any:
    try:
        import psycopg
    except ImportError:
        postgres_unavailable("psycopg is not installed (pip install 'heron[postgres]')")
    try:
        return psycopg.connect(
            host=PG_HOST,
            port=PG_PORT,
            user=PG_USER,
            dbname=PG_ADMIN_DB,
            autocommit=True,
            connect_timeout=3,
        )
    except psycopg.OperationalError as exc:
        postgres_unavailable(str(exc).strip())


def _create_database() -> str:
    name = f"heron_t_{secrets.token_hex(6)}"
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return name


def _drop_database(name: str) -> None:
    with _admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _url(database: str) -> str:
    return f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A SQLAlchemy URL of a new, empty PostgreSQL database, dropped after the test."""
    name = _create_database()
    try:
        yield _url(name)
    finally:
        _drop_database(name)


@pytest.fixture(scope="session")
def _postgres_session_store() -> Iterator[str]:
    """One migrated database for the session's store tests (creating and migrating a
    database costs ~2 s on a busy server; emptying one costs ~10 ms)."""
    from heron.store import open_store

    name = _create_database()
    try:
        open_store(_url(name)).close()
        yield name
    finally:
        _drop_database(name)


@pytest.fixture
def postgres_store_url(_postgres_session_store: str) -> str:
    """The URL of a migrated PostgreSQL store with no data in it, private to this session."""
    import psycopg

    from heron.store.schema import metadata

    with psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=_postgres_session_store, autocommit=True
    ) as conn:
        conn.execute("SET lock_timeout = '10s'")  # a leaked connection fails loudly, not hangs
        with conn.transaction():
            for table in reversed(metadata.sorted_tables):
                conn.execute(f'DELETE FROM "{table.name}"')
    return _url(_postgres_session_store)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'heron.db'}"


_BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=_BACKENDS)
def store_url(request: pytest.FixtureRequest) -> str:
    """The URL of a migrated store without data, once per backend."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_store_url"
    return str(request.getfixturevalue(name))


@pytest.fixture(params=_BACKENDS)
def empty_db_url(request: pytest.FixtureRequest) -> str:
    """The URL of a new database without any schema, once per backend."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def store(store_url: str) -> Iterator[SqlStore]:
    from heron.store import open_store

    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()


# Under pytest-xdist (``-n 2 --dist loadgroup``), the tests of these folders stay on
# one worker: their session fixtures are expensive or exclusive (the
# browser tests' seeded store, live server and Chromium, and their screenshots folder).
XDIST_GROUPS = {"web": "browser"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.pluginmanager.hasplugin("xdist"):
        return
    tests = Path(__file__).parent
    for item in items:
        try:
            folder = item.path.relative_to(tests).parts[0]
        except (ValueError, IndexError):
            continue
        group = XDIST_GROUPS.get(folder)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
