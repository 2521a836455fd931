"""``heron alerts ls/read`` and ``heron alerts rules ls/add/rm``: a skin over
:mod:`heron.alerts` (the store's database) or, on ``HERON_URL``, over the server's
``/alerts`` routes (which authorise the caller). See docs/alerts.md."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Protocol

import click
from rich.table import Table

from heron.alerts import LEVELS, RULE_KINDS, Alert, NewRule, Rule, describe
from heron.cli import render
from heron.cli.context import cli_state
from heron.connect import connect


class _AlertsClient(Protocol):
    def list_alerts(
        self, project: str, *, unread: bool = False, before: int | None = None, limit: int = 100
    ) -> list[Alert]: ...

    def mark_read(self, project: str, ids: list[int] | None = None) -> int: ...

    def list_rules(self, project: str) -> list[Rule]: ...

    def add_rule(self, project: str, rule: NewRule, actor: str) -> Rule: ...

    def remove_rule(self, project: str, rule_id: int) -> object: ...


def _open() -> _AlertsClient:
    """The alerts of the store the command names (``--dir``, HERON_URL, HERON_DIR)."""
    state = cli_state()
    conn = connect(state.dir, settings=state.settings)
    ctx = click.get_current_context()
    ctx.call_on_close(conn.close)
    if conn.remote:
        from heron.alerts.remote import RemoteAlerts

        assert conn.http is not None
        return RemoteAlerts(conn.http)
    from heron.alerts import open_alerts
    from heron.store.sql import SqlStore

    store, _ = conn.maintenance()
    assert isinstance(store, SqlStore)
    alerts = open_alerts(store, state.settings)
    ctx.call_on_close(alerts.close)
    return alerts


_json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON, one per line.")


@click.group()
def alerts() -> None:
    """A project's alerts and alert rules (docs/alerts.md)."""


@alerts.command("ls")
@click.argument("project")
@click.option("--unread", is_flag=True, help="Only alerts not marked read.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@_json_option
def ls(project: str, unread: bool, limit: int, as_json: bool) -> None:
    """List PROJECT's alerts, newest first."""
    found = _open().list_alerts(project, unread=unread, limit=limit)
    if as_json:
        for alert in found:
            click.echo(json.dumps(asdict(alert)))
        return
    table = Table("id", "when", "level", "title", "run", "status", "repeats", box=None)
    for a in found:
        unread_mark = "" if a.read_at is not None else " •"
        table.add_row(
            str(a.id),
            render.when(a.created_at),
            a.level,
            a.title + unread_mark,
            a.run_id or "",
            a.status,
            str(a.repeats),
        )
    render.stdout().print(table if found else f"No alerts in {project}.")


@alerts.command("read")
@click.argument("project")
@click.argument("ids", nargs=-1, type=int)
def read(project: str, ids: tuple[int, ...]) -> None:
    """Mark PROJECT's alerts IDS read (none given: all of them)."""
    marked = _open().mark_read(project, list(ids) if ids else None)
    click.echo(f"Marked {marked} alert{'s' if marked != 1 else ''} read.")


@alerts.group()
def rules() -> None:
    """A project's alert rules: what raises an alert, and where it goes."""


@rules.command("ls")
@click.argument("project")
@_json_option
def rules_ls(project: str, as_json: bool) -> None:
    """List PROJECT's alert rules."""
    found = _open().list_rules(project)
    if as_json:
        for rule in found:
            click.echo(json.dumps(asdict(rule)))
        return
    table = Table("id", "name", "condition", "to", "on", box=None)
    for r in found:
        targets = [*r.webhooks, *r.emails]
        table.add_row(
            str(r.id), r.name, describe(r), ", ".join(targets) or "UI", "yes" if r.enabled else "no"
        )
    render.stdout().print(table if found else f"No alert rules in {project}.")


@rules.command("add")
@click.argument("project")
@click.argument("name")
@click.option("--when", "kind", required=True, type=click.Choice(RULE_KINDS), help="The condition.")
@click.option("--key", help="Metric key or glob (nan, divergence, threshold; default *).")
@click.option("--factor", type=float, help="divergence: above FACTOR x the running minimum.")
@click.option("--op", type=click.Choice([">", ">=", "<", "<="]), help="threshold: comparison.")
@click.option("--threshold", "threshold", type=float, help="threshold: the value.")
@click.option("--minutes", type=float, help="stale: minutes without a new point.")
@click.option(
    "--state", "states", multiple=True, help="state: failed, crashed, killed... (repeat)."
)
@click.option("--group", help="group_done: run group name or glob (default *).")
@click.option("--min-level", default="info", type=click.Choice(LEVELS), help="alert: lowest level.")
@click.option("--webhook", "webhooks", multiple=True, help='POST {"text": ...} here (repeat).')
@click.option("--email", "emails", multiple=True, help="E-mail this address (repeat).")
@_json_option
def rules_add(
    project: str,
    name: str,
    kind: str,
    key: str | None,
    factor: float | None,
    op: str | None,
    threshold: float | None,
    minutes: float | None,
    states: tuple[str, ...],
    group: str | None,
    min_level: str,
    webhooks: tuple[str, ...],
    emails: tuple[str, ...],
    as_json: bool,
) -> None:
    """Add rule NAME to PROJECT: alerts when the condition holds, to the UI and to
    every --webhook and --email given."""
    rule = NewRule(
        name=name,
        kind=kind,
        key=key,
        factor=factor,
        op=op,
        threshold=threshold,
        minutes=minutes,
        states=list(states) if states else None,
        group=group,
        min_level=min_level,
        webhooks=webhooks,
        emails=emails,
    )
    added = _open().add_rule(project, rule, "local")
    if as_json:
        click.echo(json.dumps(asdict(added)))
        return
    click.echo(f"Added rule {added.id} to {project}: {describe(added)}.")


@rules.command("rm")
@click.argument("project")
@click.argument("rule_id", type=int)
def rules_rm(project: str, rule_id: int) -> None:
    """Remove rule RULE_ID of PROJECT (its alerts stay)."""
    _open().remove_rule(project, rule_id)
    click.echo(f"Removed rule {rule_id} from {project}.")
