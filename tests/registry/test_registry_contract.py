"""The Registry contract (heron.registry.base), one suite for every implementation:
SqlRegistry on SQLite and on PostgreSQL, RemoteRegistry over HTTP to ``create_app``.
Each test runs once per implementation (the ``harness`` fixture); the same calls must
give the same answers and fail with the same error classes."""

from __future__ import annotations

import json
import time

import pytest

from heron.errors import Conflict, Forbidden, InvalidInput, NotFound
from heron.registry.base import HistoryEntry, Registry
from heron.registry.requests import (
    AliasMove,
    ModelUpdate,
    NewModel,
    NewVersion,
    NewWebhook,
    Rollback,
    Transition,
)
from heron.registry.webhooks import verify_signature
from tests.registry.harness import ADMIN, USER, Harness
from tests.registry.receiver import Receiver

SECRET = "s3cret-s3cret-s3cret"


def stages(registry: Registry, name: str = "clf") -> dict[int, str]:
    return {v.version: v.stage for v in registry.versions(name)}


def moves(history: list[HistoryEntry]) -> list[tuple[object, ...]]:
    return [(h.kind, h.name, h.version, h.from_value, h.to_value) for h in history]


def three(h: Harness) -> Registry:
    """Model "clf" with versions 1-3, each from its own run; the admin's registry."""
    for _ in range(3):
        h.version()
    return h.registry()


def promote(registry: Registry, version: int, stage: str = "production", **kw: object) -> None:
    registry.transition("clf", Transition(version, stage, **kw), ADMIN)  # type: ignore[arg-type]


# --- models ---------------------------------------------------------------------------


def test_every_implementation_is_a_registry(harness: Harness) -> None:
    assert isinstance(harness.registry(), Registry)


def test_create_get_and_list_models(harness: Harness) -> None:
    registry = harness.registry()
    before = time.time()
    made = registry.create_model(
        NewModel("reg", "a classifier", {"team": "vision", "epochs": 10}, ["Production"]), ADMIN
    )
    assert (made.name, made.description) == ("reg", "a classifier")
    assert made.tags == {"team": "vision", "epochs": "10"}  # values are kept as text
    assert made.protected == ("production",)
    assert made.created_by == "alice" and before - 5 <= made.created_at <= time.time() + 5
    assert (made.latest_version, made.stages, made.aliases) == (None, {}, {})
    assert registry.get_model("reg") == made
    registry.create_model(NewModel("another"), ADMIN)
    assert [m.name for m in registry.list_models()] == ["another", "reg"]


def test_a_model_name_is_taken_once(harness: Harness) -> None:
    registry = harness.registry()
    registry.create_model(NewModel("reg", "first"), ADMIN)
    with pytest.raises(Conflict, match="exists already"):
        registry.create_model(NewModel("reg", "second"), ADMIN)
    again = registry.create_model(NewModel("reg", "second"), ADMIN, exist_ok=True)
    assert again.description == "first"  # returned unchanged


def test_update_model_changes_only_what_is_given(harness: Harness) -> None:
    registry = harness.registry()
    registry.create_model(NewModel("reg", "d", {"team": "cv"}), ADMIN)
    changed = registry.update_model("reg", ModelUpdate(description="new"), ADMIN)
    assert (changed.description, changed.tags) == ("new", {"team": "cv"})
    changed = registry.update_model("reg", ModelUpdate(tags={"team": "nlp"}), ADMIN)
    assert (changed.description, changed.tags) == ("new", {"team": "nlp"})
    assert changed.updated_at >= changed.created_at
    user = harness.registry(USER)
    assert user.update_model("reg", ModelUpdate(description="by bob"), USER).description == (
        "by bob"
    )
    with pytest.raises(NotFound, match="model 'nope' not found"):
        registry.update_model("nope", ModelUpdate(description="x"), ADMIN)


