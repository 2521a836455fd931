"""``heron.sdk._fastlog``, ``run.log``'s compiled fast path: built in this checkout,
the very records of the pure-Python path (``HERON_PURE_PYTHON=1``) for any shape and
value, "not handled" for everything the Python path must do (new keys, conversions,
bad input, rotation, a closed run), and exclusive with the threads that write
through the run's lock."""

from __future__ import annotations

import contextlib
import struct
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import heron.sdk.run as run_module
import heron.sdk.spool as spool_module
from heron.errors import HeronError
from heron.sdk.run import Run, _shape_writer
from heron.sdk.spool import (
    KIND_END,
    KIND_SCALAR,
    KIND_VAR,
    SLOT,
    SUB_KEY,
    VAR_HEADER,
    SpoolReader,
    segment_numbers,
    segment_path,
)
from tests.compiled import check_built, compiled

from .conftest import start_run

fastlog, needs_fastlog = compiled("heron.sdk._fastlog")

INT64 = st.integers(-(2**63), 2**63 - 1)
FLOATS = st.floats(allow_nan=True, allow_infinity=True)
# Every value type a shape may have (run._fast_types), and some it may not.
VALUES = st.one_of(
    FLOATS,
    st.integers(-(2**70), 2**70),
    st.just(10**400),  # no float64: the Python path raises
    st.booleans(),
    FLOATS.map(np.float64),
    st.floats(width=32, allow_nan=True).map(np.float32),
    INT64.map(np.int64),
    st.integers(0, 255).map(np.uint8),
    st.booleans().map(np.bool_),
    st.just("text"),  # refused
    st.just(np.ones(2)),  # refused: an array
)
EVENTS = 10_000  # of each writing thread (test_threads_...)
SHAPES = [("loss",), ("loss", "acc"), ("acc", "loss"), ("a", "b", "c", "d"), ("x", "bad key\n")]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """run.log's time, set by the test (both paths read it once or more per call)."""
    now = [1234.5]
    monkeypatch.setattr(run_module, "_now", lambda: now[0])
    return now


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs started now take the compiled path (whatever HERON_PURE_PYTHON says)."""
    monkeypatch.setattr(run_module, "_fast", fastlog)


def start_pair(store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Run, Run]:
    """(a run on the compiled path, a run on the pure-Python path)."""
    with monkeypatch.context() as patch:
        patch.setattr(run_module, "_fast", fastlog)
        compiled = start_run(store_dir, mode="offline", capture_console=False)
    with monkeypatch.context() as patch:
        patch.setattr(run_module, "_fast", None)
        pure = start_run(store_dir, mode="offline", capture_console=False)
    assert compiled._fast is fastlog and pure._fast is None
    return compiled, pure


def scalar_records(run: Run) -> tuple[list[bytes], list[bytes]]:
    """Every SCALAR record in the run's spool, raw, and its key declarations (each
    once: a segment re-declares the keys, and where a segment ends depends on the
    events before, which name the run and are left out)."""
    with run._lock:
        run._writer.sync()  # a direct segment: what waits in memory into the file
    found: list[bytes] = []
    keys: dict[bytes, None] = {}
    folder = run._writer.folder
    for number in segment_numbers(folder):
        raw = segment_path(folder, number).read_bytes()
        off = 0
        while off + SLOT <= len(raw):
            kind = raw[off + SLOT - 1]
            if kind == KIND_SCALAR:
                found.append(raw[off : off + SLOT])
                off += SLOT
            elif kind == KIND_VAR:
                (length,) = VAR_HEADER.unpack_from(raw, off)[:1]
                payload = raw[off + SLOT : off + SLOT + length]
                if payload[0] == SUB_KEY:
                    keys[payload] = None
                off += SLOT + -(-length // SLOT) * SLOT
            else:
                assert kind in (0, KIND_END)
                break
    return found, list(keys)


def outcome(run: Run, data: Mapping[str, Any], step: int | None) -> tuple[object, ...]:
    try:
        run.log(data, step=step)
    except HeronError as exc:
        return (type(exc).__name__, str(exc), run.step)
    return ("logged", run.step)


def test_the_compiled_path_is_built_in_this_checkout() -> None:
    check_built("heron.sdk._fastlog")
    assert fastlog.MAX_KEYS == run_module.MAX_SHAPE_KEYS


@needs_fastlog
def test_help_on_the_compiled_log_shows_run_log(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """help(run.log), ``run.log?`` and inspect show Run.log on both paths, not the C
    Logger type's own description."""
    import inspect
    import pydoc

    for run in start_pair(store_dir, monkeypatch):
        assert inspect.signature(run.log) == inspect.signature(Run.log.__get__(run))
        assert inspect.getdoc(run.log) == inspect.getdoc(Run.log)
        assert run.log.__name__ == "log" and run.log.__qualname__ == "Run.log"
        shown = pydoc.render_doc(run.log, renderer=pydoc.plaintext)
        assert "log(data: 'Mapping[str, Any]', step: 'int | None' = None)" in shown
        assert "Record metric values at ``step``" in shown and "Logger(" not in shown
        run.finish()
    assert "Logger(run, lock, shapes" in (fastlog.Logger.__doc__ or "")


