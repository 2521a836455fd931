"""The webhook dispatcher against a real HTTP receiver on loopback: retries with one
delivery id, bounded attempts, no retry for 4xx or redirects, connection errors, and
refusal at delivery time. (Adding, listing and a delivered, signed call are in the
contract suite, for every registry.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from heron.artifacts import LocalArtifactStore
from heron.errors import InvalidInput
from heron.registry.egress import EgressPolicy
from heron.registry.requests import NewWebhook
from heron.registry.sql import SqlRegistry
from heron.registry.webhooks import WebhookDispatcher, check_secret, sign, verify_signature
from heron.store.sql import SqlStore
from tests.registry.conftest import ADMIN, register
from tests.registry.receiver import Receiver

SECRET = "s3cret-s3cret-s3cret"


@pytest.fixture
def hooked(store: SqlStore, receiver: Receiver) -> Iterator[tuple[SqlRegistry, WebhookDispatcher]]:
    policy = EgressPolicy.parse(f"127.0.0.1:{receiver.port}")
    registry = SqlRegistry(store, egress=policy)
    dispatcher = WebhookDispatcher(registry, policy, attempts=3, backoff_s=0.01, timeout_s=5)
    registry.deliver_with(dispatcher)
    try:
        yield registry, dispatcher
    finally:
        dispatcher.close()


def test_a_500_is_retried_with_the_same_delivery_id(
    hooked: tuple[SqlRegistry, WebhookDispatcher],
    receiver: Receiver,
    store: SqlStore,
    blobs: LocalArtifactStore,
    tmp_path: Path,
) -> None:
    registry, dispatcher = hooked
    hook = registry.add_webhook(NewWebhook(receiver.url, ["version-created"], SECRET), ADMIN)
    receiver.statuses[:] = [500]
    register(registry, store, blobs, tmp_path)
    assert dispatcher.wait(30)
    assert len(receiver.requests) == 2
    ids = {headers["X-Heron-Delivery"] for headers, _ in receiver.requests}
    assert len(ids) == 1
    for headers, body in receiver.requests:  # each attempt is signed afresh
        assert verify_signature(
            SECRET, body, headers["X-Heron-Timestamp"], headers["X-Heron-Signature"]
        )
    log = sorted(registry.deliveries(hook.id), key=lambda d: d.attempt)
    assert [(d.attempt, d.status, d.response_code) for d in log] == [
        (1, "retrying", 500),
        (2, "delivered", 200),
    ]


def test_attempts_are_bounded_and_4xx_or_redirects_are_not_retried(
    hooked: tuple[SqlRegistry, WebhookDispatcher],
    receiver: Receiver,
    store: SqlStore,
    blobs: LocalArtifactStore,
    tmp_path: Path,
) -> None:
    registry, dispatcher = hooked
    hook = registry.add_webhook(NewWebhook(receiver.url, ["version-created"], SECRET), ADMIN)
    receiver.statuses[:] = [503, 502, 500, 500]
    register(registry, store, blobs, tmp_path)
    assert dispatcher.wait(30)
    assert len(receiver.requests) == 3  # attempts=3
    assert [d.status for d in registry.deliveries(hook.id)] == ["failed", "retrying", "retrying"]
    receiver.statuses[:] = [302]
    receiver.requests.clear()
    register(registry, store, blobs, tmp_path)
    assert dispatcher.wait(30)
    assert len(receiver.requests) == 1  # the Location was not followed
    newest = registry.deliveries(hook.id)[0]
    assert (newest.status, newest.response_code) == ("failed", 302)
    assert "redirects" in (newest.error or "")
    receiver.statuses[:] = [404]
    register(registry, store, blobs, tmp_path)
    assert dispatcher.wait(30)
    assert registry.deliveries(hook.id)[0].status == "failed"


def test_a_connection_error_is_retried_then_fails(
    store: SqlStore, blobs: LocalArtifactStore, tmp_path: Path
) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    policy = EgressPolicy.parse(f"127.0.0.1:{port}")
    registry = SqlRegistry(store, egress=policy)
    dispatcher = WebhookDispatcher(registry, policy, attempts=2, backoff_s=0.01, timeout_s=2)
    registry.subscribe(dispatcher.publish)
    try:
        hook = registry.add_webhook(
            NewWebhook(f"http://127.0.0.1:{port}/", ["version-created"], SECRET), ADMIN
        )
        register(registry, store, blobs, tmp_path)
        assert dispatcher.wait(30)
    finally:
        dispatcher.close()
    log = registry.deliveries(hook.id)
    assert [d.status for d in log] == ["failed", "retrying"]
    assert all(d.response_code is None and "Connect" in (d.error or "") for d in log)


def test_disallowed_targets_are_refused_when_added_and_when_delivered(
    store: SqlStore, receiver: Receiver, blobs: LocalArtifactStore, tmp_path: Path
) -> None:
    default = SqlRegistry(store)  # the default policy: public addresses only
    with pytest.raises(InvalidInput, match="loopback"):
        default.add_webhook(NewWebhook(receiver.url, ["version-created"], SECRET), ADMIN)
    with pytest.raises(InvalidInput, match="link-local"):
        default.add_webhook(
            NewWebhook("http://169.254.169.254/latest", ["version-created"], SECRET), ADMIN
        )
    assert default.webhooks() == []
    # Allowed when added, refused at delivery (the policy changed meanwhile).
    allowing = SqlRegistry(store, egress=EgressPolicy.parse(f"127.0.0.1:{receiver.port}"))
    hook = allowing.add_webhook(NewWebhook(receiver.url, ["version-created"], SECRET), ADMIN)
    dispatcher = WebhookDispatcher(default, EgressPolicy(), attempts=3, backoff_s=0.01)
    default.subscribe(dispatcher.publish)
    try:
        register(default, store, blobs, tmp_path)
        assert dispatcher.wait(30)
    finally:
        dispatcher.close()
    assert receiver.requests == []
    log = default.deliveries(hook.id)
    assert [(d.status, d.attempt) for d in log] == [("refused", 1)]
    assert "loopback" in (log[0].error or "")


def test_a_signature_binds_secret_body_and_a_recent_timestamp() -> None:
    body, now = b'{"event":"stage-changed"}', 1_700_000_000.0
    stamp = str(int(now))
    signature = sign(SECRET, stamp, body)
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert verify_signature(SECRET, body, stamp, signature, now=now)
    assert verify_signature(SECRET, body, stamp, signature, now=now + 299)
    assert not verify_signature(SECRET, body, stamp, signature, now=now + 301)  # a replay
    assert not verify_signature(SECRET, body, stamp, signature, now=now - 301)
    assert not verify_signature("another-secret-of-16", body, stamp, signature, now=now)
    assert not verify_signature(SECRET, body + b" ", stamp, signature, now=now)
    assert not verify_signature(SECRET, body, str(int(now) + 1), signature, now=now)
    assert not verify_signature(SECRET, body, "yesterday", signature, now=now)


@pytest.mark.parametrize("secret", ["short", "x" * 257, 12345678901234567])
def test_secrets_are_16_to_256_characters(secret: object) -> None:
    with pytest.raises(InvalidInput, match="16-256"):
        check_secret(secret)
    assert check_secret("x" * 16) == "x" * 16


def test_wait_follows_the_attached_dispatcher(
    hooked: tuple[SqlRegistry, WebhookDispatcher],
    receiver: Receiver,
    store: SqlStore,
    blobs: LocalArtifactStore,
    tmp_path: Path,
) -> None:
    registry, dispatcher = hooked
    registry.add_webhook(NewWebhook(receiver.url, ["version-created"], SECRET), ADMIN)
    receiver.statuses[:] = [500]  # one retry after backoff_s: pending for a moment
    register(registry, store, blobs, tmp_path)
    assert registry.wait_for_webhooks(30)
    assert len(receiver.requests) == 2  # both attempts happened before wait returned
    dispatcher.close()
    register(registry, store, blobs, tmp_path)  # a closed dispatcher takes no new work
    assert registry.wait_for_webhooks(1)
    assert len(receiver.requests) == 2
