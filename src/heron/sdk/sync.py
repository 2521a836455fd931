"""``heron sync``: ship what dead and offline runs left in a store folder's spools.

Each spool goes where its run belongs: the folder's own store, or the server its
``target`` file names (an offline or dead run logged to ``heron server``). Then the
running runs whose heartbeat went stale, with no live writer here, are marked
crashed. Safe to repeat: every record is stored exactly once.

A spool that cannot be shipped is kept and reported, and the others still ship:
``unreachable`` when its server is down (try again later), ``failed`` when it is
corrupt or its store refuses it (``Failed.reason`` says which file and what to do).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from heron.connect import connect, locate
from heron.errors import HeronError, Unavailable
from heron.local_dir import LocalDir
from heron.sdk.backend import Backend, LocalBackend, backend_for
from heron.sdk.distributed import RankBackend, rank_spool_roots
from heron.sdk.recovery import Failed, Recovered, failure_reason, recover_spool, spool_target
from heron.sdk.spool import iter_spools
from heron.settings import Settings

if TYPE_CHECKING:
    import httpx

__all__ = ["SyncProgress", "SyncReport", "sync", "sync_spools"]

# progress(spools done, spools total, points shipped so far)
SyncProgress = Callable[[int, int, int], None]


@dataclass(frozen=True)
class SyncReport:
    """What a sync did: spools shipped, runs marked crashed, spools kept."""

    shipped: tuple[Recovered, ...] = ()
    reaped: tuple[str, ...] = ()  # running runs with a stale heartbeat and nothing to ship
    unreachable: tuple[str, ...] = ()  # spools of runs whose server could not be reached
    failed: tuple[Failed, ...] = ()  # spools that could not be shipped (corrupt, refused)

    @property
    def crashed(self) -> tuple[str, ...]:
        """Every run this sync marked crashed."""
        return tuple(r.run_id for r in self.shipped if r.crashed) + self.reaped

    @property
    def points(self) -> int:
        return sum(r.points for r in self.shipped)


def sync_spools(
    folder: LocalDir,
    local: Backend,
    settings: Settings,
    *,
    progress: SyncProgress | None = None,
    transport: httpx.BaseTransport | None = None,
) -> SyncReport:
    """Ship every dead spool in ``folder.spool``: the local store's through ``local``,
    a server's through a connection to it (``transport``: an in-process app in
    tests). Reaps nothing (see :func:`sync`)."""
    folders = list(iter_spools(folder.spool))
    ranks: dict[Path, int] = {}  # spools of ranks 1..N of distributed runs (stream k)
    for root, rank in rank_spool_roots(folder):
        ranks.update((spool, rank) for spool in iter_spools(root))
    folders += ranks
    shipped: list[Recovered] = []
    unreachable: list[str] = []
    failed: list[Failed] = []
    remotes: dict[str, Backend] = {}
    points = 0

    def on_batch(_run_id: str, count: int) -> None:
        nonlocal points
        points += count
        if progress is not None:
            progress(len(shipped), len(folders), points)

    try:
        for done, spool in enumerate(folders, 1):
            try:
                backend = _backend_of(spool, local, remotes, settings, transport)
                if spool in ranks:
                    backend = RankBackend(backend, ranks[spool])
                result = recover_spool(spool, backend, on_batch)
                if result is not None and spool in ranks:  # a rank's end is not its run's
                    result = replace(result, crashed=False)
            except Unavailable:
                unreachable.append(spool.name)  # kept for the next sync
                result = None
            except HeronError as exc:
                failed.append(Failed(spool.name, spool, failure_reason(spool, exc)))
                result = None
            if result is not None:
                shipped.append(result)
            if progress is not None:
                progress(done, len(folders), points)
    finally:
        for remote in remotes.values():
            remote.close()
    return SyncReport(tuple(shipped), (), tuple(unreachable), tuple(failed))


def _backend_of(
    spool: Path,
    local: Backend,
    remotes: dict[str, Backend],
    settings: Settings,
    transport: httpx.BaseTransport | None,
) -> Backend:
    url = spool_target(spool)
    if url is None:
        return local
    if url not in remotes:
        conn = connect(url, settings=settings, transport=transport)
        if not conn.remote:
            conn.close()
            raise HeronError(
                f"{spool / 'target'} names {url!r}, which is not a Heron server's address"
            )
        remotes[url] = backend_for(conn, local.folder)
    return remotes[url]


def sync(
    target: str | Path | None = None,
    *,
    settings: Settings,
    progress: SyncProgress | None = None,
    transport: httpx.BaseTransport | None = None,
) -> tuple[str, SyncReport]:
    """Sync the store folder ``target`` (default as everywhere: HERON_URL, HERON_DIR,
    ./heron-runs): ship its dead spools, then mark crashed the runs whose heartbeat
    went stale. Returns where it looked and what it did. A server has no spools of
    this machine: nothing to do there. A folder that holds only spools (runs logged
    to a server, offline) gets a store of its own."""
    location = locate(target, settings)
    folder = location.folder
    if folder is None:
        return str(location), SyncReport()
    conn = connect(folder.root, settings=settings, create=folder.spool.is_dir())
    try:
        store, blobs = conn.maintenance()
        local = LocalBackend(folder, store, blobs, online=False)
        report = sync_spools(folder, local, settings, progress=progress, transport=transport)
        reaped = local.tracking.reap_stale(settings.crash_after, folder.writer_alive)
    finally:
        conn.close()
    return str(folder.root), _with_reaped(report, reaped)


def _with_reaped(report: SyncReport, reaped: list[str]) -> SyncReport:
    return SyncReport(report.shipped, tuple(reaped), report.unreachable, report.failed)