@needs_fastlog
@pytest.mark.parametrize("direct", [False, True], ids=["mapped", "direct"])
def test_compiled_and_pure_python_write_the_same_records(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch, clock: list[float], direct: bool
) -> None:
    """Any sequence of calls (known and new shapes, every value type, NaN payloads,
    out-of-range ints and steps, bad keys and values) across many small segments
    (rotation) on mapped or direct (pwrite) segments: the same records, the same
    errors, the same step."""
    monkeypatch.setattr(spool_module, "SEGMENT_BYTES", spool_module.MIN_SEGMENT_BYTES)
    if direct:
        monkeypatch.setattr(spool_module, "_unmappable", lambda folder: "a nfs4 filesystem")
    compiled, pure = start_pair(store_dir, monkeypatch)
    calls = st.tuples(
        st.sampled_from(SHAPES).flatmap(
            lambda keys: st.tuples(st.just(keys), st.tuples(*(VALUES for _ in keys)))
        ),
        st.one_of(st.none(), st.none(), INT64, st.sampled_from([2**63, -(2**63) - 1, 2**63 - 1])),
        FLOATS,
    )

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(calls, max_size=30))
    def check(
        batch: list[tuple[tuple[tuple[str, ...], tuple[Any, ...]], int | None, float]],
    ) -> None:
        for (keys, values), step, now in batch:
            data = dict(zip(keys, values, strict=True))
            clock[0] = now
            assert outcome(compiled, data, step) == outcome(pure, data, step)

    check()
    # the calls of known shapes, all the same (so that most take the fast path)
    for step in range(3000):
        clock[0] = step / 7
        data = {"a": step * 0.5, "b": step, "c": step % 2 == 0, "d": np.float32(step)}
        at = None if step else 0  # (the examples may have left the step at 2**63)
        assert outcome(compiled, data, at) == outcome(pure, data, at)
    got, want = scalar_records(compiled), scalar_records(pure)
    assert len(got[0]) >= 12_000 and len(segment_numbers(compiled._writer.folder)) > 5
    assert got == want
    compiled.finish()
    pure.finish()


@needs_fastlog
@settings(max_examples=500, deadline=None)
@given(
    st.lists(VALUES, min_size=1, max_size=8),
    st.lists(st.integers(0, 2**32 - 1), min_size=8, max_size=8),
    st.one_of(INT64, st.integers(-(2**70), 2**70)),
    FLOATS,
)
def test_a_shape_packs_the_bytes_of_struct(
    values: list[Any], ids: list[int], step: int, now: float
) -> None:
    """The compiled shape writer (also called by the Python path for mappings other
    than a dict) against the generated ``pack_into`` it replaces: same answer, same
    bytes; False (nothing written) where struct raises."""
    key_ids = tuple(ids[: len(values)])
    types = tuple(map(type, values))
    want, got = bytearray(SLOT * len(values) + 8), bytearray(SLOT * len(values) + 8)
    try:
        wrote = _shape_writer(key_ids, types)(want, 4, step, now, values)
    except (struct.error, ValueError, AttributeError, TypeError):
        wrote = False
    assert fastlog.Shape(key_ids, types)(got, 4, step, now, values) is wrote
    if wrote:
        assert got == want
    else:
        assert got == bytes(len(got))  # nothing written


