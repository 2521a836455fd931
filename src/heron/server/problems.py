"""Every error as RFC 7807 problem JSON (``application/problem+json``).

HeronError renders itself (``to_problem``); FastAPI's validation errors become 400
(malformed JSON) or 422 (wrong fields) with the field list in ``errors``; unknown
routes 404; anything unexpected 500 with a generic message (details go to the log,
never to the client). The 500 is answered by ``ProblemMiddleware`` rather than by
Starlette's outermost error handler, which re-raises after answering and so makes
the ASGI server drop the keep-alive connection: here the exception ends with the
answer and the connection serves the next request.

``ProblemMiddleware`` also refuses, with 400, a JSON body that escapes a lone
surrogate (``"\\ud800"``): it parses into a Python string that no database and no
UTF-8 encoder accepts, so no route ever sees one. Problem JSON is written in ASCII
(escapes), so whatever a message quotes can always be sent.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from typing_extensions import NotRequired, TypedDict

from heron.errors import HeronError, InvalidInput, TooManyRequests, Unauthorized

log = logging.getLogger("heron.server")
PROBLEM_TYPE = "application/problem+json"
_ERRORS = "https://heron.dev/errors/"


class FieldError(TypedDict):
    """One field of a request that failed validation: where (``["body", "limit"]``),
    what is wrong, and pydantic's error type."""

    loc: list[str]
    msg: str
    type: str


class Problem(TypedDict):
    """An error (RFC 7807). ``type`` ends with the ``heron.errors`` class name, which
    the Python client raises again; ``detail`` says what to do. ``errors``: the fields
    of a request that failed validation (400 malformed JSON, 422 wrong fields)."""

    type: str
    title: str
    status: int
    detail: str
    errors: NotRequired[list[FieldError]]


def _problems(description: str) -> dict[str, Any]:
    # "model" registers the schema (FastAPI files it under application/json); the
    # answer's real media type names it too.
    ref = {"schema": {"$ref": "#/components/schemas/Problem"}}
    return {"model": Problem, "description": description, "content": {PROBLEM_TYPE: ref}}


PROBLEMS: dict[int | str, dict[str, Any]] = {
    "4XX": _problems("The request was refused (problem JSON; see docs/rest-api.md)."),
    "5XX": _problems("The server failed or its store is unavailable (problem JSON)."),
}
"""Every API router's error answers, for the OpenAPI document (instead of FastAPI's
default 422 schema, which is not the shape Heron answers)."""


def problem(status: int, title: str, detail: str, kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": _ERRORS + kind, "title": title, "status": status, "detail": detail, **extra}


class ProblemResponse(JSONResponse):
    """Problem JSON, in ASCII: a message that quotes odd input can always be encoded."""

    media_type = PROBLEM_TYPE

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def problem_response(error: HeronError) -> JSONResponse:
    response = ProblemResponse(error.to_problem(), error.status_code)
    if isinstance(error, TooManyRequests):  # when to try again (RFC 9110)
        response.headers["Retry-After"] = str(max(1, int(error.retry_after)))
    if isinstance(error, Unauthorized):
        response.headers["WWW-Authenticate"] = 'Bearer realm="heron"'
    return response


def install(app: FastAPI) -> None:
    app.add_exception_handler(HeronError, _heron_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    # Only for failures outside ProblemMiddleware (another middleware's); see below.
    app.add_exception_handler(Exception, _unexpected)
    app.add_middleware(ProblemMiddleware)  # inside the middlewares added after this


class ProblemMiddleware:
    """Answers an unexpected exception with a logged 500 problem (the connection lives
    on), and refuses JSON bodies with lone surrogates (400)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            if _is_json(scope):
                body = await _read_body(receive)
                if lone_surrogate(body):
                    error = InvalidInput(
                        "the JSON body contains a lone surrogate escape (such as \\ud800), "
                        "which is not a character; send valid Unicode"
                    )
                    await problem_response(error)(scope, receive, send)
                    return
                receive = replay_body(body, receive)
            await self.app(scope, receive, tracked)
        except HeronError as exc:  # from reading the body (too large, say)
            if started:
                raise
            await problem_response(exc)(scope, receive, send)
        except Exception as exc:
            if started:  # too late for an answer: the ASGI server closes the connection
                raise
            request = Request(scope)
            await (await _unexpected(request, exc))(scope, receive, send)


def _is_json(scope: Scope) -> bool:
    if scope.get("method") not in ("POST", "PUT", "PATCH", "DELETE"):
        return False
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return b"json" in value.lower()
    return False


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay_body(body: bytes, receive: Receive) -> Receive:
    """``receive`` that hands the app ``body`` (already read) first, then goes on."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


_MAYBE_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")
_ESCAPE = re.compile(rb"\\(?:u([0-9a-fA-F]{4})|.)", re.S)


def lone_surrogate(body: bytes) -> bool:
    """Whether a JSON text escapes a surrogate that is not half of a pair (``\\ud800``
    alone, or a low half first). Escaped backslashes (``\\\\ud800``) are plain text."""
    if _MAYBE_SURROGATE.search(body) is None:
        return False
    high_end: int | None = None  # where an unpaired high surrogate's escape ended
    for match in _ESCAPE.finditer(body):
        code = int(match.group(1), 16) if match.group(1) else None
        if high_end is not None:
            if match.start() == high_end and code is not None and 0xDC00 <= code <= 0xDFFF:
                high_end = None
                continue
            return True
        if code is not None and 0xD800 <= code <= 0xDBFF:
            high_end = match.end()
        elif code is not None and 0xDC00 <= code <= 0xDFFF:
            return True
    return high_end is not None


async def _heron_error(request: Request, exc: HeronError) -> Response:
    if exc.status_code >= 500:
        log.error("heron server: %s %s: %s", request.method, request.url.path, exc.message)
    return problem_response(exc)


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    errors = [
        {
            "loc": [str(part) for part in e.get("loc", ())],
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in exc.errors()
    ]
    malformed = any(e["type"] == "json_invalid" for e in errors)
    status = 400 if malformed else 422
    fields = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors[:10])
    detail = (
        f"the request body is not valid JSON: {fields}"
        if malformed
        else f"the request does not have the expected fields: {fields}"
    )
    body = problem(status, "Invalid request", detail, "InvalidInput", errors=errors)
    return ProblemResponse(body, status)


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    if exc.status_code == 404 and exc.detail == "Not Found":
        detail = f"no route {request.method} {request.url.path}; see /api/docs"
    else:
        detail = str(exc.detail)
    kind = {404: "NotFound", 405: "MethodNotAllowed", 413: "PayloadTooLarge"}.get(
        exc.status_code, "HTTPError"
    )
    body = problem(exc.status_code, _title(exc.status_code), detail, kind)
    return ProblemResponse(body, exc.status_code, headers=exc.headers)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.error(
        "heron server: unexpected error in %s %s", request.method, request.url.path, exc_info=exc
    )
    body = problem(
        500,
        "Internal server error",
        "the server failed unexpectedly; the error is in the server's log",
        "InternalError",
    )
    return ProblemResponse(body, 500)


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
