"""Webhook delivery: signed POSTs, retried with backoff, every attempt logged.

The registry announces each committed change (:class:`~heron.registry.base.ModelEvent`)
to a :class:`WebhookDispatcher`, which finds the matching webhooks and delivers on
its own threads, off the caller's path. A delivery is a JSON POST with headers:

    X-Heron-Event: stage-changed
    X-Heron-Delivery: <uuid, the same for every attempt>
    X-Heron-Timestamp: <unix seconds>
    X-Heron-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the secret>

Signing the timestamp with the body lets receivers refuse replays (see
:func:`verify_signature`). 2xx is delivered; 5xx, 408, 429 and connection errors are
retried with exponential backoff up to ``attempts`` times; other answers (3xx
included: redirects are never followed) fail at once; a target the egress policy
refuses is logged as ``refused`` and not tried.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Protocol

import httpx

from heron.errors import InvalidInput
from heron.registry.base import Delivery, ModelEvent, WebhookTarget
from heron.registry.egress import DeliveryPool, EgressPolicy, Outcome, post_checked

SIGNATURE_HEADER = "X-Heron-Signature"
TIMESTAMP_HEADER = "X-Heron-Timestamp"
DEFAULT_ATTEMPTS = 5
DEFAULT_BACKOFF_S = 1.0  # 1, 2, 4, 8 s between attempts (with jitter)
DEFAULT_TIMEOUT_S = 10.0
MIN_SECRET_LENGTH = 16


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Heron-Signature`` value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(
    secret: str,
    body: bytes,
    timestamp: str,
    signature: str,
    *,
    tolerance_s: float = 300.0,
    now: float | None = None,
) -> bool:
    """What a receiver checks: the signature matches and the timestamp is recent."""
    try:
        sent = float(timestamp)
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - sent) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def check_secret(secret: object) -> str:
    if not isinstance(secret, str) or len(secret) < MIN_SECRET_LENGTH or len(secret) > 256:
        raise InvalidInput(
            f"a webhook secret is a string of {MIN_SECRET_LENGTH}-256 characters "
            "(python -c 'import secrets; print(secrets.token_hex(32))' makes one)"
        )
    return secret


class DeliveryLog(Protocol):
    """Where the dispatcher finds targets and writes attempts (the SQL registry)."""

    def webhook_targets(self, model: str, event: str) -> list[WebhookTarget]: ...

    def record_delivery(self, attempt: Delivery) -> None: ...


class WebhookDispatcher:
    """Delivers events to webhooks on a small thread pool. ``wait`` blocks until
    everything submitted so far is delivered or given up on (tests, shutdown)."""

    def __init__(
        self,
        log: DeliveryLog,
        policy: EgressPolicy,
        *,
        attempts: int = DEFAULT_ATTEMPTS,
        backoff_s: float = DEFAULT_BACKOFF_S,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        workers: int = 2,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._log = log
        self._policy = policy
        self._attempts = max(1, attempts)
        self._backoff = backoff_s
        self._sleep = sleep
        self._client = httpx.Client(timeout=timeout_s, follow_redirects=False, trust_env=False)
        self._pool = DeliveryPool(workers, "heron-webhook")

    @property
    def closed(self) -> bool:
        """True once :meth:`close` began: new events are dropped from then on."""
        return self._pool.closed

    def publish(self, events: Sequence[ModelEvent]) -> None:
        """Queue ``events`` for delivery; returns at once."""
        for event in events:
            self._pool.submit(self._fan_out, event)

    def wait(self, timeout: float | None = None) -> bool:
        """True when nothing is pending (False: timed out)."""
        return self._pool.wait(timeout)

    def close(self, timeout: float | None = 30.0) -> None:
        """Finish what is pending (up to ``timeout``), then stop."""
        if self._pool.close(timeout):
            self._client.close()

    def _fan_out(self, event: ModelEvent) -> None:
        # Delivered here, one webhook after the other, not re-submitted: at interpreter
        # exit the pool takes no new work, and a queued event must still go out.
        for target in self._log.webhook_targets(event.model, event.event):
            self._deliver(target, event)

    def _deliver(self, target: WebhookTarget, event: ModelEvent) -> None:
        delivery = str(uuid.uuid4())
        body = json.dumps(
            {**event.payload(), "delivery": delivery}, sort_keys=True, separators=(",", ":")
        ).encode()
        for attempt in range(1, self._attempts + 1):
            outcome = self._attempt(target, event.event, delivery, body)
            last = attempt == self._attempts
            if outcome.status == "retrying" and last:
                outcome = Outcome("failed", outcome.code, outcome.error)
            self._log.record_delivery(
                Delivery(
                    0,
                    target.hook.id,
                    delivery,
                    event.event,
                    attempt,
                    outcome.status,
                    outcome.code,
                    outcome.error,
                    time.time(),
                )
            )
            if outcome.status != "retrying":
                return
            delay = self._backoff * 2 ** (attempt - 1)
            self._sleep(delay * random.uniform(0.8, 1.2))

    def _attempt(self, target: WebhookTarget, event: str, delivery: str, body: bytes) -> Outcome:
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "heron-webhooks",
            "X-Heron-Event": event,
            "X-Heron-Delivery": delivery,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(target.secret, timestamp, body),
        }
        return post_checked(self._client, self._policy, target.hook.url, headers, body)
