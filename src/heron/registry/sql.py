"""``SqlRegistry``: the :class:`~heron.registry.base.Registry` in the store's database.

It shares the :class:`~heron.store.sql.SqlStore`'s engine and transactions (with
their SQLite-lock and PostgreSQL-deadlock retries): one call, one transaction.
Events are announced to subscribers (the webhook dispatcher) only after the
transaction committed, and only once even when a retry ran the work twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from sqlalchemy.engine import Connection

from heron.artifacts.base import ArtifactStore
from heron.errors import InvalidInput
from heron.registry import rules, sql_changes, sql_reads, sql_webhooks
from heron.registry.base import (
    Actor,
    ArtifactSource,
    Delivery,
    HistoryEntry,
    ModelEvent,
    ModelVersion,
    RegisteredModel,
    Webhook,
    WebhookTarget,
)
from heron.registry.egress import EgressPolicy, parse_url
from heron.registry.sql_changes import Changes
from heron.registry.webhooks import check_secret
from heron.store.sql import SqlStore

T = TypeVar("T")
Listener = Callable[[Sequence[ModelEvent]], None]


class SqlRegistry:
    """The registry tables of ``store``'s database. ``blobs``: when given, files of a
    new version must already be in it (a server checks client uploads this way).
    ``egress``: the policy webhook URLs are checked against when added."""

    def __init__(
        self,
        store: SqlStore,
        *,
        blobs: ArtifactStore | None = None,
        egress: EgressPolicy | None = None,
    ) -> None:
        self.store = store
        self._tx = store.transactor
        self._blobs = blobs
        self.egress = egress if egress is not None else EgressPolicy()
        self._listeners: list[Listener] = []

    def __repr__(self) -> str:
        return f"SqlRegistry({self.store!r})"

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener`` with the events of every committed change."""
        self._listeners.append(listener)

    def _change(self, work: Callable[[Connection, float], tuple[T, Changes]]) -> T:
        result, changes = self._tx.write(lambda conn: work(conn, time.time()))
        if changes.events:
            for listener in self._listeners:
                listener(changes.events)
        return result

    # --- models -------------------------------------------------------------
    def create_model(
        self,
        name: str,
        actor: Actor,
        *,
        description: str = "",
        tags: Mapping[str, str] | None = None,
        protected: Sequence[str] = (),
        exist_ok: bool = False,
    ) -> RegisteredModel:
        return self._tx.write(
            lambda conn: sql_changes.create_model(
                conn,
                name,
                actor,
                time.time(),
                description=description,
                tags=tags,
                protected=protected,
                exist_ok=exist_ok,
            )
        )

    def update_model(
        self,
        name: str,
        actor: Actor,
        *,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        protected: Sequence[str] | None = None,
    ) -> RegisteredModel:
        return self._tx.write(
            lambda conn: sql_changes.update_model(
                conn,
                name,
                actor,
                time.time(),
                description=description,
                tags=tags,
                protected=protected,
            )
        )

    def get_model(self, name: str) -> RegisteredModel:
        return self._tx.read(lambda conn: sql_reads.one_model(conn, name))

    def list_models(self) -> list[RegisteredModel]:
        return self._tx.read(sql_reads.models)

    # --- versions -----------------------------------------------------------
    def create_version(
        self,
        name: str,
        source: ArtifactSource,
        actor: Actor,
        *,
        run_id: str | None = None,
        description: str = "",
        tags: Mapping[str, str] | None = None,
    ) -> ModelVersion:
        if self._blobs is not None:
            missing = [f.digest for f in source.files if not self._blobs.has(f.digest)]
            if missing:
                raise InvalidInput(
                    f"{len(missing)} file(s) of the new version are not in the artifact "
                    f"store (first: {missing[0]}); upload them (PUT /blobs/DIGEST) first"
                )
        return self._change(
            lambda conn, now: sql_changes.create_version(
                conn,
                name,
                source,
                actor,
                now,
                run_id=run_id,
                description=description,
                tags=tags,
            )
        )

    def get_version(self, name: str, version: int) -> ModelVersion:
        number = rules.check_version(version)

        def work(conn: Connection) -> ModelVersion:
            return sql_reads.one_version(conn, sql_reads.model_row(conn, name), number)

        return self._tx.read(work)

    def versions(self, name: str) -> list[ModelVersion]:
        return self._tx.read(lambda conn: sql_reads.versions(conn, sql_reads.model_row(conn, name)))

    def resolve(self, name: str, ref: str) -> ModelVersion:
        return self._tx.read(lambda conn: sql_changes.resolve(conn, name, ref))

    # --- changes ------------------------------------------------------------
    def transition(
        self,
        name: str,
        version: int,
        stage: str,
        actor: Actor,
        *,
        reason: str | None = None,
        archive_existing: bool = True,
    ) -> ModelVersion:
        return self._change(
            lambda conn, now: sql_changes.transition(
                conn,
                name,
                version,
                stage,
                actor,
                now,
                reason=reason,
                archive_existing=archive_existing,
            )
        )

    def set_alias(
        self, name: str, version: int, alias: str, actor: Actor, *, reason: str | None = None
    ) -> ModelVersion:
        return self._change(
            lambda conn, now: sql_changes.set_alias(
                conn, name, version, alias, actor, now, reason=reason
            )
        )

    def remove_alias(
        self, name: str, alias: str, actor: Actor, *, reason: str | None = None
    ) -> None:
        self._change(
            lambda conn, now: (
                None,
                sql_changes.remove_alias(conn, name, alias, actor, now, reason=reason),
            )
        )

    def rollback(
        self,
        name: str,
        actor: Actor,
        *,
        stage: str | None = None,
        alias: str | None = None,
        reason: str | None = None,
    ) -> ModelVersion | None:
        return self._change(
            lambda conn, now: sql_changes.rollback(
                conn, name, actor, now, stage=stage, alias=alias, reason=reason
            )
        )

    def history(self, name: str) -> list[HistoryEntry]:
        return self._tx.read(lambda conn: sql_reads.history(conn, sql_reads.model_row(conn, name)))

    # --- webhooks -----------------------------------------------------------
    def add_webhook(
        self,
        url: str,
        events: Sequence[str],
        secret: str,
        actor: Actor,
        *,
        model: str | None = None,
    ) -> Webhook:
        rules.require_admin(actor, "add webhooks")
        parse_url(url)
        checked_events = sql_webhooks.check_events(events)
        check_secret(secret)
        self.egress.check(url)  # resolves the host: outside the transaction
        return self._tx.write(
            lambda conn: sql_webhooks.add(
                conn, url, checked_events, secret, actor.name, model, time.time()
            )
        )

    def webhooks(self, model: str | None = None) -> list[Webhook]:
        return self._tx.read(lambda conn: sql_webhooks.listed(conn, model))

    def remove_webhook(self, webhook_id: int, actor: Actor) -> None:
        rules.require_admin(actor, "remove webhooks")
        self._tx.write(lambda conn: sql_webhooks.remove(conn, int(webhook_id)))

    def deliveries(self, webhook_id: int, limit: int = 100) -> list[Delivery]:
        return self._tx.read(lambda conn: sql_webhooks.deliveries(conn, int(webhook_id), limit))

    # --- for the dispatcher (heron.registry.webhooks.DeliveryLog) ----------
    def webhook_targets(self, model: str, event: str) -> list[WebhookTarget]:
        return self._tx.read(lambda conn: sql_webhooks.targets(conn, model, event))

    def record_delivery(
        self,
        webhook_id: int,
        delivery: str,
        event: str,
        attempt: int,
        status: str,
        response_code: int | None,
        error: str | None,
    ) -> None:
        self._tx.write(
            lambda conn: sql_webhooks.record(
                conn,
                webhook_id,
                delivery,
                event,
                attempt,
                status,
                response_code,
                error,
                time.time(),
            )
        )
