"""Alert rules evaluated on ingest through the service, delivered to a real SMTP server
and a real webhook receiver, on both SQL backends."""

from __future__ import annotations

import json
from typing import Any

import pytest

from heron.alerts import Alerts, NewRule
from heron.artifacts.local import LocalArtifactStore
from heron.errors import InvalidInput, NotFound
from heron.service import Tracking
from heron.store.base import Batch
from heron.store.sql import SqlStore
from tests.alerts.conftest import Mailbox
from tests.registry.receiver import Receiver
from tests.store.helpers import T0, batch, new_run, series


def texts(receiver: Receiver) -> list[str]:
    return [json.loads(body)["text"] for _, body in receiver.requests]


def rule(name: str, kind: str, receiver: Receiver | None = None, **fields: Any) -> NewRule:
    hooks = (receiver.url,) if receiver is not None else ()
    return NewRule(name=name, kind=kind, webhooks=hooks, **fields)


def test_a_nan_loss_fires_one_alert_by_email_and_webhook_exactly_once(
    store: SqlStore, tracking: Tracking, alerts: Alerts, mailbox: Mailbox, receiver: Receiver
) -> None:
    alerts.add_rule(
        "proj",
        NewRule(
            name="nan", kind="nan", key="loss", webhooks=(receiver.url,), emails=("ml@example.com",)
        ),
        "tester",
    )
    run = new_run(store, "proj")
    tracking.ingest(batch(run.id, 1, loss=[1.0, 0.5]))
    tracking.ingest(batch(run.id, 2, loss=series([float("nan"), 0.4], steps=[2, 3])))
    tracking.ingest(batch(run.id, 2, loss=series([float("nan")], steps=[2])))  # a retry: skipped
    tracking.ingest(batch(run.id, 3, loss=series([float("nan")], steps=[4])))  # deduplicated
    assert alerts.wait(30)

    [alert] = alerts.list_alerts("proj")
    assert (alert.title, alert.level, alert.status, alert.repeats) == (
        "NaN in loss",
        "error",
        "sent",
        1,
    )
    assert "at step 2" in alert.text
    assert len(receiver.requests) == 1
    [text] = texts(receiver)
    assert "NaN in loss" in text and run.id in text
    headers, _ = receiver.requests[0]
    assert headers["Content-Type"] == "application/json"
    assert len(mailbox.messages) == 1
    mail = mailbox.messages[0]
    assert mail["Subject"] == "[heron] error: NaN in loss"
    assert mail["From"] == "heron@example.com"
    assert mailbox.recipients == [["ml@example.com"]]
    log = alerts.deliveries("proj", alert.id)
    assert sorted((d.channel, d.status, d.attempt) for d in log) == [
        ("email", "delivered", 1),
        ("webhook", "delivered", 1),
    ]


def test_no_rules_no_alert_events_no_query(
    store: SqlStore, tracking: Tracking, alerts: Alerts
) -> None:
    run = new_run(store, "quiet")
    tracking.ingest(batch(run.id, 1, loss=[1.0]))  # caches the project's (empty) rules
    queries: list[str] = []

    from sqlalchemy import event

    engine = store.transactor.engine

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        queries.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert alerts.watch(batch(run.id, 2, loss=[float("nan")]), "quiet") is None
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert queries == []


