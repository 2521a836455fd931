"""The registry's lifecycle on SQLite and PostgreSQL: versions, stages, aliases,
rollback, history, protection."""

from __future__ import annotations

from pathlib import Path

import pytest

from heron.artifacts import LocalArtifactStore
from heron.errors import Conflict, Forbidden, InvalidInput, NotFound
from heron.registry.base import ArtifactSource, HistoryEntry, ModelEvent
from heron.registry.sql import SqlRegistry
from heron.store.sql import SqlStore
from tests.registry.conftest import ADMIN, USER, log_artifact, put_files, register
from tests.store.helpers import new_run


def stages(registry: SqlRegistry, name: str = "clf") -> dict[int, str]:
    return {v.version: v.stage for v in registry.versions(name)}


def moves(history: list[HistoryEntry]) -> list[tuple[object, ...]]:
    return [(h.kind, h.name, h.version, h.from_value, h.to_value) for h in history]


def test_versions_number_from_one_and_point_at_the_runs_artifact(
    registry: SqlRegistry, store: SqlStore, versions: list
) -> None:
    assert [v.version for v in versions] == [1, 2, 3]
    v2 = registry.get_version("clf", 2)
    assert v2.stage == "none" and v2.uri == "models:/clf/2"
    artifact = store.artifact_by_id(v2.artifact_id)
    assert artifact.type == "model" and artifact.created_by == v2.run_id
    assert artifact.digest == v2.artifact_digest
    # An alias per model version keeps checkpoint retention off the artifact.
    assert any(a.startswith("registry-") for a in artifact.aliases)
    model = registry.get_model("clf")
    assert model.latest_version == 3 and model.created_by == "alice"
    assert [m.name for m in registry.list_models()] == ["clf"]
    assert [v.version for v in registry.versions("clf")] == [3, 2, 1]


def test_promotion_to_production_archives_the_previous_holder(
    registry: SqlRegistry, versions: list
) -> None:
    registry.transition("clf", 1, "production", ADMIN, reason="first")
    registry.transition("clf", 2, "Staging", ADMIN)
    registry.transition("clf", 2, "PRODUCTION", ADMIN, reason="beats v1 by 1.2%")
    assert stages(registry) == {1: "archived", 2: "production", 3: "none"}
    history = registry.history("clf")
    assert moves(history) == [
        ("stage", None, 1, "none", "production"),
        ("stage", None, 2, "none", "staging"),
        ("stage", None, 2, "staging", "production"),
        ("stage", None, 1, "production", "archived"),
    ]
    assert history[2].reason == "beats v1 by 1.2%" and history[2].actor == "alice"
    assert "version 2 moved to production" in (history[3].reason or "")
    assert registry.get_model("clf").stages == {"production": (2,), "archived": (1,)}


def test_keep_existing_leaves_the_other_production_version(
    registry: SqlRegistry, versions: list
) -> None:
    registry.transition("clf", 1, "production", ADMIN)
    registry.transition("clf", 2, "production", ADMIN, archive_existing=False)
    assert stages(registry) == {1: "production", 2: "production", 3: "none"}
    assert registry.resolve("clf", "production").version == 2  # the highest


def test_moving_to_the_current_stage_records_nothing(registry: SqlRegistry, versions: list) -> None:
    registry.transition("clf", 1, "staging", ADMIN)
    registry.transition("clf", 1, "staging", ADMIN)
    assert len(registry.history("clf")) == 1


def test_aliases_move_and_are_recorded(registry: SqlRegistry, versions: list) -> None:
    registry.set_alias("clf", 1, "champion", ADMIN)
    moved = registry.set_alias("clf", 2, "champion", ADMIN, reason="better")
    assert moved.aliases == ("champion",)
    assert registry.get_version("clf", 1).aliases == ()
    registry.remove_alias("clf", "champion", ADMIN)
    assert moves(registry.history("clf")) == [
        ("alias", "champion", 1, None, "1"),
        ("alias", "champion", 2, "1", "2"),
        ("alias", "champion", 2, "2", None),
    ]
    with pytest.raises(NotFound, match="no alias 'champion'"):
        registry.resolve("clf", "champion")


