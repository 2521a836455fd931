"""An MLflow request's fields, whether sent as a JSON body (POST, PATCH, DELETE) or as
a query string (GET), read with MLflow's own error for a missing or malformed field."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from heron.server.mlflow.errors import answer_error, invalid
from heron.server.state import ServerState, State

PREFIXES = ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow")
"""Where MLflow's client (``/api``) and MLflow's own web UI (``/ajax-api``) send calls."""


class Params:
    """The request's fields by name."""

    def __init__(self, fields: Mapping[str, Any]) -> None:
        self.fields = fields

    def get(self, name: str) -> Any:
        return self.fields.get(name)

    def text(self, name: str, default: str | None = None) -> str:
        value = self.fields.get(name)
        if value is None or value == "":
            if default is not None:
                return default
            raise invalid(f"Missing value for required parameter '{name}'.")
        if not isinstance(value, str):
            raise invalid(f"Invalid value {value!r} for parameter '{name}': a string")
        return value

    def opt_text(self, name: str) -> str | None:
        value = self.fields.get(name)
        if value is None or value == "":
            return None
        return self.text(name)

    def integer(self, name: str, default: int | None = None) -> int:
        value = self.fields.get(name)
        if value is None or value == "":
            if default is not None:
                return default
            raise invalid(f"Missing value for required parameter '{name}'.")
        if isinstance(value, bool):
            raise invalid(f"Invalid value {value!r} for parameter '{name}': an integer")
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise invalid(f"Invalid value {value!r} for parameter '{name}': an integer") from None
        if not -(2**63) <= number < 2**63:
            raise invalid(f"Invalid value {value!r} for parameter '{name}': past int64")
        return number

    def opt_integer(self, name: str) -> int | None:
        value = self.fields.get(name)
        return None if value is None or value == "" else self.integer(name)

    def number(self, name: str) -> float:
        return as_float(self.fields.get(name), name)

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.fields.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise invalid(f"Invalid value {value!r} for parameter '{name}': true or false")

    def items(self, name: str) -> list[Any]:
        value = self.fields.get(name)
        if value is None:
            return []
        if isinstance(value, list):
            return value
        if isinstance(value, str):  # one value of a repeated query parameter
            return [value]
        raise invalid(f"Invalid value {value!r} for parameter '{name}': a list")

    def objects(self, name: str) -> list[Params]:
        items = self.items(name)
        for item in items:
            if not isinstance(item, dict):
                raise invalid(f"Invalid value {item!r} in parameter '{name}': an object")
        return [Params(item) for item in items]


def as_float(value: Any, name: str) -> float:
    """A number, or proto JSON's spelled-out ``"NaN"``, ``"Infinity"``, ``"-Infinity"``."""
    if isinstance(value, bool) or value is None:
        raise invalid(f"Missing or invalid value {value!r} for parameter '{name}': a number")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        spelled = {"nan": math.nan, "infinity": math.inf, "-infinity": -math.inf}
        if value.strip().lower() in spelled:
            return spelled[value.strip().lower()]
        try:
            return float(value)
        except ValueError:
            pass
    raise invalid(f"Invalid value {value!r} for parameter '{name}': a number")


async def read_params(request: Request) -> Params:
    fields: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        old = fields.get(key)
        if old is None:
            fields[key] = value
        elif isinstance(old, list):
            old.append(value)
        else:
            fields[key] = [old, value]
    if request.method != "GET":
        raw = await request.body()
        if raw.strip():
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                raise invalid("the request body is not valid JSON") from None
            if not isinstance(body, dict):
                raise invalid("the request body must be a JSON object")
            fields.update(body)
    fields.update(request.path_params)  # /logged-models/{model_id}: the path wins
    return Params(fields)


Handler = Callable[[ServerState, Params], dict[str, Any]]


def endpoint(router: APIRouter, method: str, path: str) -> Callable[[Handler], Handler]:
    """Register ``handler`` at ``path`` under every MLflow prefix. It runs in the
    threadpool (store calls block) and its errors answer in MLflow's shape."""

    def register(handler: Handler) -> Handler:
        async def route(request: Request, state: State) -> Response:
            try:
                params = await read_params(request)
                body = await run_in_threadpool(handler, state, params)
            except Exception as exc:
                return answer_error(exc)
            return json_answer(body)

        for prefix in PREFIXES:
            router.add_api_route(prefix + path, route, methods=[method], include_in_schema=False)
        return handler

    return register


def json_answer(body: Mapping[str, Any]) -> Response:
    """JSON as MLflow's client reads it (NaN and infinities as proto JSON spells them)."""
    return Response(json.dumps(_spelled(body)), media_type="application/json")


def _spelled(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _spelled(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_spelled(v) for v in value]
    return value
