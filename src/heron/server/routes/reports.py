"""Reports: a project's Markdown documents with live charts, tables and run sets.

Rules and limits live in :mod:`heron.service.reports` (reading needs ``read`` on the
project, writing ``write``); these routes translate HTTP to it and back.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

from heron.server.problems import PROBLEMS
from heron.server.responses import json_response
from heron.server.state import State
from heron.service.reports import MAX_REPORT_BYTES, MAX_TITLE_LENGTH, Reports
from heron.service.reports import Report as Found

router = APIRouter(tags=["reports"], responses=PROBLEMS)

Title = Annotated[str, Field(min_length=1, max_length=MAX_TITLE_LENGTH)]
Body = Annotated[str, Field(max_length=MAX_REPORT_BYTES)]  # bytes of UTF-8: the service


class NewReport(BaseModel):
    """``body``: Markdown with ``heron`` fenced blocks (docs/ui.md), at most 512 KiB."""

    model_config = ConfigDict(extra="forbid")

    title: Title
    body: Body = ""


class ReportPatch(BaseModel):
    """What to change (a field left out stays as it is)."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    body: Body | None = None


class ReportSummary(TypedDict):
    id: int
    project: str
    title: str
    created_by: str
    created_at: float
    updated_by: str
    updated_at: float


class ReportDocument(ReportSummary):
    """A report with its Markdown."""

    body: str


def _summary(r: Found) -> ReportSummary:
    return {
        "id": r.id,
        "project": r.project,
        "title": r.title,
        "created_by": r.created_by,
        "created_at": r.created_at,
        "updated_by": r.updated_by,
        "updated_at": r.updated_at,
    }


def _report(r: Found) -> ReportDocument:
    return {**_summary(r), "body": r.body}


@router.get(
    "/projects/{project}/reports",
    response_model=list[ReportSummary],
    summary="A project's reports (the last changed first)",
)
def list_reports(state: State, project: str) -> Response:
    return json_response([_summary(r) for r in Reports(state.tracking).list(project)])


@router.post(
    "/projects/{project}/reports",
    response_model=ReportDocument,
    status_code=201,
    summary="Add a report",
)
def add_report(state: State, project: str, body: NewReport) -> Response:
    made = Reports(state.tracking).create(project, body.title, body.body)
    response = json_response(_report(made))
    response.status_code = 201
    return response


@router.get(
    "/projects/{project}/reports/{report_id}", response_model=ReportDocument, summary="A report"
)
def get_report(state: State, project: str, report_id: int) -> Response:
    return json_response(_report(Reports(state.tracking).get(project, report_id)))


@router.patch(
    "/projects/{project}/reports/{report_id}",
    response_model=ReportDocument,
    summary="Change a report",
)
def patch_report(state: State, project: str, report_id: int, body: ReportPatch) -> Response:
    found = Reports(state.tracking).update(project, report_id, title=body.title, body=body.body)
    return json_response(_report(found))


@router.delete(
    "/projects/{project}/reports/{report_id}", status_code=204, summary="Delete a report"
)
def delete_report(state: State, project: str, report_id: int) -> Response:
    Reports(state.tracking).delete(project, report_id)
    return Response(status_code=204)
