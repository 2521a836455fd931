"""Storage of runs, metrics and artifact metadata (the contracts: ``heron.store.base``:
``RunStore`` for clients, ``MaintenanceStore`` and ``BlockReads`` beside the database,
``Store`` for all of them).

``open_store(url)`` opens the SQL store; SQLAlchemy and the drivers are imported only
then, so that code that merely builds batches (the SDK's hot path) stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
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


def open_store(url: str) -> SqlStore:
    """Open (creating or upgrading as needed) the store at a SQLAlchemy URL:
    ``sqlite:////abs/path/heron.db`` or ``postgresql+psycopg://user@host/db``.

    Raises StoreError when the database cannot be opened or migrated.
    """
    from heron.store.sql import SqlStore

    return SqlStore(url)
