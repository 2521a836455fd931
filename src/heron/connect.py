"""Where the store is, decided in one place: every entry point calls :func:`connect`.

``heron.init``, ``heron.Api``, ``heron.models``, the ``heron`` command and the server
all find their store here, with one precedence:

    explicit argument  >  HERON_URL  >  HERON_DIR  >  ./heron-runs

A target is one of three kinds:

- a Heron server, ``http(s)://host:port``: the store, blobs and registry are answered
  over its REST API (``heron.remote``);
- a folder (the embedded store: ``heron.db`` SQLite, ``blobs/``, ``spool/``, ``cache/``);
- a database URL (``postgresql://...``, ``sqlite:///...``): what ``heron server`` serves;
  its blobs live wherever ``artifacts`` (``HERON_ARTIFACTS``) says.

:class:`Connection` hands out the three read/write handles (``store``, ``blobs``,
``registry``) and closes what it opened. It knows nothing of runs being written: the
SDK wraps a connection in a backend, ``heron.Api`` and the CLI read through it, the
server serves it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from heron.credentials import token_for
from heron.errors import InvalidInput, NotFound
from heron.local_dir import LocalDir
from heron.settings import Settings

if TYPE_CHECKING:
    import httpx

    from heron.accounts.base import AccountBook
    from heron.artifacts.base import ArtifactStore, BlobStore
    from heron.registry.base import Registry
    from heron.remote.http import HttpClient
    from heron.store.base import RunStore, Store

__all__ = ["Connection", "Location", "connect", "locate"]

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_SERVER_SCHEMES = {"http", "https"}
_DATABASE_SCHEMES = ("sqlite", "postgresql", "postgres")

Kind = Literal["server", "folder", "database"]


@dataclass(frozen=True)
class Location:
    """A resolved store location. ``url``: the server's or the database's URL;
    ``folder``: the embedded store's folder (None for a server or a database URL);
    ``artifacts``: where blobs live (None: the folder's ``blobs/``, or the server)."""

    kind: Kind
    url: str | None = None
    folder: LocalDir | None = None
    artifacts: str | None = None

    def __str__(self) -> str:
        return str(self.folder.root) if self.folder is not None else str(self.url)

    @property
    def remote(self) -> bool:
        return self.kind == "server"


def locate(target: str | Path | None = None, settings: Settings | None = None) -> Location:
    """Where the store is: ``target`` > ``HERON_URL`` > ``HERON_DIR`` > ``./heron-runs``."""
    settings = settings if settings is not None else Settings.from_env()
    if target is None or target == "":
        target = settings.url or settings.dir
    if isinstance(target, Path):
        return Location("folder", folder=LocalDir.at(target), artifacts=settings.artifacts)
    match = _SCHEME.match(target)
    if match is None:
        return Location("folder", folder=LocalDir.at(target), artifacts=settings.artifacts)
    scheme = match.group(1).lower()
    if scheme in _SERVER_SCHEMES:
        return Location("server", url=target.rstrip("/"))
    if scheme.split("+", 1)[0] in _DATABASE_SCHEMES:
        return Location("database", url=target, artifacts=settings.artifacts)
    raise InvalidInput(
        f"cannot open {target!r}: give a Heron server's http(s):// address, a store "
        "folder, or a database URL (postgresql://user@host/db)"
    )


class Connection:
    """Open handles on one store: ``store`` (runs, metrics, artifact records),
    ``blobs`` (artifact bytes) and, on first use, ``registry``. Close it when done
    (or use it as a context manager); it closes only what it opened."""

    def __init__(
        self,
        location: Location,
        settings: Settings,
        store: RunStore,
        blobs: BlobStore,
        *,
        http: HttpClient | None = None,
        on_close: list[Callable[[], None]] | None = None,
    ) -> None:
        self.location = location
        self.settings = settings
        self.store = store
        self.blobs = blobs
        self.http = http
        self._registry: Registry | None = None
        self._on_close = on_close if on_close is not None else []

    def __repr__(self) -> str:
        return f"Connection({self.location.kind}: {self.location})"

    @property
    def remote(self) -> bool:
        """True when a server answers (the SDK then stages blobs and ships over HTTP)."""
        return self.location.remote

    @property
    def folder(self) -> LocalDir | None:
        """The embedded store's folder (spools, caches), None for a server or database."""
        return self.location.folder

    @property
    def cache(self) -> Path:
        """Where downloads are cached: the store folder's ``cache/``, else HERON_DIR's."""
        return (self.folder or LocalDir.at(self.settings.dir)).cache

    def maintenance(self) -> tuple[Store, ArtifactStore]:
        """``store`` and ``blobs`` with every capability (``heron.store.base.Store``:
        stale and changed runs, referenced blobs, chart reads; ``ArtifactStore``: list
        and delete blobs): what serving, ``heron gc`` and crash reaping need, beside
        the database only. Raises InvalidInput for a server target."""
        from heron.artifacts.base import ArtifactStore
        from heron.store.base import Store

        if not isinstance(self.store, Store) or not isinstance(self.blobs, ArtifactStore):
            raise InvalidInput(
                f"{self.location} is a Heron server: serving, garbage collection and crash "
                "reaping run beside its database; run the command on the server's store"
            )
        return self.store, self.blobs

    @property
    def registry(self) -> Registry:
        """The model registry of this store, opened on first use. Locally its webhook
        dispatcher starts with it and is drained on :meth:`close`."""
        if self._registry is None:
            self._registry = self._open_registry()
        return self._registry

    def _open_registry(self) -> Registry:
        if self.http is not None:
            from heron.registry.remote import RemoteRegistry

            return RemoteRegistry(self.http)
        from heron.registry import open_registry
        from heron.store.sql import SqlStore

        if not isinstance(self.store, SqlStore):
            raise InvalidInput(f"the model registry needs a SQL store, not {self.store!r}")
        registry, dispatcher = open_registry(self.store, self.settings, blobs=self.blobs)
        self._on_close.insert(0, dispatcher.close)  # deliver pending webhooks first
        return registry

    def accounts(self) -> AccountBook:
        """The server's accounts as this connection's caller (its token) may manage
        them; beside a database, as its local administrator (``heron users`` on the
        server's machine creates the first admin this way)."""
        if self.http is not None:
            from heron.accounts.remote import RemoteAccounts

            return RemoteAccounts(self.http)
        from heron.accounts import SqlAccounts
        from heron.service.accounts import Accounts
        from heron.store.sql import SqlStore

        if not isinstance(self.store, SqlStore):
            raise InvalidInput(f"accounts need a SQL store, not {self.store!r}")
        return Accounts(SqlAccounts(self.store))

    def close(self) -> None:
        callbacks, self._on_close = self._on_close, []
        for callback in callbacks:
            callback()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(
    target: str | Path | None = None,
    *,
    settings: Settings | None = None,
    create: bool = False,
    transport: httpx.BaseTransport | None = None,
) -> Connection:
    """Open the store at ``target`` (precedence in :func:`locate`).

    A folder must already hold a store unless ``create`` (``heron.init``, ``heron ui``):
    a missing one raises NotFound saying where it looked. ``transport`` replaces the
    network for a server target (an in-process ASGI app in tests).
    """
    settings = settings if settings is not None else Settings.from_env()
    location = locate(target, settings)
    if location.kind == "server":
        return _connect_server(location, settings, transport)
    from heron.artifacts import open_artifact_store
    from heron.store import open_store

    if location.kind == "folder":
        folder = location.folder
        assert folder is not None
        if create:
            folder.create()
        elif not folder.exists():
            raise NotFound(
                f"no Heron store at {folder.root} (looked for {folder.db_path.name} there). "
                "Point elsewhere with HERON_DIR=/path/to/heron-runs or --dir PATH, or log "
                "a run with heron.init() to create one"
            )
        db_url, blobs_at = folder.db_url, location.artifacts or str(folder.blobs)
    else:
        if location.artifacts is None:
            raise InvalidInput(
                f"a database store ({_redact(location.url)}) needs an artifact store: set "
                "HERON_ARTIFACTS (or --artifacts) to a folder, file:// or s3://bucket/prefix"
            )
        db_url, blobs_at = str(location.url), location.artifacts
    blobs = open_artifact_store(blobs_at, settings=settings)
    store = open_store(db_url)
    return Connection(location, settings, store, blobs, on_close=[store.close])


def _connect_server(
    location: Location, settings: Settings, transport: httpx.BaseTransport | None
) -> Connection:
    from heron.remote import HttpClient, RemoteArtifactStore, RemoteStore

    assert location.url is not None
    http = HttpClient(location.url, transport=transport, token=token_for(settings, location.url))
    return Connection(
        location,
        settings,
        RemoteStore(location.url, http),
        RemoteArtifactStore(location.url, http),
        http=http,
        on_close=[http.close],
    )


def _redact(url: str | None) -> str:
    """A database URL without its password, safe to print."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", str(url))
