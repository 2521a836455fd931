"""Console capture: the tee, lines, carriage returns, cuts, the cap, and its life with a run.

Unit tests drive :class:`ConsoleCapture` over real ``io.StringIO`` streams put in
``sys.stdout`` / ``sys.stderr`` and collect the events it writes; the run tests go
through ``heron.init`` and read the lines back from the store.
"""

from __future__ import annotations

import io
import logging
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import heron
from heron.api import Api
from heron.sdk.capture.console import CAP_NOTE, ConsoleCapture, Tee
from heron.store import open_store
from heron.store.base import CONSOLE_MAX_LINE_BYTES, Batch, RunSpec


class Sink:
    """Collects events; ``busy`` makes it refuse them (the run's lock is taken)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.busy = False

    def __call__(self, event: dict[str, Any]) -> bool:
        if self.busy:
            return False
        self.events.append(event)
        return True

    def lines(self, stream: str | None = None) -> list[str]:
        return [
            text
            for e in self.events
            if e["type"] == "console" and stream in (None, e["stream"])
            for text in e["lines"]
        ]


@contextmanager
def swapped() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    """Real streams of our own in sys.stdout / sys.stderr for the test's body (pytest
    puts its own back between fixture set-up and the test, so no fixture can)."""
    saved = sys.stdout, sys.stderr
    out, err = io.StringIO(), io.StringIO()
    sys.stdout, sys.stderr = out, err
    try:
        yield out, err
    finally:
        sys.stdout, sys.stderr = saved


@contextmanager
def capturing(
    sink: Sink, **options: Any
) -> Iterator[tuple[ConsoleCapture, io.StringIO, io.StringIO]]:
    options.setdefault("snapshot_seconds", 0.0)
    with swapped() as (out, err):
        cap = ConsoleCapture(sink, **options)
        cap.start()
        try:
            yield cap, out, err
        finally:
            cap.stop()


@pytest.fixture
def sink() -> Sink:
    return Sink()


def test_the_terminal_sees_everything_and_lines_are_recorded(sink: Sink) -> None:
    with capturing(sink) as (_, out, err):
        print("hello", "world")
        print("warning!", file=sys.stderr)
        sys.stdout.write("many\nlines\nin one write\n")
        sys.stdout.writelines(["a", "b\n"])
    assert out.getvalue() == "hello world\nmany\nlines\nin one write\nab\n"
    assert err.getvalue() == "warning!\n"
    assert sink.lines("stdout") == ["hello world", "many", "lines", "in one write", "ab"]
    assert sink.lines("stderr") == ["warning!"]
    # print writes its text and its newline apart: the newline makes the event; a
    # write carrying three lines makes one event.
    stdout_events = [e["lines"] for e in sink.events if e["stream"] == "stdout"]
    assert stdout_events[1] == ["many", "lines", "in one write"]


def test_streams_are_given_back_at_stop(sink: Sink) -> None:
    with swapped() as (out, err):
        cap = ConsoleCapture(sink)
        cap.start()
        assert isinstance(sys.stdout, Tee) and isinstance(sys.stderr, Tee)
        cap.stop()
        assert sys.stdout is out and sys.stderr is err


def test_the_tee_is_the_real_stream_for_everything_but_write(sink: Sink) -> None:
    with capturing(sink) as (_, out, _err):
        tee = sys.stdout
        assert isinstance(tee, Tee) and tee.real is out
        assert tee.write("abc") == 3  # the real stream's answer
        assert tee.isatty() is False and tee.getvalue() == "abc"  # type: ignore[attr-defined]
        assert tee.encoding == out.encoding and tee.closed is False
        with pytest.raises(io.UnsupportedOperation):
            tee.fileno()  # what StringIO says, not something of ours
        tee.flush()


def test_the_tee_keeps_a_terminal_a_terminal() -> None:
    real = sys.__stderr__
    assert real is not None
    tee = Tee(real, ConsoleCapture(Sink()), "stderr")
    assert tee.isatty() == real.isatty() and tee.fileno() == real.fileno()
    assert tee.encoding == real.encoding and tee.errors == real.errors
    assert tee.buffer is real.buffer


def test_carriage_returns_keep_the_last_drawing(sink: Sink) -> None:
    with capturing(sink):
        for pct in (10, 50, 90):
            sys.stderr.write(f"\r{pct:3d}%|{'#' * (pct // 10)}")
        sys.stderr.write("\r100%|##########\n")
        sys.stdout.write("windows\r\nline\r\n")
        sys.stdout.write("kept\r")
        sys.stdout.write("\n")  # a CR then LF split across writes: still one line end
        sys.stdout.write("old\r")
        sys.stdout.write("new\n")  # the CR took effect
        sys.stdout.write("gone\rstays\n")
    assert sink.lines("stderr") == ["100%|##########"]
    assert sink.lines("stdout") == ["windows", "line", "kept", "new", "stays"]


def test_a_flushed_unfinished_line_is_a_snapshot_then_finished(sink: Sink) -> None:
    with capturing(sink):
        sys.stderr.write("\r 10%")
        sys.stderr.flush()
        sys.stderr.flush()  # unchanged: no second snapshot
        sys.stderr.write("\r 60%")
        sys.stderr.flush()
        sys.stderr.write("\r100%\n")
    events = [(e["lines"], e.get("open", False), e.get("cont", False)) for e in sink.events]
    assert events == [([" 10%"], True, False), ([" 60%"], True, True), (["100%"], False, True)]


def test_snapshots_are_rate_limited(sink: Sink) -> None:
    with capturing(sink, snapshot_seconds=3600.0):
        for i in range(50):  # tqdm flushes at every redraw
            sys.stderr.write(f"\r{i}")
            sys.stderr.flush()
    assert [e["lines"] for e in sink.events] == [["0"], ["49"]]
    assert sink.events[1].get("cont") is True


def test_a_partial_line_is_recorded_at_stop(sink: Sink) -> None:
    with capturing(sink):
        sys.stdout.write("no newline at the end")
        assert sink.events == []
    assert sink.lines() == ["no newline at the end"]


def test_long_lines_are_cut_and_marked(sink: Sink) -> None:
    with capturing(sink):
        sys.stdout.write("x" * (CONSOLE_MAX_LINE_BYTES + 10) + "\n")
        for _ in range(100):  # a line grown by many writes is cut the same way
            sys.stdout.write("é" * 1000)
        sys.stdout.write("\nshort\n")
    lines = sink.lines()
    assert len(lines[0]) == CONSOLE_MAX_LINE_BYTES
    assert CONSOLE_MAX_LINE_BYTES - 2 < len(lines[1].encode()) <= CONSOLE_MAX_LINE_BYTES
    assert lines[2] == "short"
    assert [e.get("truncated") for e in sink.events] == [[0], [0]]


def test_output_past_the_cap_is_dropped_with_a_note(sink: Sink) -> None:
    with capturing(sink, max_bytes=25):
        sys.stderr.write("bar")
        sys.stderr.flush()  # an open snapshot when the cap hits: it gets finished
        for i in range(5):
            print(f"line {i:04d}")  # 10 bytes each with the newline
    note = CAP_NOTE.format(limit=25)
    assert sink.lines("stdout") == ["line 0000", "line 0001"]
    assert sink.lines("stderr") == ["bar", "bar", note]
    system = [e for e in sink.events if e["type"] == "system"]
    assert system == [
        {
            "type": "system",
            # three lines of 10 bytes, and "bar" (with its newline) finished at stop
            "patch": {"console": {"capped": True, "max_bytes": 25, "dropped_bytes": 34}},
        }
    ]


def test_lines_wait_while_the_run_is_busy(sink: Sink) -> None:
    with capturing(sink):
        sink.busy = True  # the run's lock stayed taken (a signal handler printing mid-log)
        print("first")
        assert sink.events == []
        sink.busy = False
        print("second")
        assert sink.lines() == ["first", "second"]


def test_threads_print_into_the_same_capture(sink: Sink) -> None:
    def work(n: int) -> None:
        for i in range(200):
            print(f"t{n} {i}")

    with capturing(sink):
        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    # ``print`` writes its text and its newline in two calls, and another thread may
    # write between them, on the terminal as in the capture ("t0 5t1 7", then an empty
    # line): what is promised is every write whole, once, none lost.
    written = re.findall(r"t\d \d+", "\n".join(sink.lines()))
    assert sorted(written) == sorted(f"t{n} {i}" for n in range(4) for i in range(200))
    for n in range(4):
        assert [x for x in written if x.startswith(f"t{n} ")] == [f"t{n} {i}" for i in range(200)]


def test_logging_handlers_made_before_the_run_are_captured(sink: Sink) -> None:
    logger = logging.getLogger("tests.console.made_before")
    logger.propagate = False
    with swapped() as (_, err):
        handler = logging.StreamHandler(sys.stderr)  # holds the stream of its time
        logger.addHandler(handler)
        try:
            cap = ConsoleCapture(sink)
            cap.start()
            logger.warning("from logging")
            cap.stop()
            assert handler.stream is err  # given back
            logger.warning("after the run")
        finally:
            logger.removeHandler(handler)
    assert sink.lines("stderr") == ["from logging"]
    assert err.getvalue() == "from logging\nafter the run\n"


def test_a_failing_sink_never_breaks_print(caplog: pytest.LogCaptureFixture) -> None:
    def broken(event: dict[str, Any]) -> bool:
        raise OSError("disk full")

    with caplog.at_level(logging.WARNING, logger="heron.sdk.capture"), swapped() as (out, _):
        cap = ConsoleCapture(broken)
        cap.start()
        print("still printed")
        print("and this")
        cap.stop()
    assert out.getvalue() == "still printed\nand this\n"
    assert "console capture stopped" in caplog.text and "disk full" in caplog.text


def test_a_stream_replaced_after_start_stays_and_our_tee_passes_through(sink: Sink) -> None:
    with swapped() as (out, _):
        cap = ConsoleCapture(sink)
        cap.start()
        ours = sys.stdout
        theirs = io.StringIO()
        sys.stdout = theirs
        cap.stop()
        assert sys.stdout is theirs
        ours.write("late\n")  # someone kept a reference to the tee
    assert out.getvalue() == "late\n" and sink.lines() == []


def test_runs_inside_runs_capture_both_and_unwind(sink: Sink) -> None:
    inner_sink = Sink()
    with swapped() as (out, _):
        outer = ConsoleCapture(sink)
        outer.start()
        inner = ConsoleCapture(inner_sink)
        inner.start()
        print("both")
        outer.stop()  # not the top tee any more: it just stops capturing
        print("inner only")
        inner.stop()
        assert sys.stdout is out  # nothing of ours is left in the way
    assert sink.lines() == ["both"] and inner_sink.lines() == ["both", "inner only"]


def test_abandon_after_fork_records_nothing(sink: Sink) -> None:
    with swapped() as (out, _):
        cap = ConsoleCapture(sink)
        cap.start()
        sys.stdout.write("half a line")
        cap.abandon()
        assert sys.stdout is out
        print(" and the rest")
    assert sink.events == [] and out.getvalue() == "half a line and the rest\n"


# --- with a run ---------------------------------------------------------------------


def _init(store_dir: Path, **kwargs: Any) -> heron.Run:
    options: dict[str, Any] = {"project": "console", "system_metrics": False, "capture": False}
    return heron.init(dir=store_dir, **{**options, **kwargs})


def _lines(store_dir: Path, run_id: str) -> list[str]:
    with Api(store_dir) as api:
        return [x.text for x in api.run(run_id).console().lines]


def test_a_run_records_what_it_prints(store_dir: Path) -> None:
    with swapped(), _init(store_dir) as run:
        print("epoch 1 done")
        print("careful", file=sys.stderr)
        sys.stdout.write("no newline")
    with Api(store_dir) as api:
        page = api.run(run.id).console()
    assert [(x.line, x.stream, x.text) for x in page.lines] == [
        (1, "stdout", "epoch 1 done"),
        (2, "stderr", "careful"),
        (3, "stdout", "no newline"),
    ]


def test_streams_are_restored_when_the_script_fails(store_dir: Path) -> None:
    with swapped() as (out, err):
        with pytest.raises(ValueError), _init(store_dir) as run:
            print("before the error")
            raise ValueError("boom")
        assert sys.stdout is out and sys.stderr is err
    with Api(store_dir) as api:
        assert api.run(run.id).state == "failed"
    lines = _lines(store_dir, run.id)  # then the traceback (Run.finish records it)
    assert lines[0] == "before the error" and lines[1].startswith("Traceback")
    assert lines[-1] == "ValueError: boom"


def test_capture_is_off_by_argument_or_setting(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with swapped() as (out, _):
        with _init(store_dir, capture_console=False) as first:
            assert sys.stdout is out
            print("not recorded")
        monkeypatch.setenv("HERON_CAPTURE_CONSOLE", "false")
        with _init(store_dir) as second:
            assert sys.stdout is out
            print("not recorded either")
        with _init(store_dir, capture_console=True) as third:  # the argument wins
            print("recorded")
    assert _lines(store_dir, first.id) == [] and _lines(store_dir, second.id) == []
    assert _lines(store_dir, third.id) == ["recorded"]


def test_disabled_mode_keeps_nothing(store_dir: Path) -> None:
    with swapped() as (out, _), _init(store_dir, mode="disabled"):
        assert sys.stdout is out  # not even wrapped
        print("into the void")
    assert out.getvalue() == "into the void\n"
    assert not store_dir.exists()


def test_the_cap_setting_reaches_the_run(store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HERON_CONSOLE_MAX_BYTES", "12")
    with swapped(), _init(store_dir) as run:
        print("0123456789")  # 11 bytes
        print("over the cap")
    assert _lines(store_dir, run.id) == ["0123456789", CAP_NOTE.format(limit=12)]
    with Api(store_dir) as api:
        assert api.run(run.id).system["console"] == {
            "capped": True,
            "max_bytes": 12,
            "dropped_bytes": 13,
        }


def test_a_redrawn_line_reaches_the_store_finished(tmp_path: Path, sink: Sink) -> None:
    """The snapshot / continuation protocol end to end through a real store."""
    with capturing(sink):
        print("start")
        for pct in (0, 50):
            sys.stderr.write(f"\r{pct}%")
            sys.stderr.flush()
        print("between")
        sys.stderr.write("\r100%\n")
    with open_store(f"sqlite:///{tmp_path / 'h.db'}") as store:
        store.create_run(RunSpec(id="console001", project="p"))
        for seq, event in enumerate(sink.events, 1):  # one batch per event: across batches
            store.ingest(Batch("console001", seq, events=[event]))
        got = [(x.stream, x.text, x.partial) for x in store.console("console001").lines]
    assert got == [
        ("stdout", "start", False),
        ("stderr", "100%", False),
        ("stdout", "between", False),
    ]