@pytest.fixture
def declined(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, Any]]:
    """The calls the compiled path of runs started now passes on to the Python
    ``Run.log`` (what it declines), as (data, step)."""
    calls: list[tuple[Any, Any]] = []
    python_log = Run.log

    def log(run: Run, data: Any, step: Any = None) -> None:
        calls.append((data, step))
        python_log(run, data, step)

    monkeypatch.setattr(Run, "log", log)
    return calls


def handled(run: Run, declined: list[tuple[Any, Any]], data: Any, step: Any = None) -> bool:
    """Whether ``run.log(data, step)`` was done by the compiled path alone."""
    before = len(declined)
    with contextlib.suppress(HeronError):
        run.log(data, step)
    return len(declined) == before


def parked(run: Run) -> tuple[int, int]:
    """(writer.off, run._step) as the Python objects hold them, the cursor put back."""
    with run._lock:
        return run._writer.off, run._step


@needs_fastlog
def test_known_shapes_are_handled_and_the_rest_is_not(
    store_dir: Path, clock: list[float], compiled: None, declined: list[tuple[Any, Any]]
) -> None:
    run = start_run(store_dir, mode="offline", capture_console=False)
    assert isinstance(run.log, fastlog.Logger)
    assert not handled(run, declined, {"loss": 1.0, "n": np.float32(2)})  # new keys: a shape now
    off, step = parked(run)
    assert handled(run, declined, {"loss": 2.0, "n": np.float32(3)})
    assert run.step == step + 1  # while the cursor is held
    assert parked(run) == (off + 2 * SLOT, step + 1)
    not_handled: list[tuple[Any, Any]] = [
        ({"loss": 2.0, "n": np.float64(3)}, None),  # another type
        ({"loss": 2.0, "n": np.ones(1)}, None),  # an array
        ({"loss": 10**400, "n": np.float32(3)}, None),  # an int past float64
        ({"n": np.float32(3), "loss": 2.0}, None),  # another order: another shape
        ({"loss": 2.0}, None),  # other keys
        ({"loss": 2.0, "n": np.float32(3)}, 2**63),  # a step past int64
        ({"loss": 2.0, "n": np.float32(3)}, True),  # not an int: to_step says
        ({"loss": 2.0, "n": np.float32(3)}, np.int64(4)),  # ... or converts
        (MappingProxyType({"loss": 2.0, "n": np.float32(3)}), None),  # not a dict
        ({}, None),
        ([("loss", 2.0)], None),  # not a mapping: the Python path refuses it
    ]
    for data, at in not_handled:
        assert not handled(run, declined, data, at), data
        assert declined[-1] == (data, at)
    with pytest.raises(HeronError, match="float64"):
        run.log({"loss": 10**400, "n": np.float32(3)})
    assert handled(run, declined, {"loss": 2.0, "n": np.float32(3)}, 7)  # step=: as given
    assert run.step == 8
    run.log({"loss": 2.0, "n": np.float32(3)}, step=9)  # (the keywords too, as Run.log's)
    run.log(data={"loss": 2.0, "n": np.float32(3)}, step=10)
    run.log(step=11, data={"loss": 2.0, "n": np.float32(3)})
    assert run.step == 12 and len(declined) == len(not_handled) + 2
    for args, kwargs in [
        (({"loss": 2.0},), {"stride": 1}),
        (({"loss": 2.0}, 1), {"step": 1}),
        (({"loss": 2.0},), {"data": {}}),
        ((), {"step": 1}),
        ((), {}),
        (({"loss": 2.0}, 1, 2), {}),
    ]:
        with pytest.raises(TypeError, match="step=None"):
            run.log(*args, **kwargs)
    # equal keys that are other objects (a name built at each call) find the shape too
    assert handled(run, declined, {"".join(["lo", "ss"]): 2.0, "n": np.float32(3)})
    assert handled(run, declined, {"loss": 2.0, "n": np.float32(3)})
    run._shapes.clear()  # the shape of the last call is not used past its table
    assert not handled(run, declined, {"loss": 2.0, "n": np.float32(3)})
    run.finish()
    with pytest.raises(HeronError, match="finished"):
        run.log({"loss": 2.0, "n": np.float32(3)})
    assert not handled(run, declined, {"loss": 2.0, "n": np.float32(3)})


