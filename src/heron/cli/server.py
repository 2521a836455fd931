"""``heron server`` and ``heron ui``: the tracking server, a thin skin over
:func:`heron.server.runner.serve`. Every option falls back to its ``HERON_*`` setting
(docs/configuration.md); a flag given wins."""

from __future__ import annotations

import dataclasses
import webbrowser
from typing import Any

import click

from heron.cli.context import cli_state
from heron.connect import locate
from heron.errors import InvalidInput
from heron.settings import LOG_LEVELS, Settings


def _browser_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def _with(settings: Settings, **flags: Any) -> Settings:
    """``settings`` with the flags that were given (None: not given) put over them."""
    return dataclasses.replace(settings, **{k: v for k, v in flags.items() if v is not None})


@click.command()
@click.option(
    "--store",
    metavar="URL_OR_DIR",
    help="The store: a folder (SQLite + blobs, like heron-runs) or a database URL "
    "(postgresql://user@host/db). Default: heron --dir, else $HERON_STORE, else $HERON_DIR, "
    "else ./heron-runs.",
)
@click.option(
    "--artifacts",
    metavar="URL_OR_DIR",
    help="Artifact blobs: a folder, file:// or s3://bucket/prefix. Default: $HERON_ARTIFACTS, "
    "else the store folder's blobs/ (required with a database URL).",
)
@click.option(
    "--host",
    help="Interface to listen on; 0.0.0.0 exposes the server to the network. "
    "Default: $HERON_SERVER_HOST, else 127.0.0.1.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    help="Default: $HERON_SERVER_PORT, else 5310.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Processes. Default: $HERON_SERVER_WORKERS, else 1.",
)
@click.option(
    "--log-level",
    type=click.Choice(LOG_LEVELS),
    help="Default: $HERON_SERVER_LOG_LEVEL, else info.",
)
def server(
    store: str | None,
    artifacts: str | None,
    host: str | None,
    port: int | None,
    workers: int | None,
    log_level: str | None,
) -> None:
    """Run the tracking server (REST API, live events, web UI).

    Runs log to it with HERON_URL=http://HOST:PORT. Stop it with Ctrl-C or SIGTERM.
    """
    from heron.server.runner import serve

    state = cli_state()
    settings = _with(
        state.settings,
        store=store or state.dir or state.settings.store,
        artifacts=artifacts,
        server_host=host,
        server_port=port,
        server_workers=workers,
        server_log_level=log_level,
    )
    if locate(settings.store or settings.dir, settings).remote:
        raise InvalidInput(
            f"heron server serves a folder or a database, not another server ({settings.store})"
        )
    address = _browser_url(settings.server_host, settings.server_port)
    click.echo(f"Heron server on {address} (API docs: {address}/api/docs)", err=True)
    serve(settings)


@click.command()
@click.option("--dir", "dir_", metavar="PATH", help="The store's folder (default: as heron --dir).")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    help="Default: $HERON_SERVER_PORT, else 5310.",
)
@click.option("--no-browser", is_flag=True, help="Do not open a web browser.")
def ui(dir_: str | None, port: int | None, no_browser: bool) -> None:
    """Open the web UI on the local store (this machine only: 127.0.0.1).

    Training scripts may keep writing the store meanwhile; new runs and points show
    up live.
    """
    from heron.server.runner import serve

    state = cli_state()
    target = dir_ or state.dir or str(state.settings.dir)
    location = locate(target, state.settings)
    if location.folder is None:
        raise InvalidInput(f"heron ui serves a local folder, not {target!r}; use heron server")
    settings = _with(
        state.settings, store=str(location.folder.root), server_host="127.0.0.1", server_port=port
    )
    _recover(settings)
    address = _browser_url("127.0.0.1", settings.server_port)
    click.echo(f"Heron UI on {address} (store: {location.folder.root}); Ctrl-C stops it", err=True)

    def opened() -> None:
        if not no_browser:
            webbrowser.open(address)

    serve(settings, on_started=opened)


def _recover(settings: Settings) -> None:
    """Ship what dead training processes left in the spool, as any heron command does."""
    from heron.api import Api
    from heron.connect import connect

    connect(settings.store, settings=settings, create=True).close()  # an empty store first
    Api(settings.store, settings=settings).close()
