"""``Alerts``: the rules of a store's projects, evaluated where runs are ingested.

The service (:class:`heron.service.Tracking`) calls :meth:`Alerts.watch` before a
batch is applied and the watch's :meth:`Watch.applied` once it was (never for a batch
applied before: alerts follow the batch's exactly-once), :meth:`Alerts.run_ended`
when it marks a run crashed, and the server's background loop calls
:meth:`Alerts.check_stale`. Authorisation is the caller's (the service and the
routes check it before calling here).

Cheap when nothing is asked for: a project's enabled rules are cached for
:data:`RULES_TTL_SECONDS` (and dropped at once when changed through this object), so
a batch of a project without rules and without ``run.alert`` costs no query.
"""

from __future__ import annotations

import fnmatch
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from functools import partial

import numpy as np
from sqlalchemy.engine import Connection

from heron.alerts import sql
from heron.alerts.base import (
    MAX_RULES_PER_PROJECT,
    Alert,
    Delivery,
    Firing,
    Level,
    NewRule,
    Rule,
    check_alert_text,
    check_level,
    check_rule,
    check_title,
    describe,
    level_rank,
)
from heron.alerts.deliver import Dispatcher
from heron.errors import InvalidInput, NotFound
from heron.keys import check_name
from heron.states import TERMINAL_STATES
from heron.store.base import Batch, Series
from heron.store.sql import SqlStore

log = logging.getLogger("heron.alerts")

RULES_TTL_SECONDS = 5.0  # how soon another process's rule edit applies here
DEFAULT_DEDUP_SECONDS = 3600.0
DEFAULT_RATE_LIMIT = 30  # alerts delivered per project per hour
MAX_LIST = 1000
_MAX_CACHED = 10_000
_RULE_LEVEL: dict[str, Level] = {
    "nan": "error",
    "divergence": "warn",
    "threshold": "warn",
    "stale": "warn",
    "state": "error",
    "group_done": "info",
}


