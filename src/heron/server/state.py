"""What every route needs, built once per app by ``create_app`` and reached through
``request.app.state.heron`` (never a module global: several apps may share a process).

:func:`server_state` hands each request a view of it acting for the request's caller
(``heron.server.auth`` put it in the scope): ``state.tracking`` and ``state.accounts``
authorise that caller, so no route can forget to.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from heron.artifacts.base import ArtifactStore
from heron.server.auth import ANONYMOUS, CALLER_KEY, Authenticator, client_address
from heron.server.events import EventHub
from heron.server.metrics import ServerMetrics
from heron.server.oidc import OidcLogin
from heron.service import Tracking
from heron.service.access import Caller
from heron.service.accounts import Accounts
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
    auth: Authenticator  # credentials to callers (accounts None: everyone is local admin)
    accounts: Accounts | None = None  # the account rules (None: no accounts)
    sso: OidcLogin | None = None  # OpenID Connect sign-in, when configured
    ping_seconds: float = 15.0  # SSE keep-alive comment interval
    registry: Registry | None = None  # the model registry (None: the store has none)
    webhooks: WebhookDispatcher | None = None  # its deliveries, stopped by the lifespan

    @property
    def caller(self) -> Caller:
        return self.tracking.caller


def server_state(request: Request) -> ServerState:
    """The FastAPI dependency every route takes: the app's state, acting for the
    request's caller (anonymous when no middleware said who it is)."""
    state: ServerState = request.app.state.heron
    caller: Caller = request.scope.get(CALLER_KEY, ANONYMOUS)
    ip = client_address(request.scope)
    accounts = None if state.accounts is None else state.accounts.acting_for(caller, ip)
    return dataclasses.replace(
        state, tracking=state.tracking.with_caller(caller, ip), accounts=accounts
    )


State = Annotated[ServerState, Depends(server_state)]
"""A route's parameter type for the app's state (``state: State``)."""
