"""Webhooks and their delivery log in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.sql import Select

from heron.errors import InvalidInput, NotFound
from heron.registry import sql_reads as reads
from heron.registry.base import EVENTS, Delivery, EventName, Webhook, WebhookTarget
from heron.store import schema as s
from heron.store.values import dumps, loads

_w = s.webhooks.c
_d = s.webhook_deliveries.c
_m = s.registered_models.c


def check_events(events: Sequence[str]) -> tuple[EventName, ...]:
    if isinstance(events, str):
        events = [events]
    out: list[EventName] = []
    for name in events:
        if name not in EVENTS:
            raise InvalidInput(f"webhook event {name!r} is not one of {', '.join(EVENTS)}")
        out.extend(e for e in EVENTS if e == name and e not in out)
    if not out:
        raise InvalidInput(f"a webhook needs at least one event: {', '.join(EVENTS)}")
    return tuple(out)


def add(
    conn: Connection,
    url: str,
    events: tuple[EventName, ...],
    secret: str,
    actor_name: str,
    model: str | None,
    now: float,
) -> Webhook:
    model_id = None if model is None else reads.model_row(conn, model)["id"]
    key = conn.execute(
        insert(s.webhooks).values(
            model_id=model_id,
            url=url,
            events=dumps(list(events)),
            secret=secret,
            created_by=actor_name,
            created_at=now,
        )
    ).inserted_primary_key
    assert key is not None
    return one(conn, int(key[0]))


def _query() -> Select[Any]:
    """Webhooks with the name of their model (None: every model)."""
    return select(s.webhooks, _m.name.label("model")).outerjoin(
        s.registered_models, _m.id == _w.model_id
    )


def listed(conn: Connection, model: str | None = None) -> list[Webhook]:
    query = _query()
    if model is not None:
        model_id = reads.model_row(conn, model)["id"]
        query = query.where(or_(_w.model_id.is_(None), _w.model_id == model_id))
    return [_hook(r) for r in conn.execute(query.order_by(_w.id)).mappings()]


def one(conn: Connection, webhook_id: int) -> Webhook:
    row = conn.execute(_query().where(_w.id == webhook_id)).mappings().first()
    if row is None:
        raise NotFound(f"webhook {webhook_id} not found")
    return _hook(row)


def remove(conn: Connection, webhook_id: int) -> None:
    one(conn, webhook_id)
    conn.execute(delete(s.webhooks).where(_w.id == webhook_id))  # deliveries cascade


def targets(conn: Connection, model: str, event: str) -> list[WebhookTarget]:
    query = _query().where(or_(_w.model_id.is_(None), _m.name == model)).order_by(_w.id)
    out = []
    for row in conn.execute(query).mappings():
        hook = _hook(row)
        if event in hook.events:
            out.append(WebhookTarget(hook, row["secret"]))
    return out


def record(conn: Connection, attempt: Delivery) -> None:
    """Keep one delivery attempt (its ``id`` is numbered here; the error cut to 2,000
    characters)."""
    exists = conn.execute(select(_w.id).where(_w.id == attempt.webhook_id)).first()
    if exists is None:
        return  # removed while a delivery was in flight: nothing to log it under
    row = {f.name: getattr(attempt, f.name) for f in fields(Delivery) if f.name != "id"}
    if attempt.error is not None:
        row["error"] = attempt.error[:2000]
    conn.execute(insert(s.webhook_deliveries).values(**row))


def deliveries(conn: Connection, webhook_id: int, limit: int) -> list[Delivery]:
    one(conn, webhook_id)
    rows = conn.execute(
        select(s.webhook_deliveries)
        .where(_d.webhook_id == webhook_id)
        .order_by(_d.id.desc())
        .limit(max(1, min(limit, 10_000)))
    ).mappings()
    return [
        Delivery(
            id=int(r["id"]),
            webhook_id=int(r["webhook_id"]),
            delivery=r["delivery"],
            event=r["event"],
            attempt=int(r["attempt"]),
            status=r["status"],
            response_code=None if r["response_code"] is None else int(r["response_code"]),
            error=r["error"],
            time=float(r["time"]),
        )
        for r in rows
    ]


def _hook(row: RowMapping) -> Webhook:
    return Webhook(
        id=int(row["id"]),
        model=row["model"],
        url=row["url"],
        events=tuple(loads(row["events"]) or ()),
        created_by=row["created_by"],
        created_at=float(row["created_at"]),
    )
