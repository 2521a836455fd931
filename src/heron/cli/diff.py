"""``heron runs diff``: what differs between two runs, section by section."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from heron.api import ApiRun
from heron.cli import render
from heron.nested import flatten

_MISSING = object()


@dataclass(frozen=True)
class SectionDiff:
    name: str
    rows: list[tuple[str, Any, Any]]  # (key, value in A, value in B); _MISSING when absent
    same: list[tuple[str, Any]]  # keys holding the same value in both
    recorded: tuple[bool, bool] = (True, True)  # whether each run has anything here

    @property
    def equal(self) -> int:
        return len(self.same)


def diff_maps(name: str, a: dict[str, Any], b: dict[str, Any]) -> SectionDiff:
    rows: list[tuple[str, Any, Any]] = []
    same: list[tuple[str, Any]] = []
    for key in sorted(a.keys() | b.keys(), key=str):
        left, right = a.get(key, _MISSING), b.get(key, _MISSING)
        if _same(left, right):
            same.append((key, left))
        else:
            rows.append((key, left, right))
    return SectionDiff(name, rows, same, (bool(a), bool(b)))


def _same(a: Any, b: Any) -> bool:
    # NaN == NaN here: an unchanged NaN metric is not a difference.
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    return type(a) is type(b) and bool(a == b)


def sections(a: ApiRun, b: ApiRun) -> list[SectionDiff]:
    """Config, summary, git, environment (program + machine) and packages."""

    def system(run: ApiRun, *parts: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for part in parts:
            data = run.system.get(part)
            if isinstance(data, dict):
                out.update(flatten(data, f"{part}."))
        out.pop("program.process.pid", None)  # differs every time, says nothing
        return out

    def packages(run: ApiRun) -> dict[str, Any]:
        listed = run.system.get("packages")
        if not isinstance(listed, list):
            return {}
        return {str(p.get("name")): p.get("version") for p in listed if isinstance(p, dict)}

    return [
        diff_maps("config", flatten(a.config), flatten(b.config)),
        diff_maps("summary", a.summary, b.summary),
        diff_maps("git", system(a, "git"), system(b, "git")),
        diff_maps(
            "environment", system(a, "program", "environment"), system(b, "program", "environment")
        ),
        diff_maps("packages", packages(a), packages(b)),
    ]


def print_diff(console: Console, a: ApiRun, b: ApiRun, show_equal: bool) -> None:
    for section in sections(a, b):
        if not section.rows and not section.equal:
            continue
        if not all(section.recorded):  # one run captured nothing here: one line, not a list
            only = a if section.recorded[0] else b
            console.print(f"[bold]{section.name}[/]: recorded by {only.id} only", highlight=False)
            continue
        table = Table("key", title=section.name, title_justify="left")
        table.add_column(Text(f"{a.id} ({a.name})"))
        table.add_column(Text(f"{b.id} ({b.name})"))
        for key, left, right in section.rows:
            table.add_row(Text(key), _cell(left), _cell(right))
        if show_equal:
            for key, v in section.same:
                table.add_row(
                    Text(key, style="dim"),
                    Text(render.value(v), style="dim"),
                    Text(render.value(v), style="dim"),
                )
        elif section.equal:
            table.caption = (
                f"{section.equal} equal value{'s' * (section.equal != 1)} hidden (--all)"
            )
        if not section.rows and not show_equal:
            console.print(
                f"[bold]{section.name}[/]: identical ({section.equal} values)", highlight=False
            )
        else:
            console.print(table)


def _cell(v: Any) -> Text:
    if v is _MISSING:
        return Text("(absent)", style="dim italic")
    return render.cell(v)
