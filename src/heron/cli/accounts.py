"""``heron login``/``logout``, ``heron users``, ``heron tokens``, ``heron members`` and
``heron audit``: a server's accounts, through its REST API when the target is a server
(as the token's owner), or beside its database as the local administrator (how the
first site admin is made: ``heron --dir STORE users add alice --admin``)."""

from __future__ import annotations

import sys

import click
from rich.table import Table

from heron.accounts.base import ROLES, AccountBook, Membership
from heron.accounts.remote import password_token
from heron.cli.context import cli_state
from heron.cli.render import cell, stdout, when
from heron.connect import connect
from heron.credentials import save_token
from heron.errors import InvalidInput, Unauthorized
from heron.remote.http import HttpClient


def _book() -> AccountBook:
    state = cli_state()
    conn = connect(state.dir, settings=state.settings, create=True)  # a first admin, first
    click.get_current_context().call_on_close(conn.close)
    return conn.accounts()


# --- login ------------------------------------------------------------------------------


@click.command()
@click.argument("url")
@click.option("--user", "user", metavar="NAME", help="Sign in with this user's password.")
@click.option(
    "--token-name", default="heron login", show_default=True, help="Name of the new token."
)
def login(url: str, user: str | None, token_name: str) -> None:
    """Keep an API token for the server at URL (in ~/.config/heron/credentials.json,
    mode 0600); the SDK and the CLI then send it there. With --user, ask for the
    password and get a new token; else paste a token made in the UI (Tokens page)."""
    settings = cli_state().settings
    with HttpClient(url) as anonymous:
        if user is not None:
            password = click.prompt(f"Password for {user}", hide_input=True)
            secret = password_token(anonymous, user, password, token_name).secret
        else:
            secret = click.prompt("API token", hide_input=True).strip()
    with HttpClient(url, token=secret) as client:
        try:
            me = client.json("GET", "/auth/me")
        except Unauthorized:
            raise InvalidInput(f"{url} does not accept that token") from None
    if not me.get("auth"):
        click.echo(f"note: {url} has no accounts; every caller is its admin", err=True)
    path = save_token(settings, url, secret)
    click.echo(f"Signed in to {url} as {me['name']}; token kept in {path} (mode 0600)")


@click.command()
@click.argument("url")
def logout(url: str) -> None:
    """Forget the token kept for the server at URL (revoke it in the UI to end it)."""
    path = save_token(cli_state().settings, url, None)
    click.echo(f"Forgot the token for {url} ({path})")


# --- users ------------------------------------------------------------------------------


@click.group()
def users() -> None:
    """A server's accounts (site admins)."""


@users.command("ls")
def users_ls() -> None:
    """List every user."""
    table = Table("name", "kind", "admin", "disabled", "email", "created", "sign-in")
    for u in _book().list_users():
        signs = ", ".join(x for x, on in (("password", u.has_password), ("sso", u.sso)) if on)
        table.add_row(
            cell(u.name),
            u.kind,
            "yes" if u.is_admin else "",
            "yes" if u.disabled else "",
            cell(u.email or ""),
            when(u.created_at),
            signs or "tokens only",
        )
    stdout().print(table)