def test_protecting_takes_an_admin(harness: Harness) -> None:
    user = harness.registry(USER)
    with pytest.raises(Forbidden, match="admin"):
        user.create_model(NewModel("reg", protected=["production"]), USER)
    user.create_model(NewModel("reg"), USER)
    with pytest.raises(Forbidden, match="admin"):
        user.update_model("reg", ModelUpdate(protected=["production"]), USER)
    admin = harness.registry()
    changed = admin.update_model("reg", ModelUpdate(protected=["STAGING", "champion"]), ADMIN)
    assert changed.protected == ("champion", "staging")
    assert admin.get_model("reg").created_by == "bob"


@pytest.mark.parametrize(
    ("request_", "match"),
    [
        (NewModel("bad name!"), "model name"),
        (NewModel("ok", tags={"bad key!": "v"}), "tag name"),
        (NewModel("ok", description="x" * 10_001), "description"),
        (NewModel("ok", protected=["bad alias!"]), "protected alias"),
    ],
)
def test_bad_models_are_refused(harness: Harness, request_: NewModel, match: str) -> None:
    with pytest.raises(InvalidInput, match=match):
        harness.registry().create_model(request_, ADMIN)
    assert harness.registry().list_models() == []


def test_unknown_models_are_not_found(harness: Harness) -> None:
    registry = harness.registry()
    for call in (
        lambda: registry.get_model("nope"),
        lambda: registry.versions("nope"),
        lambda: registry.history("nope"),
        lambda: registry.get_version("nope", 1),
        lambda: registry.resolve("nope", "1"),
        lambda: registry.transition("nope", Transition(1, "staging"), ADMIN),
        lambda: registry.set_alias("nope", AliasMove(1, "champion"), ADMIN),
        lambda: registry.rollback("nope", Rollback(stage="production"), ADMIN),
        lambda: registry.webhooks("nope"),
    ):
        with pytest.raises(NotFound, match="model 'nope' not found"):
            call()


# --- versions -------------------------------------------------------------------------


def test_versions_number_from_one_and_point_at_the_runs_artifact(harness: Harness) -> None:
    run = harness.run("vision")
    made = [harness.version(run=run, description=f"v{i}", tags={"i": i}) for i in range(3)]
    assert [v.version for v in made] == [1, 2, 3]
    registry = harness.registry()
    v2 = registry.get_version("clf", 2)
    assert v2 == made[1]
    assert (v2.stage, v2.aliases, v2.uri, v2.run_id) == ("none", (), "models:/clf/2", run.id)
    assert (v2.description, v2.tags, v2.created_by) == ("v1", {"i": "1"}, "alice")
    artifact = harness.conn.store.artifact_by_id(v2.artifact_id)
    assert (artifact.type, artifact.created_by, artifact.name) == ("model", run.id, "clf")
    assert artifact.digest == v2.artifact_digest
    # An alias per model version keeps checkpoint retention off the artifact.
    assert any(a.startswith("registry-") for a in artifact.aliases)
    assert [v.version for v in registry.versions("clf")] == [3, 2, 1]
    model = registry.get_model("clf")
    assert model.latest_version == 3 and model.created_by == "alice"


def test_a_new_version_logs_its_files_as_an_artifact(harness: Harness) -> None:
    run = harness.run()
    one = harness.version(
        "net", run=run, artifact_name="net-weights", single_file=True, metadata={"flavor": "x"}
    )
    artifact = harness.conn.store.artifact_by_id(one.artifact_id)
    assert artifact.name == "net-weights" and artifact.metadata == {"flavor": "x"}
    assert artifact.single_file is True
    files = harness.files(b"a") + harness.files(b"b", path="sub/b.bin")
    folder = harness.registry().create_version("net", NewVersion(run_id=run.id, files=files), ADMIN)
    artifact = harness.conn.store.artifact_by_id(folder.artifact_id)
    assert {f.path for f in artifact.files} == {"model.bin", "sub/b.bin"}
    assert artifact.name == "net" and artifact.single_file is False


