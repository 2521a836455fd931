"""``heron sweep create/ls/show/stop/pause/resume`` and ``heron agent SWEEP -- cmd``.

A skin over :mod:`heron.sweeps`: the store is found as every command finds it (its
folder, a database URL, or a ``heron server``, which serves the sweeps beside its
database), and :func:`heron.sweeps.open_sweeps` picks the transport (docs/sweeps.md).
"""

from __future__ import annotations

import json
from typing import Literal

import click
from rich.table import Table

from heron.cli import render
from heron.cli.context import cli_state
from heron.connect import Connection, connect
from heron.sweeps.base import SweepService, to_json


def _open_store(*, create: bool = False) -> Connection:
    state = cli_state()
    connection = connect(state.dir, settings=state.settings, create=create)
    click.get_current_context().call_on_close(connection.close)
    return connection


def _open_sweeps(connection: Connection | None = None) -> SweepService:
    from heron.sweeps import open_sweeps

    sweeps = open_sweeps(connection if connection is not None else _open_store())
    click.get_current_context().call_on_close(sweeps.close)
    return sweeps


@click.group()
def sweep() -> None:
    """Hyperparameter sweeps (an Optuna study beside the store; see docs/sweeps.md)."""


@sweep.command("create")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the sweep as JSON.")
def create(path: str, as_json: bool) -> None:
    """Create a sweep from a YAML file (method, metric, parameters, early_terminate)."""
    from heron.sweeps import load_spec

    spec = load_spec(path)
    info = _open_sweeps(_open_store(create=True)).create(spec)
    if as_json:
        click.echo(json.dumps(to_json(info)))
        return
    click.echo(
        f"Created sweep {info.name} ({info.method}, {info.run_cap} trials, "
        f"{info.goal} {info.metric}). Start agents: heron agent {info.name} -- COMMAND"
    )


@sweep.command("ls")
@click.option("--project", help="Only this project's sweeps.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def ls(project: str | None, as_json: bool) -> None:
    """List the sweeps: status, trials by state, best value."""
    sweeps = _open_sweeps()
    infos = sweeps.list_sweeps(project)
    if as_json:
        for info in infos:
            click.echo(json.dumps(to_json(info)))
        return
    out = render.stdout()
    if not infos:
        out.print("No sweeps. Create one: heron sweep create sweep.yaml")
        return
    table = Table("name", "project", "method", "status", "trials", "metric", "best")
    for info in infos:
        trials = ", ".join(f"{n} {state}" for state, n in sorted(info.counts.items()))
        table.add_row(
            info.name,
            info.project,
            info.method,
            info.status,
            f"{sum(info.counts.values())}/{info.run_cap}" + (f" ({trials})" if trials else ""),
            f"{info.goal} {info.metric}",
            render.value(info.best_value),
        )
    out.print(table)


@sweep.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="The sweep and its trials as JSON.")
def show(name: str, as_json: bool) -> None:
    """A sweep's trials: parameters, state, value, run."""
    sweeps = _open_sweeps()
    info = sweeps.info(name)
    trials = sweeps.trials(name)
    if as_json:
        click.echo(json.dumps({"sweep": to_json(info), "trials": [to_json(t) for t in trials]}))
        return
    out = render.stdout()
    out.print(
        f"{info.name}: {info.status}, {info.method}, {info.goal} {info.metric}, "
        f"best {render.value(info.best_value)} (trial {info.best_trial})",
        markup=False,
    )
    table = Table("trial", "state", "value", "run", *info.spec["parameters"].keys())
    for t in trials:
        table.add_row(
            str(t.number),
            t.status,
            render.value(t.value),
            t.run_id or "",
            *(render.value(t.params.get(p)) for p in info.spec["parameters"]),
        )
    out.print(table)


def _set(name: str, status: Literal["running", "paused", "stopped"]) -> None:
    info = _open_sweeps().set_status(name, status)
    click.echo(f"Sweep {info.name}: {info.status}.")


@sweep.command("stop")
@click.argument("name")
def stop(name: str) -> None:
    """Stop a sweep: agents claim no more trials (running ones finish)."""
    _set(name, "stopped")


@sweep.command("pause")
@click.argument("name")
def pause(name: str) -> None:
    """Pause a sweep: agents wait (running trials finish) until it is resumed."""
    _set(name, "paused")


@sweep.command("resume")
@click.argument("name")
def resume(name: str) -> None:
    """Resume a paused or stopped sweep (agents claim trials again, up to its cap)."""
    _set(name, "running")


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("name")
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
@click.option("--count", type=click.IntRange(min=1), help="Run at most this many trials.")
@click.option(
    "--poll",
    type=click.FloatRange(min=0.05, max=60),
    default=0.5,
    show_default=True,
    metavar="SECONDS",
    help="How often the trial's metric is read for pruning.",
)
@click.option(
    "--grace",
    type=click.FloatRange(min=1, max=86400),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="A running trial whose agent was silent this long is failed (its agent died).",
)
def agent(
    name: str, command: tuple[str, ...], count: int | None, poll: float, grace: float
) -> None:
    """Run trials of sweep NAME: heron agent NAME -- python train.py --lr={lr}.

    Start any number of agents, on this machine or others that reach the store or
    its server (HERON_URL=http://...). Each
    trial is a process whose heron.init() gets the trial's parameters as config.
    """
    from heron.sweeps.agent import run_agent

    connection = _open_store(create=True)
    report = run_agent(
        _open_sweeps(connection),
        connection.store,
        connection.location,
        name,
        command,
        count=count,
        poll=poll,
        grace=grace,
        echo=lambda line: click.echo(line, err=True),
    )
    click.echo(f"Agent done: {len(report.trials)} trial(s) run.", err=True)
