"""Engines and transactions for SQLite and PostgreSQL, with the retries they need.

SQLite: one writer at a time for the whole file. Every write transaction starts with
``BEGIN IMMEDIATE`` so that it takes the write lock up front (a deferred transaction
that upgrades from read to write later can fail with "database is locked" no matter
how long it waits); WAL lets readers carry on meanwhile. Writers of one process queue
on a lock; writers of other processes wait in SQLite's busy handler, and the rare
"database is locked" that escapes it is retried.

PostgreSQL: READ COMMITTED; ingest serialises per run with ``SELECT ... FOR UPDATE``,
and deadlocks or serialisation failures are retried.

A value the database cannot hold (an integer past int64, a lone surrogate, a string
longer than its column: PostgreSQL's "data exception" class 22) is the caller's
mistake, not the store's: it leaves as ``InvalidInput`` (400 from the server), in
this one place for every store and registry method.

A SQLite file that exists but is empty (0 bytes: truncated, or a failed copy) is
refused with a ``StoreError`` instead of being silently made a new, empty store.

A failure that no retry cures (a damaged or read-only database file, a full disk, a
database server that stays down) leaves the transactor as a ``StoreError`` that names
the store and says what to check; no SQLAlchemy or driver exception reaches callers.
"""

from __future__ import annotations

import os
import random
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Table, create_engine, event, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.sql import Select

from heron.errors import InvalidInput, StoreError

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_S = 10.0
RETRY_DEADLINE_S = 300.0  # a writer gives up only after waiting this long in total
_RECONNECT_ATTEMPTS = 3
_PG_RETRY_CODES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
_PG_DATA_EXCEPTION = "22"  # SQLSTATE class: out of range, too long, bad encoding...
EMPTY_FILE_GRACE_S = 2.0  # a new store's creator writes its header within this


def parse_url(url: str) -> URL:
    """A SQLAlchemy URL; ``postgresql://`` means psycopg 3 (the driver Heron ships with)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"store URL {url!r} is not a valid database URL: {exc}") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(
            f"store URL {safe_url(parsed)!r}: Heron stores runs in SQLite "
            "(sqlite:////path/heron.db) or PostgreSQL (postgresql+psycopg://...)"
        )
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise StoreError(
            "an in-memory SQLite store is not supported (each connection would see its "
            "own empty database); give a file: sqlite:////path/heron.db"
        )
    return parsed


def safe_url(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def make_engine(url: URL, *, read_only: bool = False) -> Engine:
    """An engine for ``url``. SQLite: opened read-only when the file or its folder
    cannot be written, or when ``read_only`` (see :func:`disk_full`)."""
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, force_read_only=read_only)
    engine = create_engine(url, pool_size=5, max_overflow=10)
    _dispose_after_fork(engine)
    return engine


def read_only_file(path: Path) -> bool:
    """True for an existing database file that this process cannot write (or whose
    folder it cannot write: SQLite needs its -wal and -shm files there)."""
    return path.is_file() and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))


def is_read_only(engine: Engine) -> bool:
    """True for an engine :func:`make_engine` opened read-only (``mode=ro``)."""
    return engine.url.get_backend_name() == "sqlite" and engine.url.query.get("mode") == "ro"


def disk_full(path: Path, exc: BaseException) -> bool:
    """True when opening the SQLite file at ``path`` failed because its disk is full:
    SQLite reports a full disk while creating the ``-shm`` file as "disk I/O error",
    so the folder's free space is asked as well."""
    while exc.__cause__ is not None:  # a StoreError raised from the driver's error
        exc = exc.__cause__
    text = str(getattr(exc, "orig", None) or exc).lower()
    if "disk is full" in text or "no space left" in text:
        return True
    if "disk i/o error" not in text:
        return False
    try:
        free = os.statvfs(path.parent)
    except OSError:
        return False
    return free.f_bavail * free.f_frsize < 2**20


