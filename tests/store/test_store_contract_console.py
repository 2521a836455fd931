"""Store conformance for console lines: numbering, exactly once, open lines, reads
(both backends)."""

from __future__ import annotations

from typing import Any

import pytest

from heron.errors import InvalidInput, NotFound
from heron.store.base import CONSOLE_MAX_LINE_BYTES, CONSOLE_PAGE_MAX, ConsoleLine, RunStore
from tests.store.helpers import T0, batch, new_run


def console(stream: str, *lines: str, **extra: Any) -> dict[str, Any]:
    return {"type": "console", "stream": stream, "time": T0, "lines": list(lines), **extra}


def texts(found: list[ConsoleLine]) -> list[tuple[int, str, str, bool]]:
    return [(x.line, x.stream, x.text, x.partial) for x in found]


def test_lines_are_numbered_in_spool_order_exactly_once(run_store: RunStore) -> None:
    run = new_run(run_store)
    first = batch(run.id, 1, [console("stdout", "a", "b"), console("stderr", "oops")])
    run_store.ingest(first)
    run_store.ingest(first)  # a retry changes nothing
    run_store.ingest(batch(run.id, 2, [console("stdout", "c")]))
    page = run_store.console(run.id)
    assert page.total == 4
    assert texts(page.lines) == [
        (1, "stdout", "a", False),
        (2, "stdout", "b", False),
        (3, "stderr", "oops", False),
        (4, "stdout", "c", False),
    ]
    assert page.lines[0].time == T0 and not page.lines[0].truncated


def test_pages_after_a_line_and_count_alone(run_store: RunStore) -> None:
    run = new_run(run_store)
    run_store.ingest(batch(run.id, 1, [console("stdout", *[f"l{i}" for i in range(1, 11)])]))
    page = run_store.console(run.id, after=3, limit=4)
    assert [x.text for x in page.lines] == ["l4", "l5", "l6", "l7"] and page.total == 10
    assert run_store.console(run.id, after=8, limit=None).lines[-1].text == "l10"
    counted = run_store.console(run.id, limit=0)
    assert (counted.lines, counted.total) == ([], 10)
    assert run_store.console(run.id, after=10).lines == []
    empty = run_store.console(new_run(run_store).id)
    assert (empty.lines, empty.total) == ([], 0)


def test_an_open_line_is_rewritten_until_finished(run_store: RunStore) -> None:
    run = new_run(run_store)
    run_store.ingest(batch(run.id, 1, [console("stderr", " 10%", open=True)]))
    assert texts(run_store.console(run.id).lines) == [(1, "stderr", " 10%", True)]
    # Other streams go on meanwhile; the bar is redrawn, then finished, across batches.
    run_store.ingest(
        batch(
            run.id,
            2,
            [console("stdout", "epoch 1"), console("stderr", " 50%", open=True, cont=True)],
        )
    )
    run_store.ingest(batch(run.id, 3, [console("stderr", "100%", "done", cont=True)]))
    assert texts(run_store.console(run.id).lines) == [
        (1, "stderr", "100%", False),
        (2, "stdout", "epoch 1", False),
        (3, "stderr", "done", False),
    ]


def test_an_open_line_redrawn_and_finished_within_one_batch(run_store: RunStore) -> None:
    run = new_run(run_store)
    events = [
        console("stdout", "start", "1/3", open=True),
        console("stdout", "2/3", open=True, cont=True),
        console("stdout", "3/3", cont=True),
    ]
    run_store.ingest(batch(run.id, 1, events))
    assert texts(run_store.console(run.id).lines) == [
        (1, "stdout", "start", False),
        (2, "stdout", "3/3", False),
    ]


def test_a_stale_open_line_stays_and_cont_without_one_appends(run_store: RunStore) -> None:
    run = new_run(run_store)
    # A crashed process left an open line; the resumed process starts new lines.
    run_store.ingest(batch(run.id, 1, [console("stdout", "cut off", open=True)]))
    run_store.ingest(batch(run.id, 2, [console("stdout", "resumed")]))
    run_store.ingest(batch(run.id, 3, [console("stdout", "x", cont=True)]))  # nothing open
    assert texts(run_store.console(run.id).lines) == [
        (1, "stdout", "cut off", True),
        (2, "stdout", "resumed", False),
        (3, "stdout", "x", False),
    ]


def test_text_is_cleaned_and_cut(run_store: RunStore) -> None:
    run = new_run(run_store)
    long = "é" * CONSOLE_MAX_LINE_BYTES  # two bytes each
    lines = ["nul\x00byte", "lone \udc80 surrogate", long, "sdk cut"]
    run_store.ingest(batch(run.id, 1, [console("stdout", *lines, truncated=[3])]))
    got = run_store.console(run.id).lines
    assert got[0].text == "nul\ufffdbyte"
    assert got[1].text == "lone ? surrogate"
    assert got[2].truncated and len(got[2].text.encode()) == CONSOLE_MAX_LINE_BYTES
    assert got[3].truncated and got[3].text == "sdk cut"
    assert not got[0].truncated


@pytest.mark.parametrize(
    "event",
    [
        console("stdin", "x"),
        console("stdout"),
        {"type": "console", "stream": "stdout", "time": T0, "lines": "not a list"},
        console("stdout", 42),
        {"type": "console", "stream": "stdout", "lines": ["no time"]},
        {"type": "console", "stream": "stdout", "time": float("nan"), "lines": ["x"]},
        {"type": "console", "stream": "stdout", "time": float("inf"), "lines": ["x"]},
    ],
)
def test_malformed_console_events_are_refused_whole(
    run_store: RunStore, event: dict[str, Any]
) -> None:
    run = new_run(run_store)
    with pytest.raises(InvalidInput):
        run_store.ingest(batch(run.id, 1, [console("stdout", "fine"), event]))
    assert run_store.console(run.id).total == 0
    assert run_store.get_run(run.id).ingested_seq == -1


def test_bad_reads(run_store: RunStore) -> None:
    run = new_run(run_store)
    with pytest.raises(NotFound):
        run_store.console("nosuchrun0")
    with pytest.raises(InvalidInput):
        run_store.console(run.id, after=-1)
    with pytest.raises(InvalidInput):
        run_store.console(run.id, limit=-5)


def test_deleting_a_run_deletes_its_lines(run_store: RunStore) -> None:
    run = new_run(run_store)
    other = new_run(run_store)
    run_store.ingest(batch(run.id, 1, [console("stdout", "gone")]))
    run_store.ingest(batch(other.id, 1, [console("stdout", "kept")]))
    run_store.delete_runs([run.id])
    assert [x.text for x in run_store.console(other.id).lines] == ["kept"]
    with pytest.raises(NotFound):
        run_store.console(run.id)


def test_every_line_comes_back_however_many_pages_it_takes(run_store: RunStore) -> None:
    run = new_run(run_store)
    lines = [f"line {i}" for i in range(1, CONSOLE_PAGE_MAX + 6)]
    run_store.ingest(batch(run.id, 1, [console("stdout", *lines)]))
    page = run_store.console(run.id, limit=None)
    assert page.total == len(lines) and [x.text for x in page.lines] == lines
    tail = run_store.console(run.id, after=CONSOLE_PAGE_MAX - 1, limit=None)
    assert [x.line for x in tail.lines] == list(range(CONSOLE_PAGE_MAX, len(lines) + 1))
