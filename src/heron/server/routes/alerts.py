"""Alerts of a project (the UI's bell) and the project's alert rules.

Authorised through ``state.tracking``: reading a project's alerts, its rules and the
delivery log needs ``read`` on the project (webhook URLs, which carry secrets in their
paths, are shown whole only to those who may ``admin`` it; others see the host);
marking alerts read needs ``read`` too (the read state is the project's, not each
person's); adding, switching and removing rules needs ``admin``: a rule makes the
server send requests and e-mail on the project's behalf.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

from heron import alerts as a
from heron.alerts.base import MAX_TARGETS
from heron.errors import NotFound
from heron.server.problems import PROBLEMS
from heron.server.responses import json_response
from heron.server.state import ServerState, State

router = APIRouter(tags=["alerts"], responses=PROBLEMS)

Level = Literal["info", "warn", "error"]


# --- shapes ---------------------------------------------------------------------------
class NewAlertRule(BaseModel):
    """A rule: a condition (``kind`` and its fields) and where its alerts go (the UI
    always; ``webhooks`` and ``emails`` too). See docs/alerts.md for each kind."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=256)]
    kind: Literal["alert", "nan", "divergence", "threshold", "stale", "state", "group_done"]
    key: Annotated[str | None, Field(max_length=256)] = None
    factor: float | None = None
    op: Literal[">", ">=", "<", "<="] | None = None
    threshold: float | None = None
    minutes: float | None = None
    states: Annotated[list[str], Field(max_length=8)] | None = None
    group: Annotated[str | None, Field(max_length=256)] = None
    min_level: Level = "info"
    webhooks: Annotated[
        list[Annotated[str, Field(max_length=2048)]], Field(max_length=MAX_TARGETS)
    ] = []
    emails: Annotated[
        list[Annotated[str, Field(max_length=320)]], Field(max_length=MAX_TARGETS)
    ] = []
    enabled: bool = True


class RulePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool


class MarkRead(BaseModel):
    """``ids`` null: every unread alert of the project."""

    model_config = ConfigDict(extra="forbid")

    ids: Annotated[list[int], Field(max_length=1000)] | None = None


class Alert(TypedDict):
    """``status``: ``sent`` (delivered to its rules' webhooks and e-mail), ``quiet``
    (nowhere to deliver: the UI only) or ``throttled`` (past the project's hourly
    rate limit). ``repeats``: how often it recurred inside the dedup window since."""

    id: int
    project: str
    run_id: str | None
    rule_id: int | None
    level: Level
    title: str
    text: str
    status: Literal["sent", "quiet", "throttled"]
    repeats: int
    created_at: float
    last_at: float
    read_at: float | None


class AlertRule(TypedDict):
    id: int
    project: str
    name: str
    kind: str
    key: str | None
    params: dict[str, object]
    condition: str
    min_level: Level
    webhooks: list[str]
    emails: list[str]
    enabled: bool
    created_by: str
    created_at: float


class AlertDelivery(TypedDict):
    id: int
    alert_id: int
    channel: Literal["webhook", "email"]
    target: str
    attempt: int
    status: Literal["delivered", "retrying", "failed", "refused"]
    response_code: int | None
    error: str | None
    time: float


class UnreadAlerts(TypedDict):
    """Unread alerts of each project the caller may read (those with none left out)."""

    total: int
    projects: dict[str, int]


class MarkedRead(TypedDict):
    marked: int


# --- helpers --------------------------------------------------------------------------
def _alerts(state: ServerState) -> a.Alerts:
    if state.tracking.alerts is None:
        raise NotFound("this server's store keeps no alerts (it needs a SQL store)")
    return state.tracking.alerts