def test_register_an_artifact_the_run_logged_or_used(harness: Harness) -> None:
    run, user, other = harness.run(), harness.run(), harness.run()
    artifact = harness.log_artifact(run.id, "ckpt", harness.files(b"ckpt"))
    harness.ingest(user.id, {"type": "use_artifact", "version_id": artifact.id, "time": 1.0})
    registry = harness.registry()
    mine = registry.create_version("m", NewVersion(artifact_id=artifact.id), ADMIN)
    assert (mine.run_id, mine.artifact_id) == (run.id, artifact.id)  # the logging run
    used = registry.create_version("m", NewVersion(run_id=user.id, artifact_id=artifact.id), ADMIN)
    assert used.run_id == user.id and used.artifact_digest == artifact.digest
    with pytest.raises(InvalidInput, match="neither logged nor used"):
        registry.create_version("m", NewVersion(run_id=other.id, artifact_id=artifact.id), ADMIN)
    with pytest.raises(NotFound):
        registry.create_version("m", NewVersion(artifact_id=10_000_000), ADMIN)
    assert [v.version for v in registry.versions("m")] == [2, 1]


def test_checkpoint_retention_keeps_a_registered_checkpoint(harness: Harness) -> None:
    run = harness.run()
    retention = {"keep_last": 1, "keep_best": 0, "metric": None, "mode": "max"}
    first = harness.log_artifact(run.id, "ckpt", harness.files(b"a"), retention=retention)
    harness.registry().create_version("m", NewVersion(artifact_id=first.id), ADMIN)
    harness.log_artifact(run.id, "ckpt", harness.files(b"b"), retention=retention)
    harness.log_artifact(run.id, "ckpt", harness.files(b"c"), retention=retention)
    kept = [a.version for a in harness.conn.store.artifacts(name="ckpt")]
    assert kept == [0, 2]  # v1 went; v0 stays because the registry holds it
    assert harness.conn.store.artifact_by_id(first.id).digest == first.digest


def test_a_version_needs_exactly_one_source(harness: Harness) -> None:
    run = harness.run()
    artifact = harness.log_artifact(run.id, "ckpt", harness.files(b"c"))
    registry = harness.registry()
    with pytest.raises(InvalidInput, match="either"):
        registry.create_version("m", NewVersion(run_id=run.id), ADMIN)
    both = NewVersion(run_id=run.id, artifact_id=artifact.id, files=harness.files(b"d"))
    with pytest.raises(InvalidInput, match="either"):
        registry.create_version("m", both, ADMIN)
    with pytest.raises(InvalidInput, match="needs the run"):
        registry.create_version("m", NewVersion(files=harness.files(b"e")), ADMIN)
    with pytest.raises(NotFound):
        registry.get_model("m")  # nothing was left behind


def test_files_must_exist_and_be_well_formed(harness: Harness) -> None:
    registry = harness.registry()
    run = harness.run()
    files = harness.files(b"x")
    with pytest.raises(NotFound, match="run 'nosuchrun' not found"):
        registry.create_version("m", NewVersion(run_id="nosuchrun", files=files), ADMIN)
    never_uploaded = (files[0].__class__("model.bin", "sha256:" + "a" * 64, 1),)
    with pytest.raises(InvalidInput, match="not in the artifact store"):
        registry.create_version("m", NewVersion(run_id=run.id, files=never_uploaded), ADMIN)
    bad_digest = (files[0].__class__("model.bin", "sha256:zz", 1),)
    with pytest.raises(InvalidInput, match="digest"):
        registry.create_version("m", NewVersion(run_id=run.id, files=bad_digest), ADMIN)
    bad_size = (files[0].__class__("model.bin", files[0].digest, -1),)
    with pytest.raises(InvalidInput):
        registry.create_version("m", NewVersion(run_id=run.id, files=bad_size), ADMIN)
    escaping = (files[0].__class__("../model.bin", files[0].digest, files[0].size),)
    with pytest.raises(InvalidInput):
        registry.create_version("m", NewVersion(run_id=run.id, files=escaping), ADMIN)
    with pytest.raises(NotFound):
        registry.get_model("m")  # the failed calls left nothing behind