def test_dedup_window_and_rate_limit(
    store: SqlStore, tracking: Tracking, alerts: Alerts, receiver: Receiver
) -> None:
    now = [T0]
    alerts.clock = lambda: now[0]
    alerts.rate_limit = 2
    alerts.add_rule(
        "proj", rule("big", "threshold", receiver, key="loss", op=">", threshold=10), "t"
    )
    runs = [new_run(store, "proj") for _ in range(3)]
    for run in runs:  # three runs cross: two delivered, the third throttled
        tracking.ingest(batch(run.id, 1, loss=[1.0, 11.0]))
    assert alerts.wait(30)
    listed = alerts.list_alerts("proj")
    assert [a.status for a in reversed(listed)] == ["sent", "sent", "throttled"]
    assert len(receiver.requests) == 2
    assert alerts.deliveries("proj", listed[0].id) == []  # throttled: nothing attempted

    tracking.ingest(batch(runs[0].id, 2, loss=series([12.0], steps=[5])))  # same run: a repeat
    assert len(alerts.list_alerts("proj")) == 3
    now[0] += 3601  # past the dedup window and the rate limit's hour
    tracking.ingest(batch(runs[0].id, 3, loss=series([13.0], steps=[6])))
    assert alerts.wait(30)
    newest = alerts.list_alerts("proj")[0]
    assert (newest.run_id, newest.status) == (runs[0].id, "sent")
    assert len(receiver.requests) == 3


def test_divergence_uses_the_running_minimum_across_batches(
    store: SqlStore, tracking: Tracking, alerts: Alerts
) -> None:
    alerts.add_rule("proj", rule("div", "divergence", key="loss", factor=2.0), "t")
    run = new_run(store, "proj")
    tracking.ingest(batch(run.id, 1, loss=[1.0, 0.5, 0.4]))
    tracking.ingest(batch(run.id, 2, loss=series([0.45, 0.79], steps=[3, 4])))
    assert alerts.list_alerts("proj") == []  # 0.79 < 2 x 0.4
    tracking.ingest(batch(run.id, 3, loss=series([0.81], steps=[5])))
    [alert] = alerts.list_alerts("proj")
    assert alert.title == "loss diverged" and alert.status == "quiet"
    assert "running minimum 0.4" in alert.text and "step 5" in alert.text


def test_threshold_on_a_glob_fires_per_key(
    store: SqlStore, tracking: Tracking, alerts: Alerts
) -> None:
    alerts.add_rule("proj", rule("acc", "threshold", key="val/*", op=">=", threshold=0.9), "t")
    run = new_run(store, "proj")
    metrics = {"val/acc": series([0.5, 0.95]), "val/f1": series([0.9]), "train/acc": series([1.0])}
    tracking.ingest(Batch(run.id, 1, metrics=metrics))
    assert sorted(a.title for a in alerts.list_alerts("proj")) == [
        "val/acc >= 0.9",
        "val/f1 >= 0.9",
    ]


def test_failed_and_crashed_runs_and_finished_groups(
    store: SqlStore, tracking: Tracking, alerts: Alerts
) -> None:
    alerts.add_rule("proj", rule("ended badly", "state"), "t")
    alerts.add_rule("proj", rule("sweep", "group_done", group="sweep-*"), "t")
    a = new_run(store, "proj", group="sweep-1")
    b = new_run(store, "proj", group="sweep-1")
    failed = {"type": "state", "state": "failed", "time": T0, "error": "ValueError: boom"}
    tracking.ingest(batch(a.id, 1, [failed]))  # type: ignore[list-item]
    [first] = alerts.list_alerts("proj")
    assert first.title == f"run {a.id} failed" and "ValueError: boom" in first.text
    tracking.mark_crashed(b.id, T0 + 5, "no heartbeat for 60 s")
    titles = [x.title for x in alerts.list_alerts("proj")]
    assert titles == ["group sweep-1 finished", f"run {b.id} crashed", f"run {a.id} failed"]
    finished = {"type": "state", "state": "finished", "time": T0}
    c = new_run(store, "proj", group="other")
    tracking.ingest(batch(c.id, 1, [finished]))  # type: ignore[list-item]
    assert len(alerts.list_alerts("proj")) == 3  # finished is not a bad end; "other" no match


