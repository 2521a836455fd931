"""``create_app``: the tracking server as an ASGI app over one Store and one ArtifactStore.

Stateless: everything lives in the store, so any number of processes may serve one
database. Sync store calls run in the threadpool (plain ``def`` routes); the event
loop only streams. Background work (change poller, crash reaper, PostgreSQL
LISTEN/NOTIFY bridge) starts and stops with the app's lifespan.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from fastapi import FastAPI

from heron.accounts import SqlAccounts
from heron.accounts.base import check_default_role as check_default
from heron.alerts import open_alerts
from heron.artifacts.base import ArtifactStore
from heron.errors import Conflict, InvalidInput
from heron.registry import open_registry
from heron.registry.base import ModelEvent
from heron.server import browser, mlflow, problems, ui
from heron.server.auth import Authenticator, AuthMiddleware
from heron.server.background import ChangePoller, Reaper, every
from heron.server.events import EventHub
from heron.server.limits import BodyLimitMiddleware
from heron.server.metrics import MetricsMiddleware, ServerMetrics
from heron.server.oidc import OidcLogin
from heron.server.routes import (
    accounts,
    analysis,
    artifacts,
    blobs,
    events,
    ingest,
    logs,
    media,
    models,
    ops,
    projects,
    runs,
    series,
    sweeps,
    views,
)
from heron.server.routes import alerts as alert_routes
from heron.server.routes import comments as comment_routes
from heron.server.routes import lineage as lineage_routes
from heron.server.routes import reports as report_routes
from heron.server.state import ServerState
from heron.service import Tracking
from heron.service.accounts import Accounts
from heron.settings import Settings
from heron.store.base import Store
from heron.store.sql import SqlStore
from heron.version import __version__

API_PREFIX = "/api/v1"
POLL_SECONDS = 1.0
REAP_SECONDS = 5.0
WEBHOOK_DRAIN_SECONDS = 5.0
PURGE_SECONDS = 3600.0  # deliveries still pending at shutdown get this long


def create_app(
    store: Store,
    artifacts_store: ArtifactStore,
    settings: Settings | None = None,
    *,
    spool_root: Path | None = None,
    static_dir: Path = ui.STATIC_DIR,
    poll_seconds: float = POLL_SECONDS,
    reap_seconds: float = REAP_SECONDS,
    auth: bool | None = None,
) -> FastAPI:
    """The server app. ``spool_root``: the local store's spool folder (``heron ui``),
    so that the reaper spares runs whose writer is alive but quiet. ``auth``: whether
    callers need accounts (None: ``settings.auth == "on"``; ``heron server`` decides
    "auto" from where it listens). The store and the artifact store stay the caller's
    to close."""
    settings = settings if settings is not None else Settings()  # the defaults, not the env
    metrics = ServerMetrics()
    hub = EventHub(on_drop=metrics.dropped.inc)
    metrics.watch_hub(lambda: hub.subscriber_count, lambda: hub.queue_depth)
    book = _accounts(store, settings, settings.auth == "on" if auth is None else auth)
    tracking = Tracking(store, artifacts_store, notifier=hub, accounts=book)
    authenticator = Authenticator(book, default_role=check_default(settings.default_role))
    rules = None if book is None else Accounts(book)
    state = ServerState(
        store, artifacts_store, settings, hub, metrics, tracking, authenticator, rules
    )
    if book is not None:
        state.sso = OidcLogin.from_settings(settings)
    if isinstance(store, SqlStore):  # the model registry lives in the store's database
        state.registry, state.webhooks = open_registry(store, settings, blobs=artifacts_store)
        tracking.alerts = open_alerts(store, settings)  # rules evaluated on ingest
        if book is not None:  # registry changes go to the audit log as they commit
            state.registry.subscribe(lambda events: _audit_models(book, events))
    poller = ChangePoller(store, hub)
    reaper = Reaper(tracking, settings.crash_after, spool_root, on_crash=metrics.crashed.inc)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        hub.start(asyncio.get_running_loop())
        bridge = None
        if store.url.startswith("postgresql"):
            from heron.server.pgbridge import PgBridge

            bridge = PgBridge(store.url, hub)
            bridge.start()
        tasks = [
            asyncio.create_task(every(poll_seconds, poller.poll_once, "the change poller")),
            asyncio.create_task(every(reap_seconds, reaper.reap_once, "the crash reaper")),
        ]
        if book is not None:  # ended browser sessions are deleted a day after they end
            purge = book.purge_expired_sessions
            tasks.append(asyncio.create_task(every(PURGE_SECONDS, purge, "the session purge")))
        if tracking.alerts is not None:  # stale-run rules: checked as often as the reaper
            stale = tracking.alerts.check_stale
            tasks.append(asyncio.create_task(every(reap_seconds, stale, "the stale-run alerts")))
        _app.state.bridge = bridge
        try:
            yield
        finally:
            hub.close()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if bridge is not None:
                await asyncio.to_thread(bridge.stop)
            if state.webhooks is not None:  # the registry's: finish what is pending, stop
                await asyncio.to_thread(state.webhooks.close, WEBHOOK_DRAIN_SECONDS)
            if tracking.alerts is not None:  # alert deliveries likewise
                await asyncio.to_thread(tracking.alerts.close, WEBHOOK_DRAIN_SECONDS)

    app = FastAPI(
        title="Heron",
        version=__version__,
        description="The Heron tracking server (docs/rest-api.md).",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # browser.install_docs: Swagger UI served from here, no CDN
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.heron = state
    problems.install(app)
    prefixes: dict[int, str] = {}  # route -> prefix, for metrics by route template
    api = [runs, ingest, projects, artifacts, blobs, series, events, logs, models, media, accounts]
    api.append(alert_routes)
    api += [sweeps, analysis]  # issue 15: sweeps, importance, comparisons
    api += [report_routes, comment_routes]  # reports, run comments (issue 16)
    api.append(views)  # saved views of a project (issue 16)
    api.append(lineage_routes)  # datasets -> runs -> checkpoints -> models (issue 17)
    for router in [m.router for m in api]:
        app.include_router(router, prefix=API_PREFIX)
        prefixes.update((id(route), API_PREFIX) for route in router.routes)
    app.include_router(ops.router)
    app.include_router(mlflow.router)  # MLflow's REST API (docs/compatibility.md)
    browser.install_docs(app)
    ui.install(app, static_dir)  # last: its catch-all must not shadow the API
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_request_bytes)
    app.add_middleware(AuthMiddleware, authenticator=authenticator)  # who calls
    app.add_middleware(MetricsMiddleware, metrics=metrics, prefixes=prefixes)
    browser.install(app, settings, static_dir)  # outermost: Host, Origin, types, headers
    return app


def _accounts(store: Store, settings: Settings, enabled: bool) -> SqlAccounts | None:
    """The store's accounts when callers need them (None: everyone is local admin);
    the first site admin is created from HERON_ADMIN_USER/HERON_ADMIN_PASSWORD."""
    if not enabled:
        return None
    if not isinstance(store, SqlStore):
        raise InvalidInput("accounts need a SQL store (a folder or a database URL)")
    book = SqlAccounts(store)
    if settings.admin_user and settings.admin_password:
        with contextlib.suppress(Conflict):  # another worker made it first
            Accounts(book).bootstrap_admin(settings.admin_user, settings.admin_password)
    return book


def _audit_models(book: SqlAccounts, events: Sequence[ModelEvent]) -> None:
    for event in events:
        target = event.model if event.version is None else f"{event.model}/{event.version}"
        history = event.history
        detail = {} if history is None else {"from": history.from_value, "to": history.to_value}
        book.audit(event.actor, f"model.{event.event}", target, detail)
