"""``SqlRegistry``: the :class:`~heron.registry.base.Registry` in the store's database.

It shares the :class:`~heron.store.sql.SqlStore`'s engine and transactions (with
their SQLite-lock and PostgreSQL-deadlock retries): one call, one transaction.
Events are announced to subscribers (the webhook dispatcher) only after the
transaction committed, and only once even when a retry ran the work twice.
"""

from __future__ import annotations

import dataclasses
import secrets
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlalchemy.engine import Connection

from heron.artifacts.base import BlobStore
from heron.errors import InvalidInput
from heron.registry import requests, rules, sql_changes, sql_reads, sql_webhooks
from heron.registry.base import (
    Actor,
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
from heron.registry.webhooks import WebhookDispatcher, check_secret
from heron.sealing import Sealer
from heron.store.sql import SqlStore

T = TypeVar("T")
_PROCESS_SEALER = Sealer(secrets.token_urlsafe(32))  # registries built without settings
Listener = Callable[[Sequence[ModelEvent]], None]


class SqlRegistry:
    """The registry tables of ``store``'s database. ``blobs``: when given, files of a
    new version must already be in it (a server checks client uploads this way).
    ``egress``: the policy webhook URLs are checked against when added."""

    def __init__(
        self,
        store: SqlStore,
        *,
        blobs: BlobStore | None = None,
        egress: EgressPolicy | None = None,
        sealer: Sealer | None = None,
    ) -> None:
        self.store = store
        self._tx = store.transactor
        self._blobs = blobs
        self.egress = egress if egress is not None else EgressPolicy()
        # webhook secrets are sealed at rest; without a sealer, with this process's key
        self.sealer = sealer if sealer is not None else _PROCESS_SEALER
        self._listeners: list[Listener] = []
        self._dispatcher: WebhookDispatcher | None = None

    def __repr__(self) -> str:
        return f"SqlRegistry({self.store!r})"

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener`` with the events of every committed change."""
        self._listeners.append(listener)

    def deliver_with(self, dispatcher: WebhookDispatcher) -> None:
        """Hand every committed change to ``dispatcher``; :meth:`wait_for_webhooks`
        then waits for it. (Closing it stays the caller's job.)"""
        self._dispatcher = dispatcher
        self.subscribe(dispatcher.publish)

    def _change(self, work: Callable[[Connection, float], tuple[T, Changes]]) -> T:
        result, changes = self._tx.write(lambda conn: work(conn, time.time()))
        if changes.events:
            for listener in self._listeners:
                listener(changes.events)
        return result

    # --- models -------------------------------------------------------------
    def create_model(
        self, request: requests.NewModel, actor: Actor, *, exist_ok: bool = False
    ) -> RegisteredModel:
        return self._tx.write(
            lambda conn: sql_changes.create_model(
                conn, request, actor, time.time(), exist_ok=exist_ok
            )
        )

    def update_model(
        self, name: str, request: requests.ModelUpdate, actor: Actor
    ) -> RegisteredModel:
        return self._tx.write(
            lambda conn: sql_changes.update_model(conn, name, request, actor, time.time())
        )

    def get_model(self, name: str) -> RegisteredModel:
        return self._tx.read(lambda conn: sql_reads.one_model(conn, name))

    def list_models(self) -> list[RegisteredModel]:
        return self._tx.read(sql_reads.models)

    # --- edits (RegistryEdits) ------------------------------------------------
    def update_version(
        self, name: str, version: int, request: requests.VersionUpdate, actor: Actor
    ) -> ModelVersion:
        return self._tx.write(
            lambda conn: sql_changes.update_version(conn, name, version, request, time.time())
        )

    def delete_version(self, name: str, version: int, actor: Actor) -> None:
        self._change(
            lambda conn, now: (
                None,
                sql_changes.delete_version(conn, name, version, actor, now),
            )
        )

    def rename_model(self, name: str, new_name: str, actor: Actor) -> RegisteredModel:
        return self._tx.write(
            lambda conn: sql_changes.rename_model(conn, name, new_name, time.time())
        )

    def delete_model(self, name: str, actor: Actor) -> None:
        self._tx.write(lambda conn: sql_changes.delete_model(conn, name, actor))

    # --- versions -----------------------------------------------------------
    def create_version(self, name: str, request: requests.NewVersion, actor: Actor) -> ModelVersion:
        files = rules.check_files(request.files)
        if self._blobs is not None:
            missing = [f.digest for f in files if not self._blobs.has(f.digest)]
            if missing:
                raise InvalidInput(
                    f"{len(missing)} file(s) of the new version are not in the artifact "
                    f"store (first: {missing[0]}); upload them (PUT /blobs/DIGEST) first"
                )
        return self._change(
            lambda conn, now: sql_changes.create_version(conn, name, request, actor, now)
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
    def transition(self, name: str, request: requests.Transition, actor: Actor) -> ModelVersion:
        return self._change(
            lambda conn, now: sql_changes.transition(conn, name, request, actor, now)
        )

    def set_alias(self, name: str, request: requests.AliasMove, actor: Actor) -> ModelVersion:
        return self._change(
            lambda conn, now: sql_changes.set_alias(conn, name, request, actor, now)
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

    def rollback(self, name: str, request: requests.Rollback, actor: Actor) -> ModelVersion | None:
        return self._change(lambda conn, now: sql_changes.rollback(conn, name, request, actor, now))

    def history(self, name: str) -> list[HistoryEntry]:
        return self._tx.read(lambda conn: sql_reads.history(conn, sql_reads.model_row(conn, name)))

    # --- webhooks -----------------------------------------------------------
    def add_webhook(self, request: requests.NewWebhook, actor: Actor) -> Webhook:
        rules.require_admin(actor, "add webhooks")
        parse_url(request.url)
        events = sql_webhooks.check_events(request.events)
        secret = self.sealer.seal(check_secret(request.secret))  # never stored in clear
        self.egress.check(request.url)  # resolves the host: outside the transaction
        return self._tx.write(
            lambda conn: sql_webhooks.add(
                conn, request.url, events, secret, actor.name, request.model, time.time()
            )
        )

    def webhooks(self, model: str | None = None) -> list[Webhook]:
        return self._tx.read(lambda conn: sql_webhooks.listed(conn, model))

    def remove_webhook(self, webhook_id: int, actor: Actor) -> None:
        rules.require_admin(actor, "remove webhooks")
        self._tx.write(lambda conn: sql_webhooks.remove(conn, int(webhook_id)))

    def deliveries(self, webhook_id: int, limit: int = 100) -> list[Delivery]:
        return self._tx.read(lambda conn: sql_webhooks.deliveries(conn, int(webhook_id), limit))

    def wait_for_webhooks(self, timeout: float | None = None) -> bool:
        """Block until the attached dispatcher delivered (or gave up on) every event
        announced so far; True when nothing is pending (or no dispatcher is attached)."""
        return True if self._dispatcher is None else self._dispatcher.wait(timeout)

    # --- for the dispatcher (heron.registry.webhooks.DeliveryLog) ----------
    def webhook_targets(self, model: str, event: str) -> list[WebhookTarget]:
        found = self._tx.read(lambda conn: sql_webhooks.targets(conn, model, event))
        return [dataclasses.replace(t, secret=self.sealer.open(t.secret)) for t in found]

    def record_delivery(self, attempt: Delivery) -> None:
        self._tx.write(lambda conn: sql_webhooks.record(conn, attempt))
