"""The remote stores over an in-process server: the production path minus the socket
(the transport is :mod:`tests.inprocess`'s).

:func:`remote_stores` builds ``RemoteStore`` and ``RemoteArtifactStore`` directly over
``create_app(store, blobs, settings)``, as the contract suites use them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI

from heron.artifacts.base import ArtifactStore
from heron.remote import HttpClient, RemoteArtifactStore, RemoteStore
from heron.server.app import create_app
from heron.settings import Settings
from heron.store.base import Store
from tests.inprocess import AppTransport
from tests.inprocess import serve as serve_app

URL = "http://localhost"
_HOP_BY_HOP = {"content-length", "transfer-encoding"}


@contextmanager
def serve(app: FastAPI) -> Iterator[AppTransport]:
    """Run ``app`` (its lifespan included) until the block ends; yield a transport."""
    with serve_app(app) as transport:
        yield transport()


def quiet_app(store: Store, blobs: ArtifactStore, tmp: Path) -> FastAPI:
    """``create_app`` with its background work out of the way of a test: the reaper
    would mark runs created at old test times crashed."""
    settings = Settings(dir=tmp / "unused", crash_after=1e12)
    return create_app(
        store, blobs, settings, static_dir=tmp / "no-ui", poll_seconds=3600, reap_seconds=3600
    )


@dataclass
class Remote:
    """The two remote stores over one in-process server, and the way to reach it."""

    store: RemoteStore
    blobs: RemoteArtifactStore
    transport: AppTransport

    def client(self) -> HttpClient:
        """Another client of the same server (the caller closes it)."""
        return HttpClient(URL, transport=self.transport)


@contextmanager
def remote_stores(store: Store, blobs: ArtifactStore, tmp: Path) -> Iterator[Remote]:
    """A server over ``store`` and ``blobs`` in this process, and the two remote stores
    talking to it through one HTTP client."""
    with serve(quiet_app(store, blobs, tmp)) as transport:
        http = HttpClient(URL, transport=transport)
        try:
            yield Remote(RemoteStore(URL, http), RemoteArtifactStore(URL, http), transport)
        finally:
            http.close()