def test_rollback_of_a_stage_twice_goes_further_back(registry: SqlRegistry, versions: list) -> None:
    for v in (1, 2, 3):
        registry.transition("clf", v, "production", ADMIN)
    back = registry.rollback("clf", ADMIN, stage="production", reason="v3 regressed")
    assert back is not None and back.version == 2
    assert stages(registry) == {1: "archived", 2: "production", 3: "archived"}
    back = registry.rollback("clf", ADMIN, stage="Production")
    assert back is not None and back.version == 1
    assert stages(registry) == {1: "production", 2: "archived", 3: "archived"}
    with pytest.raises(Conflict, match="nothing to roll back to"):
        registry.rollback("clf", ADMIN, stage="production")
    history = registry.history("clf")
    rollbacks = [h for h in history if h.rollback_of is not None]
    assert moves(rollbacks) == [
        ("stage", None, 3, "production", "archived"),
        ("stage", None, 2, "archived", "production"),
        ("stage", None, 2, "production", "archived"),
        ("stage", None, 1, "archived", "production"),
    ]
    by_id = {h.id: h for h in history}
    # Each rollback names the forward move it undid: v3's promotion, then v2's.
    assert [by_id[r.rollback_of].version for r in rollbacks[::2]] == [3, 2]  # type: ignore[index]
    assert rollbacks[0].reason == "v3 regressed"


def test_a_promotion_after_a_rollback_is_undone_first(
    registry: SqlRegistry, versions: list
) -> None:
    registry.transition("clf", 1, "production", ADMIN)
    registry.transition("clf", 2, "production", ADMIN)
    registry.rollback("clf", ADMIN, stage="production")  # back to 1
    registry.transition("clf", 3, "production", ADMIN)  # stack: 1, 3
    assert registry.rollback("clf", ADMIN, stage="production").version == 1  # type: ignore[union-attr]
    with pytest.raises(Conflict):
        registry.rollback("clf", ADMIN, stage="production")


def test_rollback_of_an_alias_twice_and_back_to_absent(
    registry: SqlRegistry, versions: list
) -> None:
    for v in (1, 2, 3):
        registry.set_alias("clf", v, "champion", ADMIN)
    assert registry.rollback("clf", ADMIN, alias="champion").version == 2  # type: ignore[union-attr]
    assert registry.rollback("clf", ADMIN, alias="champion").version == 1  # type: ignore[union-attr]
    with pytest.raises(Conflict):
        registry.rollback("clf", ADMIN, alias="champion")
    registry.remove_alias("clf", "champion", ADMIN)
    assert registry.rollback("clf", ADMIN, alias="champion").version == 1  # type: ignore[union-attr]
    registry.set_alias("clf", 2, "canary", ADMIN)
    registry.remove_alias("clf", "canary", ADMIN)
    registry.set_alias("clf", 3, "canary", ADMIN)
    assert registry.rollback("clf", ADMIN, alias="canary") is None  # back to "removed"
    assert registry.resolve("clf", "champion").version == 1
    with pytest.raises(NotFound):
        registry.resolve("clf", "canary")


def test_rollback_needs_exactly_one_target_and_a_real_stage(
    registry: SqlRegistry, versions: list
) -> None:
    with pytest.raises(InvalidInput, match="exactly one"):
        registry.rollback("clf", ADMIN)
    with pytest.raises(InvalidInput, match="exactly one"):
        registry.rollback("clf", ADMIN, stage="production", alias="champion")
    with pytest.raises(InvalidInput, match="staging and production"):
        registry.rollback("clf", ADMIN, stage="archived")