def test_get_version_checks_the_number(harness: Harness) -> None:
    registry = three(harness)
    with pytest.raises(NotFound, match="no version 4"):
        registry.get_version("clf", 4)
    with pytest.raises(InvalidInput, match="numbers from 1"):
        registry.get_version("clf", 0)


def test_resolve_by_number_stage_alias_and_latest(harness: Harness) -> None:
    registry = three(harness)
    promote(registry, 2)
    registry.set_alias("clf", AliasMove(1, "champion"), ADMIN)
    assert registry.resolve("clf", "3").version == 3
    assert registry.resolve("clf", "Production").version == 2
    assert registry.resolve("clf", "champion").version == 1
    assert registry.resolve("clf", "latest").version == 3
    with pytest.raises(NotFound, match="no version in stage staging"):
        registry.resolve("clf", "staging")
    with pytest.raises(NotFound, match="no version 9"):
        registry.resolve("clf", "9")
    with pytest.raises(NotFound, match="no alias 'canary'"):
        registry.resolve("clf", "canary")
    registry.set_alias("clf", AliasMove(2, "latest"), ADMIN)  # an alias wins over "latest"
    assert registry.resolve("clf", "latest").version == 2


# --- stages ---------------------------------------------------------------------------


def test_promotion_to_production_archives_the_previous_holder(harness: Harness) -> None:
    registry = three(harness)
    promote(registry, 1, reason="first")
    promote(registry, 2, "Staging")
    moved = registry.transition("clf", Transition(2, "PRODUCTION", "beats v1 by 1.2%"), ADMIN)
    assert moved.stage == "production" and moved.version == 2
    assert stages(registry) == {1: "archived", 2: "production", 3: "none"}
    history = registry.history("clf")
    assert moves(history) == [
        ("stage", None, 1, "none", "production"),
        ("stage", None, 2, "none", "staging"),
        ("stage", None, 2, "staging", "production"),
        ("stage", None, 1, "production", "archived"),
    ]
    assert [h.reason for h in history[:3]] == ["first", None, "beats v1 by 1.2%"]
    assert history[3].reason == "version 2 moved to production: beats v1 by 1.2%"
    assert registry.get_model("clf").stages == {"production": (2,), "archived": (1,)}


def test_keep_existing_leaves_the_other_production_version(harness: Harness) -> None:
    registry = three(harness)
    promote(registry, 1)
    promote(registry, 2, archive_existing=False)
    assert stages(registry) == {1: "production", 2: "production", 3: "none"}
    assert registry.resolve("clf", "production").version == 2  # the highest
    assert registry.get_model("clf").stages == {"production": (1, 2)}


def test_any_stage_may_move_to_any_other(harness: Harness) -> None:
    registry = three(harness)
    for stage in ("archived", "staging", "none", "production", "staging"):
        promote(registry, 1, stage)
    assert [h.to_value for h in registry.history("clf")] == [
        "archived",
        "staging",
        "none",
        "production",
        "staging",
    ]


def test_moving_to_the_current_stage_records_nothing(harness: Harness) -> None:
    registry = three(harness)
    promote(registry, 1, "staging")
    again = registry.transition("clf", Transition(1, "Staging"), ADMIN)
    assert again.stage == "staging"
    assert len(registry.history("clf")) == 1


def test_bad_transitions_are_refused_and_change_nothing(harness: Harness) -> None:
    registry = three(harness)
    with pytest.raises(InvalidInput, match="stage 'prod' is not one of"):
        registry.transition("clf", Transition(1, "prod"), ADMIN)
    with pytest.raises(InvalidInput, match="numbers from 1"):
        registry.transition("clf", Transition(0, "staging"), ADMIN)
    with pytest.raises(NotFound, match="no version 4"):
        registry.transition("clf", Transition(4, "staging"), ADMIN)
    with pytest.raises(InvalidInput, match="reason"):
        registry.transition("clf", Transition(1, "staging", "x" * 2001), ADMIN)
    assert registry.history("clf") == []
    assert stages(registry) == {1: "none", 2: "none", 3: "none"}


