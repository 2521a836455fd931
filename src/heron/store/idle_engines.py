"""SQLite engines of closed stores, kept for the next store opened on the same file.

A script (or a notebook cell) that opens ``heron.Api(folder)`` for each read would
otherwise pay every time for a new engine, a schema check and, above all, compiling
every statement again: SQLAlchemy caches compiled SQL per engine. MLflow keeps its
store per tracking URI for the same reason.

Only SQLite engines are kept, and only while the database file is the very file they
were opened on (same device and inode): a folder deleted and logged into again gets
a fresh engine. PostgreSQL engines are disposed on close as before: their idle
connections would hold server resources (and block ``DROP DATABASE``).
"""

from __future__ import annotations

import atexit
import os
import sqlite3
import threading
from collections import OrderedDict

from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import DBAPIError

from heron.store.engine import SQLITE_BUSY_TIMEOUT_S, make_engine

MAX_IDLE = 4  # engines kept across every file; the least recently closed go first

FileIdentity = tuple[int, int]

_idle: OrderedDict[str, tuple[Engine, FileIdentity]] = OrderedDict()
_lock = threading.Lock()


def file_identity(url: URL) -> FileIdentity | None:
    """(device, inode) of a SQLite store's file; None for PostgreSQL or no file."""
    if url.get_backend_name() != "sqlite" or not url.database:
        return None
    try:
        st = os.stat(url.database)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def acquire(url: URL) -> Engine:
    """An engine for ``url``: a kept one for the same file, else a new one."""
    identity = file_identity(url)
    if identity is not None:
        with _lock:
            kept = _idle.pop(_key(url), None)
        if kept is not None:
            engine, kept_identity = kept
            if kept_identity == identity:
                return engine
            engine.dispose()  # the file was replaced: its connections see the old one
    return make_engine(url)


def release(url: URL, engine: Engine, identity: FileIdentity | None) -> None:
    """Keep ``engine`` for the next store on the same file, or dispose of it.
    ``identity`` is the file's identity taken while the engine was in use."""
    if identity is None or file_identity(url) != identity or not _checkpoint(engine):
        engine.dispose()
        return
    with _lock:
        replaced = _idle.pop(_key(url), None)
        _idle[_key(url)] = (engine, identity)
        evicted = [_idle.popitem(last=False)[1][0] for _ in range(len(_idle) - MAX_IDLE)]
    if replaced is not None:
        evicted.append(replaced[0])
    for old in evicted:
        old.dispose()


@atexit.register
def dispose_all() -> None:
    """Close every kept engine (at exit, SQLite then folds its WAL into the database)."""
    with _lock:
        engines = [engine for engine, _ in _idle.values()]
        _idle.clear()
    for engine in engines:
        engine.dispose()


def _checkpoint(engine: Engine) -> bool:
    """Fold the WAL into the database file, as closing the last connection would, so
    that the file alone holds every committed write once the store is closed (someone
    may copy it), and the store's size on disk is what it holds: TRUNCATE empties the
    -wal file (a run that logged 100k points left one twice the database's size).
    Never waits: with a reader or writer of another process in the way, it folds what
    it can (PASSIVE) and leaves the rest to the next checkpoint. Cheap when nothing
    was written."""
    try:
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("PRAGMA busy_timeout = 0")
            try:
                busy = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                if busy is None or busy[0]:
                    cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        finally:
            raw.close()
    except (DBAPIError, sqlite3.Error):
        return False
    return True


def _key(url: URL) -> str:
    return url.render_as_string(hide_password=False)
