"""Request size limits: bodies over ``HERON_MAX_REQUEST_BYTES`` get 413, and a gzip
batch is decompressed under the same cap (a small bomb cannot fill memory).

Blob uploads (``PUT /api/v1/blobs/...``) are exempt: they stream to a temp file.
"""

from __future__ import annotations

import zlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from heron.errors import InvalidInput, PayloadTooLarge
from heron.server.problems import problem_response, replay_body

_STREAMED = ("PUT", "/api/v1/blobs/")


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the request body is larger than this server accepts ({limit} bytes, "
        "HERON_MAX_REQUEST_BYTES); send smaller batches or raise the limit"
    )


class BodyLimitMiddleware:
    """Refuses oversized bodies before a route sees them: at once when Content-Length
    says so, else by buffering the streamed body up to the limit."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._exempt(scope):
            await self.app(scope, receive, send)
            return
        length = _content_length(scope)
        if length is not None and length > self.limit:
            await problem_response(too_large(self.limit))(scope, receive, send)
            return
        if length is not None:
            await self.app(scope, _counting(receive, self.limit), send)
            return
        # Chunked: read it all (at most the limit) first, then replay it to the app.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            body = message.get("body", b"")
            size += len(body)
            if size > self.limit:
                await problem_response(too_large(self.limit))(scope, receive, send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        await self.app(scope, replay_body(b"".join(chunks), receive), send)

    @staticmethod
    def _exempt(scope: Scope) -> bool:
        return scope.get("method") == _STREAMED[0] and str(scope.get("path", "")).startswith(
            _STREAMED[1]
        )


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _counting(receive: Receive, limit: int) -> Receive:
    """A client whose body outgrows its own Content-Length is cut off at the limit."""
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise too_large(limit)
        return message

    return wrapped


def gunzip(data: bytes, limit: int) -> bytes:
    """Decompress a gzip body, refusing more than ``limit`` bytes of output."""
    inflater = zlib.decompressobj(wbits=31)  # 31: gzip header and trailer
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise InvalidInput(f"the body is not valid gzip (Content-Encoding: gzip): {exc}") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise PayloadTooLarge(
            f"the gzip body decompresses to more than {limit} bytes "
            "(HERON_MAX_REQUEST_BYTES); send smaller batches"
        )
    if not inflater.eof:
        raise InvalidInput("the gzip body is truncated")
    return out
