"""What an agent and the ``heron sweep`` commands need of a store's sweeps: the
:class:`SweepService` protocol, its objects and their JSON.

Two implementations, one contract suite (tests/sweeps/test_contract.py):

- :class:`heron.sweeps.service.LocalSweeps`: beside the database (a store folder, a
  database URL), the Optuna study through :class:`heron.sweeps.study.Sweeps`, with
  the rules (the one authorisation check, runs marked ``pruned`` and ``crashed``);
- :class:`heron.sweeps.remote.RemoteSweeps`: the same calls over a ``heron server``'s
  ``/sweeps`` routes, which call the first.

:func:`heron.sweeps.open_sweeps` picks one from a connection (``heron.connect``'s
target resolution), so ``heron agent`` has one code path and two transports.

Trial lifecycle: :meth:`~SweepService.claim` hands out a trial (its number, parameters
and run id) or says why not (``status``: paused, stopped, finished; running with none
left: the cap is reached); the agent then :meth:`~SweepService.beat`\\ s while it
runs, :meth:`~SweepService.report`\\ s the metric's points (the answer: prune it?),
and :meth:`~SweepService.tell`\\ s how it ended. A trial whose agent stopped beating
for ``grace`` seconds is failed, and its run marked ``crashed``, by the next claim.

Errors: NotFound (no such sweep or trial), Forbidden (the caller's role in the sweep's
project: viewer to read, editor to create, claim, report, tell or change the status),
Conflict (a sweep name taken; a trial that has ended, e.g. failed as stale while its
agent was cut off), InvalidInput (a bad spec, status or value).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from heron.sweeps.spec import SweepSpec

__all__ = [
    "MAX_AGENT",
    "MAX_ERROR",
    "MAX_GRACE",
    "MAX_POINTS",
    "Claim",
    "Outcome",
    "SweepInfo",
    "SweepService",
    "SweepStatus",
    "TrialInfo",
    "TrialTicket",
    "sweep_from_json",
    "to_json",
    "trial_from_json",
]

SweepStatus = Literal["running", "paused", "stopped", "finished"]
TrialStatus = Literal["running", "complete", "pruned", "failed", "waiting"]
Outcome = Literal["complete", "pruned", "failed"]
SetStatus = Literal["running", "paused", "stopped"]

MAX_AGENT = 256  # characters of an agent's name (host:pid)
MAX_ERROR = 2000  # characters of a failed trial's reason (longer is cut)
MAX_GRACE = 86400.0  # seconds a claim may let a silent agent live
MAX_POINTS = 10_000  # intermediate values in one report


@dataclass(frozen=True)
class TrialInfo:
    number: int
    status: TrialStatus
    params: dict[str, Any]
    value: float | None
    run_id: str | None
    started_at: float | None
    ended_at: float | None
    steps: int  # intermediate values reported (for pruning)
    error: str | None


@dataclass(frozen=True)
class SweepInfo:
    name: str
    project: str
    group: str
    method: str
    metric: str
    goal: str
    status: SweepStatus
    run_cap: int
    counts: dict[str, int]
    best_value: float | None
    best_trial: int | None
    created_at: float
    spec: dict[str, Any]


@dataclass(frozen=True)
class TrialTicket:
    """A claimed trial: its number, parameters and the run id its process will use."""

    number: int
    params: dict[str, Any]
    run_id: str


@dataclass(frozen=True)
class Claim:
    """A claim's answer: a trial, or None and the sweep's status (``paused``: wait and
    ask again; anything else: nothing left to run)."""

    trial: TrialTicket | None
    status: SweepStatus


@runtime_checkable
class SweepService(Protocol):
    """The sweeps of one store as one caller may use them (module doc)."""

    def create(self, spec: SweepSpec) -> SweepInfo: ...

    def list_sweeps(self, project: str | None = None) -> list[SweepInfo]:
        """The sweeps the caller may read (of ``project``: Forbidden unless readable)."""
        ...

    def info(self, name: str) -> SweepInfo: ...

    def trials(self, name: str) -> list[TrialInfo]: ...

    def spec(self, name: str) -> SweepSpec: ...

    def set_status(self, name: str, status: SetStatus) -> SweepInfo:
        """Pause, stop or resume; InvalidInput to resume a finished sweep."""
        ...

    def claim(self, name: str, agent: str = "", *, grace: float | None = None) -> Claim:
        """The next trial (see :class:`Claim`); ``grace``: seconds a silent agent's
        trial is left running before it is failed (the implementation's default)."""
        ...

    def beat(self, name: str, number: int) -> None:
        """Trial ``number``'s agent is alive."""
        ...

    def report(self, name: str, number: int, points: Sequence[tuple[int, float]]) -> bool:
        """Intermediate (step, finite value) points of a running trial; True: prune it."""
        ...

    def tell(
        self,
        name: str,
        number: int,
        outcome: Outcome,
        value: float | None = None,
        error: str | None = None,
    ) -> None:
        """End a running trial (``value``: a complete trial's objective, finite); a
        pruned trial's run is marked ``pruned``."""
        ...

    def close(self) -> None: ...


def to_json(info: SweepInfo | TrialInfo | TrialTicket) -> dict[str, Any]:
    """An object's JSON (the CLI's --json, the server's answers); non-finite values
    become null."""
    return {k: _finite(v) for k, v in asdict(info).items()}


def _finite(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def sweep_from_json(raw: Mapping[str, Any]) -> SweepInfo:
    return SweepInfo(**{k: raw[k] for k in SweepInfo.__dataclass_fields__})


def trial_from_json(raw: Mapping[str, Any]) -> TrialInfo:
    return TrialInfo(**{k: raw[k] for k in TrialInfo.__dataclass_fields__})


def ticket_from_json(raw: Mapping[str, Any]) -> TrialTicket:
    return TrialTicket(int(raw["number"]), dict(raw["params"]), str(raw["run_id"]))
