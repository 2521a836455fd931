"""Answers checked against the schemas their routes declare.

Routes send JSON that ``heron.wire``'s codecs encoded (``heron.server.responses``),
and FastAPI does not validate a ``Response`` against the route's declared model. So
the in-process client (``tests.server.asgi``) runs every JSON answer of every server
test through :func:`check_answer`: it must validate strictly (a ``float`` field that
gets ``"NaN"`` fails: that field must be declared ``WireFloat``) and hold no field the
schema does not declare.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import TypeAdapter
from starlette.routing import compile_path


def route_of(app: FastAPI, method: str, path: str) -> tuple[APIRoute, str] | None:
    """The route that answers ``method path``, and its path as the OpenAPI document
    writes it (``/api/v1/runs/{run_id}``), in the order the app tries them."""
    for context in iter_route_contexts(app.routes):  # routers included with a prefix too
        route, template = context.original_route, context.path
        if not isinstance(route, APIRoute) or not template or method not in route.methods:
            continue
        if compile_path(template)[0].match(path):
            return route, context.path_format or template
    return None


def declared(route: APIRoute, status: int) -> Any | None:
    """The type ``route`` declares for its JSON answer with ``status`` (None: none)."""
    if 200 <= status < 300 and route.response_model is not None:
        return route.response_model
    for key in (status, str(status), f"{status // 100}XX"):
        if key in route.responses and "model" in route.responses[key]:
            return route.responses[key]["model"]
    return None


@cache
def _adapter(model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(model)


def matches(model: Any, body: bytes) -> None:
    """Assert that the JSON ``body`` is exactly an instance of ``model``."""
    adapter = _adapter(model)
    value = adapter.validate_json(body, strict=True)
    sent = json.loads(body)
    kept = adapter.dump_python(value, mode="json")
    assert kept == sent, f"fields the schema does not declare: {_diff(sent, kept)}"


def check_answer(app: FastAPI, response: httpx.Response) -> bool:
    """Check ``response`` against its route's declared schema; False when there is
    nothing to check (no route, no JSON, no schema declared)."""
    kind = response.headers.get("content-type", "")
    if not response.content or not kind.startswith(("application/json", "application/problem")):
        return False
    found = route_of(app, response.request.method, response.request.url.path)
    model = None if found is None else declared(found[0], response.status_code)
    if model is None:
        return False
    try:
        matches(model, response.content)
    except Exception as exc:
        raise AssertionError(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code} that does not match its declared schema: {exc}"
        ) from None
    return True


def _diff(sent: Any, kept: Any, where: str = "") -> list[str]:
    if isinstance(sent, dict) and isinstance(kept, dict):
        out = [f"{where}.{k}" for k in sent.keys() - kept.keys()]
        for k in sent.keys() & kept.keys():
            out += _diff(sent[k], kept[k], f"{where}.{k}")
        return out
    if isinstance(sent, list) and isinstance(kept, list):
        pairs = enumerate(zip(sent, kept, strict=True))
        return [d for i, (a, b) in pairs for d in _diff(a, b, f"{where}[{i}]")]
    return [] if sent == kept else [f"{where}: {sent!r} became {kept!r}"]