# --- aliases --------------------------------------------------------------------------


def test_aliases_move_and_are_recorded(harness: Harness) -> None:
    registry = three(harness)
    registry.set_alias("clf", AliasMove(1, "champion"), ADMIN)
    moved = registry.set_alias("clf", AliasMove(2, "champion", "better"), ADMIN)
    assert moved.aliases == ("champion",) and moved.version == 2
    assert registry.get_version("clf", 1).aliases == ()
    assert registry.get_model("clf").aliases == {"champion": 2}
    registry.set_alias("clf", AliasMove(2, "champion"), ADMIN)  # there already: no entry
    registry.remove_alias("clf", "champion", ADMIN, reason="retired")
    history = registry.history("clf")
    assert moves(history) == [
        ("alias", "champion", 1, None, "1"),
        ("alias", "champion", 2, "1", "2"),
        ("alias", "champion", 2, "2", None),
    ]
    assert [h.reason for h in history] == [None, "better", "retired"]
    assert registry.get_model("clf").aliases == {}
    with pytest.raises(NotFound, match="no alias 'champion'"):
        registry.resolve("clf", "champion")
    with pytest.raises(NotFound, match="no alias 'champion'"):
        registry.remove_alias("clf", "champion", ADMIN)


def test_one_version_may_carry_several_aliases(harness: Harness) -> None:
    registry = three(harness)
    registry.set_alias("clf", AliasMove(3, "champion"), ADMIN)
    registry.set_alias("clf", AliasMove(3, "canary"), ADMIN)
    assert registry.get_version("clf", 3).aliases == ("canary", "champion")
    assert registry.get_model("clf").aliases == {"canary": 3, "champion": 3}


@pytest.mark.parametrize("alias", ["Production", "staging", "7", "bad alias!"])
def test_aliases_that_would_read_as_something_else_are_refused(
    harness: Harness, alias: str
) -> None:
    registry = three(harness)
    with pytest.raises(InvalidInput):
        registry.set_alias("clf", AliasMove(1, alias), ADMIN)
    assert registry.history("clf") == []


def test_an_alias_needs_an_existing_version(harness: Harness) -> None:
    registry = three(harness)
    with pytest.raises(NotFound, match="no version 9"):
        registry.set_alias("clf", AliasMove(9, "champion"), ADMIN)
    with pytest.raises(InvalidInput, match="numbers from 1"):
        registry.set_alias("clf", AliasMove(-1, "champion"), ADMIN)


# --- rollback -------------------------------------------------------------------------


def test_rollback_of_a_stage_twice_goes_further_back(harness: Harness) -> None:
    registry = three(harness)
    for v in (1, 2, 3):
        promote(registry, v)
    back = registry.rollback("clf", Rollback(stage="production", reason="v3 regressed"), ADMIN)
    assert back is not None and back.version == 2 and back.stage == "production"
    assert stages(registry) == {1: "archived", 2: "production", 3: "archived"}
    back = registry.rollback("clf", Rollback(stage="Production"), ADMIN)
    assert back is not None and back.version == 1
    assert stages(registry) == {1: "production", 2: "archived", 3: "archived"}
    with pytest.raises(Conflict, match="nothing to roll back to"):
        registry.rollback("clf", Rollback(stage="production"), ADMIN)
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
    assert [r.reason for r in rollbacks] == ["v3 regressed"] * 2 + ["rollback of production"] * 2


def test_a_promotion_after_a_rollback_is_undone_first(harness: Harness) -> None:
    registry = three(harness)
    promote(registry, 1)
    promote(registry, 2)
    registry.rollback("clf", Rollback(stage="production"), ADMIN)  # back to 1
    promote(registry, 3)  # stack: 1, 3
    back = registry.rollback("clf", Rollback(stage="production"), ADMIN)
    assert back is not None and back.version == 1
    with pytest.raises(Conflict):
        registry.rollback("clf", Rollback(stage="production"), ADMIN)


