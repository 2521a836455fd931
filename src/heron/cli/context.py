"""What every command shares: the store to open, and HeronError turned into a click error."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from heron.api import Api
from heron.errors import HeronError, InvalidInput
from heron.settings import Settings


@dataclass
class CliState:
    """The global options (``heron --dir PATH ...``)."""

    dir: str | None = None  # a string, not a Path: a URL must reach heron.Api unmangled


class CliError(click.ClickException):
    """A HeronError at the edge: its message (safe to show, says what to do next) on
    stderr and exit status 1."""


class CliInputError(CliError):
    """Bad input (a malformed filter, an invalid name): exit status 2, like a usage error."""

    exit_code = 2


def cli_error(error: HeronError) -> CliError:
    kind = CliInputError if isinstance(error, InvalidInput) else CliError
    return kind(error.message)


class HeronGroup(click.Group):
    """The root group: errors from any subcommand pass through here on their way out."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except HeronError as exc:
            raise cli_error(exc) from None


def open_api(dir: Path | str | None = None, *, recover: bool = True, local: bool = False) -> Api:
    """The store named by ``dir``, else ``heron --dir``, else the server at HERON_URL
    (unless ``local``: commands about this machine's spools), else HERON_DIR /
    ./heron-runs.

    Always through heron.Api, so that dead spools are shipped before anything is read.
    Closed when the command ends.
    """
    ctx = click.get_current_context()
    if dir is None:
        state = ctx.find_object(CliState)
        dir = state.dir if state is not None else None
    if dir is None and not local:
        dir = Settings.from_env().url
    api = Api(dir, recover=recover)
    ctx.call_on_close(api.close)
    return api
