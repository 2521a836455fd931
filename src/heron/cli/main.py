"""``heron``: the command line. A thin skin over :class:`heron.Api`: each command parses
its options, calls the API and renders the result; HeronError becomes a one-line
error and a non-zero exit status at the edge (``CliError``)."""

from __future__ import annotations

import click

from heron.cli.context import CliState, HeronGroup
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
    import platform

    click.echo(f"heron {__version__} (Python {platform.python_version()})")


# Each command's module is imported when the command runs (HeronGroup.add_lazy).
for _name, _where in {
    "runs": "heron.cli.runs:runs",
    "projects": "heron.cli.projects:projects",
    "export": "heron.cli.export:export",
    "sync": "heron.cli.sync:sync",
    "gc": "heron.cli.gc:gc",
    "models": "heron.cli.models:models",
    "server": "heron.cli.server:server",
    "ui": "heron.cli.server:ui",
    "sweep": "heron.cli.sweep:sweep",
    "agent": "heron.cli.sweep:agent",
    "compare": "heron.cli.compare:compare",
    "import": "heron.cli.imports:import_",
    "alerts": "heron.cli.alerts:alerts",
    "verify": "heron.cli.reproduce:verify",
    "reproduce": "heron.cli.reproduce:reproduce",
    "login": "heron.cli.accounts:login",
    "logout": "heron.cli.accounts:logout",
    "users": "heron.cli.accounts:users",
    "tokens": "heron.cli.accounts:tokens",
    "members": "heron.cli.accounts:members",
    "audit": "heron.cli.accounts:audit",
}.items():
    cli.add_lazy(_name, _where)


def main() -> None:
    """The ``heron`` console script."""
    cli(prog_name="heron")
