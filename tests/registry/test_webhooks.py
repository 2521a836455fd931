"""Webhook delivery to a real HTTP receiver on loopback: signatures, retries, the
delivery log, and refusal of targets the egress policy does not allow."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from heron.artifacts import LocalArtifactStore
from heron.errors import Forbidden, InvalidInput
from heron.registry.egress import EgressPolicy, EgressRefused
from heron.registry.sql import SqlRegistry
from heron.registry.webhooks import WebhookDispatcher, verify_signature
from heron.store.sql import SqlStore
from tests.registry.conftest import ADMIN, USER, register
from tests.registry.receiver import Receiver

SECRET = "s3cret-s3cret-s3cret"


@pytest.fixture
def hooked(store: SqlStore, receiver: Receiver) -> Iterator[tuple[SqlRegistry, WebhookDispatcher]]:
    policy = EgressPolicy.parse(f"127.0.0.1:{receiver.port}")
    registry = SqlRegistry(store, egress=policy)
    dispatcher = WebhookDispatcher(registry, policy, attempts=3, backoff_s=0.01, timeout_s=5)
    registry.subscribe(dispatcher.publish)
    try:
        yield registry, dispatcher
    finally:
        dispatcher.close()


def test_a_delivery_is_signed_and_logged(
    hooked: tuple[SqlRegistry, WebhookDispatcher],
    receiver: Receiver,
    store: SqlStore,
    blobs: LocalArtifactStore,
    tmp_path: Path,
) -> None:
    registry, dispatcher = hooked
    hook = registry.add_webhook(receiver.url, ["version-created", "stage-changed"], SECRET, ADMIN)
    register(registry, store, blobs, tmp_path)
    registry.transition("clf", 1, "production", ADMIN, reason="ship it")
    assert dispatcher.wait(30)
    assert len(receiver.requests) == 2
    by_event = {json.loads(body)["event"]: (headers, body) for headers, body in receiver.requests}
    headers, body = by_event["stage-changed"]
    assert headers["X-Heron-Event"] == "stage-changed"
    assert verify_signature(
        SECRET, body, headers["X-Heron-Timestamp"], headers["X-Heron-Signature"]
    )
    assert not verify_signature(
        "another-secret-of-16", body, headers["X-Heron-Timestamp"], headers["X-Heron-Signature"]
    )
    assert not verify_signature(
        SECRET, body + b" ", headers["X-Heron-Timestamp"], headers["X-Heron-Signature"]
    )
    payload = json.loads(body)
    assert payload["model"] == "clf" and payload["version"] == 1
    assert (payload["from_value"], payload["to_value"], payload["reason"]) == (
        "none",
        "production",
        "ship it",
    )
    assert payload["delivery"] == headers["X-Heron-Delivery"]
    log = registry.deliveries(hook.id)
    assert sorted((d.event, d.status, d.response_code, d.attempt) for d in log) == [
        ("stage-changed", "delivered", 200, 1),
        ("version-created", "delivered", 200, 1),
    ]


def test_a_500_is_retried_with_the_same_delivery_id(
    hooked: tuple[SqlRegistry, WebhookDispatcher],
    receiver: Receiver,
    store: SqlStore,
    blobs: LocalArtifactStore,
    tmp_path: Path,
) -> None:
    registry, dispatcher = hooked
    hook = registry.add_webhook(receiver.url, ["version-created"], SECRET, ADMIN)
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
    hook = registry.add_webhook(receiver.url, ["version-created"], SECRET, ADMIN)
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
        hook = registry.add_webhook(f"http://127.0.0.1:{port}/", ["version-created"], SECRET, ADMIN)
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
    with pytest.raises(EgressRefused, match="loopback"):
        default.add_webhook(receiver.url, ["version-created"], SECRET, ADMIN)
    with pytest.raises(EgressRefused, match="link-local"):
        default.add_webhook("http://169.254.169.254/latest", ["version-created"], SECRET, ADMIN)
    assert default.webhooks() == []
    # Allowed when added, refused at delivery (the policy changed meanwhile).
    allowing = SqlRegistry(store, egress=EgressPolicy.parse(f"127.0.0.1:{receiver.port}"))
    hook = allowing.add_webhook(receiver.url, ["version-created"], SECRET, ADMIN)
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


def test_webhooks_filter_by_event_and_model(
    hooked: tuple[SqlRegistry, WebhookDispatcher],
    receiver: Receiver,
    store: SqlStore,
    blobs: LocalArtifactStore,
    tmp_path: Path,
) -> None:
    registry, dispatcher = hooked
    register(registry, store, blobs, tmp_path, name="other")
    register(registry, store, blobs, tmp_path, name="clf")
    assert dispatcher.wait(30)
    only_clf = registry.add_webhook(receiver.url, ["alias-changed"], SECRET, ADMIN, model="clf")
    assert [h.id for h in registry.webhooks("clf")] == [only_clf.id]
    assert registry.webhooks("other") == []
    registry.set_alias("other", 1, "champion", ADMIN)
    registry.transition("clf", 1, "staging", ADMIN)
    registry.set_alias("clf", 1, "champion", ADMIN)
    assert dispatcher.wait(30)
    assert [json.loads(body)["model"] for _, body in receiver.requests] == ["clf"]
    assert json.loads(receiver.requests[0][1])["event"] == "alias-changed"
    registry.remove_webhook(only_clf.id, ADMIN)
    assert registry.webhooks() == []


def test_webhook_management_takes_an_admin_and_valid_input(
    hooked: tuple[SqlRegistry, WebhookDispatcher], receiver: Receiver
) -> None:
    registry, _ = hooked
    with pytest.raises(Forbidden):
        registry.add_webhook(receiver.url, ["version-created"], SECRET, USER)
    with pytest.raises(InvalidInput, match="secret"):
        registry.add_webhook(receiver.url, ["version-created"], "short", ADMIN)
    with pytest.raises(InvalidInput, match="not one of"):
        registry.add_webhook(receiver.url, ["deployed"], SECRET, ADMIN)
    with pytest.raises(InvalidInput, match="at least one event"):
        registry.add_webhook(receiver.url, [], SECRET, ADMIN)
    hook = registry.add_webhook(receiver.url, ["stage-changed"], SECRET, ADMIN)
    with pytest.raises(Forbidden):
        registry.remove_webhook(hook.id, USER)
    assert "secret" not in repr(hook)
