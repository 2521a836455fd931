"""The registry's pure parts: ``models:/`` addresses, the checks in ``rules``, the
rollback stack, and the JSON both ways (objects, and requests as the server decodes
them)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter

from heron.errors import Conflict, Forbidden, InvalidInput
from heron.registry import rules, wire
from heron.registry.base import (
    Actor,
    Delivery,
    HistoryEntry,
    ModelEvent,
    ModelVersion,
    RegisteredModel,
    Webhook,
)
from heron.registry.requests import (
    AliasMove,
    ModelUpdate,
    NewModel,
    NewVersion,
    NewWebhook,
    Rollback,
    Transition,
)
from heron.registry.uri import parse_model_uri
from heron.store.base import FileEntry

DIGEST = "sha256:" + "ab" * 32

# --- models:/ addresses -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "name", "ref"),
    [
        ("models:/clf/7", "clf", "7"),
        ("models:/clf/Production", "clf", "Production"),
        ("models:/clf@champion", "clf", "champion"),
        ("models:/clf", "clf", "latest"),
        ("models:/clf/latest", "clf", "latest"),
        ("models:/my.model-v2_x@a.b", "my.model-v2_x", "a.b"),
    ],
)
def test_model_uris(uri: str, name: str, ref: str) -> None:
    parsed = parse_model_uri(uri)
    assert (parsed.name, parsed.ref) == (name, ref)
    assert parse_model_uri(str(parsed)) == parsed  # printable and parsed back


@pytest.mark.parametrize(
    "uri",
    ["runs:/x/model", "models:", "models:/", "models:/clf/", "models:/clf@", "models:/a/b/c",
     "models:/a@b@c", "models:/a@b/c", "models:/bad name/1", 7, None],
)  # fmt: skip
def test_bad_model_uris(uri: object) -> None:
    with pytest.raises(InvalidInput):
        parse_model_uri(uri)


# --- checks -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stage"),
    [("production", "production"), ("Production", "production"), (" STAGING ", "staging"),
     ("none", "none"), ("Archived", "archived")],
)  # fmt: skip
def test_stages_are_case_insensitive(given: str, stage: str) -> None:
    assert rules.check_stage(given) == stage


@pytest.mark.parametrize("stage", ["prod", "", "deployed", None, 1])
def test_unknown_stages(stage: object) -> None:
    with pytest.raises(InvalidInput, match="is not one of none, staging, production, archived"):
        rules.check_stage(stage)


@pytest.mark.parametrize(("given", "number"), [(1, 1), (42, 42), ("3", 3), ("007", 7)])
def test_versions(given: object, number: int) -> None:
    assert rules.check_version(given) == number


@pytest.mark.parametrize("given", [0, -1, True, False, "x", " 3", "3.0", 3.0, "", None, "٣"])
def test_bad_versions(given: object) -> None:
    with pytest.raises(InvalidInput, match="numbers from 1"):
        rules.check_version(given)


def test_tags_are_named_and_kept_as_text() -> None:
    assert rules.check_tags(None) == {}
    assert rules.check_tags({"a": "x", "n": 10, "f": 0.5, "b": True}) == {
        "a": "x",
        "n": "10",
        "f": "0.5",
        "b": "True",
    }
    for bad in ({"bad key!": "x"}, {"k": None}, {"k": [1]}, {"k": "x" * 5001}, ["a"]):
        with pytest.raises(InvalidInput):
            rules.check_tags(bad)  # type: ignore[arg-type]


def test_protected_names_are_sorted_distinct_stages_lowered() -> None:
    assert rules.check_protected(["champion", "Production", "production", "canary"]) == (
        "canary",
        "champion",
        "production",
    )
    assert rules.check_protected([]) == ()
    with pytest.raises(InvalidInput, match="not one string"):
        rules.check_protected("production")
    with pytest.raises(InvalidInput):
        rules.check_protected(["bad alias!"])


def test_reasons_descriptions_and_metadata() -> None:
    assert rules.check_reason(None) is None and rules.check_reason("why") == "why"
    assert rules.check_description("") == ""
    for bad_reason in ("x" * 2001, 5):
        with pytest.raises(InvalidInput, match="reason"):
            rules.check_reason(bad_reason)
    with pytest.raises(InvalidInput, match="description"):
        rules.check_description(None)
    assert rules.check_metadata({"flavor": "pytorch"}) == {"flavor": "pytorch"}
    with pytest.raises(InvalidInput, match="metadata"):
        rules.check_metadata(["flavor"])


def test_files_of_a_new_version() -> None:
    good = FileEntry("model.pt", DIGEST, 3)
    assert rules.check_files([good, good]) == (good, good)
    assert rules.check_files(()) == ()
    for bad in (
        [FileEntry("m", "md5:abc", 3)],
        [FileEntry("m", DIGEST, -1)],
        [FileEntry("m", DIGEST, True)],  # type: ignore[arg-type]
        [{"path": "m", "digest": DIGEST, "size": 3}],
        "model.pt",
    ):
        with pytest.raises(InvalidInput):
            rules.check_files(bad)  # type: ignore[arg-type]


def test_too_many_files() -> None:
    entry = FileEntry("m", DIGEST, 1)
    assert len(rules.check_files([entry] * rules.MAX_FILES)) == rules.MAX_FILES
    with pytest.raises(InvalidInput, match=f"at most {rules.MAX_FILES} files"):
        rules.check_files([entry] * (rules.MAX_FILES + 1))


def test_guards() -> None:
    admin, user = Actor("root", True), Actor("bob")
    rules.guard(user, ("production",), ["staging", None], "move")  # nothing protected hit
    rules.guard(admin, ("production",), ["production"], "move")
    with pytest.raises(Forbidden, match="'bob' may not move: production is protected"):
        rules.guard(user, ("production",), ["none", "production"], "move")
    rules.require_admin(admin, "add webhooks")
    with pytest.raises(Forbidden, match="'bob' may not add webhooks: it takes an admin"):
        rules.require_admin(user, "add webhooks")


# --- the rollback stack -----------------------------------------------------------------


def push(step_id: int, version: int | None) -> rules.Step:
    return rules.Step(step_id, version, None)


def pop(step_id: int, undone: int, version: int | None) -> rules.Step:
    return rules.Step(step_id, version, undone)


def test_a_rollback_undoes_the_top_of_the_stack() -> None:
    undo = rules.plan_rollback([push(1, 1), push(2, 2), push(3, 3)], "production")
    assert (undo.undone, undo.current, undo.target) == (3, 3, 2)


def test_rollbacks_pop_and_forward_moves_push() -> None:
    steps = [push(1, 1), push(2, 2), push(3, 3), pop(4, 3, 2)]
    undo = rules.plan_rollback(steps, "production")
    assert (undo.undone, undo.current, undo.target) == (2, 2, 1)
    steps += [push(5, 4)]  # stack: 1, 2, 4
    assert rules.plan_rollback(steps, "production").target == 2
    steps += [pop(6, 5, 2), pop(7, 2, 1)]  # stack: 1
    with pytest.raises(Conflict, match="nothing to roll back to: production"):
        rules.plan_rollback(steps, "production")


def test_an_absent_alias_is_a_holder_too() -> None:
    undo = rules.plan_rollback([push(1, None), push(2, 3)], "alias")
    assert (undo.current, undo.target) == (3, None)


@pytest.mark.parametrize("steps", [[], [push(1, 1)], [push(1, 1), push(2, 2), pop(3, 2, 1)]])
def test_fewer_than_two_holders_cannot_roll_back(steps: list[rules.Step]) -> None:
    with pytest.raises(Conflict):
        rules.plan_rollback(steps, "x")


def test_only_staging_and_production_roll_back() -> None:
    assert rules.check_rollback_stage("Staging") == "staging"
    for stage in ("none", "archived"):
        with pytest.raises(InvalidInput, match="only staging and production"):
            rules.check_rollback_stage(stage)


# --- objects as JSON --------------------------------------------------------------------

MODEL = RegisteredModel(
    "clf", "d", {"team": "cv"}, ("production",), "alice", 1.0, 2.0, 3,
    {"production": (3,), "archived": (1, 2)}, {"champion": 3},
)  # fmt: skip
VERSION = ModelVersion(
    "clf", 3, "production", ("champion",), "", {}, "run1", 9, DIGEST, "alice", 1.0, 2.0
)
ENTRY = HistoryEntry(4, "clf", 3, "stage", None, "none", "production", "alice", True, "r", 1.5, 2)
HOOK = Webhook(1, None, "https://x.example/", ("stage-changed",), "alice", 1.0)
DELIVERY = Delivery(1, 1, "uuid", "stage-changed", 2, "retrying", 500, "HTTP 500", 1.0)


@pytest.mark.parametrize(
    ("obj", "to_json", "from_json"),
    [
        (MODEL, wire.model_to_json, wire.model_from_json),
        (VERSION, wire.version_to_json, wire.version_from_json),
        (ENTRY, wire.history_to_json, wire.history_from_json),
        (HOOK, wire.webhook_to_json, wire.webhook_from_json),
        (DELIVERY, wire.delivery_to_json, wire.delivery_from_json),
    ],
)
def test_objects_round_trip_through_json(obj: Any, to_json: Any, from_json: Any) -> None:
    import json

    assert from_json(json.loads(json.dumps(to_json(obj)))) == obj


def test_a_version_says_its_uri() -> None:
    assert wire.version_to_json(VERSION)["uri"] == "models:/clf/3"


@pytest.mark.parametrize("data", [None, [], "clf", {"name": "clf"}])
def test_malformed_objects_are_invalid_input(data: object) -> None:
    with pytest.raises(InvalidInput):
        wire.model_from_json(data)
    with pytest.raises(InvalidInput):
        wire.version_from_json(data)


def test_an_event_payload_carries_its_history_entry() -> None:
    payload = ModelEvent("stage-changed", "clf", 3, 1.5, "alice", ENTRY).payload()
    assert payload == {
        "event": "stage-changed", "model": "clf", "version": 3, "time": 1.5,
        "actor": "alice", "kind": "stage", "name": None, "from_value": "none",
        "to_value": "production", "reason": "r", "history_id": 4, "rollback_of": 2,
    }  # fmt: skip


# --- requests as JSON: what RemoteRegistry sends is what the routes decode ---------------

REQUESTS = [
    NewModel("clf", "d", {"team": "cv", "n": 3}, ["production"]),
    ModelUpdate(),
    ModelUpdate("new", {"a": "b"}, []),
    NewVersion(run_id="r", files=(FileEntry("m.pt", DIGEST, 3),), single_file=True),
    NewVersion(artifact_id=5, description="x", tags={"k": "v"}, metadata={"flavor": "x"}),
    Transition(2, "production", "why", archive_existing=False),
    AliasMove(1, "champion"),
    Rollback(alias="champion", reason="bad"),
    NewWebhook("https://x.example/", ["stage-changed"], "s" * 16, "clf"),
]


@pytest.mark.parametrize("request_", REQUESTS, ids=lambda r: type(r).__name__)
def test_requests_round_trip_as_the_server_decodes_them(request_: Any) -> None:
    import json

    sent = json.loads(json.dumps(wire.request_to_json(request_)))
    decoded = TypeAdapter(type(request_)).validate_python(sent)
    assert type(decoded) is type(request_)
    assert wire.request_to_json(decoded) == wire.request_to_json(request_)


def test_unknown_request_fields_are_refused_by_the_server() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        TypeAdapter(Transition).validate_python({"version": 1, "stage": "x", "force": True})


def test_a_webhook_request_hides_its_secret() -> None:
    assert "s3cret" not in repr(NewWebhook("https://x/", ["stage-changed"], "s3cret" * 3))


def test_only_requests_are_sent() -> None:
    with pytest.raises(TypeError):
        wire.request_to_json({"version": 1})