def test_resolve_by_number_stage_alias_and_latest(registry: SqlRegistry, versions: list) -> None:
    registry.transition("clf", 2, "production", ADMIN)
    registry.set_alias("clf", 1, "champion", ADMIN)
    assert registry.resolve("clf", "3").version == 3
    assert registry.resolve("clf", "Production").version == 2
    assert registry.resolve("clf", "champion").version == 1
    assert registry.resolve("clf", "latest").version == 3
    with pytest.raises(NotFound, match="no version in stage staging"):
        registry.resolve("clf", "staging")
    with pytest.raises(NotFound, match="no version 9"):
        registry.resolve("clf", "9")
    with pytest.raises(NotFound, match="model 'nope' not found"):
        registry.resolve("nope", "1")


def test_history_is_complete_ordered_and_never_rewritten(
    registry: SqlRegistry, versions: list
) -> None:
    registry.transition("clf", 1, "production", ADMIN)
    before = registry.history("clf")
    registry.set_alias("clf", 1, "champion", ADMIN)
    registry.transition("clf", 2, "production", ADMIN)
    registry.rollback("clf", ADMIN, stage="production")
    after = registry.history("clf")
    assert after[: len(before)] == before
    assert [h.id for h in after] == sorted(h.id for h in after)
    assert [h.time for h in after] == sorted(h.time for h in after)
    assert len(after) == 1 + 1 + 2 + 2


def test_protected_stages_and_aliases_take_an_admin(registry: SqlRegistry, versions: list) -> None:
    with pytest.raises(Forbidden, match="admin"):
        registry.update_model("clf", USER, protected=["production"])
    registry.update_model("clf", ADMIN, protected=["Production", "champion"])
    assert registry.get_model("clf").protected == ("champion", "production")
    registry.transition("clf", 1, "staging", USER)  # not protected
    with pytest.raises(Forbidden, match="production is protected"):
        registry.transition("clf", 1, "production", USER)
    registry.transition("clf", 1, "production", ADMIN)
    with pytest.raises(Forbidden):  # moving out of production is moving it too
        registry.transition("clf", 1, "archived", USER)
    with pytest.raises(Forbidden):
        registry.set_alias("clf", 2, "champion", USER)
    registry.set_alias("clf", 2, "canary", USER)
    with pytest.raises(Forbidden):
        registry.rollback("clf", USER, stage="production")
    assert registry.get_version("clf", 1).stage == "production"
    assert [h.actor for h in registry.history("clf")] == ["bob", "alice", "bob"]
    assert [h.actor_admin for h in registry.history("clf")] == [False, True, False]


def test_bad_input_is_refused_and_changes_nothing(registry: SqlRegistry, versions: list) -> None:
    with pytest.raises(InvalidInput, match="stage 'prod' is not one of"):
        registry.transition("clf", 1, "prod", ADMIN)
    with pytest.raises(InvalidInput, match="would read as a version or a stage"):
        registry.set_alias("clf", 1, "Production", ADMIN)
    with pytest.raises(InvalidInput, match="would read as a version"):
        registry.set_alias("clf", 1, "7", ADMIN)
    with pytest.raises(InvalidInput, match="numbers from 1"):
        registry.transition("clf", 0, "staging", ADMIN)
    with pytest.raises(NotFound, match="no version 4"):
        registry.transition("clf", 4, "staging", ADMIN)
    with pytest.raises(InvalidInput):
        registry.create_model("bad name!", ADMIN)
    assert registry.history("clf") == []


def test_create_model_conflicts_unless_exist_ok(registry: SqlRegistry) -> None:
    made = registry.create_model("reg", ADMIN, description="d", tags={"team": "vision"})
    assert made.tags == {"team": "vision"} and made.latest_version is None
    with pytest.raises(Conflict, match="exists already"):
        registry.create_model("reg", ADMIN)
    assert registry.create_model("reg", ADMIN, exist_ok=True).description == "d"
    updated = registry.update_model("reg", USER, description="new")
    assert updated.description == "new"


