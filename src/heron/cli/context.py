"""What every command shares: the store to open, and HeronError turned into a click error."""

from __future__ import annotations

import importlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from heron.errors import HeronError, InvalidInput
from heron.settings import Settings

if TYPE_CHECKING:  # heron.api (SQLAlchemy, numpy) is imported when a command opens it
    from heron.api import Api
    from heron.store.lite import LiteReader


@dataclass
class CliState:
    """The global options (``heron --dir PATH ...``) and the settings, built once from
    the environment when the command starts and passed down."""

    dir: str | None = None  # a string, not a Path: a URL must reach heron.Api unmangled
    settings: Settings = field(default_factory=Settings.from_env)


def cli_state() -> CliState:
    """The running command's state (a fresh one when a command runs outside ``heron``)."""
    ctx = click.get_current_context()
    state = ctx.find_object(CliState)
    if state is None:
        state = ctx.ensure_object(CliState)
    return state


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
    """The root group: errors from any subcommand pass through here on their way out.

    Subcommands given to :meth:`add_lazy` are imported when they run (or when help
    lists them), so that ``heron runs ls`` does not load the server, the sweeps and
    the HTTP client first."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, str] = {}  # command name -> "module:attribute"

    def add_lazy(self, name: str, where: str) -> None:
        self.lazy[name] = where

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        where = self.lazy.get(cmd_name)
        if where is not None and cmd_name not in self.commands:
            module, attribute = where.split(":")
            command = getattr(importlib.import_module(module), attribute)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except HeronError as exc:
            raise cli_error(exc) from None


def open_api(dir: Path | str | None = None, *, recover: bool = True, local: bool = False) -> Api:
    """The store named by ``dir``, else ``heron --dir``, else as everywhere in Heron
    (:func:`heron.connect.locate`: HERON_URL, HERON_DIR, ./heron-runs). ``local``:
    commands about this machine's spools skip HERON_URL.

    Always through heron.Api, so that dead spools are shipped before anything is read.
    Closed when the command ends.
    """
    from heron.api import Api

    state = cli_state()
    target = dir if dir is not None else state.dir
    if target is None and local:
        target = state.settings.dir
    api = Api(target, settings=state.settings, recover=recover)
    click.get_current_context().call_on_close(api.close)
    return api


def quick_reader() -> LiteReader | None:
    """A standard-library reader of the store (:mod:`heron.store.lite`) when opening it
    through heron.Api would do nothing but open it: a local folder's SQLite file at the
    current schema, writable, with no spool in it (nothing to ship) and no running run
    gone stale (nothing to reap). None otherwise: the command opens heron.Api, which
    does what is needed and explains what is wrong. Closed when the command ends."""
    from heron.connect import locate
    from heron.store.lite import LiteReader

    state = cli_state()
    try:
        location = locate(state.dir, state.settings)
    except HeronError:
        return None
    folder = location.folder
    if folder is None or not os.access(folder.root, os.W_OK):
        return None
    try:
        if any(os.scandir(folder.spool)):
            return None
    except FileNotFoundError:
        pass
    except OSError:
        return None
    if not os.access(folder.db_path, os.W_OK):
        return None
    reader = LiteReader.open(folder.db_path)
    if reader is None:
        return None
    if reader.stale_runs(time.time() - state.settings.crash_after):
        reader.close()
        return None
    click.get_current_context().call_on_close(reader.close)
    return reader
