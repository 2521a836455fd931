"""``heron server`` and ``heron ui``: the tracking server, a thin skin over
:func:`heron.server.runner.serve`."""

from __future__ import annotations

import re
import webbrowser

import click

from heron.cli.context import CliState
from heron.errors import InvalidInput
from heron.local_dir import LocalDir
from heron.settings import Settings

DEFAULT_PORT = 5310
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def _store_location(store: str) -> tuple[str, LocalDir | None]:
    """(SQLAlchemy URL, the local folder when ``store`` is one)."""
    if _URL.match(store):
        return store, None
    folder = LocalDir.at(store).create()
    return folder.db_url, folder


def _browser_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


@click.command()
@click.option(
    "--store",
    metavar="URL_OR_DIR",
    help="The store: a folder (SQLite + blobs, like heron-runs) or a database URL "
    "(postgresql://user@host/db). Default: $HERON_DIR, else ./heron-runs.",
)
@click.option(
    "--artifacts",
    metavar="URL_OR_DIR",
    help="Artifact blobs: a folder, file:// or s3://bucket/prefix. "
    "Default: the store folder's blobs/ (required with a database URL).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to listen on; 0.0.0.0 exposes the server to the network.",
)
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Processes."
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
@click.pass_context
def server(
    ctx: click.Context,
    store: str | None,
    artifacts: str | None,
    host: str,
    port: int,
    workers: int,
    log_level: str,
) -> None:
    """Run the tracking server (REST API, live events, web UI).

    Runs log to it with HERON_URL=http://HOST:PORT. Stop it with Ctrl-C or SIGTERM.
    """
    from heron.server.runner import ServeConfig, serve

    state = ctx.find_object(CliState)
    target = store or (state.dir if state is not None else None) or str(Settings.from_env().dir)
    url, folder = _store_location(target)
    if artifacts is None:
        if folder is None:
            raise InvalidInput(
                "--artifacts is required with a database URL: give a folder, file:// "
                "or s3://bucket/prefix for the artifact blobs"
            )
        artifacts = str(folder.blobs)
    config = ServeConfig(
        store_url=url,
        artifacts_url=artifacts,
        host=host,
        port=port,
        spool_root=str(folder.spool) if folder is not None else None,
        log_level=log_level,
    )
    address = _browser_url(host, port)
    click.echo(f"Heron server on {address} (API docs: {address}/api/docs)", err=True)
    serve(config, workers)


@click.command()
@click.option("--dir", "dir_", metavar="PATH", help="The store's folder (default: as heron --dir).")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535))
@click.option("--no-browser", is_flag=True, help="Do not open a web browser.")
@click.pass_context
def ui(ctx: click.Context, dir_: str | None, port: int, no_browser: bool) -> None:
    """Open the web UI on the local store (this machine only: 127.0.0.1).

    Training scripts may keep writing the store meanwhile; new runs and points show
    up live.
    """
    from heron.server.runner import ServeConfig, serve

    state = ctx.find_object(CliState)
    target = dir_ or (state.dir if state is not None else None) or str(Settings.from_env().dir)
    if _URL.match(target):
        raise InvalidInput(f"heron ui serves a local folder, not {target!r}; use heron server")
    folder = LocalDir.at(target).create()
    _recover(folder)
    config = ServeConfig(
        store_url=folder.db_url,
        artifacts_url=str(folder.blobs),
        port=port,
        spool_root=str(folder.spool),
    )
    address = _browser_url("127.0.0.1", port)
    click.echo(f"Heron UI on {address} (store: {folder.root}); Ctrl-C stops it", err=True)

    def opened() -> None:
        if not no_browser:
            webbrowser.open(address)

    serve(config, on_started=opened)


def _recover(folder: LocalDir) -> None:
    """Ship what dead training processes left in the spool, as any heron command does."""
    from heron.api import Api
    from heron.store import open_store

    open_store(folder.db_url).close()  # creates an empty store on first use
    Api(folder.root).close()
