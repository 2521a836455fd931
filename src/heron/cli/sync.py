"""``heron sync``: ship what dead or offline runs left in the spool."""

from __future__ import annotations

import click

from heron.cli import render
from heron.cli.context import open_api


@click.command()
@click.argument("path", required=False)
def sync(path: str | None) -> None:
    """Ship what dead and offline runs left in the spool.

    PATH is the store's folder (default: --dir). Runs logged to a server
    (HERON_URL) offline or by a process that died are shipped to that server. Runs
    whose process died are marked crashed. Safe to repeat: every record is stored
    exactly once.
    """
    api = open_api(path, recover=False, local=True)  # recover here, where the bar shows it
    err, out = render.stderr(), render.stdout()
    with render.progress(err) as bar:
        task = bar.add_task("shipping", total=None, detail="")

        def show(done: int, total: int, points: int) -> None:
            bar.update(task, completed=done, total=total, detail=f"{points} points")

        report = api.sync(progress=show)
    for run_id in report.unreachable:
        err.print(f"kept {run_id}: its server could not be reached; run heron sync again later")
    if not report.shipped and not report.reaped:
        out.print(
            f"Nothing to sync in {api.root}: no dead run's spool, no stale run.", markup=False
        )
        return
    for r in report.shipped:
        ended = " (marked crashed)" if r.crashed else ""
        out.print(f"shipped {r.run_id}: {r.points} points in {r.batches} batches{ended}")
    for run_id in report.reaped:
        out.print(f"marked crashed {run_id}: no heartbeat and nothing left to ship")
    out.print(
        f"{len(report.shipped)} spools shipped ({report.points} points); "
        f"{len(report.crashed)} runs marked crashed."
    )
