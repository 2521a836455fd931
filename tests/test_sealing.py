"""Secrets sealed at rest: webhook signing secrets are never in the database in clear."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import select

from heron.errors import InvalidInput
from heron.registry import open_registry
from heron.registry.base import Actor
from heron.registry.requests import NewWebhook
from heron.sealing import KEY_FILE, PREFIX, Sealer
from heron.settings import Settings
from heron.store import schema as s
from heron.store.sql import SqlStore


def test_a_sealed_value_opens_only_with_its_key() -> None:
    sealed = Sealer("k" * 40).seal("hook-secret-0123456789")
    assert sealed.startswith(PREFIX) and "hook-secret" not in sealed
    assert Sealer("k" * 40).open(sealed) == "hook-secret-0123456789"
    with pytest.raises(InvalidInput, match="HERON_SECRET_KEY"):
        Sealer("another key").open(sealed)
    assert Sealer("k" * 40).open("stored before sealing") == "stored before sealing"


def test_without_a_key_one_is_made_once_readable_only_by_its_owner(tmp_path: Path) -> None:
    settings = Settings(config_dir=tmp_path / "cfg")
    first = Sealer.from_settings(settings).seal("x" * 20)
    key = tmp_path / "cfg" / KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert Sealer.from_settings(settings).open(first) == "x" * 20  # the same key again


def test_webhook_secrets_are_sealed_in_the_database(store: SqlStore, tmp_path: Path) -> None:
    settings = Settings(secret_key="a shared server key", webhook_allow="127.0.0.1:9")
    registry, dispatcher = open_registry(store, settings)
    try:
        hook = NewWebhook(url="http://127.0.0.1:9/h", events=["stage-changed"], secret="s" * 24)
        registry.add_webhook(hook, Actor("root", is_admin=True))
        stored = store.transactor.read(
            lambda c: c.execute(select(s.webhooks.c.secret)).scalar_one()
        )
        assert stored.startswith(PREFIX) and "s" * 24 not in stored
        (target,) = registry.webhook_targets("any-model", "stage-changed")
        assert target.secret == "s" * 24  # what deliveries are signed with
    finally:
        dispatcher.close(1)
