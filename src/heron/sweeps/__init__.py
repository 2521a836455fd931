"""Hyperparameter sweeps: a W&B-like YAML (``spec``), an Optuna study beside Heron's
database (``study``), the rules over it (``service``), the same calls over a server
(``remote``) and the agent that runs trials as processes (``agent``).

Needs the ``sweeps`` extra (optuna, pyyaml, cmaes). See docs/sweeps.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from heron.sweeps.base import SweepService
from heron.sweeps.spec import SweepSpec, load_spec, parse_spec

if TYPE_CHECKING:
    from heron.connect import Connection

__all__ = ["SweepService", "SweepSpec", "load_spec", "open_sweeps", "parse_spec"]


def open_sweeps(connection: Connection) -> SweepService:
    """The sweeps of ``connection``'s store (``heron.connect`` decided where it is): over
    its server's REST API, or beside its database as the local administrator. Close it
    when done (the connection stays open)."""
    if connection.http is not None:
        from heron.sweeps.remote import RemoteSweeps

        return RemoteSweeps(connection.http)
    from heron.alerts import open_alerts
    from heron.service import Tracking
    from heron.store.sql import SqlStore
    from heron.sweeps.service import LocalSweeps
    from heron.sweeps.study import Sweeps

    store, blobs = connection.maintenance()
    sweeps = Sweeps.at(connection.location)
    # alerts: the sweep holds its group and its end raises the group's group_done alerts
    alerts = open_alerts(store, connection.settings) if isinstance(store, SqlStore) else None
    return LocalSweeps(sweeps, Tracking(store, blobs, alerts=alerts), owns=True)
