"""Spool events, declared once (``heron.store.events``): every event round-trips through
the spool and the wire unchanged, and the JSON is what earlier versions wrote."""

from __future__ import annotations

import dataclasses
import json
import math
import tempfile
import types
import typing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heron.errors import InvalidInput
from heron.sdk import init as sdk_init
from heron.sdk.backend import provisional_info
from heron.sdk.spool import SLOT, SpoolReader, SpoolWriter
from heron.store.base import Batch, FileEntry, RunSpec
from heron.store.events import (
    EVENT_CLASSES,
    EVENT_TYPES,
    Event,
    EventType,
    FileFields,
    RunSpecFields,
    check_event,
)
from heron.wire import decode_batch, encode_batch

# --- strategies, derived from the declarations themselves ---------------------------

json_values: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def strategy_for(annotation: Any) -> st.SearchStrategy[Any]:
    """Values of the type ``annotation`` as a TypedDict declares it."""
    if annotation is Any:
        return json_values
    if annotation is type(None):
        return st.none()
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        return st.integers(-(2**63), 2**63 - 1)
    if annotation is float:
        return st.floats(allow_nan=True, allow_infinity=True)
    if annotation is str:
        return st.text(max_size=40)
    if typing.is_typeddict(annotation):
        return typed_dicts(annotation)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*map(strategy_for, args))
    if origin is list:
        return st.lists(strategy_for(args[0]), max_size=4)
    if origin is dict:
        assert args[0] is str
        return st.dictionaries(st.text(max_size=10), strategy_for(args[1]), max_size=4)
    raise AssertionError(f"no strategy for {annotation!r}: declare events with JSON types")


def typed_dicts(cls: Any) -> st.SearchStrategy[dict[str, Any]]:
    hints = typing.get_type_hints(cls)
    return st.fixed_dictionaries(
        {key: strategy_for(hints[key]) for key in sorted(cls.__required_keys__)},
        optional={key: strategy_for(hints[key]) for key in sorted(cls.__optional_keys__)},
    )


any_event = st.sampled_from(sorted(EVENT_CLASSES)).flatmap(
    lambda kind: typed_dicts(EVENT_CLASSES[kind])
)


def canonical(events: list[Any]) -> str:
    """JSON that is equal exactly when the events are (NaN equals NaN; -0.0 is not 0)."""
    return json.dumps(events, sort_keys=True, allow_nan=True)


# --- round trips ---------------------------------------------------------------------


def test_every_event_type_is_declared_and_generated() -> None:
    assert set(EVENT_CLASSES) == EVENT_TYPES == set(typing.get_args(EventType))
    assert len(EVENT_TYPES) == 14
    assert {typing.get_type_hints(c)["type"] for c in typing.get_args(Event)} == {
        typing.Literal[kind] for kind in EVENT_TYPES
    }


@settings(max_examples=200, deadline=None)
@given(events=st.lists(any_event, min_size=1, max_size=8))
def test_every_event_round_trips_through_the_spool(events: list[dict[str, Any]]) -> None:
    for event in events:
        assert check_event(event) is event  # what the SDK writes, the reader accepts
    with tempfile.TemporaryDirectory() as tmp:
        writer = SpoolWriter(Path(tmp) / "run", segment_bytes=64 * SLOT)
        for event in events:
            writer.write_event(event)  # type: ignore[arg-type]
        reader = SpoolReader(Path(tmp) / "run")
        back: list[Any] = []
        while True:
            chunk = reader.read(max_records=3)
            if chunk.end == chunk.start:
                break
            back.extend(chunk.events)
        reader.close()
        writer.close()
    assert canonical(back) == canonical(events)


@settings(max_examples=200, deadline=None)
@given(events=st.lists(any_event, max_size=8))
def test_every_event_round_trips_through_the_wire(events: list[dict[str, Any]]) -> None:
    batch = Batch(run_id="r", seq=1, events=events)  # type: ignore[arg-type]
    assert canonical(decode_batch(encode_batch(batch)).events) == canonical(events)


# --- the JSON stays what it was ------------------------------------------------------


def test_shapes_match_the_dataclasses_they_carry() -> None:
    spec_fields = {f.name for f in dataclasses.fields(RunSpec)}
    assert set(typing.get_type_hints(RunSpecFields)) == spec_fields
    assert set(typing.get_type_hints(FileFields)) == {f.name for f in dataclasses.fields(FileEntry)}


def test_the_create_record_is_the_json_earlier_versions_wrote() -> None:
    spec = RunSpec(
        id="abcdefghij",
        project="p",
        name=None,
        group="g",
        tags=("a", "b"),
        notes="n",
        config={"lr": 0.1},
        resume_key="k",
        created_at=1.5,
    )
    info = dataclasses.replace(provisional_info(spec), name="calm-heron-7")
    written = {k: v for k, v in spec.__dict__.items() if k != "created_by"}  # the server's
    old = {"type": "create", "spec": {**written, "name": info.name, "tags": list(spec.tags)}}
    assert json.dumps(sdk_init._create(spec, info)) == json.dumps(old)


@pytest.mark.parametrize(
    "event",
    [  # as earlier SDKs wrote them: optional keys left out, the old single_file place
        {"type": "tags", "add": ["x"]},
        {"type": "notes"},
        {"type": "summary", "set": {"best": 1.0}},
        {"type": "define_metric", "pattern": "val/*"},
        {"type": "state", "state": "finished"},
        {"type": "file", "file": {"path": "a.txt", "digest": "sha256:" + "0" * 64, "size": 1}},
        {"type": "artifact", "name": "m", "files": [], "metadata": {"single_file": True}},
        {"type": "use_artifact", "version_id": 3},
        {"type": "console", "stream": "stdout", "time": 1.0, "lines": ["hi"]},
    ],
)
def test_events_without_their_optional_keys_are_read(event: dict[str, Any]) -> None:
    assert check_event(event) is event


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "must be an object"),
        ({"patch": {}}, "unknown event type None"),
        ({"type": "nope"}, "unknown event type 'nope'; expected one of alert, artifact, config"),
        ({"type": ["config"]}, "unknown event type"),
        ({"type": "config"}, "a 'config' event needs 'patch'"),
        ({"type": "console", "stream": "stdout"}, "needs 'lines', 'time'"),
    ],
)
def test_malformed_events_are_refused_with_a_reason(raw: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        check_event(raw)


def test_nan_times_survive_as_nan() -> None:
    event = {"type": "state", "state": "killed", "time": math.nan, "error": None, "traceback": None}
    batch = decode_batch(encode_batch(Batch(run_id="r", seq=1, events=[event])))  # type: ignore[list-item]
    assert math.isnan(batch.events[0]["time"])  # type: ignore[typeddict-item]
