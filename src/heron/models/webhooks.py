"""``heron.models.webhooks``: tell other systems when the registry changes.

    hook = heron.models.webhooks.add("https://ci.example.com/hook",
                                     ["stage-changed"], secret=SECRET, model="clf")

Events: ``version-created``, ``stage-changed``, ``alias-changed``. Each delivery is a
signed JSON POST (docs/registry.md, "Webhooks"); targets must pass the egress policy
(``HERON_WEBHOOK_ALLOW``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from heron.registry.base import EVENTS, Delivery, Webhook
from heron.registry.webhooks import verify_signature

__all__ = ["EVENTS", "add", "deliveries", "list", "remove", "verify_signature", "wait"]

_list = list


def add(
    url: str,
    events: Sequence[str],
    *,
    secret: str,
    model: str | None = None,
    dir: str | Path | None = None,
) -> Webhook:
    """Call ``url`` on ``events`` (of ``model``, or of every model). Takes an admin."""
    from heron.models import models_for

    return models_for(dir).add_webhook(url, events, secret, model=model)


def list(model: str | None = None, *, dir: str | Path | None = None) -> _list[Webhook]:
    """Every webhook (``model``: those that fire for it). Secrets are never shown."""
    from heron.models import models_for

    return models_for(dir).webhooks(model)


def remove(webhook_id: int, *, dir: str | Path | None = None) -> None:
    from heron.models import models_for

    models_for(dir).remove_webhook(webhook_id)


def deliveries(
    webhook_id: int, limit: int = 100, *, dir: str | Path | None = None
) -> _list[Delivery]:
    """The webhook's delivery attempts, newest first."""
    from heron.models import models_for

    return models_for(dir).deliveries(webhook_id, limit)


def wait(timeout: float | None = None, *, dir: str | Path | None = None) -> bool:
    """Block until this process's pending deliveries are done; False on timeout."""
    from heron.models import models_for

    return models_for(dir).wait_for_webhooks(timeout)
