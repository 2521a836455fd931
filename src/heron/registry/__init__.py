"""The model registry behind ``heron.models`` and the server's ``/models`` routes.

``base`` is the contract (objects and the :class:`Registry` protocol), ``requests``
what each change asks for (one dataclass per change, passed through every layer), ``rules`` the
checks and the rollback stack, ``sql*`` the implementation in the store's database,
``egress`` and ``webhooks`` the outbound notifications, ``uri`` the ``models:/``
addresses. :func:`open_registry` wires a registry with its webhook dispatcher.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from heron.registry.base import (
    EVENTS,
    STAGES,
    Actor,
    DeliversWebhooks,
    Delivery,
    HistoryEntry,
    ModelEvent,
    ModelVersion,
    RegisteredModel,
    Registry,
    Webhook,
)
from heron.registry.requests import (
    AliasMove,
    ModelUpdate,
    NewModel,
    NewVersion,
    NewWebhook,
    Rollback,
    Transition,
)

if TYPE_CHECKING:
    from heron.artifacts.base import BlobStore
    from heron.registry.sql import SqlRegistry
    from heron.registry.webhooks import WebhookDispatcher
    from heron.settings import Settings
    from heron.store.sql import SqlStore

__all__ = [
    "EVENTS",
    "STAGES",
    "Actor",
    "AliasMove",
    "DeliversWebhooks",
    "Delivery",
    "HistoryEntry",
    "ModelEvent",
    "ModelUpdate",
    "ModelVersion",
    "NewModel",
    "NewVersion",
    "NewWebhook",
    "RegisteredModel",
    "Registry",
    "Rollback",
    "Transition",
    "Webhook",
    "open_registry",
]


def open_registry(
    store: SqlStore,
    settings: Settings,
    *,
    blobs: BlobStore | None = None,
) -> tuple[SqlRegistry, WebhookDispatcher]:
    """A registry over ``store`` whose committed changes go to a webhook dispatcher
    (egress policy from ``settings.webhook_allow``). Close the dispatcher when done.
    ``blobs``: the artifact store the files of new versions must already be in."""
    from heron.registry.egress import EgressPolicy
    from heron.registry.sql import SqlRegistry
    from heron.registry.webhooks import WebhookDispatcher
    from heron.sealing import Sealer

    policy = EgressPolicy.parse(settings.webhook_allow)
    registry = SqlRegistry(store, blobs=blobs, egress=policy, sealer=Sealer.from_settings(settings))
    dispatcher = WebhookDispatcher(registry, policy)
    registry.deliver_with(dispatcher)
    return registry, dispatcher