@needs_fastlog
def test_a_shape_the_python_path_made_again_is_found(
    store_dir: Path, clock: list[float], compiled: None, declined: list[tuple[Any, Any]]
) -> None:
    """Keys logged with other value types get a shape of those types from the Python
    path, in the same slot of run._shapes: the compiled path, which remembers the
    last shape it found, looks it up again after a call its shape did not fit (it
    had gone on declining every call)."""
    run = start_run(store_dir, mode="offline", capture_console=False)
    run.log({"a": np.float32(0)})  # the shape (float32,)
    assert handled(run, declined, {"a": np.float32(1)})
    assert not handled(run, declined, {"a": 2.0})  # now (float,), in the same slot
    run.log({"b": 0.0})  # another shape: the next call looks its keys up
    assert not handled(run, declined, {"a": np.float32(3)})  # finds (float,); (float32,) again
    assert handled(run, declined, {"a": np.float32(4)})
    run.finish()


@needs_fastlog
def test_the_cursor_is_put_back_for_whoever_takes_the_lock(
    store_dir: Path, clock: list[float], compiled: None, declined: list[tuple[Any, Any]]
) -> None:
    """The compiled path keeps the writer's offset and the run's step while it holds
    the cursor; a thread that takes the run's lock finds them put back, and what it
    changes there (a record, the end of the room) is what the next call goes on from."""
    run = start_run(store_dir, mode="offline", capture_console=False)
    writer, fast = run._writer, run._fast_log
    run.log({"a": 0.0})
    off, step = parked(run)
    assert not fast.held and fast.step is None
    for i in range(1, 4):
        assert handled(run, declined, {"a": float(i)})
    assert fast.held and fast.step == run.step == step + 3
    assert (writer.off, run._step) == (off, step)  # the Python objects wait for park
    with run._lock:
        assert not fast.held
        assert (writer.off, run._step) == (off + 3 * SLOT, step + 3)
        writer.write_event({"type": "notes", "notes": "between"})  # the spool moves on
        after_event = writer.off
    assert handled(run, declined, {"a": 4.0})
    assert parked(run) == (after_event + SLOT, step + 4)
    with run._lock:  # no room for the records and the END slot: the Python path rotates
        writer.end = writer.off + SLOT
    assert not handled(run, declined, {"a": 5.0})
    assert parked(run)[1] == step + 5
    run.finish()
    reader = SpoolReader(writer.folder)
    steps: list[int] = []
    notes: list[object] = []
    while True:
        chunk = reader.read()
        if chunk.end == chunk.start:
            break
        steps += chunk.points.get("a", ([], [], []))[0].tolist() if "a" in chunk.points else []
        notes += [e["notes"] for e in chunk.events if e["type"] == "notes"]
    reader.close()
    assert steps == list(range(6)) and notes == ["between"]


@needs_fastlog
def test_the_runs_lock_is_a_lock_that_parks_the_cursor(
    store_dir: Path, clock: list[float], compiled: None
) -> None:
    """The compiled path's run lock (``_fastlog.ParkingLock``, in C so that taking it
    is as atomic as a plain lock's) answers as ``threading.Lock`` does."""
    run = start_run(store_dir, mode="offline", capture_console=False)
    lock, fast = run._lock, run._fast_log
    assert isinstance(lock, fastlog.ParkingLock)
    run.log({"a": 0.0})
    run.log({"a": 1.0})
    assert fast.held
    assert lock.acquire() is True and lock.locked() and not fast.held
    other: list[bool] = []
    thread = threading.Thread(target=lambda: other.append(lock.acquire(timeout=0.01)))
    thread.start()
    thread.join()
    assert other == [False]  # held here: the timeout, as a lock's
    lock.release()
    assert not lock.locked()
    assert lock.acquire(blocking=False) is True
    lock.release()
    with lock:
        assert lock.locked()
    assert not lock.locked()
    with pytest.raises(RuntimeError):
        lock.release()  # not held: the lock's own error
    run.finish()


@needs_fastlog
def test_a_call_while_another_thread_holds_the_lock_waits_for_it(
    store_dir: Path, clock: list[float], compiled: None, declined: list[tuple[Any, Any]]
) -> None:
    run = start_run(store_dir, mode="offline", capture_console=False)
    run.log({"a": 0.0})
    assert handled(run, declined, {"a": 1.0})
    holding, logged = threading.Event(), threading.Event()

    def log_now() -> None:
        holding.wait()
        run.log({"a": 2.0})
        logged.set()

    thread = threading.Thread(target=log_now)
    thread.start()
    with run._lock:
        holding.set()
        deadline = time.monotonic() + 60  # polls a condition: no wall time is asserted
        while declined[-1] != ({"a": 2.0}, None):  # declined: the Python path waits
            assert time.monotonic() < deadline, "the call was not passed on"
            time.sleep(0.001)
        assert not logged.is_set()
        (off, step) = (run._writer.off, run._step)
    thread.join()
    assert parked(run) == (off + SLOT, step + 1)
    run.finish()


