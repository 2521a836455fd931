"""``RemoteAlerts``: a project's alerts and rules through a ``heron server``'s REST
API (``/projects/{project}/alerts``, ``/alert-rules``), for the CLI on ``HERON_URL``.
The server authorises; its problems come back as the same ``HeronError`` classes."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any
from urllib.parse import quote

from heron.alerts.base import Alert, NewRule, Rule
from heron.remote.http import HttpClient


class RemoteAlerts:
    def __init__(self, http: HttpClient) -> None:
        self.http = http

    def _base(self, project: str) -> str:
        return f"/projects/{quote(project, safe='')}"

    def list_alerts(
        self, project: str, *, unread: bool = False, before: int | None = None, limit: int = 100
    ) -> list[Alert]:
        params: dict[str, Any] = {"unread": unread, "limit": limit}
        if before is not None:
            params["before"] = before
        found = self.http.json("GET", self._base(project) + "/alerts", params=params)
        return [_alert(item) for item in found]

    def mark_read(self, project: str, ids: list[int] | None = None) -> int:
        answer = self.http.json("POST", self._base(project) + "/alerts/read", json={"ids": ids})
        return int(answer["marked"])

    def list_rules(self, project: str) -> list[Rule]:
        return [_rule(r) for r in self.http.json("GET", self._base(project) + "/alert-rules")]

    def add_rule(self, project: str, rule: NewRule, actor: str) -> Rule:
        body = {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(rule).items()}
        body = {k: v for k, v in body.items() if v is not None}
        return _rule(self.http.json("POST", self._base(project) + "/alert-rules", json=body))

    def remove_rule(self, project: str, rule_id: int) -> None:
        self.http.request("DELETE", f"{self._base(project)}/alert-rules/{int(rule_id)}")


def _alert(item: dict[str, Any]) -> Alert:
    return Alert(**{f.name: item[f.name] for f in fields(Alert)})


def _rule(item: dict[str, Any]) -> Rule:
    values = {f.name: item[f.name] for f in fields(Rule)}
    values["webhooks"] = tuple(values["webhooks"])
    values["emails"] = tuple(values["emails"])
    return Rule(**values)