def test_register_an_existing_artifact_of_the_run(
    registry: SqlRegistry, store: SqlStore, blobs: LocalArtifactStore, tmp_path: Path
) -> None:
    run, other = new_run(store), new_run(store)
    artifact = log_artifact(store, run.id, "ckpt", put_files(blobs, tmp_path, b"ckpt"))
    version = registry.create_version("m", ArtifactSource(version_id=artifact.id), ADMIN)
    assert version.run_id == run.id and version.artifact_id == artifact.id
    with pytest.raises(InvalidInput, match="neither logged nor used"):
        registry.create_version("m", ArtifactSource(version_id=artifact.id), ADMIN, run_id=other.id)
    with pytest.raises(NotFound):
        registry.create_version("m", ArtifactSource(version_id=10_000), ADMIN)
    with pytest.raises(InvalidInput, match="either"):
        registry.create_version("m", ArtifactSource(), ADMIN, run_id=run.id)
    assert [v.version for v in registry.versions("m")] == [1]


def test_checkpoint_retention_keeps_a_registered_checkpoint(
    registry: SqlRegistry, store: SqlStore, blobs: LocalArtifactStore, tmp_path: Path
) -> None:
    run = new_run(store)
    retention = {"keep_last": 1, "keep_best": 0, "metric": None, "mode": "max"}
    first = log_artifact(
        store, run.id, "ckpt", put_files(blobs, tmp_path, b"a"), retention=retention
    )
    registry.create_version("m", ArtifactSource(version_id=first.id), ADMIN)
    log_artifact(store, run.id, "ckpt", put_files(blobs, tmp_path, b"b"), retention=retention)
    log_artifact(store, run.id, "ckpt", put_files(blobs, tmp_path, b"c"), retention=retention)
    kept = [a.version for a in store.artifacts(name="ckpt")]
    assert kept == [0, 2]  # v1 went; v0 stays because the registry holds it
    assert store.artifact_by_id(registry.get_version("m", 1).artifact_id).id == first.id


def test_files_of_a_missing_run_or_bad_digest_are_refused(
    registry: SqlRegistry, store: SqlStore, blobs: LocalArtifactStore, tmp_path: Path
) -> None:
    files = put_files(blobs, tmp_path, b"x")
    with pytest.raises(NotFound, match="run 'nosuchrun' not found"):
        registry.create_version("m", ArtifactSource(files=files), ADMIN, run_id="nosuchrun")
    bad = (files[0].__class__("model.bin", "sha256:zz", 1),)
    run = new_run(store)
    with pytest.raises(InvalidInput, match="not a blob digest"):
        registry.create_version("m", ArtifactSource(files=bad), ADMIN, run_id=run.id)
    with pytest.raises(NotFound):
        registry.get_model("m")  # the failed transactions left nothing behind


def test_blobs_must_be_uploaded_when_the_registry_checks(
    store: SqlStore, blobs: LocalArtifactStore, tmp_path: Path
) -> None:
    checked = SqlRegistry(store, blobs=blobs)
    other = LocalArtifactStore(tmp_path / "elsewhere", durable=False)
    files = put_files(other, tmp_path, b"never uploaded here")
    run = new_run(store)
    with pytest.raises(InvalidInput, match="not in the artifact store"):
        checked.create_version("m", ArtifactSource(files=files), ADMIN, run_id=run.id)


def test_events_are_announced_after_commit_only(
    registry: SqlRegistry, store: SqlStore, blobs: LocalArtifactStore, tmp_path: Path
) -> None:
    seen: list[ModelEvent] = []
    registry.subscribe(seen.extend)
    register(registry, store, blobs, tmp_path)
    register(registry, store, blobs, tmp_path)
    registry.transition("clf", 1, "production", ADMIN)
    registry.transition("clf", 2, "production", ADMIN)
    registry.set_alias("clf", 2, "champion", ADMIN)
    with pytest.raises(Forbidden):
        registry.update_model("clf", USER, protected=["staging"])
    with pytest.raises(InvalidInput):
        registry.transition("clf", 1, "nope", ADMIN)
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