@needs_fastlog
def test_the_end_of_a_segment_is_left_to_the_python_path(
    store_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    clock: list[float],
    compiled: None,
    declined: list[tuple[Any, Any]],
) -> None:
    monkeypatch.setattr(spool_module, "SEGMENT_BYTES", spool_module.MIN_SEGMENT_BYTES)
    run = start_run(store_dir, mode="offline", capture_console=False)
    writer = run._writer
    run.log({"a": 0.0, "b": 0.0})
    with run._lock:  # room for the records but not the END slot after
        writer.end = writer.off + 2 * SLOT
    assert not handled(run, declined, {"a": 1.0, "b": 1.0})
    with run._lock:
        writer.end = writer.off + 3 * SLOT
    assert handled(run, declined, {"a": 2.0, "b": 2.0})
    with run._lock:
        writer.end = writer.size
    segment = writer.segment
    for step in range(3, 5000):  # across segments: rotate() in Python, then C again
        run.log({"a": float(step), "b": -float(step)})
    assert writer.segment > segment + 3
    reader = SpoolReader(writer.folder)
    points: dict[str, list[int]] = {}
    while True:
        chunk = reader.read()
        if chunk.end == chunk.start:
            break
        for key, (steps, _, _) in chunk.points.items():
            points.setdefault(key, []).extend(steps.tolist())
    reader.close()
    assert points == {"a": list(range(5000)), "b": list(range(5000))}
    run.finish()


