"""``heron runs``: list, show, compare and delete runs, and print their console."""

from __future__ import annotations

import csv
import math
import sys
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import click
from rich.console import Console, RenderableType
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from heron.cli import render
from heron.cli.context import CliInputError, open_api, quick_reader
from heron.nested import flatten

if TYPE_CHECKING:
    from heron.query.nodes import Field
    from heron.store.lite import LiteReader

FORMATS = ("table", "csv", "json")
METRIC_COLUMNS = 4
CONFIG_COLUMNS = 3
_NO_WRAP = frozenset({"id", "state", "created", "duration"})
_COLUMNS = ("id", "name", "project", "state", "group", "tags", "created", "duration")
_MIN_WIDTH = {"name": 8, "project": 7, "tags": 4, "group": 5}


class ListedRun(Protocol):
    """What a listing shows of a run: a heron.ApiRun, or the RunInfo that
    ``heron.store.lite`` reads when ``heron runs ls`` needs nothing more."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def project(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def group(self) -> str | None: ...
    @property
    def tags(self) -> tuple[str, ...]: ...
    @property
    def created_at(self) -> float: ...
    @property
    def duration(self) -> float | None: ...
    @property
    def config(self) -> dict[str, Any]: ...
    @property
    def summary(self) -> dict[str, Any]: ...


@click.group()
def runs() -> None:
    """List, show, compare and delete runs; print what they printed."""


@runs.command("ls")
@click.option("-p", "--project", help="Only this project's runs.")
@click.option(
    "-f",
    "--filter",
    "filter_",
    metavar="EXPR",
    help="""Filter, e.g. 'state = "finished" and metrics.val/acc > 0.9'.""",
)
@click.option(
    "-s",
    "--sort",
    multiple=True,
    metavar="KEY",
    help="Sort by KEY, e.g. -metrics.val/acc or config.lr ('-': descending). "
    "Repeatable. Default: newest first.",
)
@click.option(
    "-n",
    "--limit",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    help="Show at most this many runs; 0 for all.",
)
@click.option(
    "-c",
    "--columns",
    metavar="LIST",
    help="Comma-separated columns, e.g. id,name,state,metrics.val/acc,config.lr "
    f"(fixed columns: {', '.join(_COLUMNS)}). Default: chosen to fit (see docs/cli.md).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table, csv (the chosen columns, or --columns), or json (one object per run and line).",
)
@click.option("--json", "as_json", is_flag=True, help="The same as --format json.")
def ls(
    project: str | None,
    filter_: str | None,
    sort: tuple[str, ...],
    limit: int,
    columns: str | None,
    fmt: str,
    as_json: bool,
) -> None:
    """List runs as a table: state, timing, the filter's and sort's keys, the main
    metrics and the config that differs between runs.

    An unknown project, or a config or metric key no run has, is an error (exit
    status 2) that suggests the closest names.
    """
    asked = _parse_columns(columns)
    table_only = fmt == "table" and not as_json
    reader = quick_reader() if table_only and not (filter_ or sort) else None
    if reader is not None and _known_project(reader, project):
        # Nothing to recover, filter or check: the standard library reads the runs
        listed = reader.newest_runs(project, limit or None)
        total = reader.count_runs(project) if limit and len(listed) == limit else len(listed)
        _print_table(listed, sort, total, filter_, asked)
        return
    from heron.cli.names import query_warnings

    api = open_api()
    with query_warnings():
        found = api.runs(project, filter_, sort, limit or None)
        full = limit and len(found) == limit and fmt == "table" and not as_json
        total = api.count_runs(project, filter_) if full else len(found)
    if as_json or fmt == "json":
        from heron.cli.show import run_json

        for run in found:
            click.echo(render.dumps(run_json(run)))
        return
    if fmt == "csv":
        shown = asked or [*_COLUMNS, *choose_columns(found, filter_, sort)]
        _write_csv(found, shown)
        return
    _print_table(found, sort, total, filter_, asked, project)


def _print_table(
    found: Sequence[ListedRun],
    sort: Sequence[str],
    total: int,
    filter_: str | None,
    asked: list[str] | None,
    project: str | None = None,
) -> None:
    out = render.stdout()
    if not found:
        hint = " Check the filter and --project." if filter_ or project else ""
        out.print(f"No runs found.{hint}")
        return
    out.print(runs_table(found, sort, total, out, filter_=filter_, columns=asked))


def _known_project(reader: LiteReader, project: str | None) -> bool:
    """No project, or one that exists and is not deleted (else heron.Api says what is
    wrong, with "did you mean")."""
    if project is None:
        return True
    return project in reader.project_names() and project not in reader.deleted_projects()


def _parse_columns(text: str | None) -> list[str] | None:
    """``--columns`` as column ids: fixed names, ``metric:<key>``, ``config:<path>``."""
    if text is None:
        return None
    shown = []
    for raw in text.split(","):
        name = raw.strip()
        if not name:
            continue
        if name in _COLUMNS:
            shown.append(name)
        elif name.startswith(("metrics.", "summary.")):
            shown.append("metric:" + name.split(".", 1)[1])
        elif name.startswith("config."):
            shown.append("config:" + name[len("config.") :])
        else:
            from heron.cli.names import did_you_mean

            raise CliInputError(
                did_you_mean(name, [*_COLUMNS, "metrics.<key>", "config.<path>"], "column")
            )
    if not shown:
        raise CliInputError("--columns needs at least one column")
    return shown


def choose_columns(
    found: Sequence[ListedRun], filter_: str | None, sort: Sequence[str]
) -> list[str]:
    """Data columns worth showing, best first: the filter's and the sort's keys, then
    the metrics most runs have (at most 4 in all), then config that differs between
    the runs (at most 3)."""
    chosen: list[str] = []
    for f in _named_fields(filter_, sort):
        name = {"metric": "metric:", "config": "config:"}.get(f.kind, "") + f.key
        if f.kind in ("metric", "config") and name not in chosen:
            chosen.append(name)
    metrics = [c for c in metric_columns(found, sort) if f"metric:{c}" not in chosen]
    room = max(0, METRIC_COLUMNS - sum(c.startswith("metric:") for c in chosen))
    chosen.extend(f"metric:{k}" for k in metrics[:room])
    varying = [k for k in varying_config(found) if f"config:{k}" not in chosen]
    chosen.extend(f"config:{k}" for k in varying[:CONFIG_COLUMNS])
    return chosen


def _named_fields(filter_: str | None, sort: Sequence[str]) -> list[Field]:
    """The fields the filter and the sort name (the filter's parsed only when given)."""
    fields = []
    if sort:
        from heron.query.parser import parse_order_term

        fields = [parse_order_term(t)[0] for t in sort]
    if filter_:
        from heron.cli.names import filter_fields

        fields = [*filter_fields(filter_), *fields]
    return fields


def varying_config(found: Sequence[ListedRun]) -> list[str]:
    """Config paths whose value is not the same in every run, in path order."""
    flat = [flatten(run.config) for run in found]
    paths = sorted({p for f in flat for p in f})
    return [p for p in paths if len({render.value(f.get(p)) for f in flat}) > 1]


def fixed_columns(found: Sequence[ListedRun]) -> list[str]:
    """The columns of every runs table (before the data columns) worth showing for
    ``found``: project only when the runs span several projects, group and tags only
    when a run has one."""
    projects = {run.project for run in found}
    fixed = [c for c in _COLUMNS if c != "project" or len(projects) > 1]
    fixed = [c for c in fixed if c != "group" or any(r.group for r in found)]
    return [c for c in fixed if c != "tags" or any(r.tags for r in found)]


def drop_order(data: Sequence[str]) -> list[str]:
    """The order in which a runs table too wide for the console loses its columns,
    given its data columns (``choose_columns``): config beyond the first data column
    (the last first), then group, tags and duration, then metrics beyond the first
    (the last first), the project; the first data column (the filter's or sort's key,
    else the main metric) just before "created". Id, name and state are never dropped."""
    rest = data[1:]
    return [
        *reversed([c for c in rest if c.startswith("config:")]),
        "group",
        "tags",
        "duration",
        *reversed([c for c in rest if c.startswith("metric:")]),
        "project",
        *data[:1],
        "created",
    ]


def runs_table(
    found: Sequence[ListedRun],
    sort: Sequence[str],
    total: int,
    console: Console,
    *,
    filter_: str | None = None,
    columns: Sequence[str] | None = None,
) -> Table:
    """The runs table, narrowed to the console: columns nobody uses (group and tags when
    empty, project when all runs share one) are left out, then columns are dropped,
    least useful first, until the table fits. Ids, states and times never wrap.
    ``columns`` (``--columns``): exactly these, not narrowed."""
    projects = {run.project for run in found}
    title = f"project {next(iter(projects))}" if len(projects) == 1 else None
    caption = _caption(len(found), total)
    if columns:
        return _table(found, list(columns), title, caption)
    data = choose_columns(found, filter_, sort)
    wide = console.options.update_width(1 << 16)  # measure unclamped
    order = drop_order(data)
    shown = [*fixed_columns(found), *data]
    # A column's narrowest width does not depend on the others: each column is measured
    # once (as rich does: its widest cell's minimum, header included, plus the cell
    # padding, at least its min_width), and a table of k columns needs their sum plus
    # k + 1 rules, instead of measuring every narrower table anew.
    every = _table(found, shown, title, caption)
    narrowest = {
        c: max(
            max(Measurement.get(console, wide, x).minimum for x in [col.header, *col.cells]) + 2,
            0 if col.min_width is None else col.min_width + 2,
        )
        for c, col in zip(shown, every.columns, strict=True)
    }
    while True:
        fits = sum(narrowest[c] for c in shown) + len(shown) + 1 <= console.width
        droppable = [c for c in order if c in shown]
        if fits or not droppable:
            return (
                every if len(shown) == len(every.columns) else _table(found, shown, title, caption)
            )
        shown.remove(droppable[0])


def _header(column: str) -> str:
    if column.startswith("metric:"):
        return column[len("metric:") :]
    if column.startswith("config:"):
        return "config." + column[len("config:") :]
    return column


def _cells(run: ListedRun, shown: Sequence[str]) -> list[Any]:
    """The run's values for ``shown`` columns (raw: numbers, strings, None)."""
    summary = run.summary
    config = flatten(run.config)
    fixed: dict[str, Any] = {
        "id": run.id,
        "name": run.name,
        "project": run.project,
        "state": run.state,
        "group": run.group or "",
        "tags": ", ".join(run.tags),
        "created": run.created_at,
        "duration": run.duration,
    }
    values = []
    for column in shown:
        if column.startswith("metric:"):
            values.append(summary.get(column[len("metric:") :]))
        elif column.startswith("config:"):
            values.append(config.get(column[len("config:") :]))
        else:
            values.append(fixed.get(column))
    return values


def _table(found: Sequence[ListedRun], shown: list[str], title: str | None, caption: str) -> Table:
    table = Table(title=title, caption=caption)
    for column in shown:
        if ":" in column:
            table.add_column(Text(_header(column)), justify="right")
        else:
            table.add_column(
                column,
                no_wrap=column in _NO_WRAP,
                min_width=_MIN_WIDTH.get(column),
                style="cyan" if column == "id" else None,
                overflow="fold",
            )
    for run in found:
        row: list[RenderableType] = []
        for column, value in zip(shown, _cells(run, shown), strict=True):
            if column == "state":
                row.append(render.state_text(run.state))
            elif column == "created":
                row.append(render.when(run.created_at))
            elif column == "duration":
                row.append(render.duration(run.duration))
            elif ":" in column:
                row.append(render.cell(value) if value is not None else "")
            else:
                row.append(Text(str(value)))
        table.add_row(*row)
    return table


def _write_csv(found: Sequence[ListedRun], shown: Sequence[str]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow([_header(c) for c in shown])
    for run in found:
        writer.writerow([_csv_value(v) for v in _cells(run, shown)])


def _csv_value(v: Any) -> str:
    """Full precision (a CSV is for programs): NaN and ±inf spelled as in JSON."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return render.jsonable(v) if not math.isfinite(v) else repr(v)
    if isinstance(v, (dict, list)):
        return render.dumps(v)
    return str(v)


def metric_columns(found: Sequence[ListedRun], sort: Sequence[str]) -> list[str]:
    """The summary keys worth a column: those sorted by, then the most common ones."""
    chosen = []
    for term in sort:
        field = term.lstrip("-+")
        for prefix in ("metrics.", "summary."):
            if field.startswith(prefix):
                chosen.append(field[len(prefix) :])
    counts = Counter(k for run in found for k in run.summary if not k.startswith("system/"))
    for key, _ in sorted(counts.items(), key=lambda kc: (-kc[1], kc[0])):
        if key not in chosen:
            chosen.append(key)
    return chosen


def _caption(shown: int, total: int) -> str:
    if shown < total:
        return f"{shown} of {total} runs (--limit 0 shows all)"
    return f"{total} run{'s' * (total != 1)}"


@runs.command()
@click.argument("run_id", metavar="RUN")
@click.option("--json", "as_json", is_flag=True, help="Print the run as one JSON object.")
def show(run_id: str, as_json: bool) -> None:
    """Show a run: config, summary, git and environment, files, artifacts."""
    from heron.cli.show import print_run, run_json

    run = open_api().run(run_id)
    if as_json:
        click.echo(render.dumps(run_json(run, full=True)))
    else:
        print_run(render.stdout(), run)


@runs.command()
@click.argument("run_a", metavar="RUN_A")
@click.argument("run_b", metavar="RUN_B")
@click.option("--all", "show_all", is_flag=True, help="Also list the values that are equal.")
def diff(run_a: str, run_b: str, show_all: bool) -> None:
    """Compare two runs: config, summary, git, environment and packages."""
    api = open_api()
    from heron.cli.diff import print_diff

    print_diff(render.stdout(), api.run(run_a), api.run(run_b), show_all)


@runs.command()
@click.argument("run_id", metavar="RUN")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines until the run ends.")
@click.option(
    "-n", "--tail", type=click.IntRange(min=0), metavar="N", help="Start with the last N lines."
)
def logs(run_id: str, follow: bool, tail: int | None) -> None:
    """Print what a run printed: its captured stdout (to stdout) and stderr (to stderr).

    With --follow, a line still being redrawn (a progress bar) is printed once it is
    finished.
    """
    run = open_api().run(run_id)
    for line in run.console_lines(tail=tail, follow=follow):
        click.echo(line.text, err=line.stream == "stderr")


@runs.command()
@click.argument("run_ids", metavar="RUN...", nargs=-1, required=True)
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--force", is_flag=True, help="Delete runs that are still running too.")
def rm(run_ids: tuple[str, ...], yes: bool, force: bool) -> None:
    """Delete runs with their metrics (artifact bytes are freed by `heron gc`)."""
    api = open_api()
    doomed = [api.run(run_id) for run_id in dict.fromkeys(run_ids)]  # unknown ids fail here
    out = render.stdout()
    for run in doomed:
        out.print(
            f"  {run.id}  {escape(run.name)}  ({run.project}, {render.state_text(run.state)})"
        )
    if not yes:
        click.confirm(f"Delete {len(doomed)} run{'s' * (len(doomed) != 1)}?", abort=True)
    deleted = api.delete_runs([r.id for r in doomed], force=force)
    from heron.api import DEFAULT_GC_GRACE

    out.print(
        f"Deleted {deleted} run{'s' * (deleted != 1)}. Artifact bytes no other run uses are "
        f"freed by `heron gc --yes` once older than {DEFAULT_GC_GRACE:g} s (`heron gc --grace "
        "0 --yes` frees them now, when no run is logging into this store).",
        markup=False,
    )
