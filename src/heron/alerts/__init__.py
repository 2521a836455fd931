"""Alerts: ``run.alert()`` from code and rules per project, evaluated on ingest.

``base`` holds the objects and the checks of user input, ``sql`` the tables,
``engine`` the rule cache and the evaluation (:class:`Alerts`, called by the service
layer), ``deliver`` the webhooks and e-mail. :func:`open_alerts` wires one from
:class:`~heron.settings.Settings`. See docs/alerts.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from heron.alerts.base import (
    LEVELS,
    RULE_KINDS,
    Alert,
    Delivery,
    Level,
    NewRule,
    Rule,
    describe,
)
from heron.alerts.engine import Alerts, Watch

if TYPE_CHECKING:
    from heron.settings import Settings
    from heron.store.sql import SqlStore

__all__ = [
    "LEVELS",
    "RULE_KINDS",
    "Alert",
    "Alerts",
    "Delivery",
    "Level",
    "NewRule",
    "Rule",
    "Watch",
    "describe",
    "open_alerts",
]


def open_alerts(store: SqlStore, settings: Settings) -> Alerts:
    """Alerts over ``store``'s database, delivering as ``settings`` say (the egress
    policy of ``HERON_WEBHOOK_ALLOW``, ``HERON_SMTP_*``, ``HERON_ALERT_*``). Close it
    when done: pending deliveries finish first."""
    from heron.alerts.deliver import Dispatcher, Smtp
    from heron.registry.egress import EgressPolicy

    smtp = Smtp(
        host=settings.smtp_host,
        port=settings.smtp_port,
        security=settings.smtp_security,
        user=settings.smtp_user,
        password=settings.smtp_password,
        sender=settings.smtp_from,
    )
    alerts: Alerts | None = None

    def record(attempt: Delivery) -> None:
        assert alerts is not None
        alerts.record(attempt)

    dispatcher = Dispatcher(record, EgressPolicy.parse(settings.webhook_allow), smtp)
    alerts = Alerts(
        store,
        dispatcher,
        dedup_seconds=settings.alert_dedup_seconds,
        rate_limit=settings.alert_rate_limit,
    )
    return alerts
