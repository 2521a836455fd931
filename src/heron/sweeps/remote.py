"""``RemoteSweeps``: the :class:`~heron.sweeps.base.SweepService` over a ``heron
server``'s ``/sweeps`` routes (docs/rest-api.md, Sweeps), which call
:class:`heron.sweeps.service.LocalSweeps` acting for this client's token. Errors come
back as the same HeronError classes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from heron.sweeps.base import (
    Claim,
    Outcome,
    SetStatus,
    SweepInfo,
    TrialInfo,
    sweep_from_json,
    ticket_from_json,
    trial_from_json,
)
from heron.sweeps.spec import SweepSpec, parse_spec

if TYPE_CHECKING:
    from heron.remote.http import HttpClient

__all__ = ["RemoteSweeps"]


class RemoteSweeps:
    def __init__(self, http: HttpClient) -> None:
        self.http = http

    def __repr__(self) -> str:
        return f"RemoteSweeps({self.http.url!r})"

    def close(self) -> None:
        """The HTTP client is its connection's to close."""

    def _path(self, name: str, tail: str = "") -> str:
        return f"/sweeps/{quote(name, safe='')}{tail}"

    def _detail(self, name: str) -> Any:
        return self.http.json("GET", self._path(name))

    # --- sweeps -------------------------------------------------------------------
    def create(self, spec: SweepSpec) -> SweepInfo:
        return sweep_from_json(self.http.json("POST", "/sweeps", json={"spec": spec.to_json()}))

    def list_sweeps(self, project: str | None = None) -> list[SweepInfo]:
        params = {} if project is None else {"project": project}
        return [sweep_from_json(s) for s in self.http.json("GET", "/sweeps", params=params)]

    def info(self, name: str) -> SweepInfo:
        return sweep_from_json(self._detail(name)["sweep"])

    def trials(self, name: str) -> list[TrialInfo]:
        return [trial_from_json(t) for t in self._detail(name)["trials"]]

    def spec(self, name: str) -> SweepSpec:
        return parse_spec(self.info(name).spec)

    def set_status(self, name: str, status: SetStatus) -> SweepInfo:
        answer = self.http.json("POST", self._path(name, "/status"), json={"status": status})
        return sweep_from_json(answer)

    # --- trials -------------------------------------------------------------------
    def claim(self, name: str, agent: str = "", *, grace: float | None = None) -> Claim:
        answer = self.http.json(
            "POST", self._path(name, "/claim"), json={"agent": agent, "grace": grace}
        )
        trial = answer["trial"]
        return Claim(None if trial is None else ticket_from_json(trial), answer["status"])

    def beat(self, name: str, number: int) -> None:
        self.http.request("POST", self._path(name, "/beat"), json={"trial": number})

    def report(self, name: str, number: int, points: Sequence[tuple[int, float]]) -> bool:
        body = {"trial": number, "points": [[int(s), _number(v)] for s, v in points]}
        return bool(self.http.json("POST", self._path(name, "/report"), json=body)["prune"])

    def tell(
        self,
        name: str,
        number: int,
        outcome: Outcome,
        value: float | None = None,
        error: str | None = None,
    ) -> None:
        body = {
            "trial": number,
            "outcome": outcome,
            "value": None if value is None else _number(value),
            "error": error,
        }
        self.http.request("POST", self._path(name, "/tell"), json=body)


def _number(value: float) -> float | str:
    """A float for JSON: non-finite ones spelled out ("nan", "inf"), so the server's
    rule refuses them with its own message rather than the client failing to encode."""
    value = float(value)
    return value if math.isfinite(value) else str(value)
