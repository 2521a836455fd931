"""Real receivers for alert deliveries: an SMTP server (aiosmtpd) and an HTTP webhook
receiver on loopback, plus an :class:`~heron.alerts.Alerts` wired to both."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from heron.alerts import Alerts, open_alerts
from heron.artifacts.local import LocalArtifactStore
from heron.service import Tracking
from heron.settings import Settings
from heron.store.sql import SqlStore
from tests.registry.receiver import Receiver, receiver

__all__ = ["Mailbox", "Receiver", "receiver"]


@dataclass
class Mailbox:
    host: str
    port: int
    messages: list[Message] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.box.messages.append(message_from_bytes(envelope.content))
        self.box.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server on 127.0.0.1 that keeps every message it is sent."""
    box = Mailbox("127.0.0.1", _free_port())
    controller = Controller(_Handler(box), hostname=box.host, port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def settings(mailbox: Mailbox, receiver: Receiver) -> Settings:
    """Settings that deliver to the test's receivers: the webhook receiver's loopback
    address and port allowed explicitly (HERON_WEBHOOK_ALLOW), SMTP without TLS."""
    return Settings.from_env(
        {
            "HERON_WEBHOOK_ALLOW": f"127.0.0.1:{receiver.port}",
            "HERON_SMTP_HOST": mailbox.host,
            "HERON_SMTP_PORT": str(mailbox.port),
            "HERON_SMTP_SECURITY": "none",
            "HERON_SMTP_FROM": "heron@example.com",
        }
    )


@pytest.fixture
def alerts(store: SqlStore, settings: Settings) -> Iterator[Alerts]:
    opened = open_alerts(store, settings)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def tracking(store: SqlStore, alerts: Alerts, tmp_path: Path) -> Tracking:
    return Tracking(store, LocalArtifactStore(tmp_path / "blobs"), alerts=alerts)
