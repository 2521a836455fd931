"""``heron agent SWEEP -- cmd``: claim trials one after another and run each as a process.

One code path over either transport: the agent talks to a
:class:`~heron.sweeps.base.SweepService` (beside the database, or a ``heron server``)
and reads the trials' metrics through the connection's ``RunStore``; whatever the
rules decide (authorisation, runs marked pruned or crashed) happens behind it.

Each trial's process gets ``HERON_SWEEP_TRIAL`` (JSON: the run id, project, group and
parameters); its ``heron.init()`` takes them as the run's config, group and id, so the
training script needs no change. Arguments may name parameters (``--lr={lr}``); an
argument naming a parameter the trial does not have (a conditional one) is dropped.

While the process runs the agent beats the trial's heartbeat (every second, or a
third of ``grace`` when that is shorter), reads the objective metric's new points from
the store and reports them to the pruner; when the pruner says stop, the process gets
SIGTERM (SIGKILL after ``stop_timeout``) and the trial is told ``pruned`` (its run is
marked so). The trial's value is the metric's last logged value. A process that fails
(non-zero exit, no metric) fails its trial, never the agent; nor does a store or
server that is briefly unreachable. On Linux the process is killed with its agent
(``PR_SET_PDEATHSIG``): killing an agent stops its trial, which the next claim after
``grace`` seconds marks failed (and its run crashed).
"""

from __future__ import annotations

import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from heron.connect import Location
from heron.errors import Conflict, InvalidInput, NotFound, Unavailable
from heron.store.base import RunStore
from heron.sweeps.base import Outcome, SweepService, TrialTicket
from heron.sweeps.spec import SweepSpec

__all__ = ["AgentReport", "command_for", "run_agent"]

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][\w.-]*)\}")


@dataclass
class AgentReport:
    trials: list[tuple[int, str]] = field(default_factory=list)  # (number, outcome)


def command_for(template: Sequence[str], params: dict[str, Any], spec: SweepSpec) -> list[str]:
    """The trial's argv: ``{name}`` replaced by the parameter's value; an argument that
    names a parameter this trial does not have is dropped."""
    out = []
    for arg in template:
        names = _PLACEHOLDER.findall(arg)
        unknown = [n for n in names if n not in spec.names]
        if unknown:
            raise InvalidInput(
                f"the command names {{{unknown[0]}}}, which is not a parameter of sweep "
                f"{spec.name!r} ({', '.join(spec.names)})"
            )
        if any(n not in params for n in names):
            continue
        out.append(_PLACEHOLDER.sub(lambda m: _text(params[m.group(1)]), arg))
    return out


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


@dataclass
class _Trial:
    """One running trial as its agent sees it."""

    sweeps: SweepService
    store: RunStore
    spec: SweepSpec
    ticket: TrialTicket
    beat_every: float
    echo: Callable[[str], None]
    reported: int = -1  # the last step reported to the pruner
    beaten: float = field(default_factory=time.monotonic)

    def beat(self) -> None:
        if time.monotonic() - self.beaten < self.beat_every:
            return
        try:
            self.sweeps.beat(self.spec.name, self.ticket.number)
            self.beaten = time.monotonic()
        except Unavailable as exc:  # beat again at the next poll
            self.echo(f"trial {self.ticket.number}: heartbeat not recorded ({exc})")

    def report_new(self) -> bool:
        """Report the metric's points past the last reported step; True: prune."""
        if self.spec.early_terminate is None:
            return False
        try:
            series = self.store.history(self.ticket.run_id, [self.spec.metric]).get(
                self.spec.metric
            )
        except (NotFound, Unavailable):  # the run's first batch has not arrived yet
            return False
        if series is None:
            return False
        points = [
            (int(step), float(value))
            for step, value in zip(series.steps.tolist(), series.values.tolist(), strict=True)
            if step > self.reported and math.isfinite(value)
        ]
        if not points:
            return False
        try:
            prune = self.sweeps.report(self.spec.name, self.ticket.number, points)
        except Unavailable as exc:
            self.echo(f"trial {self.ticket.number}: report not recorded ({exc})")
            return False
        self.reported = points[-1][0]
        return prune

    def tell(self, outcome: Outcome, value: float | None = None, error: str | None = None) -> str:
        try:
            self.sweeps.tell(self.spec.name, self.ticket.number, outcome, value, error)
        except (Conflict, Unavailable) as exc:  # e.g. failed as stale while we were cut off
            self.echo(f"trial {self.ticket.number}: its end was not recorded ({exc})")
        return outcome


