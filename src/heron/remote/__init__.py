"""Talking to ``heron server`` over HTTP: the same contracts as the local store.

``RemoteStore`` implements the :class:`~heron.store.base.RunStore` protocol and
``RemoteArtifactStore`` the :class:`~heron.artifacts.base.BlobStore` protocol, in full,
over the REST API (docs/rest-api.md), so the SDK's backend and ``heron.Api`` work
the same against a folder or a server. What runs beside a database (reaping, change
polling, garbage collection: ``MaintenanceStore``, ``BlobMaintenance``) is the
server's own business and is not offered here.
"""

from heron.remote.artifacts import RemoteArtifactStore
from heron.remote.http import HttpClient, is_url
from heron.remote.store import RemoteStore

__all__ = ["HttpClient", "RemoteArtifactStore", "RemoteStore", "is_url"]