def test_rollback_of_staging(harness: Harness) -> None:
    registry = three(harness)
    promote(registry, 1, "staging")
    promote(registry, 2, "staging")  # staging does not archive: both stay
    back = registry.rollback("clf", Rollback(stage="staging"), ADMIN)
    assert back is not None and back.version == 1
    assert stages(registry) == {1: "staging", 2: "archived", 3: "none"}


def test_rollback_of_an_alias_twice_and_back_to_absent(harness: Harness) -> None:
    registry = three(harness)
    for v in (1, 2, 3):
        registry.set_alias("clf", AliasMove(v, "champion"), ADMIN)
    champion = Rollback(alias="champion")
    assert registry.rollback("clf", champion, ADMIN).version == 2  # type: ignore[union-attr]
    assert registry.rollback("clf", champion, ADMIN).version == 1  # type: ignore[union-attr]
    with pytest.raises(Conflict):
        registry.rollback("clf", champion, ADMIN)
    registry.remove_alias("clf", "champion", ADMIN)
    assert registry.rollback("clf", champion, ADMIN).version == 1  # type: ignore[union-attr]
    registry.set_alias("clf", AliasMove(2, "canary"), ADMIN)
    registry.remove_alias("clf", "canary", ADMIN)
    registry.set_alias("clf", AliasMove(3, "canary"), ADMIN)
    assert registry.rollback("clf", Rollback(alias="canary"), ADMIN) is None  # "removed"
    assert registry.resolve("clf", "champion").version == 1
    with pytest.raises(NotFound):
        registry.resolve("clf", "canary")
    last = registry.history("clf")[-1]
    assert (last.name, last.from_value, last.to_value) == ("canary", "3", None)
    assert last.rollback_of is not None and last.reason == "rollback of alias canary"


def test_rollback_needs_exactly_one_target_and_a_real_stage(harness: Harness) -> None:
    registry = three(harness)
    with pytest.raises(InvalidInput, match="exactly one"):
        registry.rollback("clf", Rollback(), ADMIN)
    with pytest.raises(InvalidInput, match="exactly one"):
        registry.rollback("clf", Rollback(stage="production", alias="champion"), ADMIN)
    with pytest.raises(InvalidInput, match="staging and production"):
        registry.rollback("clf", Rollback(stage="archived"), ADMIN)
    with pytest.raises(InvalidInput, match="is not one of"):
        registry.rollback("clf", Rollback(stage="prod"), ADMIN)
    with pytest.raises(Conflict):
        registry.rollback("clf", Rollback(stage="production"), ADMIN)  # never promoted


# --- history --------------------------------------------------------------------------


def test_history_is_complete_ordered_and_never_rewritten(harness: Harness) -> None:
    registry = three(harness)
    before_all = time.time()
    promote(registry, 1)
    before = registry.history("clf")
    registry.set_alias("clf", AliasMove(1, "champion"), ADMIN)
    promote(registry, 2)
    registry.rollback("clf", Rollback(stage="production"), ADMIN)
    after = registry.history("clf")
    assert after[: len(before)] == before
    assert [h.id for h in after] == sorted(h.id for h in after)
    assert [h.time for h in after] == sorted(h.time for h in after)
    assert all(before_all - 5 <= h.time <= time.time() + 5 for h in after)
    assert len(after) == 1 + 1 + 2 + 2
    assert {(h.model, h.actor, h.actor_admin) for h in after} == {("clf", "alice", True)}


def test_history_is_per_model(harness: Harness) -> None:
    harness.version("a")
    harness.version("b")
    registry = harness.registry()
    registry.transition("a", Transition(1, "staging"), ADMIN)
    assert registry.history("b") == []
    assert [h.model for h in registry.history("a")] == ["a"]


# --- who may do what ------------------------------------------------------------------