def test_stale_runs_with_an_injected_clock(
    store: SqlStore, tracking: Tracking, alerts: Alerts
) -> None:
    alerts.add_rule("proj", rule("stalled", "stale", minutes=5), "t")
    run = new_run(store, "proj", created_at=T0)
    tracking.ingest(batch(run.id, 1, loss=series([1.0, 0.9], times=[T0, T0 + 60])))
    quiet = new_run(store, "other", created_at=T0)  # no stale rule in its project
    assert alerts.check_stale(now=T0 + 60 + 299) == []
    [alert] = alerts.check_stale(now=T0 + 60 + 301)
    assert (alert.run_id, alert.title) == (run.id, f"run {run.id} is stale")
    assert alerts.check_stale(now=T0 + 60 + 900) == []  # one alert per stall
    tracking.ingest(batch(run.id, 2, loss=series([0.8], steps=[2], times=[T0 + 1000])))
    assert alerts.check_stale(now=T0 + 1100) == []
    [again] = alerts.check_stale(now=T0 + 1000 + 301)  # a new stall
    assert again.run_id == run.id
    assert quiet.id not in {a.run_id for a in alerts.list_alerts("proj")}


def test_code_alerts_go_to_the_alert_rules_of_their_level(
    store: SqlStore, tracking: Tracking, alerts: Alerts, receiver: Receiver, mailbox: Mailbox
) -> None:
    alerts.add_rule("proj", rule("errors", "alert", receiver, min_level="error"), "t")
    run = new_run(store, "proj")
    info = {"type": "alert", "title": "epoch done", "text": "loss 0.3", "level": "info"}
    error = {"type": "alert", "title": "OOM", "text": "retrying smaller", "level": "error"}
    tracking.ingest(batch(run.id, 1, [info, error]))  # type: ignore[list-item]
    assert alerts.wait(30)
    assert [(a.title, a.status) for a in alerts.list_alerts("proj")] == [
        ("OOM", "sent"),
        ("epoch done", "quiet"),
    ]
    assert texts(receiver) == [f"[error] OOM\nretrying smaller\n(proj / run {run.id})"]
    assert alerts.unread("proj") == 2
    assert alerts.mark_read("proj") == 2
    assert alerts.unread("proj") == 0


def test_a_bad_alert_event_refuses_the_batch(store: SqlStore, tracking: Tracking) -> None:
    run = new_run(store, "proj")
    bad = {"type": "alert", "title": "x", "level": "fatal"}
    with pytest.raises(InvalidInput, match="batch event 0: an alert level is one of"):
        tracking.ingest(batch(run.id, 1, [bad], loss=[1.0]))  # type: ignore[list-item]
    assert store.get_run(run.id).last_step is None  # nothing applied


def test_rules_are_checked_and_scoped_to_their_project(alerts: Alerts, receiver: Receiver) -> None:
    for bad, match in [
        (NewRule(name="x", kind="sometimes"), "kind is one of"),
        (NewRule(name="x", kind="divergence", key="loss", factor=0.5), "above 1"),
        (NewRule(name="x", kind="threshold", key="loss", op="==", threshold=1), "op is one of"),
        (NewRule(name="x", kind="nan", factor=2.0), "takes no factor"),
        (NewRule(name="x", kind="stale", minutes=-1), "above 0"),
        (NewRule(name="x", kind="state", states=["running"]), "states are some of"),
        (NewRule(name="x", kind="nan", emails=("not an address",)), "not an e-mail"),
        (NewRule(name="x", kind="nan", webhooks=("ftp://x",)), "http:// or https://"),
        (
            NewRule(name="x", kind="nan", webhooks=("http://10.0.0.1/",)),
            "not in HERON_WEBHOOK_ALLOW",
        ),
        (NewRule(name="", kind="nan"), "non-empty"),
    ]:
        with pytest.raises(InvalidInput, match=match):
            alerts.add_rule("proj", bad, "t")
    added = alerts.add_rule("proj", rule("ok", "nan", receiver), "t")
    assert [r.id for r in alerts.list_rules("proj")] == [added.id]
    with pytest.raises(NotFound):
        alerts.remove_rule("elsewhere", added.id)
    assert not alerts.set_enabled("proj", added.id, False).enabled
    assert alerts.rules("proj") == []  # the cache was dropped: disabled rules do not run
    alerts.remove_rule("proj", added.id)
    assert alerts.list_rules("proj") == []


