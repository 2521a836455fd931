"""The rules of Heron, in one layer: every write (and every authorised read) passes here.

The HTTP routes, ``heron.Api``, the CLI and the SDK's in-process backend are skins over
:class:`Tracking`: they translate to and from it and hold no rule of their own.

- :mod:`~heron.service.access`: who may do what (the one authorisation check);
- :mod:`~heron.service.notify`: live clients hear of every change as a consequence of
  the write, not as a duty of each route;
- :mod:`~heron.service.names`: a query's unknown project or key is an error with
  "did you mean" (``Tracking.check_query``), for every skin alike;
- :mod:`~heron.service.runs`: create, edit, delete (the running-run policy), bulk
  actions, ingest with retention's orphaned blobs freed, heartbeats and crashes;
  ``Maintenance``: the store-wide blob garbage collection.
"""

from heron.service.access import LOCAL, Action, Caller, authorize, authorize_somewhere
from heron.service.names import QueryWarning, did_you_mean
from heron.service.notify import SILENT, Notifier
from heron.service.runs import (
    DEFAULT_GC_GRACE,
    MAX_BULK_RUNS,
    ORPHAN_GRACE_SECONDS,
    BulkFailure,
    BulkRequest,
    BulkResult,
    Maintenance,
    Tracking,
    free_orphans,
)

__all__ = [
    "DEFAULT_GC_GRACE",
    "LOCAL",
    "MAX_BULK_RUNS",
    "ORPHAN_GRACE_SECONDS",
    "SILENT",
    "Action",
    "BulkFailure",
    "BulkRequest",
    "BulkResult",
    "Caller",
    "Maintenance",
    "Notifier",
    "QueryWarning",
    "Tracking",
    "authorize",
    "authorize_somewhere",
    "did_you_mean",
    "free_orphans",
]
