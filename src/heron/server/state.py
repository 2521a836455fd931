"""What every route needs, built once per app by ``create_app`` and reached through
``request.app.state.heron`` (never a module global: several apps may share a process)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from heron.artifacts.base import ArtifactStore
from heron.server.events import EventHub
from heron.server.metrics import ServerMetrics
from heron.service import Tracking
from heron.settings import Settings
from heron.store.base import Store

if TYPE_CHECKING:
    from heron.registry.base import Registry
    from heron.registry.webhooks import WebhookDispatcher


@dataclass
class ServerState:
    store: Store
    artifacts: ArtifactStore
    settings: Settings
    hub: EventHub
    metrics: ServerMetrics
    tracking: Tracking  # the rules: every write and every authorised read
    ping_seconds: float = 15.0  # SSE keep-alive comment interval
    registry: Registry | None = None  # the model registry (None: the store has none)
    webhooks: WebhookDispatcher | None = None  # its deliveries, stopped by the lifespan


def server_state(request: Request) -> ServerState:
    """The FastAPI dependency every route takes."""
    state: ServerState = request.app.state.heron
    return state


State = Annotated[ServerState, Depends(server_state)]
"""A route's parameter type for the app's state (``state: State``)."""