def test_protected_stages_and_aliases_take_an_admin(harness: Harness) -> None:
    registry, user = three(harness), harness.registry(USER)
    registry.update_model("clf", ModelUpdate(protected=["Production", "champion"]), ADMIN)
    user.transition("clf", Transition(1, "staging"), USER)  # not protected
    with pytest.raises(Forbidden, match="production is protected"):
        user.transition("clf", Transition(1, "production"), USER)
    promote(registry, 1)
    with pytest.raises(Forbidden):  # moving out of production is moving it too
        user.transition("clf", Transition(1, "archived"), USER)
    with pytest.raises(Forbidden):
        user.set_alias("clf", AliasMove(2, "champion"), USER)
    user.set_alias("clf", AliasMove(2, "canary"), USER)
    registry.set_alias("clf", AliasMove(3, "champion"), ADMIN)
    with pytest.raises(Forbidden):
        user.remove_alias("clf", "champion", USER)
    promote(registry, 2)
    with pytest.raises(Forbidden):
        user.rollback("clf", Rollback(stage="production"), USER)
    with pytest.raises(Forbidden):
        user.rollback("clf", Rollback(alias="champion"), USER)
    assert stages(registry) == {1: "archived", 2: "production", 3: "none"}
    assert registry.resolve("clf", "champion").version == 3
    assert [(h.actor, h.actor_admin) for h in registry.history("clf")] == [
        ("bob", False),  # 1 -> staging
        ("alice", True),  # 1 -> production
        ("bob", False),  # canary
        ("alice", True),  # champion
        ("alice", True),  # 2 -> production
        ("alice", True),  # 1 -> archived (by the promotion)
    ]


def test_unprotected_changes_are_open_to_every_actor(harness: Harness) -> None:
    harness.version(actor=USER)
    user = harness.registry(USER)
    user.transition("clf", Transition(1, "production"), USER)
    user.set_alias("clf", AliasMove(1, "champion"), USER)
    harness.version(actor=USER)
    user.transition("clf", Transition(2, "production"), USER)
    assert user.rollback("clf", Rollback(stage="production"), USER).version == 1  # type: ignore[union-attr]
    assert user.get_version("clf", 2).created_by == "bob"
    assert {h.actor for h in user.history("clf")} == {"bob"}


# --- webhooks -------------------------------------------------------------------------


def test_webhooks_are_added_listed_and_removed(harness: Harness, receiver: Receiver) -> None:
    registry = three(harness)
    harness.version("other")
    every = registry.add_webhook(NewWebhook(receiver.url, ["stage-changed"], SECRET), ADMIN)
    only = registry.add_webhook(
        NewWebhook(receiver.url, ["alias-changed", "version-created"], SECRET, "clf"), ADMIN
    )
    assert (every.url, every.events, every.model, every.created_by) == (
        receiver.url,
        ("stage-changed",),
        None,
        "alice",
    )
    assert only.events == ("alias-changed", "version-created") and only.model == "clf"
    assert [h.id for h in registry.webhooks()] == [every.id, only.id]
    assert [h.id for h in registry.webhooks("clf")] == [every.id, only.id]
    assert [h.id for h in registry.webhooks("other")] == [every.id]
    assert SECRET not in repr(registry.webhooks()) and not hasattr(every, "secret")
    assert registry.deliveries(only.id) == []
    registry.remove_webhook(every.id, ADMIN)
    assert [h.id for h in registry.webhooks()] == [only.id]
    with pytest.raises(NotFound, match=f"webhook {every.id} not found"):
        registry.remove_webhook(every.id, ADMIN)
    with pytest.raises(NotFound):
        registry.deliveries(every.id)


def test_webhook_management_takes_an_admin(harness: Harness, receiver: Receiver) -> None:
    user = harness.registry(USER)
    with pytest.raises(Forbidden, match="admin"):
        user.add_webhook(NewWebhook(receiver.url, ["version-created"], SECRET), USER)
    hook = harness.registry().add_webhook(
        NewWebhook(receiver.url, ["version-created"], SECRET), ADMIN
    )
    with pytest.raises(Forbidden, match="admin"):
        user.remove_webhook(hook.id, USER)
    assert [h.id for h in user.webhooks()] == [hook.id]  # reading is open


