"""``heron sync``: ship what dead or offline runs left in the spool."""

from __future__ import annotations

import click

from heron.cli import render
from heron.cli.context import cli_state
from heron.sdk.sync import sync as sync_folder


@click.command()
@click.argument("path", required=False)
def sync(path: str | None) -> None:
    """Ship what dead and offline runs left in the spool.

    PATH is the store's folder (default: --dir). Runs logged to a server
    (HERON_URL) offline or by a process that died are shipped to that server. Runs
    whose process died are marked crashed. Safe to repeat: every record is stored
    exactly once. A spool that cannot be shipped (a corrupt file, a batch the store
    refuses) is kept and named, the others still ship, and the exit status is 1.
    """
    state = cli_state()
    target = path if path is not None else state.dir  # local spools: not HERON_URL
    err, out = render.stderr(), render.stdout()
    with render.progress(err) as bar:
        task = bar.add_task("shipping", total=None, detail="")

        def show(done: int, total: int, points: int) -> None:
            bar.update(task, completed=done, total=total, detail=f"{points} points")

        where = target if target is not None else state.settings.dir
        root, report = sync_folder(where, settings=state.settings, progress=show)
    for run_id in report.unreachable:
        err.print(
            f"kept {run_id}: its server could not be reached; run heron sync again later",
            markup=False,
            soft_wrap=True,
        )
    for failure in report.failed:
        err.print(f"kept {failure.run_id}: {failure.reason}", markup=False, soft_wrap=True)
    if not report.shipped and not report.reaped:
        if not report.failed and not report.unreachable:
            out.print(
                f"Nothing to sync in {root}: no dead run's spool, no stale run.", markup=False
            )
    else:
        for r in report.shipped:
            ended = " (marked crashed)" if r.crashed else ""
            out.print(f"shipped {r.run_id}: {r.points} points in {r.batches} batches{ended}")
        for run_id in report.reaped:
            out.print(f"marked crashed {run_id}: no heartbeat and nothing left to ship")
        out.print(
            f"{len(report.shipped)} spools shipped ({report.points} points); "
            f"{len(report.crashed)} runs marked crashed."
        )
    if report.failed:
        raise click.exceptions.Exit(1)
