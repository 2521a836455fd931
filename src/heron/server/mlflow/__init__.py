"""MLflow compatibility: MLflow's REST API on ``heron server``, landing in Heron's runs.

The official ``mlflow`` client with ``MLFLOW_TRACKING_URI=http://<heron server>`` works
unmodified (docs/compatibility.md lists every endpoint: supported, partly, not). The
routes are not in Heron's OpenAPI document: their contract is MLflow's protocol.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from heron.server.mlflow import artifacts, logged_models, registry, tracking
from heron.server.mlflow.errors import ENDPOINT_NOT_FOUND, MlflowError, error_response
from heron.server.mlflow.params import PREFIXES

router = APIRouter()
for _part in (tracking, logged_models, artifacts, registry):
    router.include_router(_part.router)


async def catch_all(request: Request, rest: str) -> Response:
    """Any other MLflow path: MLflow's ENDPOINT_NOT_FOUND (tracing, logged models,
    workspaces, gateway... are not served; docs/compatibility.md)."""
    return error_response(
        MlflowError(
            ENDPOINT_NOT_FOUND,
            f"Heron does not serve {request.method} {request.url.path} (docs/compatibility.md)",
        )
    )


for _prefix in (*PREFIXES, "/api/2.0/mlflow-artifacts"):
    router.add_api_route(
        _prefix + "/{rest:path}",
        catch_all,
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )

__all__ = ["catch_all", "router"]
