"""``heron runs show``: one run in full, as rich panels or as JSON."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from heron.api import ApiRun
from heron.cli import render
from heron.nested import flatten
from heron.store.base import ArtifactVersion


def run_json(run: ApiRun, *, full: bool = False) -> dict[str, Any]:
    """The run as JSON-able data; ``full`` adds system, metric summaries, files, artifacts."""
    out: dict[str, Any] = {
        "id": run.id,
        "name": run.name,
        "project": run.project,
        "state": run.state,
        "group": run.group,
        "tags": list(run.tags),
        "notes": run.notes,
        "created_at": run.created_at,
        "ended_at": run.ended_at,
        "duration": run.duration,
        "error": run.error,
        "config": run.config,
        "summary": run.summary,
    }
    if full:
        out["traceback"] = run.traceback
        out["metrics"] = {k: asdict(m) for k, m in run.metrics.items()}
        out["system"] = run.system
        out["files"] = [asdict(f) for f in run.files()]
        out["artifacts"] = [_artifact_json(a, run.id) for a in run.artifacts()]
    return out


def _artifact_json(a: ArtifactVersion, run_id: str) -> dict[str, Any]:
    return {
        "ref": a.ref,
        "type": a.type,
        "digest": a.digest,
        "size": a.size,
        "files": len(a.files),
        "aliases": list(a.aliases),
        "produced": a.created_by == run_id,
        "used": run_id in a.used_by,
    }


def print_run(console: Console, run: ApiRun) -> None:
    console.print(Panel(_overview(run), title=f"run {run.id}", title_align="left"))
    if run.traceback:
        console.print(Panel(Text(run.traceback), title="traceback", border_style="red"))
    if run.config:
        console.print(Panel(_tree("config", run.config), title="config", title_align="left"))
    if run.summary:
        console.print(_summary(run))
    if run.system:
        console.print(_system(run.system))
    files = run.files()
    if files:
        table = Table("path", "size", title="files", title_justify="left")
        for f in files:
            table.add_row(Text(f.path), render.size(f.size))
        console.print(table)
    artifacts = run.artifacts()
    if artifacts:
        console.print(_artifacts(artifacts, run.id))


def _overview(run: ApiRun) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    rows: list[tuple[str, RenderableType]] = [
        ("name", Text(run.name)),
        ("project", run.project),
        ("state", render.state_text(run.state)),
        ("group", Text(run.group or "-")),
        ("tags", Text(", ".join(run.tags) or "-")),
        ("created", render.when(run.created_at)),
        ("ended", render.when(run.ended_at)),
        ("duration", render.duration(run.duration)),
    ]
    if run.notes:
        rows.append(("notes", Text(run.notes)))
    if run.error:
        rows.append(("error", Text(run.error, style="red")))
    for label, cell in rows:
        grid.add_row(label, cell)
    return grid


def _tree(label: str, data: dict[str, Any]) -> Tree:
    tree = Tree(label, hide_root=True)

    def add(node: Tree, mapping: dict[str, Any]) -> None:
        for key, v in mapping.items():
            if isinstance(v, dict) and v:
                add(node.add(Text(str(key), style="bold")), v)
            else:
                node.add(Text.assemble((str(key), "bold"), " = ", render.value(v)))

    add(tree, data)
    return tree


def _summary(run: ApiRun) -> Table:
    table = Table(
        "key", "value", "min", "max", "last step", "points", title="summary", title_justify="left"
    )
    for key, v in sorted(run.summary.items()):
        m = run.metrics.get(key)
        if m is None:  # an override that names no metric
            table.add_row(Text(key), render.cell(v), "", "", "", "")
        else:
            table.add_row(
                Text(key),
                render.cell(v),
                render.cell(m.min),
                render.cell(m.max),
                str(m.last_step),
                str(m.count),
            )
    return table


def _system(system: dict[str, Any]) -> Group:
    """Git, program, environment and the rest, flattened; packages only counted."""
    parts: list[RenderableType] = []
    for section in sorted(system, key=lambda s: (s != "git", s)):
        data = system[section]
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        if section == "packages" and isinstance(data, list):
            table.add_row("installed", f"{len(data)} packages (see the requirements.txt file)")
        elif isinstance(data, dict):
            for key, v in flatten(data).items():
                table.add_row(Text(key), render.cell(v))
        elif data is None:
            table.add_row("", "nothing recorded")
        else:
            table.add_row("", render.cell(data))
        parts.append(Panel(table, title=f"system: {escape(section)}", title_align="left"))
    return Group(*parts)


def _artifacts(artifacts: list[ArtifactVersion], run_id: str) -> Table:
    table = Table(
        "artifact",
        "type",
        "role",
        "files",
        "size",
        "aliases",
        title="artifacts",
        title_justify="left",
    )
    for a in artifacts:
        roles = ["produced"] * (a.created_by == run_id) + ["used"] * (run_id in a.used_by)
        table.add_row(
            a.ref,
            Text(a.type),
            ", ".join(roles),
            str(len(a.files)),
            render.size(a.size),
            ", ".join(a.aliases),
        )
    return table
