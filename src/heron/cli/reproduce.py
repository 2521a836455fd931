"""``heron verify RUN_A RUN_B``: did B reproduce A? (``heron.reproduce.verify``);
``heron reproduce RUN --dir DIR [--run]``: the run rebuilt (``heron.reproduce.checkout``,
``.environment``) and run again as a new run (``heron.reproduce.rerun``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.table import Table
from rich.text import Text

from heron.cli import render
from heron.cli.context import CliInputError, open_api
from heron.errors import InvalidInput, NotFound
from heron.reproduce.checkout import CheckoutReport, checkout
from heron.reproduce.environment import (
    EnvironmentReport,
    Installer,
    build,
    recorded_python,
    use_interpreter,
)
from heron.reproduce.rerun import Launch, execute, prepare, store_env
from heron.reproduce.verify import Verification, compare, load

_STATUS = {"same": "same", "different": "DIFFERENT", "only_a": "only in A", "only_b": "only in B"}


@click.command()
@click.argument("run_a")
@click.argument("run_b")
@click.option("--rtol", type=float, default=0.0, show_default=True, help="Relative tolerance.")
@click.option("--atol", type=float, default=0.0, show_default=True, help="Absolute tolerance.")
@click.option(
    "--keys",
    "keys",
    multiple=True,
    metavar="KEY",
    help="Compare only these metrics (globs like 'val/*'; repeat or comma-separate). "
    "Default: every metric but system/*.",
)
@click.option("--json", "as_json", is_flag=True, help="The verification as one JSON object.")
def verify(
    run_a: str, run_b: str, rtol: float, atol: float, keys: tuple[str, ...], as_json: bool
) -> None:
    """Check that RUN_B reproduced RUN_A: every metric compared step by step (identical
    floats unless --rtol/--atol), config and environment differences listed, a verdict
    and the first step where they diverge. Exit status 0 when reproduced, 1 when not,
    2 for bad input."""
    patterns = [p.strip() for k in keys for p in k.split(",") if p.strip()] or None
    api = open_api()
    try:
        runs = [api.run(run_a), api.run(run_b)]
        result = compare(*(load(r, patterns) for r in runs), rtol=rtol, atol=atol, keys=patterns)
    except (NotFound, InvalidInput) as exc:
        raise CliInputError(exc.message) from None
    if as_json:
        click.echo(json.dumps(result.to_json(), allow_nan=False))
    else:
        _print(result, runs[0].name, runs[1].name)
    raise SystemExit(0 if result.reproduced else 1)


def _print(result: Verification, name_a: str, name_b: str) -> None:
    out = render.stdout()
    out.print(f"A: {result.run_a} ({name_a})   B: {result.run_b} ({name_b})", markup=False)
    table = Table("metric", "A points", "B points", "agree", "max |A-B|", "", "first divergence")
    for m in result.metrics:
        first = (
            "" if m.first is None else f"step {m.first.step}: {_v(m.first.a)} vs {_v(m.first.b)}"
        )
        style = "" if m.status == "same" else "bold red"
        table.add_row(
            Text(m.key),
            str(m.points_a),
            str(m.points_b),
            str(m.matched),
            render.value(m.max_abs_diff),
            Text(_STATUS[m.status], style=style),
            Text(first),
        )
    out.print(table)
    if result.differences:
        diffs = Table("section", "key", "A", "B", title="differences")
        for d in result.differences:
            diffs.add_row(d.section, Text(d.key), _cell(d.a, d.in_a), _cell(d.b, d.in_b))
        out.print(diffs)
    else:
        out.print("config and environment: no differences", markup=False)
    click.echo(result.verdict)  # plain: CI logs grep it


def _v(x: float | None) -> str:
    return "(none)" if x is None else render.value(x)


def _cell(value: Any, present: bool) -> Text:
    return render.cell(value) if present else Text("(absent)", style="dim italic")


@click.command()
@click.argument("run_id", metavar="RUN")
@click.option(
    "--dir",
    "dest",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="A new (or empty) folder for the code.",
)
@click.option(
    "--repo",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    help="A clone holding the run's commit (default: the recorded repository, else its remote).",
)
@click.option(
    "--python",
    "python",
    metavar="PATH",
    help="Run with this interpreter instead of building a virtual environment "
    "(the recorded packages it lacks or has at other versions are listed).",
)
@click.option(
    "--venv",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where to build the virtual environment (default: DIR-heron/venv, beside DIR).",
)
@click.option(
    "--installer",
    type=click.Choice(["auto", "uv", "pip"]),
    default="auto",
    show_default=True,
    help="What installs the packages: uv when on the PATH, else pip.",
)
@click.option(
    "--system-site-packages",
    is_flag=True,
    help="Let the environment see this interpreter's packages (installs only what differs).",
)
@click.option("--run", "run_it", is_flag=True, help="Run the recorded command as a new run.")
@click.option(
    "--force",
    is_flag=True,
    help="With --run: run even when the code is incomplete or a dataset changed.",
)
def reproduce(
    run_id: str,
    dest: Path,
    repo: Path | None,
    python: str | None,
    venv: Path | None,
    installer: Installer,
    system_site_packages: bool,
    run_it: bool,
    force: bool,
) -> None:
    """Rebuild RUN in DIR: a git worktree at the recorded commit, the recorded diff
    applied, the untracked files the run saved (code/untracked/<path>) restored, the
    recorded datasets hashed again, a virtual environment with the recorded packages
    (or --python), and the recorded config, seed, environment variables and command
    line. --run runs it as a new run linked to RUN ("reproduction of"); compare the
    two with heron verify. Exit status 0 when complete (and, with --run, when the
    program succeeded), 1 when something is missing or changed (or the program
    failed), 2 for bad input."""
    api = open_api()
    try:
        run = api.run(run_id)
        report = checkout(run, dest, repo)
        _print_checkout(report, show_command=False)
        side = report.dir.with_name(report.dir.name + "-heron")
        if python is not None:
            env = use_interpreter(python, run.system.get("packages"))
        else:
            where = (venv or side / "venv").absolute()
            click.echo(f"building the environment in {where} ...")
            env = build(
                where,
                run.system.get("packages"),
                python_version=recorded_python(run.system),
                installer=installer,
                system_site_packages=system_site_packages,
            )
        _print_environment(env)
        launch = prepare(
            run,
            report.dir,
            env.python,
            side / "reproduce.json",
            store=store_env(api),
            venv=env.venv,
            ask=_ask if run_it else None,
        )
    except (NotFound, InvalidInput) as exc:
        raise CliInputError(exc.message) from None
    complete = report.complete and env.complete
    if launch is None:
        click.echo("problem: the run recorded no command line: nothing to run")
        raise SystemExit(1)
    _print_launch(launch)
    blocking = _blocking(report) + launch.problems
    if not run_it:
        click.echo(f"to run it again: {launch.shell()}")
        click.echo("complete" if complete and not launch.problems else "incomplete: see above")
        raise SystemExit(0 if complete and not launch.problems else 1)
    if blocking and not force:
        click.echo("not run: " + "; ".join(blocking) + " (--force runs it anyway)")
        raise SystemExit(1)
    click.echo(f"running: {launch.shell()}")
    code, new_id = execute(launch, api)
    if new_id is None:
        click.echo(f"the program exited with {code} and started no Heron run")
        raise SystemExit(1)
    click.echo(f"new run {new_id}: reproduction of {run.id} (program exit status {code})")
    click.echo(f"compare them: heron verify {run.id} {new_id}")
    raise SystemExit(0 if code == 0 and complete else 1)


def _ask(flag: str) -> str | None:
    """A secret the command line needs, from the terminal (None without one)."""
    if not sys.stdin.isatty():
        return None
    value: str = click.prompt(f"{flag} (recorded as ***)", hide_input=True, default="")
    return value or None


def _blocking(report: CheckoutReport) -> list[str]:
    out = []
    if report.diff not in ("none", "applied"):
        out.append(f"the recorded diff is {report.diff.split(':')[0]}")
    if report.missing:
        out.append(f"{len(report.missing)} untracked file(s) missing")
    out += [f"dataset {d.name!r} {d.status}" for d in report.datasets if d.status != "same"]
    return out


def _print_checkout(report: CheckoutReport, show_command: bool = True) -> None:
    click.echo(f"{report.dir}: commit {report.commit} from {report.source}")
    click.echo(f"diff: {report.diff}")
    for path in report.restored:
        click.echo(f"restored untracked file: {path}")
    for path in report.missing:
        click.echo(f"MISSING untracked file (not saved by the run): {path}")
    for problem in report.problems:
        if show_command or "secrets" not in problem:
            click.echo(f"problem: {problem}")
    for data in report.datasets:
        if data.status == "same":
            click.echo(f"dataset {data.name!r}: unchanged ({data.recorded})")
        else:
            click.echo(f"DATASET {data.describe()}")


def _print_environment(env: EnvironmentReport) -> None:
    if env.venv is not None:
        click.echo(
            f"environment: {env.venv} ({env.installer}): {len(env.installed)} packages installed"
        )
    else:
        click.echo(f"environment: {env.python} (as it is)")
    for note in env.notes:
        click.echo(f"note: {note}")
    for issue in env.issues:
        label = "SUBSTITUTE" if issue.substitute else "PACKAGE NOT INSTALLED"
        click.echo(f"{label} {issue.describe()}")


def _print_launch(launch: Launch) -> None:
    config = launch.reproduction.config
    click.echo(f"config: {len(config)} recorded keys restored (the recorded values win)")
    if launch.reproduction.seed is not None:
        click.echo(f"seed: {launch.reproduction.seed} (heron.seed_everything uses it)")
    else:
        click.echo("seed: none recorded")
    if launch.restored_env:
        click.echo("environment variables restored: " + ", ".join(sorted(launch.restored_env)))
    if launch.not_restored:
        click.echo("not restored (machine or job specific): " + ", ".join(launch.not_restored))
    click.echo("secret environment variables are never recorded: those set here are passed through")
    for note in launch.notes:
        click.echo(f"note: {note}")
    for problem in launch.problems:
        click.echo(f"problem: {problem}")
