"""``heron.follow.console_lines``: paging, and following a live run whose lines (a
progress bar among them) arrive batch by batch, over a real store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from heron.follow import console_lines
from heron.store.base import CONSOLE_PAGE_MAX
from heron.store.sql import SqlStore
from tests.store.helpers import T0, batch, new_run


def console(stream: str, *texts: str, **extra: Any) -> dict[str, Any]:
    return {"type": "console", "stream": stream, "time": T0, "lines": list(texts), **extra}


def test_reads_every_page(store: SqlStore) -> None:
    run = new_run(store)
    count = CONSOLE_PAGE_MAX + 5
    store.ingest(batch(run.id, 1, [console("stdout", *(str(i) for i in range(count)))]))
    got = list(console_lines(store, run.id))
    assert [x.text for x in got] == [str(i) for i in range(count)]
    assert [x.line for x in console_lines(store, run.id, after=count - 2)] == [count - 1, count]


def test_follows_until_the_run_ends(store: SqlStore) -> None:
    run = new_run(store)
    finished = {"type": "state", "state": "finished", "time": T0}
    arrivals: Iterator[list[dict[str, Any]]] = iter(
        [
            [console("stderr", " 10%", open=True), console("stdout", "epoch 1")],
            [console("stderr", " 70%", open=True, cont=True), console("stdout", "epoch 2")],
            [console("stderr", "100%", cont=True), console("stdout", "cut", open=True)],
            [finished],  # a partial line left at the end comes out as it is
        ]
    )
    seq = iter(range(1, 10))

    def arrive(_poll: float) -> None:  # the follower's sleep: the next batch comes in
        store.ingest(batch(run.id, next(seq), next(arrivals)))

    arrive(0)
    got = [(x.line, x.text) for x in console_lines(store, run.id, follow=True, sleep=arrive)]
    # The bar (line 1) is held back until finished; the lines after it are not.
    assert got == [(2, "epoch 1"), (3, "epoch 2"), (1, "100%"), (4, "cut")]
    with pytest.raises(StopIteration):
        next(arrivals)


def test_follow_from_after_a_line_of_an_ended_run(store: SqlStore) -> None:
    run = new_run(store)
    events = [console("stdout", "a", "b", "c"), {"type": "state", "state": "failed", "time": T0}]
    store.ingest(batch(run.id, 1, events))

    def never(_poll: float) -> None:
        raise AssertionError("an ended run is not waited for")

    got = [x.text for x in console_lines(store, run.id, 1, follow=True, sleep=never)]
    assert got == ["b", "c"]
