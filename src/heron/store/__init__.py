"""Storage of runs, metrics and artifact metadata (the contracts: ``heron.store.base``:
``RunStore`` for clients, ``MaintenanceStore`` and ``BlockReads`` beside the database,
``Store`` for all of them).

The contract's names are loaded from ``heron.store.base`` on first use. ``open_store(url)``
opens the SQL store; SQLAlchemy and the drivers are imported only then, so that code
that merely builds batches (the SDK's hot path) stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from heron.store.base import (
        ArtifactVersion,
        Batch,
        Event,
        FileEntry,
        IngestResult,
        MaintenanceStore,
        MetricSummary,
        ProjectInfo,
        ProjectKeys,
        RunChange,
        RunInfo,
        RunSpec,
        RunStore,
        RunTable,
        Series,
        Store,
    )
    from heron.store.sql import SqlStore

__all__ = [
    "ArtifactVersion",
    "Batch",
    "Event",
    "FileEntry",
    "IngestResult",
    "MaintenanceStore",
    "MetricSummary",
    "ProjectInfo",
    "ProjectKeys",
    "RunChange",
    "RunInfo",
    "RunSpec",
    "RunStore",
    "RunTable",
    "Series",
    "Store",
    "open_store",
]


def __getattr__(name: str) -> Any:
    """The contract's names, from ``heron.store.base`` on first use: a process that
    imports one module of the package (``heron.store.lite`` for ``heron runs ls``)
    does not build every class of the contract."""
    if name in __all__ and name != "open_store":
        from heron.store import base

        return getattr(base, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def open_store(url: str) -> SqlStore:
    """Open (creating or upgrading as needed) the store at a SQLAlchemy URL:
    ``sqlite:////abs/path/heron.db`` or ``postgresql+psycopg://user@host/db``.

    Raises StoreError when the database cannot be opened or migrated.
    """
    from heron.store.sql import SqlStore

    return SqlStore(url)