@pytest.mark.parametrize(
    ("url", "events", "secret", "match"),
    [
        (None, ["version-created"], "short", "secret"),
        (None, ["deployed"], SECRET, "not one of"),
        (None, [], SECRET, "at least one event"),
        ("ftp://example.com/", ["version-created"], SECRET, "http"),
        ("http://127.0.0.1:9/hook", ["version-created"], SECRET, "HERON_WEBHOOK_ALLOW"),
        ("http://169.254.169.254/latest", ["version-created"], SECRET, "HERON_WEBHOOK_ALLOW"),
        ("https://user:pw@example.com/", ["version-created"], SECRET, "credentials"),
    ],
)
def test_bad_webhooks_are_refused(
    harness: Harness,
    receiver: Receiver,
    url: str | None,
    events: list[str],
    secret: str,
    match: str,
) -> None:
    registry = harness.registry()
    with pytest.raises(InvalidInput, match=match):
        registry.add_webhook(NewWebhook(url or receiver.url, events, secret), ADMIN)
    assert registry.webhooks() == []


def test_a_webhook_for_an_unknown_model_is_refused(harness: Harness, receiver: Receiver) -> None:
    with pytest.raises(NotFound, match="model 'nope' not found"):
        harness.registry().add_webhook(
            NewWebhook(receiver.url, ["version-created"], SECRET, "nope"), ADMIN
        )


def test_changes_are_delivered_signed_and_logged(harness: Harness, receiver: Receiver) -> None:
    registry = harness.registry()
    hook = registry.add_webhook(
        NewWebhook(receiver.url, ["version-created", "stage-changed"], SECRET), ADMIN
    )
    harness.version()
    registry.transition("clf", Transition(1, "production", "ship it"), ADMIN)
    log = harness.deliveries(hook.id, 2)
    assert sorted((d.event, d.status, d.response_code, d.attempt) for d in log) == [
        ("stage-changed", "delivered", 200, 1),
        ("version-created", "delivered", 200, 1),
    ]
    by_event = {json.loads(body)["event"]: (headers, body) for headers, body in receiver.requests}
    headers, body = by_event["stage-changed"]
    assert verify_signature(
        SECRET, body, headers["X-Heron-Timestamp"], headers["X-Heron-Signature"]
    )
    payload = json.loads(body)
    assert (payload["model"], payload["version"], payload["actor"]) == ("clf", 1, "alice")
    assert (payload["from_value"], payload["to_value"], payload["reason"]) == (
        "none",
        "production",
        "ship it",
    )
    assert payload["history_id"] == registry.history("clf")[0].id
    assert payload["delivery"] == headers["X-Heron-Delivery"]
    assert {d.delivery for d in log} == {h["X-Heron-Delivery"] for h, _ in receiver.requests}


def test_webhooks_fire_for_their_model_and_events_only(
    harness: Harness, receiver: Receiver
) -> None:
    harness.version("other")
    harness.version("clf")
    registry = harness.registry()
    hook = registry.add_webhook(
        NewWebhook(receiver.url, ["alias-changed"], SECRET, model="clf"), ADMIN
    )
    registry.set_alias("other", AliasMove(1, "champion"), ADMIN)
    registry.transition("clf", Transition(1, "staging"), ADMIN)
    registry.set_alias("clf", AliasMove(1, "champion"), ADMIN)
    log = harness.deliveries(hook.id, 1)
    time.sleep(0.2)  # anything wrongly sent would have arrived by now
    assert [d.event for d in harness.registry().deliveries(hook.id)] == ["alias-changed"]
    assert [json.loads(body)["model"] for _, body in receiver.requests] == ["clf"]
    assert log[0].status == "delivered"
