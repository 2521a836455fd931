"""A synchronous client over the app in-process: httpx's ASGI transport driven from a
blocking portal (an event loop in a thread), with the app's lifespan running.

Not starlette's TestClient: it warns (and so fails under ``filterwarnings = error``)
unless the ``httpx2`` package is installed. The transport buffers whole responses, so
streaming (SSE) is tested against a real server instead.

Every JSON answer is checked against the schema its route declares
(``tests.server.schemas``), so each server test also tests the OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI

from tests.server.schemas import check_answer


class AppClient:
    def __init__(self, portal: BlockingPortal, client: httpx.AsyncClient, app: FastAPI) -> None:
        self._portal = portal
        self._client = client
        self._app = app

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if (
            method == "PUT"
            and kwargs.get("content") is not None
            and not any(k.lower() == "content-type" for k in headers)
        ):
            headers["Content-Type"] = "application/octet-stream"  # as Heron's client sends
        kwargs["headers"] = headers
        response = self._portal.call(lambda: self._client.request(method, url, **kwargs))
        check_answer(self._app, response)
        return response

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def head(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("HEAD", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)

    def call(self, func: Any, *args: Any) -> Any:
        """Run ``func(*args)`` on the app's event loop thread (sync callables)."""
        return self._portal.start_task_soon(_as_async, func, *args).result()


async def _as_async(func: Any, *args: Any) -> Any:
    return func(*args)


@contextmanager
def app_client(app: FastAPI) -> Iterator[AppClient]:
    with ExitStack() as stack:
        portal = stack.enter_context(start_blocking_portal())
        stack.enter_context(portal.wrap_async_context_manager(app.router.lifespan_context(app)))
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        client = httpx.AsyncClient(transport=transport, base_url="http://localhost")
        stack.enter_context(portal.wrap_async_context_manager(client))
        yield AppClient(portal, client, app)
