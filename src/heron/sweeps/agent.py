"""``heron agent SWEEP -- cmd``: claim trials one after another and run each as a process.

Each trial's process gets ``HERON_SWEEP_TRIAL`` (JSON: the run id, project, group and
parameters); its ``heron.init()`` takes them as the run's config, group and id, so the
training script needs no change. Arguments may name parameters (``--lr={lr}``); an
argument naming a parameter the trial does not have (a conditional one) is dropped.

While the process runs the agent beats the trial's heartbeat, reads the objective
metric's new points from the store and reports them to the pruner; when the pruner
says stop, the process gets SIGTERM (SIGKILL after ``stop_timeout``) and its run is
marked ``pruned``. The trial's value is the metric's last logged value. A process
that fails (non-zero exit, no metric) fails its trial, never the agent. On Linux the
process is killed with its agent (``PR_SET_PDEATHSIG``): killing an agent stops its
trial, which the next agent to ask marks failed (and its run crashed).
"""

from __future__ import annotations

import contextlib
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

from heron.connect import Connection
from heron.errors import HeronError, InvalidInput, NotFound
from heron.service import Tracking
from heron.store.base import Batch
from heron.store.events import StateEvent
from heron.sweeps.spec import SweepSpec
from heron.sweeps.study import Sweeps, TrialTicket

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


def run_agent(
    sweeps: Sweeps,
    connection: Connection,
    name: str,
    command: Sequence[str] = (),
    *,
    count: int | None = None,
    poll: float = 0.5,
    stop_timeout: float = 10.0,
    env: dict[str, str] | None = None,
    echo: Callable[[str], None] = lambda line: None,
) -> AgentReport:
    """Run trials of sweep ``name`` until it is stopped, full, or ``count`` trials ran."""
    spec = sweeps.spec(name)
    template = list(command) or list(spec.command)
    if not template:
        raise InvalidInput(
            "no command: give one after --, e.g. heron agent SWEEP -- python train.py "
            "--lr={lr}, or command: in the sweep's YAML"
        )
    command_for(template, {}, spec)  # unknown placeholders fail now, not per trial
    store, blobs = connection.maintenance()
    env = _store_env(dict(os.environ if env is None else env), connection)
    tracking = Tracking(store, blobs)
    agent_id = f"{socket.gethostname()}:{os.getpid()}"
    report = AgentReport()
    while count is None or len(report.trials) < count:
        for stale in sweeps.reap(name):
            _mark_crashed(tracking, stale.run_id)
        status = sweeps.status(name)
        if status == "paused":
            time.sleep(poll)
            continue
        ticket = sweeps.ask(name, agent_id)
        if ticket is None:
            break
        argv = command_for(template, ticket.params, spec)
        echo(f"trial {ticket.number}: {' '.join(argv)}")
        outcome = _run_trial(sweeps, tracking, spec, ticket, argv, env, poll, stop_timeout)
        echo(f"trial {ticket.number}: {outcome}")
        report.trials.append((ticket.number, outcome))
    return report


def _run_trial(
    sweeps: Sweeps,
    tracking: Tracking,
    spec: SweepSpec,
    ticket: TrialTicket,
    argv: list[str],
    env: dict[str, str] | None,
    poll: float,
    stop_timeout: float,
) -> str:
    child_env = dict(os.environ if env is None else env)
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
        sweeps.tell(ticket, "failed", error=f"cannot start {argv[0]!r}: {exc.strerror}")
        return "failed"
    reported = -1
    pruned = False
    while True:
        try:
            code = process.wait(timeout=poll)
            break
        except subprocess.TimeoutExpired:
            pass
        sweeps.beat(ticket)
        if pruned:
            continue
        reported, pruned = _report_new(sweeps, tracking, spec, ticket, reported)
        if pruned:
            _stop(process, stop_timeout)
    if not pruned:  # the points logged since the last poll; an ended trial is not pruned
        _report_new(sweeps, tracking, spec, ticket, reported)
    if pruned:
        _mark_pruned(tracking, ticket.run_id)
        sweeps.tell(ticket, "pruned")
        return "pruned"
    if code != 0:
        sweeps.tell(ticket, "failed", error=f"the process exited with status {code}")
        return "failed"
    value = _final_value(tracking, spec, ticket.run_id)
    if value is None:
        sweeps.tell(ticket, "failed", error=f"the run never logged {spec.metric!r}")
        return "failed"
    sweeps.tell(ticket, "complete", value)
    return "complete"


def _store_env(env: dict[str, str], connection: Connection) -> dict[str, str]:
    """The trial processes log where the agent reads: its store, whatever the
    environment said (``heron --dir X agent`` with HERON_DIR unset or elsewhere)."""
    location = connection.location
    if location.folder is not None:
        env.pop("HERON_URL", None)
        env["HERON_DIR"] = str(location.folder.root)
    elif location.url is not None:
        env["HERON_URL"] = location.url
    return env


def _report_new(
    sweeps: Sweeps, tracking: Tracking, spec: SweepSpec, ticket: TrialTicket, reported: int
) -> tuple[int, bool]:
    """Report the metric's points past step ``reported``; (last step, prune?)."""
    if spec.early_terminate is None:
        return reported, False
    try:
        series = tracking.store.history(ticket.run_id, [spec.metric]).get(spec.metric)
    except NotFound:  # the run's first batch has not arrived yet
        return reported, False
    if series is None:
        return reported, False
    prune = False
    for step, value in zip(series.steps.tolist(), series.values.tolist(), strict=True):
        if step <= reported or not math.isfinite(value):
            continue
        reported = int(step)
        if sweeps.report(spec.name, ticket, int(step), float(value)):
            prune = True
            break
    return reported, prune


def _final_value(tracking: Tracking, spec: SweepSpec, run_id: str) -> float | None:
    try:
        info = tracking.store.get_run(run_id)
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


def _mark_pruned(tracking: Tracking, run_id: str) -> None:
    """The run's state becomes ``pruned``: one state record, applied after everything
    its (now ended) process shipped."""
    try:
        info = tracking.store.get_run(run_id)
    except NotFound:
        return
    event: StateEvent = {"type": "state", "state": "pruned", "time": time.time()}
    try:
        tracking.ingest(Batch(run_id, info.ingested_seq + 1, events=[event]))
    except HeronError as exc:
        print(f"heron agent: could not mark run {run_id} pruned: {exc}", file=sys.stderr)


def _mark_crashed(tracking: Tracking, run_id: str | None) -> None:
    if run_id is None:
        return
    with contextlib.suppress(NotFound):  # the process died before its run was created
        tracking.mark_crashed(run_id, time.time(), "its sweep agent stopped")


def _die_with_parent() -> None:
    """In the child, before exec: SIGKILL when the agent dies (Linux)."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