def run_agent(
    sweeps: SweepService,
    store: RunStore,
    location: Location,
    name: str,
    command: Sequence[str] = (),
    *,
    count: int | None = None,
    poll: float = 0.5,
    grace: float | None = None,
    stop_timeout: float = 10.0,
    env: dict[str, str] | None = None,
    echo: Callable[[str], None] = lambda line: None,
) -> AgentReport:
    """Run trials of sweep ``name`` until it is stopped, full, or ``count`` trials ran.
    ``store`` and ``location``: where the trials' runs are read and logged;
    ``grace``: seconds after which another agent's silent trial is failed (the
    service's default when None)."""
    spec = sweeps.spec(name)
    template = list(command) or list(spec.command)
    if not template:
        raise InvalidInput(
            "no command: give one after --, e.g. heron agent SWEEP -- python train.py "
            "--lr={lr}, or command: in the sweep's YAML"
        )
    command_for(template, {}, spec)  # unknown placeholders fail now, not per trial
    env = _store_env(dict(os.environ if env is None else env), location)
    agent_id = f"{socket.gethostname()}:{os.getpid()}"
    # every second (a third of a shorter grace): another agent's claim judges this one
    # by *its* grace, so beating rarely would let an impatient agent fail a live trial
    beat_every = min(1.0, (60.0 if grace is None else grace) / 3)
    report = AgentReport()
    while count is None or len(report.trials) < count:
        try:
            claim = sweeps.claim(name, agent_id, grace=grace)
        except Unavailable as exc:
            echo(f"cannot claim a trial now ({exc}); trying again")
            time.sleep(max(poll, 1.0))
            continue
        if claim.trial is None:
            if claim.status == "paused":
                time.sleep(poll)
                continue
            break
        ticket = claim.trial
        argv = command_for(template, ticket.params, spec)
        echo(f"trial {ticket.number}: {' '.join(argv)}")
        trial = _Trial(sweeps, store, spec, ticket, beat_every, echo)
        outcome = _run_trial(trial, argv, env, poll, stop_timeout)
        echo(f"trial {ticket.number}: {outcome}")
        report.trials.append((ticket.number, outcome))
    return report


def _run_trial(
    trial: _Trial, argv: list[str], env: dict[str, str], poll: float, stop_timeout: float
) -> str:
    spec, ticket = trial.spec, trial.ticket
    child_env = dict(env)
    child_env["HERON_SWEEP_TRIAL"] = json.dumps(
        {
            "sweep": spec.name,
            "trial": ticket.number,
            "run_id": ticket.run_id,
            "project": spec.project,
            "group": spec.group,
            "params": ticket.params,
        }
    )
    try:
        process = subprocess.Popen(argv, env=child_env, preexec_fn=_die_with_parent)
    except OSError as exc:
        return trial.tell("failed", error=f"cannot start {argv[0]!r}: {exc.strerror}")
    pruned = False
    while True:
        try:
            code = process.wait(timeout=poll)
            break
        except subprocess.TimeoutExpired:
            pass
        trial.beat()
        if not pruned and trial.report_new():
            pruned = True
            _stop(process, stop_timeout)
    if pruned:
        return trial.tell("pruned")
    trial.report_new()  # the points logged since the last poll (an ended trial is not pruned)
    if code != 0:
        return trial.tell("failed", error=f"the process exited with status {code}")
    value = _final_value(trial.store, spec, ticket.run_id)
    if value is None:
        return trial.tell("failed", error=f"the run never logged {spec.metric!r}")
    return trial.tell("complete", value)


def _store_env(env: dict[str, str], location: Location) -> dict[str, str]:
    """The trial processes log where the agent reads: its store (a folder, a database
    URL, a server), whatever the environment said (``heron --dir X agent`` with
    HERON_DIR unset or elsewhere)."""
    if location.folder is not None:
        env.pop("HERON_URL", None)
        env["HERON_DIR"] = str(location.folder.root)
    elif location.url is not None:
        env["HERON_URL"] = location.url
    return env


def _final_value(store: RunStore, spec: SweepSpec, run_id: str) -> float | None:
    try:
        info = store.get_run(run_id)
    except NotFound:
        return None
    summary = info.metrics.get(spec.metric)
    if summary is None or summary.count == 0 or not math.isfinite(summary.last):
        return None
    return float(summary.last)


def _stop(process: subprocess.Popen[bytes], timeout: float) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _die_with_parent() -> None:
    """In the child, before exec: SIGKILL when the agent dies (Linux)."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
