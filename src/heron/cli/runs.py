"""``heron runs``: list, show, compare and delete runs, and print their console."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import click
from rich.console import Console, RenderableType
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from heron.api import ApiRun
from heron.cli import render
from heron.cli.context import open_api
from heron.cli.diff import print_diff
from heron.cli.show import print_run, run_json

METRIC_COLUMNS = 4
_NO_WRAP = frozenset({"id", "state", "created", "duration"})
_COLUMNS = ("id", "name", "project", "state", "group", "tags", "created", "duration")
# What goes first when the terminal is narrow (extra metrics go before all of these;
# the first metric, the one sorted by if any, just before "created").
_DROP_ORDER = ("group", "tags", "duration", "project", "created")
_MIN_WIDTH = {"name": 8, "project": 7, "tags": 4, "group": 5}


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
    "--json",
    "as_json",
    is_flag=True,
    help="Print one JSON object per run and line (JSON Lines) instead of a table.",
)
def ls(
    project: str | None, filter_: str | None, sort: tuple[str, ...], limit: int, as_json: bool
) -> None:
    """List runs as a table: state, timing and a few summary metrics."""
    api = open_api()
    found = api.runs(project, filter_, sort, limit or None)
    if as_json:
        for run in found:
            click.echo(render.dumps(run_json(run)))
        return
    out = render.stdout()
    if not found:
        hint = " Check the filter and --project." if filter_ or project else ""
        out.print(f"No runs found.{hint}")
        return
    total = api.count_runs(project, filter_) if limit and len(found) == limit else len(found)
    out.print(runs_table(found, sort, total, out))


def runs_table(found: Sequence[ApiRun], sort: Sequence[str], total: int, console: Console) -> Table:
    """The runs table, narrowed to the console: columns nobody uses (group and tags when
    empty, project when all runs share one) are left out, then columns are dropped,
    least useful first, until the table fits. Ids, states and times never wrap."""
    projects = {run.project for run in found}
    metrics = metric_columns(found, sort)[:METRIC_COLUMNS]
    columns = [c for c in _COLUMNS if c != "project" or len(projects) > 1]
    columns = [c for c in columns if c != "group" or any(r.group for r in found)]
    columns = [c for c in columns if c != "tags" or any(r.tags for r in found)]
    title = f"project {next(iter(projects))}" if len(projects) == 1 else None
    wide = console.options.update_width(1 << 16)  # measure unclamped
    drop_order = [*[f"metric:{k}" for k in reversed(metrics[1:])], *_DROP_ORDER]
    if metrics:
        drop_order.insert(-1, f"metric:{metrics[0]}")
    shown = [*columns, *(f"metric:{k}" for k in metrics)]
    while True:
        table = _table(found, shown, title, _caption(len(found), total))
        fits = Measurement.get(console, wide, table).minimum <= console.width
        droppable = [c for c in drop_order if c in shown]
        if fits or not droppable:
            return table
        shown.remove(droppable[0])


def _table(found: Sequence[ApiRun], shown: list[str], title: str | None, caption: str) -> Table:
    table = Table(title=title, caption=caption)
    for column in shown:
        if column.startswith("metric:"):
            table.add_column(Text(column[len("metric:") :]), justify="right")
        else:
            table.add_column(
                column,
                no_wrap=column in _NO_WRAP,
                min_width=_MIN_WIDTH.get(column),
                style="cyan" if column == "id" else None,
                overflow="fold",
            )
    for run in found:
        summary = run.summary
        cells: dict[str, RenderableType] = {
            "id": run.id,
            "name": Text(run.name),
            "project": Text(run.project),
            "state": render.state_text(run.state),
            "group": Text(run.group or ""),
            "tags": Text(", ".join(run.tags)),
            "created": render.when(run.created_at),
            "duration": render.duration(run.duration),
        }
        for key in summary:
            cells[f"metric:{key}"] = render.cell(summary[key])
        table.add_row(*(cells.get(column, "") for column in shown))
    return table


def metric_columns(found: Sequence[ApiRun], sort: Sequence[str]) -> list[str]:
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
    out.print(
        f"Deleted {deleted} run{'s' * (deleted != 1)}. "
        "`heron gc` frees artifact bytes no other run uses."
    )
