"""The alert tables (``alert_rules``, ``alerts``, ``alert_deliveries``) in SQL.

Each function runs inside the caller's transaction (``SqlStore.transactor``), so it
gets the store's SQLite-lock and PostgreSQL-deadlock retries.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from heron.alerts.base import Alert, AlertStatus, Delivery, Firing, Level, NewRule, Rule, RuleKind
from heron.errors import NotFound
from heron.states import TERMINAL_STATES
from heron.store import schema as s
from heron.store.values import dumps, loads

_rc = s.alert_rules.c
_ac = s.alerts.c
_dc = s.alert_deliveries.c
_r = s.runs.c
_p = s.projects.c
_sm = s.run_summary.c
MAX_ERROR_CHARS = 2000
HOUR = 3600.0


# --- rules ---------------------------------------------------------------------------


def add_rule(
    conn: Connection,
    project: str,
    rule: NewRule,
    key: str | None,
    params: dict[str, Any],
    actor: str,
    now: float,
) -> Rule:
    inserted = conn.execute(
        insert(s.alert_rules).values(
            project=project,
            name=rule.name,
            kind=rule.kind,
            key=key,
            params=dumps(params),
            min_level=rule.min_level,
            webhooks=dumps(list(rule.webhooks)),
            emails=dumps(list(rule.emails)),
            enabled=rule.enabled,
            created_by=actor,
            created_at=now,
        )
    ).inserted_primary_key
    assert inserted is not None
    return one_rule(conn, int(inserted[0]))


def count_rules(conn: Connection, project: str) -> int:
    return int(conn.execute(select(func.count()).where(_rc.project == project)).scalar() or 0)


def rules(conn: Connection, project: str) -> list[Rule]:
    query = select(s.alert_rules).where(_rc.project == project).order_by(_rc.id)
    return [_rule(row) for row in conn.execute(query).mappings()]


def stale_rules(conn: Connection) -> list[Rule]:
    """The enabled ``stale`` rules of every project (the background check's list)."""
    query = select(s.alert_rules).where(_rc.kind == "stale", _rc.enabled.is_(True))
    return [_rule(row) for row in conn.execute(query.order_by(_rc.id)).mappings()]


def one_rule(conn: Connection, rule_id: int) -> Rule:
    row = conn.execute(select(s.alert_rules).where(_rc.id == rule_id)).mappings().first()
    if row is None:
        raise NotFound(f"alert rule {rule_id} not found")
    return _rule(row)


def remove_rule(conn: Connection, rule_id: int) -> Rule:
    rule = one_rule(conn, rule_id)
    conn.execute(delete(s.alert_rules).where(_rc.id == rule_id))
    return rule


def set_enabled(conn: Connection, rule_id: int, enabled: bool) -> Rule:
    one_rule(conn, rule_id)
    conn.execute(update(s.alert_rules).where(_rc.id == rule_id).values(enabled=enabled))
    return one_rule(conn, rule_id)


def _rule(row: RowMapping) -> Rule:
    return Rule(
        id=int(row["id"]),
        project=row["project"],
        name=row["name"],
        kind=cast(RuleKind, row["kind"]),
        key=row["key"],
        params=loads(row["params"]) or {},
        min_level=cast(Level, row["min_level"]),
        webhooks=tuple(loads(row["webhooks"]) or ()),
        emails=tuple(loads(row["emails"]) or ()),
        enabled=bool(row["enabled"]),
        created_by=row["created_by"],
        created_at=float(row["created_at"]),
    )


# --- alerts --------------------------------------------------------------------------


def raise_alert(
    conn: Connection,
    firing: Firing,
    has_targets: bool,
    now: float,
    dedup_seconds: float,
    rate_limit: int,
) -> Alert | None:
    """Store the alert, or count it as a repeat of an alert with its dedup key inside
    the dedup window (None: nothing new). Its status: ``quiet`` (no webhook or
    e-mail to deliver to), ``throttled`` (the project sent ``rate_limit`` alerts in
    the past hour already) or ``sent``."""
    same = select(_ac.id).where(_ac.dedup_key == firing.dedup_key[:512])
    if not firing.once:
        same = same.where(_ac.created_at > now - dedup_seconds)
    previous = conn.execute(same.order_by(_ac.id.desc()).limit(1)).scalar()
    if previous is not None:
        if not firing.once:
            conn.execute(
                update(s.alerts)
                .where(_ac.id == previous)
                .values(repeats=_ac.repeats + 1, last_at=now)
            )
        return None
    status: AlertStatus = "quiet"
    if has_targets:
        sent = conn.execute(
            select(func.count()).where(
                _ac.project == firing.project, _ac.status == "sent", _ac.created_at > now - HOUR
            )
        ).scalar()
        status = "throttled" if int(sent or 0) >= rate_limit else "sent"
    inserted = conn.execute(
        insert(s.alerts).values(
            project=firing.project,
            run_id=firing.run_id,
            rule_id=firing.rule.id if firing.rule is not None else None,
            level=firing.level,
            title=firing.title,
            text=firing.text,
            dedup_key=firing.dedup_key[:512],
            status=status,
            repeats=0,
            created_at=now,
            last_at=now,
            read_at=None,
        )
    ).inserted_primary_key
    assert inserted is not None
    return one_alert(conn, int(inserted[0]))


def one_alert(conn: Connection, alert_id: int) -> Alert:
    row = conn.execute(select(s.alerts).where(_ac.id == alert_id)).mappings().first()
    if row is None:
        raise NotFound(f"alert {alert_id} not found")
    return _alert(row)


def listed(
    conn: Connection, project: str, *, unread: bool, before: int | None, limit: int
) -> list[Alert]:
    query = select(s.alerts).where(_ac.project == project)
    if unread:
        query = query.where(_ac.read_at.is_(None))
    if before is not None:
        query = query.where(_ac.id < before)
    rows = conn.execute(query.order_by(_ac.id.desc()).limit(limit)).mappings()
    return [_alert(row) for row in rows]


def unread_count(conn: Connection, project: str) -> int:
    query = select(func.count()).where(_ac.project == project, _ac.read_at.is_(None))
    return int(conn.execute(query).scalar() or 0)


def unread_by_project(conn: Connection) -> dict[str, int]:
    query = (
        select(_ac.project, func.count())
        .where(_ac.read_at.is_(None))
        .group_by(_ac.project)
        .order_by(_ac.project)
    )
    return {str(project): int(n) for project, n in conn.execute(query)}


def mark_read(conn: Connection, project: str, ids: Sequence[int] | None, now: float) -> int:
    """Mark alerts of ``project`` read (``ids`` None: all of them); how many changed."""
    where = and_(_ac.project == project, _ac.read_at.is_(None))
    if ids is not None:
        where = and_(where, _ac.id.in_(list(ids)))
    return int(conn.execute(update(s.alerts).where(where).values(read_at=now)).rowcount or 0)


def _alert(row: RowMapping) -> Alert:
    return Alert(
        id=int(row["id"]),
        project=row["project"],
        run_id=row["run_id"],
        rule_id=None if row["rule_id"] is None else int(row["rule_id"]),
        level=row["level"],
        title=row["title"],
        text=row["text"],
        status=row["status"],
        repeats=int(row["repeats"]),
        created_at=float(row["created_at"]),
        last_at=float(row["last_at"]),
        read_at=None if row["read_at"] is None else float(row["read_at"]),
    )


# --- deliveries ----------------------------------------------------------------------


def record(conn: Connection, attempt: Delivery) -> None:
    exists = conn.execute(select(_ac.id).where(_ac.id == attempt.alert_id)).first()
    if exists is None:
        return  # gone meanwhile (its project's alerts were deleted)
    conn.execute(
        insert(s.alert_deliveries).values(
            alert_id=attempt.alert_id,
            channel=attempt.channel,
            target=attempt.target,
            attempt=attempt.attempt,
            status=attempt.status,
            response_code=attempt.response_code,
            error=None if attempt.error is None else attempt.error[:MAX_ERROR_CHARS],
            time=attempt.time,
        )
    )


def deliveries(conn: Connection, project: str, alert_id: int | None, limit: int) -> list[Delivery]:
    query = (
        select(s.alert_deliveries)
        .join(s.alerts, _ac.id == _dc.alert_id)
        .where(_ac.project == project)
    )
    if alert_id is not None:
        query = query.where(_dc.alert_id == alert_id)
    rows = conn.execute(query.order_by(_dc.id.desc()).limit(limit)).mappings()
    return [
        Delivery(
            id=int(r["id"]),
            alert_id=int(r["alert_id"]),
            channel=r["channel"],
            target=r["target"],
            attempt=int(r["attempt"]),
            status=r["status"],
            response_code=None if r["response_code"] is None else int(r["response_code"]),
            error=r["error"],
            time=float(r["time"]),
        )
        for r in rows
    ]


# --- what rules look at --------------------------------------------------------------


def running_mins(conn: Connection, run_id: str, keys: Sequence[str]) -> dict[str, float]:
    """The stored minimum of each of the run's ``keys`` that has points (divergence)."""
    query = select(_sm.key, _sm.min).where(
        _sm.run_id == run_id, _sm.key.in_(list(keys)), _sm.count > 0, _sm.min.is_not(None)
    )
    return {key: float(low) for key, low in conn.execute(query)}


def stale_runs(conn: Connection, project: str, before: float) -> list[tuple[str, float]]:
    """Running runs of ``project`` whose newest point (system metrics aside), or their
    start when they have none, is older than ``before``: (run id, that time)."""
    newest = (
        select(func.max(_sm.last_time))
        .where(_sm.run_id == _r.id, ~_sm.key.like("system/%"))
        .scalar_subquery()
    )
    last = func.coalesce(newest, _r.created_at)
    query = (
        select(_r.id, last.label("last"))
        .join(s.projects, _p.id == _r.project_id)
        .where(_p.name == project, _r.state == "running", last < before)
        .order_by(_r.id)
        .limit(1000)
    )
    return [(str(run_id), float(at)) for run_id, at in conn.execute(query)]


def group_of(conn: Connection, run_id: str) -> str | None:
    return cast("str | None", conn.execute(select(_r.group_name).where(_r.id == run_id)).scalar())


def group_done(conn: Connection, project: str, group: str) -> tuple[int, bool]:
    """(runs in the group, whether every one has ended)."""
    query = (
        select(_r.state, func.count())
        .join(s.projects, _p.id == _r.project_id)
        .where(_p.name == project, _r.group_name == group)
        .group_by(_r.state)
    )
    counts = {str(state): int(n) for state, n in conn.execute(query)}
    total = sum(counts.values())
    ended = sum(n for state, n in counts.items() if state in TERMINAL_STATES)
    return total, total > 0 and ended == total


# --- groups held by their driver (a sweep) -------------------------------------------

_gh = s.alert_group_holds.c


def hold_group(conn: Connection, project: str, group: str, holder: str, now: float) -> None:
    """``holder`` (e.g. a sweep) raises the group's ``group_done`` alert itself."""
    where = and_(_gh.project == project, _gh.group_name == group, _gh.holder == holder)
    if conn.execute(select(_gh.holder).where(where)).first() is None:
        conn.execute(
            insert(s.alert_group_holds).values(
                project=project, group_name=group, holder=holder, created_at=now
            )
        )


def group_held(conn: Connection, project: str, group: str) -> bool:
    """Whether a driver holds the group (its run ends raise no ``group_done``)."""
    query = select(_gh.holder).where(_gh.project == project, _gh.group_name == group)
    return conn.execute(query.limit(1)).first() is not None


def release_group(conn: Connection, project: str, group: str, holder: str) -> bool:
    """Drop ``holder``'s hold; True for the one caller whose delete removed it (the
    row lock makes a concurrent second delete remove nothing)."""
    where = and_(_gh.project == project, _gh.group_name == group, _gh.holder == holder)
    return bool(conn.execute(delete(s.alert_group_holds).where(where)).rowcount)
