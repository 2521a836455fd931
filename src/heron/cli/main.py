"""``heron``: the command line. A thin skin over :class:`heron.Api`: each command parses
its options, calls the API and renders the result; HeronError becomes a one-line
error and a non-zero exit status at the edge (``CliError``)."""

from __future__ import annotations

import platform

import click

from heron.cli.accounts import audit, login, logout, members, tokens, users
from heron.cli.alerts import alerts
from heron.cli.compare import compare
from heron.cli.context import CliState, HeronGroup
from heron.cli.export import export
from heron.cli.gc import gc
from heron.cli.imports import import_
from heron.cli.models import models
from heron.cli.reproduce import reproduce, verify
from heron.cli.runs import runs
from heron.cli.server import server, ui
from heron.cli.sweep import agent, sweep
from heron.cli.sync import sync
from heron.version import __version__


@click.group(cls=HeronGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--dir",
    "dir_",
    metavar="PATH",
    help="The store's folder. Default: $HERON_DIR, else ./heron-runs.",
)
@click.pass_context
def cli(ctx: click.Context, dir_: str | None) -> None:
    """Heron: an open, self-hosted experiment tracker.

    Reads the store that heron.init() writes to (HERON_DIR or ./heron-runs).
    """
    ctx.obj = CliState(dir_)


@cli.command()
def version() -> None:
    """Print Heron's version."""
    click.echo(f"heron {__version__} (Python {platform.python_version()})")


cli.add_command(runs)
cli.add_command(export)
cli.add_command(sync)
cli.add_command(gc)
cli.add_command(models)
cli.add_command(server)
cli.add_command(ui)
cli.add_command(sweep)
cli.add_command(agent)
cli.add_command(compare)
cli.add_command(import_)
cli.add_command(alerts)
cli.add_command(verify)
cli.add_command(reproduce)
for command in (login, logout, users, tokens, members, audit):
    cli.add_command(command)


def main() -> None:
    """The ``heron`` console script."""
    cli(prog_name="heron")