class Alerts:
    """Alerts and rules in ``store``'s database, delivered by ``dispatcher``.
    ``clock``: seconds since the epoch (tests pass their own)."""

    def __init__(
        self,
        store: SqlStore,
        dispatcher: Dispatcher,
        *,
        dedup_seconds: float = DEFAULT_DEDUP_SECONDS,
        rate_limit: int = DEFAULT_RATE_LIMIT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self._tx = store.transactor
        self.dispatcher = dispatcher
        self.dedup_seconds = dedup_seconds
        self.rate_limit = rate_limit
        self.clock = clock
        self._cache: dict[str, tuple[float, list[Rule]]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Alerts({self.store!r})"

    def close(self, timeout: float | None = 30.0) -> None:
        """Finish pending deliveries (up to ``timeout``) and stop delivering."""
        self.dispatcher.close(timeout)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every delivery so far is done (True) or ``timeout`` passes."""
        return self.dispatcher.wait(timeout)

    # --- rules ----------------------------------------------------------------
    def rules(self, project: str) -> list[Rule]:
        """The project's enabled rules (cached)."""
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(project)
        if cached is not None and now - cached[0] < RULES_TTL_SECONDS:
            return cached[1]
        found = [r for r in self._tx.read(lambda conn: sql.rules(conn, project)) if r.enabled]
        with self._lock:
            if len(self._cache) >= _MAX_CACHED:
                self._cache.clear()
            self._cache[project] = (now, found)
        return found

    def _invalidate(self, project: str) -> None:
        with self._lock:
            self._cache.pop(project, None)

    def forget(self, project: str) -> None:
        """Drop the cached rules of ``project`` (renamed: its rules moved)."""
        self._invalidate(project)

    def list_rules(self, project: str) -> list[Rule]:
        return self._tx.read(lambda conn: sql.rules(conn, project))

    def add_rule(self, project: str, rule: NewRule, actor: str) -> Rule:
        check_name(project, "project name")
        key, params = check_rule(rule)
        for url in rule.webhooks:  # refused now rather than at every delivery
            self.dispatcher.policy.check(url)

        def work(conn: Connection) -> Rule:
            if sql.count_rules(conn, project) >= MAX_RULES_PER_PROJECT:
                raise InvalidInput(
                    f"project {project!r} has {MAX_RULES_PER_PROJECT} alert rules already, "
                    "the most it may have; remove one first"
                )
            return sql.add_rule(conn, project, rule, key, params, actor, self.clock())

        added = self._tx.write(work)
        self._invalidate(project)
        return added

    def remove_rule(self, project: str, rule_id: int) -> Rule:
        def work(conn: Connection) -> Rule:
            _rule_in(conn, project, rule_id)
            return sql.remove_rule(conn, rule_id)

        removed = self._tx.write(work)
        self._invalidate(project)
        return removed

    def set_enabled(self, project: str, rule_id: int, enabled: bool) -> Rule:
        def work(conn: Connection) -> Rule:
            _rule_in(conn, project, rule_id)
            return sql.set_enabled(conn, rule_id, enabled)

        changed = self._tx.write(work)
        self._invalidate(project)
        return changed

    # --- alerts ---------------------------------------------------------------
    def list_alerts(
        self, project: str, *, unread: bool = False, before: int | None = None, limit: int = 100
    ) -> list[Alert]:
        limit = max(1, min(limit, MAX_LIST))
        return self._tx.read(
            lambda conn: sql.listed(conn, project, unread=unread, before=before, limit=limit)
        )

    def unread(self, project: str) -> int:
        return self._tx.read(lambda conn: sql.unread_count(conn, project))

    def unread_by_project(self, projects: Iterable[str]) -> dict[str, int]:
        """Unread alerts of each of ``projects`` that has some (the bell)."""
        wanted = set(projects)
        counts = self._tx.read(sql.unread_by_project)
        return {project: n for project, n in counts.items() if project in wanted}

    def mark_read(self, project: str, ids: Sequence[int] | None = None) -> int:
        now = self.clock()
        return self._tx.write(lambda conn: sql.mark_read(conn, project, ids, now))

    def deliveries(
        self, project: str, alert_id: int | None = None, limit: int = 100
    ) -> list[Delivery]:
        limit = max(1, min(limit, MAX_LIST))
        return self._tx.read(lambda conn: sql.deliveries(conn, project, alert_id, limit))

    def record(self, attempt: Delivery) -> None:
        """Keep one delivery attempt (the dispatcher's log)."""
        self._tx.write(lambda conn: sql.record(conn, attempt))

    def raise_alerts(self, firings: Iterable[Firing]) -> list[Alert]:
        """Store each firing (unless deduplicated) and deliver those not throttled."""
        raised = []
        for firing in firings:
            alert = self._tx.write(partial(self._raise, firing, self.clock()))
            if alert is None:
                continue
            raised.append(alert)
            if alert.status == "sent":
                self.dispatcher.submit(alert, firing.webhooks, firing.emails)
        return raised

    def _raise(self, firing: Firing, now: float, conn: Connection) -> Alert | None:
        targets = bool(firing.webhooks or firing.emails)
        return sql.raise_alert(conn, firing, targets, now, self.dedup_seconds, self.rate_limit)

    # --- evaluation -----------------------------------------------------------
    def watch(self, batch: Batch, project: str) -> Watch | None:
        """What ``batch`` may raise, checked before it is applied (a malformed
        ``alert`` event refuses the batch: InvalidInput). None: nothing to do."""
        code = [_code_alert(event, i) for i, event in enumerate(batch.events)]
        spoken = [c for c in code if c is not None]
        rules = self.rules(project)
        if not spoken and not rules:
            return None
        watch = Watch(self, batch, project, rules, spoken)
        watch.prepare()
        return watch

    def run_ended(self, project: str, run_id: str, state: str, reason: str | None) -> list[Alert]:
        """A run ended outside a batch (marked crashed): its state and group rules.
        A failure is logged, not raised: the run is marked already."""
        try:
            rules = self.rules(project)
            if not rules:
                return []
            raised = self.raise_alerts(_state_firings(rules, project, run_id, state, reason))
            return raised + self._groups(rules, project, run_id)
        except Exception:
            log.exception("heron: alerts of run %s's end failed", run_id)
            return []

    def group_finished(self, project: str, group: str) -> list[Alert]:
        """Raise the ``group_done`` rules of ``project`` for run group ``group`` if
        every run in it ended, unless a driver holds the group (:meth:`hold_group`: a
        sweep, whose :meth:`release_group` raises them when it finishes)."""
        rules = self._group_rules(project, group)
        if not rules:
            return []

        def read(conn: Connection) -> tuple[int, bool]:
            if sql.group_held(conn, project, group):
                return 0, False
            return sql.group_done(conn, project, group)

        total, done = self._tx.read(read)
        if not done:
            return []
        return self.raise_alerts(
            _group_firing(rule, project, group, f"all {total} runs of group {group!r} ended")
            for rule in rules
        )

    def hold_group(self, project: str, group: str, holder: str) -> None:
        """``holder`` (e.g. ``"sweep NAME"``) drives run group ``group``: the end of its
        runs raises no ``group_done`` alert until ``holder`` releases it. Kept in the
        database (every process and agent sees it; it outlives a restart)."""
        now = self.clock()
        self._tx.write(lambda conn: sql.hold_group(conn, project, group, holder[:256], now))

    def release_group(self, project: str, group: str, holder: str, text: str) -> list[Alert]:
        """``holder`` finished driving ``group``: its ``group_done`` rules fire, once
        (only the caller whose release dropped the hold raises them, however many
        agents see the end), unless another driver still holds the group. ``text``
        says what finished. Nothing when ``holder`` held nothing."""
        holder = holder[:256]

        def release(conn: Connection) -> bool:
            dropped = sql.release_group(conn, project, group, holder)
            return dropped and not sql.group_held(conn, project, group)

        if not self._tx.write(release):
            return []
        return self.raise_alerts(
            _group_firing(rule, project, group, text) for rule in self._group_rules(project, group)
        )

    def _group_rules(self, project: str, group: str) -> list[Rule]:
        return [
            r
            for r in self.rules(project)
            if r.kind == "group_done" and fnmatch.fnmatchcase(group, str(r.params["group"]))
        ]

    def _groups(self, rules: list[Rule], project: str, run_id: str) -> list[Alert]:
        """After ``run_id`` ended: the group rules of its group, if it has one."""
        if not any(r.kind == "group_done" for r in rules):
            return []
        group = self._tx.read(lambda conn: sql.group_of(conn, run_id))
        return [] if group is None else self.group_finished(project, group)

    def check_stale(self, now: float | None = None) -> list[Alert]:
        """Raise the ``stale`` rules of every project: running runs with no new point
        for the rule's minutes. One alert per stall (a run that logs again and stalls
        again raises another). The server's background loop calls this."""
        now = self.clock() if now is None else now
        stale = self._tx.read(sql.stale_rules)
        firings = []
        for rule in stale:
            minutes = float(rule.params["minutes"])
            runs = self._tx.read(partial(_stale_runs, rule.project, now - minutes * 60))
            for run_id, last in runs:
                firings.append(
                    Firing(
                        rule.project,
                        run_id,
                        rule,
                        _RULE_LEVEL["stale"],
                        f"run {run_id} is stale",
                        f"no new point for {(now - last) / 60:.0f} min "
                        f"({rule.name}: {describe(rule)})",
                        f"{rule.id}/{run_id}/{round(last * 1000)}",
                        once=True,
                        webhooks=rule.webhooks,
                        emails=rule.emails,
                    )
                )
        return self.raise_alerts(firings)


class Watch:
    """One batch's alerts: the code's, checked up front, and the rules', evaluated
    once the batch is applied (with the minimums read before it, for divergence)."""

    def __init__(
        self,
        alerts: Alerts,
        batch: Batch,
        project: str,
        rules: list[Rule],
        spoken: list[tuple[str, str, Level]],
    ) -> None:
        self.alerts = alerts
        self.batch = batch
        self.project = project
        self.rules = rules
        self.spoken = spoken
        self.mins: dict[str, float] = {}

    def prepare(self) -> None:
        """Read what must be read before the batch changes it: the running minimum
        of each key a divergence rule watches (one query, only then)."""
        keys = [
            key
            for key in self.batch.metrics
            if any(r.kind == "divergence" and _matches(r, key) for r in self.rules)
        ]
        if keys:
            run_id = self.batch.run_id
            self.mins = self.alerts._tx.read(lambda conn: sql.running_mins(conn, run_id, keys))

    def applied(self) -> list[Alert]:
        """Raise what the applied batch raises. The batch is committed whatever happens
        here: a failure is logged (and the batch not refused, which would only make
        its client retry a batch the store now skips)."""
        try:
            return self._applied()
        except Exception:
            log.exception("heron: alerts of run %s's batch failed", self.batch.run_id)
            return []

    def _applied(self) -> list[Alert]:
        run_id, project = self.batch.run_id, self.project
        firings = [self._code(title, text, level) for title, text, level in self.spoken]
        for key, series in self.batch.metrics.items():
            for rule in self.rules:
                if rule.kind in ("nan", "divergence", "threshold") and _matches(rule, key):
                    firing = _metric_firing(rule, project, run_id, key, series, self.mins)
                    if firing is not None:
                        firings.append(firing)
        ended = None
        for event in self.batch.events:
            if event.get("type") == "state" and event.get("state") in TERMINAL_STATES:
                ended = event
        if ended is not None:
            state, error = str(ended.get("state")), ended.get("error")
            reason = error if isinstance(error, str) else None
            firings += _state_firings(self.rules, project, run_id, state, reason)
        raised = self.alerts.raise_alerts(firings)
        if ended is not None:
            raised += self.alerts._groups(self.rules, project, run_id)
        return raised

    def _code(self, title: str, text: str, level: Level) -> Firing:
        targets = [
            r
            for r in self.rules
            if r.kind == "alert" and level_rank(level) >= level_rank(r.min_level)
        ]
        return Firing(
            self.project,
            self.batch.run_id,
            None,
            level,
            title,
            text,
            f"code/{self.batch.run_id}/{title}",
            webhooks=tuple(dict.fromkeys(u for r in targets for u in r.webhooks)),
            emails=tuple(dict.fromkeys(a for r in targets for a in r.emails)),
        )


def _stale_runs(project: str, before: float, conn: Connection) -> list[tuple[str, float]]:
    return sql.stale_runs(conn, project, before)


def _rule_in(conn: Connection, project: str, rule_id: int) -> Rule:
    rule = sql.one_rule(conn, rule_id)
    if rule.project != project:
        raise NotFound(f"alert rule {rule_id} not found in project {project!r}")
    return rule


def _code_alert(event: object, index: int) -> tuple[str, str, Level] | None:
    if not isinstance(event, dict) or event.get("type") != "alert":
        return None
    try:
        title = check_title(event.get("title"))
        text = check_alert_text(event.get("text", ""))
        level = check_level(event.get("level", "info"))
    except InvalidInput as exc:
        raise InvalidInput(f"batch event {index}: {exc.message}") from None
    return title, text, level


def _matches(rule: Rule, key: str) -> bool:
    return fnmatch.fnmatchcase(key, rule.key or "*")


def _metric_firing(
    rule: Rule, project: str, run_id: str, key: str, series: Series, mins: dict[str, float]
) -> Firing | None:
    values = np.asarray(series.values, dtype=np.float64)
    if not len(values):
        return None
    if rule.kind == "nan":
        hits = np.flatnonzero(~np.isfinite(values))
        if not len(hits):
            return None
        i = int(hits[0])
        what = "NaN" if np.isnan(values[i]) else "infinity"
        title = f"{what} in {key}"
        text = f"run {run_id} logged {values[i]:g} for {key} at step {int(series.steps[i])}"
    elif rule.kind == "threshold":
        op, limit = str(rule.params["op"]), float(rule.params["threshold"])
        with np.errstate(invalid="ignore"):
            mask = {
                ">": values > limit,
                ">=": values >= limit,
                "<": values < limit,
                "<=": values <= limit,
            }[op]
        hits = np.flatnonzero(mask)
        if not len(hits):
            return None
        i = int(hits[0])
        title = f"{key} {op} {limit:g}"
        text = f"run {run_id} logged {key} = {values[i]:g} at step {int(series.steps[i])}"
    else:  # divergence: above factor x the minimum of every earlier point
        factor = float(rule.params["factor"])
        finite = np.where(np.isfinite(values), values, np.inf)
        before = np.minimum.accumulate(np.concatenate(([mins.get(key, np.inf)], finite)))[:-1]
        with np.errstate(invalid="ignore"):
            mask = (before > 0) & np.isfinite(before) & (values > factor * before)
        hits = np.flatnonzero(mask)
        if not len(hits):
            return None
        i = int(hits[0])
        title = f"{key} diverged"
        text = (
            f"run {run_id} logged {key} = {values[i]:g} at step {int(series.steps[i])}, "
            f"above {factor:g}x its running minimum {before[i]:g}"
        )
    return Firing(
        project,
        run_id,
        rule,
        _RULE_LEVEL[rule.kind],
        title,
        f"{text} ({rule.name}: {describe(rule)})",
        f"{rule.id}/{run_id}/{key}",
        webhooks=rule.webhooks,
        emails=rule.emails,
    )


def _group_firing(rule: Rule, project: str, group: str, text: str) -> Firing:
    """A ``group_done`` alert: one dedup key per rule and group, whoever raises it."""
    return Firing(
        project,
        None,
        rule,
        _RULE_LEVEL["group_done"],
        f"group {group} finished",
        f"{text} ({rule.name}: {describe(rule)})",
        f"{rule.id}/group/{group}",
        webhooks=rule.webhooks,
        emails=rule.emails,
    )


def _state_firings(
    rules: list[Rule], project: str, run_id: str, state: str, reason: str | None
) -> list[Firing]:
    out = []
    for rule in rules:
        if rule.kind != "state" or state not in rule.params["states"]:
            continue
        detail = f": {reason[:500]}" if reason else ""
        out.append(
            Firing(
                project,
                run_id,
                rule,
                _RULE_LEVEL["state"],
                f"run {run_id} {state}",
                f"run {run_id} of {project} ended {state}{detail} ({rule.name})",
                f"{rule.id}/{run_id}/{state}",
                webhooks=rule.webhooks,
                emails=rule.emails,
            )
        )
    return out
