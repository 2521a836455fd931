"""docs/compatibility.md lists every endpoint of the installed ``mlflow`` package's REST
API (its own route table, built from MLflow's protos), and every endpoint it calls
supported or partly is routed by Heron (not left to the ENDPOINT_NOT_FOUND catch-all)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.routing import Match

from heron.server import mlflow as heron_mlflow

DOC = Path(__file__).parents[3] / "docs" / "compatibility.md"
ROW = re.compile(r"^\| `(GET|POST|PUT|PATCH|DELETE) (/api/\S+)` \| (supported|partly|not) \|")


def mlflow_endpoints() -> list[tuple[str, str]]:
    """(method, path) of every route MLflow's server serves under ``/api/``, its path
    parameters written ``<name>``."""
    from mlflow.server import handlers

    found: dict[tuple[str, str], None] = {}
    for path, _handler, methods in handlers.get_endpoints():
        if path.startswith("/api/"):
            for method in methods:
                found[(method, re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", path))] = None
    return list(found)


def documented() -> dict[tuple[str, str], str]:
    rows: dict[tuple[str, str], str] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        m = ROW.match(line)
        if m:
            rows[(m.group(1), m.group(2))] = m.group(3)
    return rows


def _flat(routes: Iterable[Any]) -> Iterator[Any]:
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:  # an included router: its own routes, in order
            yield from _flat(inner.routes)
        else:
            yield route


def routed(method: str, path: str) -> bool:
    """True when Heron's MLflow router answers ``method path`` with a route of its own
    (the first full match is not the catch-all)."""
    concrete = re.sub(r"<\w+>", "x1", path)
    scope = {"type": "http", "path": concrete, "method": method}
    for route in _flat(heron_mlflow.router.routes):
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return getattr(route, "endpoint", None) is not heron_mlflow.catch_all
    return False


def test_every_mlflow_endpoint_is_documented() -> None:
    endpoints = mlflow_endpoints()
    assert len(endpoints) > 100  # the route table was read
    rows = documented()
    missing = [f"{m} {p}" for m, p in endpoints if (m, p) not in rows]
    assert not missing, f"docs/compatibility.md does not list: {missing}"


@pytest.mark.parametrize("status", ["supported", "partly"])
def test_what_the_doc_claims_is_routed(status: str) -> None:
    claimed = [key for key, found in documented().items() if found == status]
    assert claimed
    unrouted = [f"{m} {p}" for m, p in claimed if not routed(m, p)]
    assert not unrouted, f"docs/compatibility.md calls these {status}, Heron does not route them"


def test_the_check_can_fail() -> None:
    assert routed("POST", "/api/2.0/mlflow/runs/log-batch")
    assert not routed("GET", "/api/3.0/mlflow/traces/<trace_id>")
    assert not routed("POST", "/api/2.0/mlflow/no-such-endpoint")