@users.command("add")
@click.argument("name")
@click.option("--admin", is_flag=True, help="A site admin (every project, users, audit).")
@click.option("--service", is_flag=True, help="A service account for CI: tokens, no password.")
@click.option("--email", default=None, help="E-mail address.")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from stdin (else it is asked)."
)
def users_add(
    name: str, admin: bool, service: bool, email: str | None, password_stdin: bool
) -> None:
    """Create a user (a person asked for a password; a service account gets none)."""
    password = None
    if not service:
        password = _password(password_stdin)
    user = _book().create_user(
        name, password=password, email=email, admin=admin, kind="service" if service else "person"
    )
    click.echo(f"Created {user.kind} {user.name}" + (" (site admin)" if user.is_admin else ""))


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line: str = sys.stdin.readline()
        return line.rstrip("\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@users.command("set")
@click.argument("name")
@click.option("--admin/--no-admin", default=None, help="Make or unmake a site admin.")
@click.option("--disable/--enable", "disabled", default=None, help="Stop or allow sign-in.")
@click.option("--password", "new_password", is_flag=True, help="Set a new password (asked).")
@click.option("--password-stdin", is_flag=True, help="Read the new password from stdin.")
def users_set(
    name: str,
    admin: bool | None,
    disabled: bool | None,
    new_password: bool,
    password_stdin: bool,
) -> None:
    """Change a user: admin flag, disabled, password (their sessions end)."""
    password = _password(password_stdin) if new_password or password_stdin else None
    user = _book().update_user(name, admin=admin, disabled=disabled, password=password)
    flags = [f for f, on in (("admin", user.is_admin), ("disabled", user.disabled)) if on]
    click.echo(f"Updated {user.name}" + (f" ({', '.join(flags)})" if flags else ""))


# --- tokens -------------------------------------------------------------------------------


@click.group()
def tokens() -> None:
    """API tokens (yours; site admins: anyone's, e.g. a service account's)."""


@tokens.command("ls")
@click.option("--user", default=None, help="Whose tokens (site admins).")
def tokens_ls(user: str | None) -> None:
    """List tokens: the secret is never shown again, only its first characters."""
    table = Table("id", "user", "name", "prefix", "created", "last used", "expires", "state")
    for t in _book().list_tokens(user):
        state = "revoked" if t.revoked_at is not None else "active"
        table.add_row(
            str(t.id),
            cell(t.user),
            cell(t.name),
            t.prefix + "…",
            when(t.created_at),
            when(t.last_used_at) if t.last_used_at else "never",
            when(t.expires_at) if t.expires_at else "never",
            state,
        )
    stdout().print(table)


@tokens.command("create")
@click.argument("name")
@click.option("--user", default=None, help="For this user (site admins: service accounts).")
@click.option("--expires-in-days", type=float, default=None, help="Default: never expires.")
def tokens_create(name: str, user: str | None, expires_in_days: float | None) -> None:
    """Issue a token and print it, once (only its hash is kept)."""
    book = _book()
    owner = user if user is not None else _me()
    issued = book.issue_token(owner, name, expires_in_days)
    click.echo(issued.secret)
    click.echo(
        f"token {issued.info.id} for {issued.info.user}: copy it now, it is not shown again",
        err=True,
    )


def _me() -> str:
    state = cli_state()
    conn = connect(state.dir, settings=state.settings)
    try:
        if conn.http is None:
            raise InvalidInput("beside the database, say whose token it is: --user NAME")
        return str(conn.http.json("GET", "/auth/me")["name"])
    finally:
        conn.close()


@tokens.command("revoke")
@click.argument("token_id", type=int)
def tokens_revoke(token_id: int) -> None:
    """Revoke a token: it stops working at once."""
    token = _book().revoke_token(token_id)
    click.echo(f"Revoked token {token.id} ({token.name}) of {token.user}")


# --- members ------------------------------------------------------------------------------


@click.group()
def members() -> None:
    """Roles in a project: viewer (reads), editor (also writes), admin (also members)."""


def _members_table(found: list[Membership]) -> Table:
    table = Table("project", "user", "role")
    for m in found:
        table.add_row(cell(m.project), cell(m.user), m.role)
    return table


@members.command("ls")
@click.argument("project")
def members_ls(project: str) -> None:
    """The members of PROJECT."""
    stdout().print(_members_table(_book().members(project)))


@members.command("set")
@click.argument("project")
@click.argument("user")
@click.argument("role", type=click.Choice(ROLES))
def members_set(project: str, user: str, role: str) -> None:
    """Give USER ROLE in PROJECT (project admins)."""
    book = _book()
    book.set_role(user, project, next(r for r in ROLES if r == role))
    click.echo(f"{user} is now {role} of {project}")


@members.command("rm")
@click.argument("project")
@click.argument("user")
def members_rm(project: str, user: str) -> None:
    """Take USER's role in PROJECT away."""
    _book().set_role(user, project, None)
    click.echo(f"{user} has no role in {project} any more")


# --- audit ----------------------------------------------------------------------------------


@click.command()
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@click.option("--action", default=None, help="Only this action (login, token.revoke...).")
@click.option("--actor", default=None, help="Only what this user did.")
def audit(limit: int, action: str | None, actor: str | None) -> None:
    """The audit log, newest first (site admins)."""
    table = Table("time", "actor", "action", "target", "detail", "from")
    for e in _book().audit_log(limit=limit, action=action, actor=actor):
        detail = ", ".join(f"{k}={v}" for k, v in e.detail.items())
        table.add_row(
            when(e.time), cell(e.actor), e.action, cell(e.target), cell(detail), e.ip or ""
        )
    stdout().print(table)
