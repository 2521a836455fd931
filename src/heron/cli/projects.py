"""``heron projects ls`` and ``heron projects rename``: a skin over :class:`heron.Api`
(on ``HERON_URL``, the server's ``/projects`` routes, which authorise the caller)."""

from __future__ import annotations

import click
from rich.markup import escape
from rich.table import Table

from heron.cli import render
from heron.cli.context import open_api


@click.group()
def projects() -> None:
    """List and rename projects."""


@projects.command("ls")
def ls() -> None:
    """The projects you may read, with their run counts."""
    table = Table("project", "runs", "created", "last activity")
    for p in open_api().projects():
        table.add_row(
            escape(p.name),
            str(p.run_count),
            render.when(p.created_at),
            render.when(p.last_activity),
        )
    render.stdout().print(table)


@projects.command()
@click.argument("old")
@click.argument("new")
def rename(old: str, new: str) -> None:
    """Rename project OLD to NEW: its runs, members, alert rules, saved views, reports
    and tags move along (the project's admin; NEW must name no project yet)."""
    moved = open_api().rename_project(old, new)
    rows = ", ".join(f"{table} {n}" for table, n in moved.items() if n)
    render.stdout().print(f"Renamed project {old} to {new} (rows moved: {rows}).", markup=False)
