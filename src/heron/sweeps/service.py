"""``LocalSweeps``: the sweep rules beside the database (a :class:`SweepService`).

The storage is :class:`heron.sweeps.study.Sweeps` (the Optuna study); this adds what is
not storage, in one place for ``heron agent`` on a folder or database URL and for the
server's ``/sweeps`` routes alike:

- who may do what, through the one check (``Tracking.authorize`` on the sweep's
  project): a viewer reads a sweep; an editor creates one, claims, beats, reports and
  tells trials, and pauses, stops or resumes it;
- a pruned trial's run is marked ``pruned`` (one state record after everything its
  ended process shipped);
- a sweep holds its run group (``Alerts.hold_group``, kept in the database): the end of
  one trial's run raises no ``group_done`` alert; the tell (or the failing of a dead
  agent's trial) that finishes the sweep raises it, once, whichever agent gets there;
- the trials a claim finds abandoned (no heartbeat for ``grace`` seconds) are failed and
  their runs marked ``crashed`` (``Tracking.mark_crashed``: alerts and live clients
  hear of it);
- limits on what a caller sends (``heron.sweeps.base``: agent name, grace, points,
  error text, finite values).
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any

from heron.errors import HeronError, InvalidInput, NotFound
from heron.service import Tracking
from heron.service.access import Action
from heron.store.base import Batch
from heron.store.events import StateEvent
from heron.sweeps.base import (
    MAX_AGENT,
    MAX_ERROR,
    MAX_GRACE,
    MAX_POINTS,
    Claim,
    Outcome,
    SetStatus,
    SweepInfo,
    TrialInfo,
)
from heron.sweeps.spec import DEFAULT_PROJECT, SweepSpec, parse_spec
from heron.sweeps.study import Sweeps

__all__ = ["LocalSweeps"]

CRASHED = "its sweep agent stopped"  # a crashed trial run's reason


class LocalSweeps:
    """The sweeps of ``sweeps`` for ``tracking``'s caller. ``owns``: close ``sweeps``
    with this (what ``open_sweeps`` opens; the server shares one per database)."""

    def __init__(self, sweeps: Sweeps, tracking: Tracking, *, owns: bool = False) -> None:
        self.sweeps = sweeps
        self.tracking = tracking
        self._owns = owns

    def __repr__(self) -> str:
        return f"LocalSweeps({self.sweeps.url!r})"

    def close(self) -> None:
        if self._owns:
            self.sweeps.close()
            if self.tracking.alerts is not None:
                self.tracking.alerts.close()  # its deliveries finish first

    def _may(self, action: Action, name: str) -> None:
        self.tracking.authorize(action, self.sweeps.project(name))

    # --- sweeps -------------------------------------------------------------------
    def create(self, spec: SweepSpec) -> SweepInfo:
        self.tracking.authorize("write", spec.project)
        info = self.sweeps.create(spec)
        if self.tracking.alerts is not None:
            self.tracking.alerts.hold_group(spec.project, spec.group, _holder(spec.name))
        return info

    def create_from(self, raw: Mapping[str, Any]) -> SweepInfo:
        """Create from the YAML's object, authorised on the project it names before
        the rest is read (a caller who may not write there learns nothing more)."""
        project = raw.get("project", DEFAULT_PROJECT)
        if not isinstance(project, str):
            raise InvalidInput(f"project: a project's name, not {project!r}")
        self.tracking.authorize("write", project)
        return self.create(parse_spec(raw))

    def list_sweeps(self, project: str | None = None) -> list[SweepInfo]:
        if project is not None:
            self.tracking.authorize("read", project)
        infos = self.sweeps.list_sweeps(project)
        return [i for i in infos if self.tracking.caller.may("read", i.project)]

    def info(self, name: str) -> SweepInfo:
        self._may("read", name)
        return self.sweeps.info(name)

    def trials(self, name: str) -> list[TrialInfo]:
        self._may("read", name)
        return self.sweeps.trials(name)

    def spec(self, name: str) -> SweepSpec:
        self._may("read", name)
        return self.sweeps.spec(name)

    def set_status(self, name: str, status: SetStatus) -> SweepInfo:
        self._may("write", name)
        if status not in ("running", "paused", "stopped"):
            raise InvalidInput(f"a sweep's status is running, paused or stopped, not {status!r}")
        if status != "stopped" and self.sweeps.status(name) == "finished":
            raise InvalidInput(f"sweep {name!r} is finished: every trial ran")
        return self.sweeps.set_status(name, status)

    # --- trials -------------------------------------------------------------------
    def claim(self, name: str, agent: str = "", *, grace: float | None = None) -> Claim:
        self._may("write", name)
        if len(agent) > MAX_AGENT:
            raise InvalidInput(f"an agent's name is at most {MAX_AGENT} characters")
        if grace is not None and not (1.0 <= grace <= MAX_GRACE):
            raise InvalidInput(f"grace must be between 1 and {MAX_GRACE:.0f} seconds, not {grace}")
        claim, reaped = self.sweeps.ask(name, agent, grace=grace)
        for trial in reaped:
            self._crashed(trial.run_id)
        if reaped:  # a dead agent's trial may have been the last one
            self._maybe_finished(name)
        return claim

    def beat(self, name: str, number: int) -> None:
        self._may("write", name)
        self.sweeps.beat(name, number)

    def report(self, name: str, number: int, points: Sequence[tuple[int, float]]) -> bool:
        self._may("write", name)
        if len(points) > MAX_POINTS:
            raise InvalidInput(f"at most {MAX_POINTS} points per report, not {len(points)}")
        checked = []
        for step, value in points:
            if not math.isfinite(value):
                raise InvalidInput(f"step {step}: a reported value must be finite, not {value}")
            checked.append((int(step), float(value)))
        return self.sweeps.report(name, number, checked)

    def tell(
        self,
        name: str,
        number: int,
        outcome: Outcome,
        value: float | None = None,
        error: str | None = None,
    ) -> None:
        self._may("write", name)
        if outcome == "complete" and (value is None or not math.isfinite(value)):
            raise InvalidInput(f"a complete trial needs a finite value, not {value}")
        self.sweeps.tell(name, number, outcome, value, (error or "")[:MAX_ERROR] or None)
        if outcome == "pruned":
            run_id = self.sweeps.trial(name, number).run_id
            if run_id is not None:
                self._pruned(run_id)
        self._maybe_finished(name)

    def _maybe_finished(self, name: str) -> None:
        """The sweep's last trial ended: the sweep releases its group and the group's
        ``group_done`` alert rules fire (heron.alerts; once, whoever calls this)."""
        alerts = self.tracking.alerts
        if alerts is None or not self.sweeps.full(name):
            return
        if self.sweeps.status(name) == "finished":
            spec = self.sweeps.spec(name)
            text = f"sweep {name!r} finished: all {spec.run_cap} trials ended"
            alerts.release_group(spec.project, spec.group, _holder(name), text)

    def _pruned(self, run_id: str) -> None:
        """The run's state becomes ``pruned``: one state record, applied after
        everything its (now ended) process shipped."""
        try:
            info = self.tracking.get_run(run_id)
        except NotFound:  # the process was stopped before its run was created
            return
        event: StateEvent = {"type": "state", "state": "pruned", "time": time.time()}
        try:
            self.tracking.ingest(Batch(run_id, info.ingested_seq + 1, events=[event]))
        except HeronError as exc:  # the trial is told: its run's state is secondary
            print(f"heron: could not mark run {run_id} pruned: {exc}", file=sys.stderr)

    def _crashed(self, run_id: str | None) -> None:
        if run_id is None:
            return
        with contextlib.suppress(NotFound):  # the process died before its run was created
            self.tracking.mark_crashed(run_id, time.time(), CRASHED)


def _holder(name: str) -> str:
    """The sweep's name as the holder of its run group (heron.alerts)."""
    return f"sweep {name}"
