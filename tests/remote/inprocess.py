"""The remote stores over an in-process server: the production path minus the socket.

``HttpClient`` is a synchronous ``httpx.Client`` and ``httpx.ASGITransport`` is
asynchronous, so the app runs on an event loop in a thread (anyio's blocking portal,
its lifespan running) and :class:`AppTransport` hands each request across whole:
request bodies (streamed uploads included) are read first, responses are buffered
raw, so a content encoding is decoded once, by the client. Streaming (SSE) needs a
real server (``tests.server.conftest.server_process``).

:func:`remote_stores` builds ``RemoteStore`` and ``RemoteArtifactStore`` directly over
``create_app(store, blobs, settings)``, as the contract suites use them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI

from heron.artifacts.base import ArtifactStore
from heron.remote import HttpClient, RemoteArtifactStore, RemoteStore
from heron.server.app import create_app
from heron.settings import Settings
from heron.store.base import Store

URL = "http://heron.test"
_HOP_BY_HOP = {"content-length", "transfer-encoding"}


class AppTransport(httpx.BaseTransport):
    """Sends every request to ``app`` on ``portal``'s event loop."""

    def __init__(self, portal: BlockingPortal, app: FastAPI) -> None:
        self._portal = portal
        # Unhandled app errors become 500s, as behind a real server.
        self._asgi = httpx.ASGITransport(app=app, raise_app_exceptions=False)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() not in _HOP_BY_HOP]
        forwarded = httpx.Request(request.method, request.url, headers=headers, content=body)

        async def send() -> tuple[int, list[tuple[str, str]], bytes]:
            response = await self._asgi.handle_async_request(forwarded)
            try:
                raw = b"".join([chunk async for chunk in response.aiter_raw()])
            finally:
                await response.aclose()
            return response.status_code, response.headers.multi_items(), raw

        status, response_headers, raw = self._portal.call(send)
        return httpx.Response(status, headers=response_headers, content=raw, request=request)


@contextmanager
def serve(app: FastAPI) -> Iterator[AppTransport]:
    """Run ``app`` (its lifespan included) until the block ends; yield a transport."""
    with ExitStack() as stack:
        portal = stack.enter_context(start_blocking_portal())
        stack.enter_context(portal.wrap_async_context_manager(app.router.lifespan_context(app)))
        yield AppTransport(portal, app)


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
