"""A synchronous httpx transport into an ASGI app in this process: what
``heron.connect.connect(url, transport=...)`` takes to talk to ``create_app(...)``
without a socket (the production path minus the network).

``HttpClient`` is a synchronous ``httpx.Client``, and ``httpx.ASGITransport`` is
asynchronous, so the app runs on an event loop in a thread (anyio's blocking portal,
with the app's lifespan running) and each request is handed across whole: request
bodies (streamed uploads included) are read first, responses are buffered raw (so a
content encoding is decoded once, by the client). Streaming (SSE) needs a real
server (``tests.server.conftest.server_process``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI

_HOP_BY_HOP = {"content-length", "transfer-encoding"}


class AppTransport(httpx.BaseTransport):
    """Sends every request to ``app`` on ``portal``'s loop; ``headers`` are added to
    each (a test's stand-in for what a token would say)."""

    def __init__(
        self, portal: BlockingPortal, app: FastAPI, headers: Mapping[str, str] | None = None
    ) -> None:
        self._portal = portal
        # Unhandled app errors become 500s, as behind a real server.
        self._asgi = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self._headers = dict(headers or {})

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() not in _HOP_BY_HOP]
        headers += list(self._headers.items())
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


TransportFactory = Callable[..., AppTransport]


@contextmanager
def serve(app: FastAPI) -> Iterator[TransportFactory]:
    """Run ``app`` (its lifespan included) until the block ends; yields
    ``transport(headers=None)`` to make transports into it."""
    with ExitStack() as stack:
        portal = stack.enter_context(start_blocking_portal())
        stack.enter_context(portal.wrap_async_context_manager(app.router.lifespan_context(app)))

        def transport(headers: Mapping[str, str] | None = None) -> AppTransport:
            return AppTransport(portal, app, headers)

        yield transport
