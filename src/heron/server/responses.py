"""Answers encoded in one step, for routes whose bodies hold many numbers."""

from __future__ import annotations

from typing import Any

import pydantic_core
from fastapi import Response


def json_response(body: Any) -> Response:
    """``body`` as JSON, encoded by pydantic-core in one pass.

    FastAPI would validate a returned dict against the route's annotation and then
    serialise it: twice over a chart answer's ~400k numbers. Routes that use this
    declare ``response_class=Response`` and document their answer in ``responses``.
    """
    return Response(pydantic_core.to_json(body), media_type="application/json")
