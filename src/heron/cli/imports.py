"""``heron import``: runs from MLflow, TensorBoard or W&B, with progress bars.

A skin over :mod:`heron.importers`: the store is the one every command opens
(``heron --dir``, HERON_URL, HERON_DIR...), created if it does not exist yet; a second
import of the same source adds nothing, an interrupted one resumes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from heron import connect as connecting
from heron.cli.context import cli_state
from heron.importers import ImportReport
from heron.importers import Progress as ImportProgress
from heron.service import Tracking


class Bars(ImportProgress):
    """Two bars: runs done, points written."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.runs: TaskID = progress.add_task("runs", total=None)
        self.points_task: TaskID = progress.add_task("points", total=None)

    def start(self, total_runs: int) -> None:
        self.progress.update(self.runs, total=total_runs)

    def run_started(self, name: str) -> None:
        self.progress.update(self.runs, description=f"runs ({name[:40]})")

    def points(self, count: int) -> None:
        self.progress.advance(self.points_task, count)

    def run_done(self) -> None:
        self.progress.advance(self.runs)


@contextmanager
def _tracking() -> Iterator[tuple[Tracking, connecting.Connection]]:
    state = cli_state()
    with connecting.connect(state.dir, settings=state.settings, create=True) as conn:
        yield Tracking(conn.store, conn.blobs), conn


def _run(work: Callable[[Tracking, connecting.Connection, ImportProgress], ImportReport]) -> None:
    console = Console(stderr=True)
    with _tracking() as (tracking, conn):
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=False) as progress:
            report = work(tracking, conn, Bars(progress))
    _print(report)


def _print(report: ImportReport) -> None:
    click.echo(
        f"imported {report.runs_imported} run(s), {report.points:,} point(s), "
        f"{report.files} file(s), {report.media} media; "
        f"{report.runs_skipped} run(s) already imported"
        + (
            f"; {report.models} model(s), {report.versions} version(s)"
            if report.models or report.versions
            else ""
        )
    )
    for line in report.skipped:
        click.echo(f"skipped: {line}")
    for line in report.failed:
        click.echo(f"failed: {line}", err=True)
    if report.failed:
        raise SystemExit(1)


@click.group("import")
def import_() -> None:
    """Import runs from MLflow, TensorBoard or W&B (idempotent, resumable)."""


@import_.command("mlflow")
@click.option(
    "--tracking-uri",
    required=True,
    help="An MLflow server (http://...), an mlruns folder, or a database (sqlite:///mlflow.db).",
)
@click.option("--no-models", is_flag=True, help="Skip the model registry.")
def import_mlflow(tracking_uri: str, no_models: bool) -> None:
    """Experiments, runs (params, every metric point, tags, datasets, artifacts) and
    registered models (versions, stages, aliases) of an MLflow store."""
    from heron.importers.mlflow import import_mlflow as run_import

    _run(
        lambda tracking, conn, bars: run_import(
            tracking, tracking_uri, registry=None if no_models else conn.registry, progress=bars
        )
    )


@import_.command("tensorboard")
@click.argument("logdir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "-p", "--project", default="tensorboard", show_default=True, help="The project to import into."
)
def import_tensorboard(logdir: Path, project: str) -> None:
    """Every run directory under LOGDIR: scalars (every point), hparams, text."""
    from heron.importers.tensorboard import import_tensorboard as run_import

    _run(lambda tracking, conn, bars: run_import(tracking, logdir, project=project, progress=bars))


@import_.command("wandb")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "-p", "--project", default=None, help="The project (default: each run's own W&B project)."
)
def import_wandb(folder: Path, project: str | None) -> None:
    """W&B offline runs (``wandb/offline-run-*`` folders, or one of them): config,
    history, summary, files."""
    from heron.importers.wandb import import_wandb as run_import

    _run(lambda tracking, conn, bars: run_import(tracking, folder, project=project, progress=bars))
