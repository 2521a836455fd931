"""``heron gc``: free the artifact blobs that no run file or artifact version references."""

from __future__ import annotations

import click
from rich.table import Table

from heron.api import DEFAULT_GC_GRACE
from heron.cli import render
from heron.cli.context import open_api

LISTED = 20  # the dry run names this many blobs, then counts the rest
BATCH = 200  # blobs deleted between progress updates


@click.command()
@click.option("-y", "--yes", is_flag=True, help="Delete the blobs (default: a dry run).")
@click.option(
    "--grace",
    type=click.FloatRange(min=0),
    default=DEFAULT_GC_GRACE,
    show_default=True,
    metavar="SECONDS",
    help="Spare blobs younger than this: a run may be about to reference them.",
)
def gc(yes: bool, grace: float) -> None:
    """List (or with --yes delete) blobs no run or artifact uses any more."""
    api = open_api(local=True)
    out = render.stdout()
    orphans = api.orphaned_blobs(grace)
    total = sum(b.size for b in orphans)
    if not orphans:
        out.print(f"No orphaned blobs older than {grace:g} s in {api.root}.", markup=False)
        young = api.orphaned_blobs(0) if grace > 0 else []
        if young:
            out.print(
                f"{len(young)} younger orphaned blobs ({render.size(sum(b.size for b in young))})"
                " are spared: a run may be about to reference them. `heron gc --grace 0 "
                "--yes` deletes them now, when no run is logging into this store.",
                markup=False,
            )
        return
    table = Table("blob", "size", "modified", caption=_caption(len(orphans), total))
    for blob in orphans[:LISTED]:
        table.add_row(blob.digest, render.size(blob.size), render.when(blob.modified))
    out.print(table)
    if not yes:
        again = "" if grace == DEFAULT_GC_GRACE else f" --grace {grace:g}"
        out.print(f"Dry run: nothing deleted. `heron gc --yes{again}` deletes them.", markup=False)
        return
    count = freed = 0
    with render.progress(render.stderr()) as bar:
        task = bar.add_task("deleting", total=len(orphans), detail="")
        for start in range(0, len(orphans), BATCH):
            chunk = orphans[start : start + BATCH]
            n, size = api.delete_blobs(chunk)
            count, freed = count + n, freed + size
            bar.update(task, advance=len(chunk), detail=render.size(freed))
    out.print(f"Deleted {count} blobs, freed {render.size(freed)}.")


def _caption(count: int, total: int) -> str:
    more = f", {count - LISTED} not listed" if count > LISTED else ""
    return f"{count} orphaned blobs, {render.size(total)}{more}"
