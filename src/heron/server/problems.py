"""Every error as RFC 7807 problem JSON (``application/problem+json``).

HeronError renders itself (``to_problem``); FastAPI's validation errors become 400
(malformed JSON) or 422 (wrong fields) with the field list in ``errors``; unknown
routes 404; anything unexpected 500 with a generic message (details go to the log,
never to the client).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response
from typing_extensions import NotRequired, TypedDict

from heron.errors import HeronError

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


def problem_response(error: HeronError) -> JSONResponse:
    return JSONResponse(error.to_problem(), error.status_code, media_type=PROBLEM_TYPE)


def install(app: FastAPI) -> None:
    app.add_exception_handler(HeronError, _heron_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)


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
    return JSONResponse(body, status, media_type=PROBLEM_TYPE)


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    if exc.status_code == 404 and exc.detail == "Not Found":
        detail = f"no route {request.method} {request.url.path}; see /api/docs"
    else:
        detail = str(exc.detail)
    kind = {404: "NotFound", 405: "MethodNotAllowed", 413: "PayloadTooLarge"}.get(
        exc.status_code, "HTTPError"
    )
    body = problem(exc.status_code, _title(exc.status_code), detail, kind)
    return JSONResponse(body, exc.status_code, headers=exc.headers, media_type=PROBLEM_TYPE)


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
    return JSONResponse(body, 500, media_type=PROBLEM_TYPE)


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
