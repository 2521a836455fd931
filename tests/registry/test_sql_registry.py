"""What only the SQL registry does (the rest is the contract suite): announcing
committed changes to subscribers, and checking new files against a blob store only
when it was given one."""

from __future__ import annotations

from pathlib import Path

import pytest

from heron.artifacts import LocalArtifactStore
from heron.errors import Forbidden, InvalidInput
from heron.registry.base import ModelEvent
from heron.registry.requests import AliasMove, ModelUpdate, NewVersion, Rollback, Transition
from heron.registry.sql import SqlRegistry
from heron.store.sql import SqlStore
from tests.registry.conftest import ADMIN, USER, put_files, register
from tests.store.helpers import new_run


def test_events_are_announced_after_commit_only(
    registry: SqlRegistry, store: SqlStore, blobs: LocalArtifactStore, tmp_path: Path
) -> None:
    seen: list[ModelEvent] = []
    registry.subscribe(seen.extend)
    register(registry, store, blobs, tmp_path)
    register(registry, store, blobs, tmp_path)
    registry.transition("clf", Transition(1, "production"), ADMIN)
    registry.transition("clf", Transition(2, "production"), ADMIN)
    registry.transition("clf", Transition(2, "production"), ADMIN)  # a no-op: no event
    registry.set_alias("clf", AliasMove(2, "champion"), ADMIN)
    with pytest.raises(Forbidden):
        registry.update_model("clf", ModelUpdate(protected=["staging"]), USER)
    with pytest.raises(InvalidInput):
        registry.transition("clf", Transition(1, "nope"), ADMIN)
    assert [(e.event, e.version) for e in seen] == [
        ("version-created", 1),
        ("version-created", 2),
        ("stage-changed", 1),
        ("stage-changed", 2),
        ("stage-changed", 1),
        ("alias-changed", 2),
    ]
    payload = seen[-1].payload()
    assert payload["name"] == "champion" and payload["to_value"] == "2"
    assert payload["history_id"] == registry.history("clf")[-1].id
    created = seen[0].payload()
    assert created["event"] == "version-created" and "history_id" not in created


def test_a_rollback_announces_each_move_once(
    registry: SqlRegistry, store: SqlStore, blobs: LocalArtifactStore, tmp_path: Path
) -> None:
    for _ in range(2):
        register(registry, store, blobs, tmp_path)
        registry.transition(
            "clf", Transition(registry.versions("clf")[0].version, "production"), ADMIN
        )
    seen: list[ModelEvent] = []
    registry.subscribe(seen.extend)
    registry.rollback("clf", Rollback(stage="production"), ADMIN)
    assert [(e.event, e.version, e.history.rollback_of is not None) for e in seen] == [  # type: ignore[union-attr]
        ("stage-changed", 2, True),
        ("stage-changed", 1, True),
    ]


def test_blobs_are_checked_only_against_a_given_store(
    store: SqlStore, blobs: LocalArtifactStore, tmp_path: Path
) -> None:
    other = LocalArtifactStore(tmp_path / "elsewhere", durable=False)
    files = put_files(other, tmp_path, b"never uploaded to blobs")
    run = new_run(store)
    checked = SqlRegistry(store, blobs=blobs)
    with pytest.raises(InvalidInput, match="not in the artifact store"):
        checked.create_version("m", NewVersion(run_id=run.id, files=files), ADMIN)
    unchecked = SqlRegistry(store)  # the caller vouches for its blobs (the SDK put them)
    made = unchecked.create_version("m", NewVersion(run_id=run.id, files=files), ADMIN)
    assert made.version == 1


def test_a_registry_without_a_dispatcher_has_nothing_to_wait_for(registry: SqlRegistry) -> None:
    assert registry.wait_for_webhooks(0) is True


def test_edits_keep_protections(
    registry: SqlRegistry, store: SqlStore, blobs: LocalArtifactStore, tmp_path: Path
) -> None:
    """RegistryEdits (served to MLflow's client): a version in a protected stage, or a
    model holding one, is deleted only by an admin; deleting drops the version's
    aliases (history says so); rename refuses a taken name; delete takes everything."""
    from heron.errors import Conflict, NotFound
    from heron.registry.base import RegistryEdits
    from heron.registry.requests import VersionUpdate

    assert isinstance(registry, RegistryEdits)
    for _ in range(2):
        register(registry, store, blobs, tmp_path)
    registry.update_model("clf", ModelUpdate(protected=["production"]), ADMIN)
    registry.transition("clf", Transition(2, "production"), ADMIN)
    registry.set_alias("clf", AliasMove(1, "old"), USER)
    edited = registry.update_version("clf", 1, VersionUpdate("first", {"k": "v"}), USER)
    assert (edited.description, edited.tags) == ("first", {"k": "v"})
    with pytest.raises(Forbidden):
        registry.delete_version("clf", 2, USER)
    with pytest.raises(Forbidden):
        registry.delete_model("clf", USER)
    registry.delete_version("clf", 1, USER)
    assert [v.version for v in registry.versions("clf")] == [2]
    assert registry.get_model("clf").aliases == {}
    assert (
        registry.history("clf")[-1].name == "old" and registry.history("clf")[-1].to_value is None
    )
    register(registry, store, blobs, tmp_path, name="other")
    with pytest.raises(Conflict):
        registry.rename_model("clf", "other", USER)
    assert registry.rename_model("clf", "renamed", USER).latest_version == 2
    registry.delete_model("renamed", ADMIN)
    with pytest.raises(NotFound):
        registry.get_model("renamed")
    assert [m.name for m in registry.list_models()] == ["other"]