def _mask(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…" if parts.path not in ("", "/") else url


def _alert(alert: a.Alert) -> Alert:
    return {
        "id": alert.id,
        "project": alert.project,
        "run_id": alert.run_id,
        "rule_id": alert.rule_id,
        "level": alert.level,
        "title": alert.title,
        "text": alert.text,
        "status": alert.status,
        "repeats": alert.repeats,
        "created_at": alert.created_at,
        "last_at": alert.last_at,
        "read_at": alert.read_at,
    }


def _rule(rule: a.Rule, whole: bool) -> AlertRule:
    return {
        "id": rule.id,
        "project": rule.project,
        "name": rule.name,
        "kind": rule.kind,
        "key": rule.key,
        "params": dict(rule.params),
        "condition": a.describe(rule),
        "min_level": rule.min_level,
        "webhooks": [url if whole else _mask(url) for url in rule.webhooks],
        "emails": list(rule.emails),
        "enabled": rule.enabled,
        "created_by": rule.created_by,
        "created_at": rule.created_at,
    }


def _delivery(d: a.Delivery, whole: bool) -> AlertDelivery:
    target = d.target if whole or d.channel == "email" else _mask(d.target)
    return {
        "id": d.id,
        "alert_id": d.alert_id,
        "channel": d.channel,
        "target": target,
        "attempt": d.attempt,
        "status": d.status,
        "response_code": d.response_code,
        "error": d.error,
        "time": d.time,
    }


def _may_admin(state: ServerState, project: str) -> bool:
    return state.caller.may("admin", project)


# --- alerts ---------------------------------------------------------------------------
@router.get("/alerts/unread", response_model=UnreadAlerts, summary="Unread alerts (the bell)")
def unread(state: State) -> Response:
    alerts = _alerts(state)
    readable = [p.name for p in state.tracking.projects()]
    counts = alerts.unread_by_project(readable)
    body: UnreadAlerts = {"total": sum(counts.values()), "projects": counts}
    return json_response(body)


@router.get("/projects/{project}/alerts", response_model=list[Alert], summary="A project's alerts")
def list_alerts(
    state: State,
    project: str,
    unread: bool = False,
    before: int | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    state.tracking.authorize("read", project)
    found = _alerts(state).list_alerts(project, unread=unread, before=before, limit=limit)
    return json_response([_alert(x) for x in found])


@router.post(
    "/projects/{project}/alerts/read",
    response_model=MarkedRead,
    summary="Mark alerts read",
)
def mark_read(state: State, project: str, body: MarkRead) -> Response:
    state.tracking.authorize("read", project)
    marked: MarkedRead = {"marked": _alerts(state).mark_read(project, body.ids)}
    return json_response(marked)


@router.get(
    "/projects/{project}/alerts/deliveries",
    response_model=list[AlertDelivery],
    summary="The delivery log",
)
def deliveries(
    state: State,
    project: str,
    alert: int | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    state.tracking.authorize("read", project)
    whole = _may_admin(state, project)
    found = _alerts(state).deliveries(project, alert, limit)
    return json_response([_delivery(d, whole) for d in found])


# --- rules ----------------------------------------------------------------------------
@router.get(
    "/projects/{project}/alert-rules", response_model=list[AlertRule], summary="Alert rules"
)
def list_rules(state: State, project: str) -> Response:
    state.tracking.authorize("read", project)
    whole = _may_admin(state, project)
    return json_response([_rule(r, whole) for r in _alerts(state).list_rules(project)])


@router.post(
    "/projects/{project}/alert-rules",
    response_model=AlertRule,
    status_code=201,
    summary="Add an alert rule",
)
def add_rule(state: State, project: str, body: NewAlertRule) -> Response:
    state.tracking.authorize("admin", project)
    rule = _alerts(state).add_rule(project, a.NewRule(**body.model_dump()), state.caller.name)
    response = json_response(_rule(rule, True))
    response.status_code = 201
    return response


@router.patch(
    "/projects/{project}/alert-rules/{rule_id}",
    response_model=AlertRule,
    summary="Switch an alert rule on or off",
)
def patch_rule(state: State, project: str, rule_id: int, body: RulePatch) -> Response:
    state.tracking.authorize("admin", project)
    return json_response(_rule(_alerts(state).set_enabled(project, rule_id, body.enabled), True))


@router.delete(
    "/projects/{project}/alert-rules/{rule_id}", status_code=204, summary="Remove an alert rule"
)
def remove_rule(state: State, project: str, rule_id: int) -> Response:
    state.tracking.authorize("admin", project)
    _alerts(state).remove_rule(project, rule_id)
    return Response(status_code=204)
