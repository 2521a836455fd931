"""MLflow's error shape: ``{"error_code": ..., "message": ...}`` with MLflow's status.

The MLflow client raises ``MlflowException`` from this body and branches on the code
(``RESOURCE_DOES_NOT_EXIST`` makes ``get_experiment_by_name`` answer None), so every
route under the MLflow paths answers errors this way, never as Heron's problem JSON.
A :class:`~heron.errors.HeronError` from the service becomes the MLflow code of its
kind (:func:`from_heron`).
"""

from __future__ import annotations

import json
import logging

from starlette.responses import Response

from heron.errors import (
    Conflict,
    Forbidden,
    HeronError,
    InvalidInput,
    InvalidValue,
    NotFound,
    PayloadTooLarge,
    Unavailable,
)

log = logging.getLogger("heron.server")

INVALID_PARAMETER_VALUE = "INVALID_PARAMETER_VALUE"
RESOURCE_DOES_NOT_EXIST = "RESOURCE_DOES_NOT_EXIST"
RESOURCE_ALREADY_EXISTS = "RESOURCE_ALREADY_EXISTS"
NOT_IMPLEMENTED = "NOT_IMPLEMENTED"
ENDPOINT_NOT_FOUND = "ENDPOINT_NOT_FOUND"

STATUS: dict[str, int] = {
    INVALID_PARAMETER_VALUE: 400,
    RESOURCE_ALREADY_EXISTS: 400,
    "BAD_REQUEST": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    RESOURCE_DOES_NOT_EXIST: 404,
    ENDPOINT_NOT_FOUND: 404,
    "RESOURCE_CONFLICT": 409,
    "RESOURCE_EXHAUSTED": 429,
    "INTERNAL_ERROR": 500,
    NOT_IMPLEMENTED: 501,
    "TEMPORARILY_UNAVAILABLE": 503,
}
"""MLflow's HTTP status of each error code (``mlflow.exceptions``)."""


class MlflowError(Exception):
    """An answer in MLflow's error shape: ``code`` is one of :data:`STATUS`'s keys."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def status(self) -> int:
        return STATUS.get(self.code, 500)


def invalid(message: str) -> MlflowError:
    return MlflowError(INVALID_PARAMETER_VALUE, message)


def not_implemented(what: str) -> MlflowError:
    return MlflowError(
        NOT_IMPLEMENTED,
        f"{what} is not supported by Heron's MLflow compatibility (docs/compatibility.md)",
    )


def from_heron(error: HeronError) -> MlflowError:
    """The MLflow error of a Heron error (same message)."""
    if isinstance(error, NotFound):
        code = RESOURCE_DOES_NOT_EXIST
    elif isinstance(error, (InvalidInput, InvalidValue)):
        code = INVALID_PARAMETER_VALUE
    elif isinstance(error, Forbidden):
        code = "PERMISSION_DENIED"
    elif isinstance(error, Conflict):
        code = "RESOURCE_CONFLICT"
    elif isinstance(error, PayloadTooLarge):
        code = "RESOURCE_EXHAUSTED"
    elif isinstance(error, Unavailable):
        code = "TEMPORARILY_UNAVAILABLE"
    elif error.status_code == 401:
        code = "UNAUTHENTICATED"
    else:
        code = "INTERNAL_ERROR"
    return MlflowError(code, error.message)


def error_response(error: MlflowError) -> Response:
    body = json.dumps({"error_code": error.code, "message": error.message}, ensure_ascii=True)
    return Response(body, error.status, media_type="application/json")


def answer_error(exc: Exception) -> Response:
    """Any exception a route raised, as MLflow's error body (an unexpected one is
    logged and answered with a generic INTERNAL_ERROR)."""
    if isinstance(exc, MlflowError):
        return error_response(exc)
    if isinstance(exc, HeronError):
        return error_response(from_heron(exc))
    log.exception("heron: an MLflow-compatible route failed", exc_info=exc)
    return error_response(MlflowError("INTERNAL_ERROR", "the server failed; see its log"))