@needs_fastlog
def test_threads_writing_through_the_lock_interleave_whole_records(
    store_dir: Path, clock: list[float], compiled: None
) -> None:
    """Console capture and the sampler write events and points through the run's
    lock from their own threads, and another thread logs, while the training thread
    logs on the compiled path (which does not take the lock, but never writes while a
    thread holds it): the spool holds every one of them, whole."""
    run = start_run(store_dir, mode="offline", capture_console=False)
    run.log({"loss": 0.0, "acc": 0.0})
    start = threading.Barrier(4)
    run.log({"other": 0.0}, step=0)

    def console() -> None:
        start.wait()
        for i in range(EVENTS):
            while not run._console_event(
                {"type": "console", "stream": "stdout", "time": 1.0, "lines": [f"line {i}"]}
            ):
                pass

    def sampler() -> None:
        start.wait()
        for i in range(EVENTS):
            run.log_system({"system/cpu.percent": float(i)})

    def other() -> None:  # another thread logging, on the compiled path too
        start.wait()
        for i in range(20_000):
            run.log({"other": float(i)}, step=i)

    threads = [threading.Thread(target=f) for f in (console, sampler, other)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # the GIL changes hands as often as it can
    try:
        for thread in threads:
            thread.start()
        start.wait()
        for step in range(1, 20_000):
            run.log({"loss": float(step), "acc": -float(step)}, step=step)
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    reader = SpoolReader(run._writer.folder)
    steps: dict[str, list[int]] = {}
    lines: list[str] = []
    while True:
        chunk = reader.read()
        if chunk.end == chunk.start:
            break
        for key, (found, _, values) in chunk.points.items():
            steps.setdefault(key, []).extend(found.tolist())
            if key == "loss":
                assert values.tolist() == [float(s) for s in found.tolist()]
        lines += [str(e["lines"][0]) for e in chunk.events if e["type"] == "console"]
    reader.close()
    assert steps["loss"] == steps["acc"] == list(range(20_000))
    assert steps["other"] == [0, *range(20_000)]
    assert len(steps["system/cpu.percent"]) == EVENTS
    assert lines == [f"line {i}" for i in range(EVENTS)]
    run.finish()


@needs_fastlog
def test_the_time_of_a_point_is_time_time(
    store_dir: Path, compiled: None, declined: list[tuple[Any, Any]]
) -> None:
    """With run.py's own clock (time.time) the compiled path reads the system clock
    itself: the value time.time() would have given, between the calls around it."""
    run = start_run(store_dir, mode="offline", capture_console=False)
    run.log({"t": 0.0})
    writer = run._writer
    off, _ = parked(run)
    stamps = []
    for _ in range(1000):
        before = time.time()
        assert handled(run, declined, {"t": 1.0})
        stamps.append((before, time.time()))
    parked(run)
    for i, (before, after) in enumerate(stamps):
        (recorded,) = struct.unpack_from("<d", writer.mm, off + i * SLOT + 16)
        assert before <= recorded <= after
    run.finish()


@needs_fastlog
def test_a_relay_writes_what_its_logger_takes_as_it_is_and_hands_on_the_rest(
    store_dir: Path, clock: list[float], compiled: None, declined: list[tuple[Any, Any]]
) -> None:
    """``_fastlog.Relay``, a framework logger's ``log_metrics`` (integrations.common.
    relay): with a target, a plain dict of float/int values under keys the run has a
    shape for, at an int step, rank 0, is written by the target Logger; anything else
    goes to the fallback untouched, with the arguments as given."""
    run = start_run(store_dir, mode="offline", capture_console=False)
    handed: list[tuple[Any, Any]] = []

    class Rank:
        rank = 0

    relay = fastlog.Relay(lambda metrics, step: handed.append((metrics, step)), Rank)
    assert relay.target is None and relay.last_step is None
    relay({"loss": 1.0, "n": 2}, 0)  # no target yet
    assert handed == [({"loss": 1.0, "n": 2}, 0)]
    relay.target = "not a run's log"
    assert relay.target is None
    relay.target = run.log
    assert relay.target is run.log
    run.log({"loss": 1.0, "n": 2}, step=0)  # the run's shape for these keys
    off, _ = parked(run)
    calls = len(declined)
    relay(metrics={"loss": 2.0, "n": 3}, step=5)  # Lightning's call
    relay({"loss": 2.5, "n": 10**12}, 6)
    assert handed == [({"loss": 1.0, "n": 2}, 0)] and len(declined) == calls
    assert relay.last_step == 6 and run.step == 7
    assert parked(run) == (off + 4 * SLOT, 7)
    handed.clear()
    not_straight: list[tuple[Any, Any]] = [
        ({"loss": np.float64(2), "n": 3}, 7),  # numpy: log_scalars converts
        ({"loss": 2.0, "n": True}, 7),  # a bool
        ({"loss": 2.0, "n": 10**400}, 7),  # past a float64
        ({"loss": 2.0, "n": 3}, None),  # no step: the method finds it
        ({"loss": 2.0, "n": 3}, np.int64(7)),
        ({"loss": 2.0, "n": 3}, 2**63),
        ({"n": 3, "loss": 2.0}, 7),  # keys of no shape
        ({"loss": 2.0}, 7),
        ({"loss": {"x": 1.0}, "n": 3}, 7),  # nested
        (MappingProxyType({"loss": 2.0, "n": 3}), 7),  # not a dict
    ]
    for metrics, at in not_straight:
        relay(metrics, at)
        assert handed[-1] == (metrics, at)
    assert len(handed) == len(not_straight) and parked(run) == (off + 4 * SLOT, 7)
    Rank.rank = 1  # another rank (or a rank that is not an int): the method decides
    relay({"loss": 2.0, "n": 3}, 7)
    Rank.rank = "0"  # type: ignore[assignment]
    relay({"loss": 2.0, "n": 3}, 7)
    assert len(handed) == len(not_straight) + 2
    unranked = fastlog.Relay(lambda metrics, step: handed.append((metrics, step)), object())
    unranked.target = run.log  # no ``rank`` at all: rank 0, as getattr(..., "rank", 0)
    unranked({"loss": 3.0, "n": 3}, 7)
    assert len(handed) == len(not_straight) + 2 and unranked.last_step == 7
    for args, kwargs in [
        (({"loss": 2.0},), {"stride": 1}),
        (({"loss": 2.0}, 1), {"step": 1}),
        ((), {"step": 1}),
        (({"loss": 2.0}, 1, 2), {}),
    ]:
        with pytest.raises(TypeError, match="step=None"):
            relay(*args, **kwargs)
    run.finish()  # a finished run's Logger declines: the method reopens or refuses
    relay({"loss": 2.0, "n": 3}, 8)
    assert handed[-1] == ({"loss": 2.0, "n": 3}, 8)