def test_a_failing_webhook_is_retried_and_every_attempt_logged(
    store: SqlStore, receiver: Receiver, tmp_path: Any
) -> None:
    from heron.alerts import Alerts as AlertsEngine
    from heron.alerts.deliver import Dispatcher, Smtp
    from heron.registry.egress import EgressPolicy

    slept: list[float] = []
    engine: list[AlertsEngine] = []
    dispatcher = Dispatcher(
        lambda attempt: engine[0].record(attempt),
        EgressPolicy.parse(f"127.0.0.1:{receiver.port}"),
        Smtp(),  # no SMTP server: e-mail is refused
        sleep=slept.append,  # no waiting on wall time
    )
    engine.append(AlertsEngine(store, dispatcher))
    alerts = engine[0]
    try:
        alerts.add_rule(
            "proj",
            NewRule(name="x", kind="state", webhooks=(receiver.url,), emails=("a@example.com",)),
            "t",
        )
        receiver.statuses = [503, 500]
        run = new_run(store, "proj")
        tracking = Tracking(store, LocalArtifactStore(tmp_path / "blobs"), alerts=alerts)
        failed = {"type": "state", "state": "failed", "time": T0}
        tracking.ingest(batch(run.id, 1, [failed]))  # type: ignore[list-item]
        assert alerts.wait(30)
        [alert] = alerts.list_alerts("proj")
        log = sorted(
            (d.channel, d.attempt, d.status, d.response_code) for d in alerts.deliveries("proj")
        )
        assert log == [
            ("email", 1, "refused", None),
            ("webhook", 1, "retrying", 503),
            ("webhook", 2, "retrying", 500),
            ("webhook", 3, "delivered", 200),
        ]
        assert len(slept) == 2 and len(receiver.requests) == 3
        refused = [d for d in alerts.deliveries("proj", alert.id) if d.channel == "email"]
        assert refused[0].error == "no SMTP server: set HERON_SMTP_HOST"
    finally:
        alerts.close()


def test_a_held_group_raises_group_done_once_when_its_last_holder_releases_it(
    store: SqlStore, tracking: Tracking, alerts: Alerts
) -> None:
    alerts.add_rule("proj", rule("done", "group_done", group="g*"), "t")
    alerts.hold_group("proj", "g1", "sweep a")
    alerts.hold_group("proj", "g1", "sweep a")  # again: one hold
    alerts.hold_group("proj", "g1", "sweep b")
    finished = {"type": "state", "state": "finished", "time": T0}
    run = new_run(store, "proj", group="g1")
    tracking.ingest(batch(run.id, 1, [finished]))  # type: ignore[list-item]
    assert alerts.group_finished("proj", "g1") == []  # every run ended, but held
    assert alerts.release_group("proj", "g1", "sweep a", "a finished") == []  # b holds it
    assert alerts.release_group("proj", "g1", "sweep c", "never held") == []
    [done] = alerts.release_group("proj", "g1", "sweep b", "sweep b finished")
    assert done.title == "group g1 finished" and done.text.startswith("sweep b finished")
    assert alerts.release_group("proj", "g1", "sweep b", "again") == []  # once
    assert [a.title for a in alerts.list_alerts("proj")] == ["group g1 finished"]
    plain = new_run(store, "proj", group="g2")  # no holder: its last run's end raises it
    tracking.ingest(batch(plain.id, 1, [finished]))  # type: ignore[list-item]
    titles = [a.title for a in alerts.list_alerts("proj")]
    assert titles == ["group g2 finished", "group g1 finished"]
