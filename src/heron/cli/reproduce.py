"""``heron verify RUN_A RUN_B``: did B reproduce A? (``heron.reproduce.verify``);
``heron reproduce RUN --dir DIR``: the run's code rebuilt (``heron.reproduce.checkout``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.table import Table
from rich.text import Text

from heron.cli import render
from heron.cli.context import CliInputError, open_api
from heron.errors import InvalidInput, NotFound
from heron.reproduce.checkout import checkout
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
def reproduce(run_id: str, dest: Path, repo: Path | None) -> None:
    """Rebuild RUN's code in DIR: a git worktree at the recorded commit, the recorded
    diff applied, the untracked files the run saved (code/untracked/<path>) restored,
    the recorded datasets hashed again, and a report of what is missing or changed.
    Prints the command to run it again; does not run it. Exit status 0 when complete,
    1 when something is missing or changed, 2 for bad input."""
    api = open_api()
    try:
        report = checkout(api.run(run_id), dest, repo)
    except (NotFound, InvalidInput) as exc:
        raise CliInputError(exc.message) from None
    click.echo(f"{report.dir}: commit {report.commit} from {report.source}")
    click.echo(f"diff: {report.diff}")
    for path in report.restored:
        click.echo(f"restored untracked file: {path}")
    for path in report.missing:
        click.echo(f"MISSING untracked file (not saved by the run): {path}")
    for problem in report.problems:
        click.echo(f"problem: {problem}")
    for data in report.datasets:
        if data.status == "same":
            click.echo(f"dataset {data.name!r}: unchanged ({data.recorded})")
        else:
            click.echo(f"DATASET {data.describe()}")
    if report.command:
        click.echo(f"to run it again: {report.command}")
    click.echo("complete" if report.complete else "incomplete: see above")
    raise SystemExit(0 if report.complete else 1)