def _sqlite_engine(url: URL, *, force_read_only: bool = False) -> Engine:
    assert url.database is not None
    path = Path(url.database)
    read_only = force_read_only or read_only_file(path)
    if read_only:
        # A read-only mount or folder (or a full disk): open the file read-only. With
        # no write-ahead log beside it, as immutable (no -wal/-shm files, no locks:
        # nothing can be created there); with one, its committed pages are read too.
        wal = path.with_name(path.name + "-wal")
        has_wal = wal.is_file() and wal.stat().st_size > 0 and not read_only_file(path)
        options = {"mode": "ro", "uri": "true"} if has_wal else {"immutable": "1"}
        url = url.set(database=f"file:{path}").update_query_dict(
            {"mode": "ro", "uri": "true", **options}
        )
    try:
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the folder of the store {url.database}: {exc}") from None
    engine = create_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
        pool_size=5,
        max_overflow=10,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # isolation_level None: pysqlite stops issuing its own BEGIN; we emit ours below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
            if not read_only:  # a read-only file keeps the journal mode it has
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get("heron_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    _dispose_after_fork(engine)
    return engine


def _dispose_after_fork(engine: Engine) -> None:
    """A forked child (a DataLoader worker, say) must not touch the parent's connections."""
    ref = weakref.ref(engine)

    def _after_fork() -> None:
        alive = ref()
        if alive is not None:
            alive.dispose(close=False)

    os.register_at_fork(after_in_child=_after_fork)


class Transactor:
    """Runs a function in a transaction, retrying the failures that concurrency causes.

    The function may run more than once, so it must do nothing but database work.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self.where = safe_url(engine.url)  # named in errors, password hidden
        if self.dialect == "sqlite" and engine.url.database:
            try:
                refuse_empty_file(Path(engine.url.database))
            except StoreError:
                engine.dispose()
                raise
        # Threads of one process queue here instead of polling SQLite's busy handler.
        self._write_lock = threading.Lock() if self.dialect == "sqlite" else None

    def write(self, work: Callable[[Connection], T]) -> T:
        return self._run(work, write=True)

    def read(self, work: Callable[[Connection], T]) -> T:
        return self._run(work, write=False)

    def _run(self, work: Callable[[Connection], T], *, write: bool) -> T:
        deadline = time.monotonic() + RETRY_DEADLINE_S
        attempt = 0
        while True:
            try:
                return self._once(work, write=write)
            except (OverflowError, UnicodeEncodeError) as exc:  # sqlite3 binding a value
                raise unstorable(exc) from exc
            except DBAPIError as exc:
                if isinstance(exc.orig, (OverflowError, UnicodeEncodeError)) or (
                    self.dialect == "postgresql"
                    and str(getattr(exc.orig, "sqlstate", "") or "").startswith(_PG_DATA_EXCEPTION)
                ):
                    raise unstorable(exc.orig or exc) from exc
                attempt += 1
                # A dropped connection (a database restart) is retried a few times: every
                # operation here is idempotent, ingest included (its seq check).
                dropped = exc.connection_invalidated and attempt <= _RECONNECT_ATTEMPTS
                if not (dropped or self._retryable(exc)) or time.monotonic() > deadline:
                    raise store_failure(self.where, exc) from exc
            except SQLAlchemyError as exc:  # a pool timeout, a closed result: not the data
                raise store_failure(self.where, exc) from exc
            time.sleep(min(0.5, 0.005 * 2**attempt) * random.uniform(0.5, 1.5))

    def _once(self, work: Callable[[Connection], T], *, write: bool) -> T:
        lock = self._write_lock if write else None
        if lock is not None:
            lock.acquire()
        try:
            with self.engine.connect() as conn:
                conn.execution_options(heron_write=write)
                with conn.begin():
                    return work(conn)
        finally:
            if lock is not None:
                lock.release()

    def _retryable(self, exc: DBAPIError) -> bool:
        if self.dialect == "sqlite":
            text = str(exc.orig).lower()
            return isinstance(exc, OperationalError) and ("locked" in text or "busy" in text)
        return getattr(exc.orig, "sqlstate", None) in _PG_RETRY_CODES


def unstorable(exc: BaseException) -> InvalidInput:
    """The InvalidInput for a value the database cannot hold."""
    if isinstance(exc, UnicodeEncodeError):
        text = "a string contains a lone surrogate (not a character); send valid Unicode"
    elif isinstance(exc, OverflowError):
        text = "an integer is outside the range the store keeps (-2**63 to 2**63-1)"
    else:
        first = str(exc).strip().splitlines()[:1]
        text = (first[0] if first else type(exc).__name__) + " (see docs/server.md, Limits)"
    return InvalidInput(f"a value cannot be stored: {text}")


def refuse_empty_file(path: Path) -> None:
    """StoreError when the SQLite file at ``path`` exists but is empty (0 bytes).

    SQLite would take an empty file for a new database and Heron would make a new,
    empty store in it, hiding the loss. A store being created right now by another
    process is empty for a moment only, so an empty file is looked at again for up to
    ``EMPTY_FILE_GRACE_S`` before it is refused. No file at all: a new store (fine).
    """
    deadline = time.monotonic() + EMPTY_FILE_GRACE_S
    while True:
        try:
            if path.stat().st_size > 0:
                return
        except OSError:  # absent (a new store) or unreadable (the open says so)
            return
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    raise StoreError(
        f"the database file {path} exists but is empty (0 bytes): it was truncated or "
        "not copied whole, and every run in it is gone from it. Restore it from a backup; "
        "or, to start a new, empty store there, delete the file"
    )


# Driver messages -> what to do about them (first match wins; lower case).
_ADVICE = (
    (
        ("file is not a database", "malformed", "corrupt"),
        "the database file is damaged or is not a Heron store; restore it from a backup "
        "(or move it aside to start a new store)",
    ),
    (
        ("readonly", "read-only", "permission denied", "unable to open"),
        "check that this user may read and write the database file and its folder",
    ),
    (("disk is full", "no space left", "disk full"), "free some disk space, then retry"),
    (
        ("connection refused", "could not connect", "connection to server", "timeout"),
        "check that the database server is running and reachable, then retry",
    ),
)


def store_failure(where: str, exc: BaseException) -> StoreError:
    """The StoreError for a database failure no retry cured, with advice."""
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0:1]
    text = detail[0] if detail else type(exc).__name__
    lowered = text.lower()
    advice = next(
        (tip for needles, tip in _ADVICE if any(n in lowered for n in needles)),
        "if it persists, check the database server's log and the store's integrity",
    )
    return StoreError(f"the store at {where} failed: {text}; {advice}")


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]] | Mapping[str, Any],
    keys: Sequence[str],
    update: Sequence[str] | None = None,
) -> None:
    """INSERT ... ON CONFLICT (keys) DO UPDATE (or DO NOTHING when ``update`` is empty)."""
    params = list(rows) if isinstance(rows, Sequence) else [rows]
    if params:
        stmt = _upsert_statement(conn, table, keys, update, params[0])
        conn.execute(stmt, params[0] if len(params) == 1 else params)


# SQLite upserts by shape, as SQL text: SQLAlchemy gives INSERT ... ON CONFLICT no
# cache key, so it compiled the statement at every execution (about 1 ms of the
# shipper's batch: its summaries' upsert).
_SQLITE_UPSERTS: dict[tuple[Any, ...], Any] = {}


def _upsert_statement(
    conn: Connection,
    table: Table,
    keys: Sequence[str],
    update: Sequence[str] | None,
    first: Mapping[str, Any],
) -> Any:
    columns = tuple(first)
    if conn.dialect.name != "sqlite" or any(
        column.default is not None for column in table.columns if column.name not in first
    ):  # a column left to its Python default: SQLAlchemy's insert fills it in
        return _on_conflict(conn, table, keys, update)
    shape = (table, tuple(keys), tuple(update or ()), columns)
    found = _SQLITE_UPSERTS.get(shape)
    if found is None:
        from sqlalchemy import bindparam, text

        stmt = _on_conflict(conn, table, keys, update).values(
            {name: bindparam(name) for name in columns}
        )
        named: Any = type(conn.dialect)
        sql = str(stmt.compile(dialect=named(paramstyle="named")))
        found = _SQLITE_UPSERTS[shape] = text(sql).bindparams(
            *(bindparam(name, type_=table.c[name].type) for name in columns)
        )
    return found


def insert_if_absent(
    conn: Connection, table: Table, row: Mapping[str, Any], keys: Sequence[str]
) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when the row went in.

    PostgreSQL reports no usable rowcount through SQLAlchemy here, so ask RETURNING.
    """
    stmt = _on_conflict(conn, table, keys, None)
    if conn.dialect.name == "postgresql":
        return conn.execute(stmt.returning(*table.primary_key.columns), row).first() is not None
    return bool(conn.execute(stmt, row).rowcount == 1)


def fetch_bytes(conn: Connection, query: Select[Any]) -> Sequence[Sequence[Any]]:
    """The rows of a query that reads many ``bytea``/BLOB values (metric chunks).

    On PostgreSQL the rows come in the binary protocol: psycopg's default text
    protocol sends bytea as hex, twice the bytes plus the decoding, which was half the
    time of a 100-run chart. The statement is SQLAlchemy's, compiled for the dialect;
    only plain columns (str, int, float, bytes) are expected, which need no result
    processing.
    """
    if conn.dialect.name != "postgresql":
        return conn.execute(query).all()
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    with conn.connection.driver_connection.cursor(binary=True) as cursor:  # type: ignore[union-attr]
        cursor.execute(str(compiled), compiled.params)
        return list(cursor.fetchall())


def _on_conflict(
    conn: Connection, table: Table, keys: Sequence[str], update: Sequence[str] | None
) -> Any:
    # The dialects' modules are imported here, not at the top: PostgreSQL's alone is a
    # fifth of SQLAlchemy's import, which every SQLite reader (a script, a CLI
    # command) would pay for nothing.
    stmt: Any
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        stmt = postgresql.insert(table)
    else:
        from sqlalchemy.dialects import sqlite

        stmt = sqlite.insert(table)
    if update:
        return stmt.on_conflict_do_update(
            index_elements=list(keys), set_={c: stmt.excluded[c] for c in update}
        )
    return stmt.on_conflict_do_nothing(index_elements=list(keys))


def fixed_rows(
    conn: Connection, sql: str, params: Mapping[str, Any] | None = None
) -> list[tuple[Any, ...]]:
    """The rows of fixed SQL text with ``:name`` parameters (a list value is spread
    into an IN list: write ``IN :ids``), as plain tuples.

    For the few statements a fresh process runs first (opening a store, a search's
    name checks, a page of runs): SQLite runs them on the transaction's own sqlite3
    connection, skipping SQLAlchemy's statement and result machinery, which costs more
    than these small reads the first time in a process. A driver error is SQLAlchemy's
    DBAPIError, as from any statement, so that Transactor retries or reports it.
    """
    bound: dict[str, Any] = {}
    for name, value in (params or {}).items():
        if isinstance(value, (list, tuple)):
            names = [f"{name}_{i}" for i in range(len(value))]
            sql = sql.replace(f":{name}", "(" + ", ".join(f":{n}" for n in names) + ")")
            bound.update(zip(names, value, strict=True))
        else:
            bound[name] = value
    if conn.dialect.name != "sqlite":
        return [tuple(row) for row in conn.execute(text(sql), bound)]
    return sqlite_rows(conn, sql, bound)


def sqlite_rows(
    conn: Connection, sql: str, params: Mapping[str, Any] | Sequence[Any]
) -> list[tuple[Any, ...]]:
    """The rows of SQLite text run on the transaction's own sqlite3 connection
    (``:name`` or ``?`` parameters); a driver error is SQLAlchemy's DBAPIError."""
    raw = conn.connection.driver_connection
    assert raw is not None
    try:
        return raw.execute(sql, params).fetchall()  # type: ignore[no-any-return]
    except raw_sqlite_errors() as exc:
        raise DBAPIError.instance(sql, params, exc, raw_sqlite_errors()) from exc


def raw_sqlite_errors() -> type[Exception]:
    import sqlite3

    return sqlite3.Error
