"""Delivering alerts: Slack-compatible webhooks and e-mail, off the ingest path.

A :class:`Dispatcher` takes an alert and its targets and delivers on a small thread
pool, so a slow receiver never slows a batch down. Every attempt is recorded
(``alert_deliveries``): ``delivered``, ``retrying``, ``failed`` or ``refused``.

- Webhooks get ``POST {"text": "<level>: <title>\\n<text>\\n<project / run>"}`` (what
  Slack, Mattermost and Rocket.Chat incoming webhooks read). The URL is checked by
  the registry's egress policy (:class:`heron.registry.egress.EgressPolicy`,
  ``HERON_WEBHOOK_ALLOW``) before every attempt and the request goes to the checked
  address; redirects are never followed. 2xx is delivered; 5xx, 408, 429 and
  connection errors are retried with backoff; other answers fail at once.
- E-mail goes through the SMTP server of ``HERON_SMTP_HOST`` (none: ``refused``).
"""

from __future__ import annotations

import json
import random
import smtplib
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING

from heron.alerts.base import Alert, Channel, Delivery, DeliveryStatus
from heron.registry.egress import DeliveryPool, EgressPolicy, Outcome, post_checked

if TYPE_CHECKING:  # imported by the first webhook: a store's alerts need no HTTP client
    import httpx

DEFAULT_ATTEMPTS = 3
DEFAULT_BACKOFF_S = 1.0  # 1 s, then 2 s between attempts (with jitter)
DEFAULT_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Smtp:
    """Where e-mail goes (``HERON_SMTP_*``). ``security``: ``starttls``, ``ssl`` or
    ``none`` (a relay on a trusted network, or a test server)."""

    host: str | None = None
    port: int = 587
    security: str = "starttls"
    user: str | None = None
    password: str | None = None
    sender: str = "heron@localhost"


def message(alert: Alert) -> str:
    """The alert as one plain-text message (webhook ``text``, e-mail body)."""
    where = alert.project + (f" / run {alert.run_id}" if alert.run_id else "")
    body = f"[{alert.level}] {alert.title}"
    if alert.text:
        body += f"\n{alert.text}"
    return f"{body}\n({where})"


class Dispatcher:
    """Delivers alerts on ``workers`` threads; ``wait`` blocks until everything
    submitted so far is delivered or given up on (tests, shutdown)."""

    def __init__(
        self,
        record: Callable[[Delivery], None],
        policy: EgressPolicy,
        smtp: Smtp,
        *,
        attempts: int = DEFAULT_ATTEMPTS,
        backoff_s: float = DEFAULT_BACKOFF_S,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        workers: int = 2,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._record = record
        self.policy = policy
        self.smtp = smtp
        self._attempts = max(1, attempts)
        self._backoff = backoff_s
        self._timeout = timeout_s
        self._sleep = sleep
        self._client: httpx.Client | None = None  # made by the first webhook
        self._pool = DeliveryPool(workers, "heron-alerts")
        self._client_lock = threading.Lock()

    def submit(self, alert: Alert, webhooks: tuple[str, ...], emails: tuple[str, ...]) -> None:
        """Queue the alert's deliveries; returns at once."""
        jobs: list[tuple[Channel, str]] = [("webhook", url) for url in webhooks]
        jobs += [("email", address) for address in emails]
        for channel, target in jobs:
            self._pool.submit(self._deliver, alert, channel, target)

    def wait(self, timeout: float | None = None) -> bool:
        """True when nothing is pending (False: timed out)."""
        return self._pool.wait(timeout)

    def close(self, timeout: float | None = 30.0) -> None:
        """Finish what is pending (up to ``timeout``), then stop."""
        if not self._pool.close(timeout):
            return
        with self._client_lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def _deliver(self, alert: Alert, channel: Channel, target: str) -> None:
        for attempt in range(1, self._attempts + 1):
            try:
                if channel == "webhook":
                    outcome = self._webhook(alert, target)
                else:
                    outcome = self._email(alert, target)
            except Exception as exc:  # recorded as this attempt's failure
                outcome = Outcome("failed", error=f"{type(exc).__name__}: {exc}")
            if outcome.status == "retrying" and attempt == self._attempts:
                outcome = Outcome("failed", outcome.code, outcome.error)
            self._record(
                Delivery(
                    0,
                    alert.id,
                    channel,
                    target,
                    attempt,
                    outcome.status,
                    outcome.code,
                    outcome.error,
                    time.time(),
                )
            )
            if outcome.status != "retrying":
                return
            self._sleep(self._backoff * 2 ** (attempt - 1) * random.uniform(0.8, 1.2))

    def _webhook(self, alert: Alert, url: str) -> Outcome:
        body = json.dumps({"text": message(alert)}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "heron-alerts"}
        with self._client_lock:
            if self._client is None:
                import httpx

                self._client = httpx.Client(
                    timeout=self._timeout, follow_redirects=False, trust_env=False
                )
            client = self._client
        return post_checked(client, self.policy, url, headers, body)

    def _email(self, alert: Alert, address: str) -> Outcome:
        smtp = self.smtp
        if smtp.host is None:
            return Outcome("refused", error="no SMTP server: set HERON_SMTP_HOST")
        mail = EmailMessage()
        mail["Subject"] = f"[heron] {alert.level}: {alert.title}"
        mail["From"] = smtp.sender
        mail["To"] = address
        mail["X-Heron-Alert"] = str(alert.id)
        mail.set_content(message(alert))
        try:
            if smtp.security == "ssl":
                context = ssl.create_default_context()
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    smtp.host, smtp.port, timeout=self._timeout, context=context
                )
            else:
                client = smtplib.SMTP(smtp.host, smtp.port, timeout=self._timeout)
            with client:
                if smtp.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if smtp.user is not None:
                    client.login(smtp.user, smtp.password or "")
                client.send_message(mail)
        except smtplib.SMTPResponseException as exc:
            status: DeliveryStatus = "retrying" if 400 <= exc.smtp_code < 500 else "failed"
            return Outcome(status, exc.smtp_code, f"SMTP {exc.smtp_code}: {exc.smtp_error!r}")
        except (OSError, smtplib.SMTPException) as exc:
            return Outcome("retrying", error=f"{type(exc).__name__}: {exc}")
        return Outcome("delivered", 250)
