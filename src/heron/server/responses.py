"""Answers encoded once, by ``heron.wire``'s codecs, and sent as they are.

A route declares its answer's schema for the OpenAPI document (``response_model=``,
or ``responses={200: {"model": ...}}`` where the route answers other media types
too) and returns :func:`json_response`: FastAPI passes a ``Response`` through, so the
codec's JSON is neither validated against the schema nor converted a second time
(over a chart's ~400k numbers that would double the cost). Tests check every answer
against its declared schema instead (``tests/server/schemas.py``).
"""

from __future__ import annotations

from typing import Any

import pydantic_core
from fastapi import Response


def json_response(body: Any) -> Response:
    """``body`` as JSON, encoded by pydantic-core in one pass: the same bytes FastAPI
    writes for a value a route returns, without its validation pass."""
    return Response(pydantic_core.to_json(body), media_type="application/json")
