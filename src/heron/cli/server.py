"""``heron server`` and ``heron ui``: the tracking server, a thin skin over
:func:`heron.server.runner.serve`. Every option falls back to its ``HERON_*`` setting
(docs/configuration.md); a flag given wins."""

from __future__ import annotations

import dataclasses
import ipaddress
import webbrowser
from typing import Any

import click

from heron.cli.context import cli_state
from heron.connect import locate
from heron.errors import InvalidInput, NotFound
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
@click.option(
    "--auth/--no-auth",
    default=None,
    help="Require accounts (tokens, sign-in). Default: $HERON_AUTH, else on exactly when "
    "listening beyond loopback.",
)
@click.option(
    "--insecure-no-auth",
    is_flag=True,
    help="Listen beyond loopback without accounts: anyone who reaches the port is admin.",
)
@click.option(
    "--admin",
    "admin_user",
    metavar="NAME",
    help="Create this first site admin if the store has no users (password from "
    "$HERON_ADMIN_PASSWORD). Default: $HERON_ADMIN_USER.",
)
def server(
    store: str | None,
    artifacts: str | None,
    host: str | None,
    port: int | None,
    workers: int | None,
    log_level: str | None,
    auth: bool | None,
    insecure_no_auth: bool,
    admin_user: str | None,
) -> None:
    """Run the tracking server (REST API, live events, web UI).

    Runs log to it with HERON_URL=http://HOST:PORT. Stop it with Ctrl-C or SIGTERM.
    Beyond loopback it requires accounts: start it once with --admin NAME and
    HERON_ADMIN_PASSWORD set to create the first site admin.
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
        admin_user=admin_user,
        auth=None if auth is None else ("on" if auth else "off"),
    )
    if locate(settings.store or settings.dir, settings).remote:
        raise InvalidInput(
            f"heron server serves a folder or a database, not another server ({settings.store})"
        )
    settings = _decide_auth(settings, insecure_no_auth)
    address = _browser_url(settings.server_host, settings.server_port)
    shown = "with accounts" if settings.auth == "on" else "WITHOUT accounts (everyone is admin)"
    click.echo(f"Heron server on {address} {shown} (API docs: {address}/api/docs)", err=True)
    if settings.server_host in _WILDCARDS:
        click.echo(
            f"listening on every interface ({settings.server_host}): reachable from the "
            "network at this machine's addresses; set HERON_ALLOWED_HOSTS to the names "
            "clients use",
            err=True,
        )
    serve(settings)


_WILDCARDS = ("0.0.0.0", "::", "", "[::]")


def is_loopback(host: str) -> bool:
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _decide_auth(settings: Settings, insecure_no_auth: bool) -> Settings:
    """Accounts are on beyond loopback unless explicitly waived; on, the store must
    have a site admin (or the settings to create one)."""
    loopback = is_loopback(settings.server_host)
    if settings.auth == "auto":
        settings = dataclasses.replace(settings, auth="off" if loopback else "on")
    if settings.auth == "off" and not loopback and not insecure_no_auth:
        raise InvalidInput(
            f"refusing to listen on {settings.server_host} without accounts: anyone who "
            "reaches the port could read, change and delete everything. Turn accounts on "
            "(the default beyond loopback), or pass --insecure-no-auth if a proxy in front "
            "authenticates"
        )
    if settings.auth == "on":
        _check_admin(settings)
    return settings


def _check_admin(settings: Settings) -> None:
    from heron.accounts import SqlAccounts
    from heron.connect import connect
    from heron.store.sql import SqlStore

    if settings.admin_user and not settings.admin_password:
        raise InvalidInput(
            f"set HERON_ADMIN_PASSWORD to the password of {settings.admin_user!r} "
            "(12 characters or more) to create the first site admin"
        )
    if settings.admin_user:
        return  # created (if there are no users yet) when the app starts
    with connect(settings.store or settings.dir, settings=settings, create=True) as conn:
        if isinstance(conn.store, SqlStore) and SqlAccounts(conn.store).count_users():
            return
    raise InvalidInput(
        "accounts are on and the store has no users yet: create the first site admin, "
        "e.g. HERON_ADMIN_PASSWORD=... heron server --admin alice (or `heron --dir STORE "
        "users add alice --admin`)"
    )


@click.command()
@click.option("--dir", "dir_", metavar="PATH", help="The store's folder (default: as heron --dir).")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    help="Default: $HERON_SERVER_PORT, else 5310.",
)
@click.option("--no-browser", is_flag=True, help="Do not open a web browser.")
@click.option("--create", is_flag=True, help="Create an empty store if there is none.")
def ui(dir_: str | None, port: int | None, no_browser: bool, create: bool) -> None:
    """Open the web UI on the local store (this machine only: 127.0.0.1).

    Training scripts may keep writing the store meanwhile; new runs and points show
    up live. A folder without a store is an error unless --create.
    """
    from heron.server.runner import serve

    state = cli_state()
    target = dir_ or state.dir or str(state.settings.dir)
    location = locate(target, state.settings)
    if location.folder is None:
        raise InvalidInput(f"heron ui serves a local folder, not {target!r}; use heron server")
    if not create and not location.folder.exists() and not location.folder.spool.is_dir():
        raise NotFound(
            f"no Heron store at {location.folder.root}: log a run there with heron.init() "
            "first, point at another folder (--dir, HERON_DIR), or pass --create to start "
            "with an empty one"
        )
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
